from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from catalog import services
from catalog.ean import normalize_book_ean
from catalog.forms import (
    BookAdminForm,
    CoverForm,
    IsbnForm,
    ListingDetailsForm,
    NewBookForm,
    StockImportForm,
    StockListForm,
)
from catalog.imports import services as import_services
from catalog.models import Book, Listing, StockImport
from catalog.search_index import search_index_book
from catalog.selectors import book_by_ean, listings_for_user, with_book_details
from shops.models import Shop
from shops.selectors import shops_for_user, user_sees_all_shops


def manageable_shops(request):
    """The shops whose stock the user may change: their own, approved or pending."""
    return shops_for_user(request.user).exclude(status=Shop.Status.REJECTED).order_by("trade_name")


class InStockFilter(admin.SimpleListFilter):
    title = _("stock")
    parameter_name = "in_stock"

    def lookups(self, request, model_admin):
        return [("yes", _("In stock")), ("no", _("Out of stock"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(quantity__gt=0)
        if self.value() == "no":
            return queryset.filter(quantity=0)
        return queryset


@admin.register(Listing)
class ListingAdmin(admin.ModelAdmin):
    """The bookseller's stock: one row per book and condition, price and quantity
    editable in the list."""

    list_display = ["cover_thumbnail", "title", "authors", "isbn", "condition", "price", "quantity", "reserved",
                    "status", "updated_at"]  # fmt: skip
    list_display_links = ["title"]
    list_editable = ["price", "quantity"]
    list_filter = ["status", InStockFilter, "condition"]
    search_fields = ["book__title", "book__subtitle", "book__contributors"]
    search_help_text = _("Title, author, or ISBN (with or without hyphens).")
    actions = ["publish", "hide", "set_out_of_stock"]
    list_per_page = 50
    form = StockListForm  # the same checks (price law, reserved copies) as the list's rows
    fields = ["book_summary", "shop", "condition", "price", "quantity", "reserved", "status", "flags"]
    readonly_fields = ["book_summary", "shop", "condition", "reserved", "status", "flags"]

    def get_queryset(self, request):
        return with_book_details(listings_for_user(request.user))

    def get_list_display(self, request):
        if user_sees_all_shops(request.user):
            return [*self.list_display[:2], "shop", *self.list_display[2:]]
        return self.list_display

    def get_list_filter(self, request):
        if user_sees_all_shops(request.user):
            return [*self.list_filter, "shop"]
        return self.list_filter

    def get_changelist_form(self, request, **kwargs):
        return StockListForm

    def get_search_results(self, request, queryset, search_term):
        # A scanned or typed ISBN finds its book exactly; anything else searches text.
        try:
            ean = normalize_book_ean(search_term)
        except ValidationError:
            return super().get_search_results(request, queryset, search_term)
        return queryset.filter(book__ean=ean), False

    def save_model(self, request, obj, form, change):
        if not change:
            raise PermissionDenied  # listings are added through add_view (by ISBN)
        services.listing_update_stock(
            listing=obj, price=form.cleaned_data.get("price"), quantity=form.cleaned_data.get("quantity")
        )

    def has_delete_permission(self, request, obj=None):
        return False  # hide or set to 0 instead: orders will refer to listings

    # --- Columns ----------------------------------------------------------------------

    @admin.display(description=_("cover"))
    def cover_thumbnail(self, listing):
        if not listing.book.cover_thumbnail:
            return "—"
        return format_html(
            '<img src="{}" alt="" width="40" loading="lazy">', listing.book.cover_thumbnail.url
        )

    @admin.display(description=_("title"), ordering="book__title")
    def title(self, listing):
        return listing.book.title or gettext("(untitled)")

    @admin.display(description=_("authors"))
    def authors(self, listing):
        return listing.book.authors

    @admin.display(description=_("ISBN"), ordering="book__ean")
    def isbn(self, listing):
        return listing.book.isbn

    @admin.display(description=_("book"))
    def book_summary(self, listing):
        book = listing.book
        return format_html(
            "<strong>{}</strong><br>{}<br>ISBN {} · {} {}",
            book.title,
            book.authors,
            book.isbn,
            gettext("publisher's price:"),
            book.list_price if book.list_price is not None else "—",
        )

    @admin.display(description=_("held for moderation because"))
    def flags(self, listing):
        labels = dict(Listing.Flag.choices)
        return "; ".join(str(labels.get(flag, flag)) for flag in listing.moderation_flags) or "—"

    # --- Bulk actions -----------------------------------------------------------------

    @admin.action(description=_("Publish the selected listings"), permissions=["change"])
    def publish(self, request, queryset):
        result = services.listings_publish(listings=queryset)
        self.message_user(
            request,
            ngettext("%(count)d listing published.", "%(count)d listings published.", result.changed)
            % {"count": result.changed},
            messages.SUCCESS,
        )
        if result.held_for_moderation:
            self.message_user(
                request,
                ngettext(
                    "%(count)d listing waits for moderation (see its flags).",
                    "%(count)d listings wait for moderation (see their flags).",
                    result.held_for_moderation,
                )
                % {"count": result.held_for_moderation},
                messages.WARNING,
            )
        if result.left_alone:
            self.message_user(
                request,
                ngettext(
                    "%(count)d listing was left as it was (already online, rejected, or shop not approved yet).",
                    "%(count)d listings were left as they were (already online, rejected, or shop not approved yet).",
                    result.left_alone,
                )
                % {"count": result.left_alone},
                messages.INFO,
            )

    @admin.action(description=_("Hide the selected listings"), permissions=["change"])
    def hide(self, request, queryset):
        count = services.listings_hide(listings=queryset)
        self.message_user(
            request,
            ngettext("%(count)d listing hidden.", "%(count)d listings hidden.", count) % {"count": count},
        )

    @admin.action(description=_("Set the quantity of the selected listings to 0"), permissions=["change"])
    def set_out_of_stock(self, request, queryset):
        count = services.listings_set_out_of_stock(listings=queryset)
        self.message_user(
            request,
            ngettext("%(count)d listing set to 0.", "%(count)d listings set to 0.", count) % {"count": count},
        )

    # --- Adding a listing by ISBN ---------------------------------------------------

    def add_view(self, request, form_url="", extra_context=None):
        if not self.has_add_permission(request):
            raise PermissionDenied
        shops = manageable_shops(request)
        if not shops.exists():
            self.message_user(
                request, gettext("You have no shop whose stock you can change."), messages.ERROR
            )
            return redirect("admin:catalog_listing_changelist")
        ean, shop = request.GET.get("ean"), None
        if ean and request.GET.get("shop", "").isdigit():
            shop = shops.filter(pk=request.GET["shop"]).first()
        if not ean or shop is None:
            return self._isbn_step(request, shops)
        return self._details_step(request, shop, ean)

    def _isbn_step(self, request, shops):
        form = IsbnForm(request.POST or None, shops=shops)
        if request.method == "POST" and form.is_valid():
            query = f"?ean={form.cleaned_data['isbn']}&shop={form.cleaned_data['shop'].pk}"
            return HttpResponseRedirect(reverse("admin:catalog_listing_add") + query)
        return self._render_add(request, form=form, step="isbn")

    def _details_step(self, request, shop, ean):
        try:
            ean = normalize_book_ean(ean)
        except ValidationError:
            return redirect("admin:catalog_listing_add")
        book = book_by_ean(ean)
        form_class = ListingDetailsForm if book is not None else NewBookForm
        form = form_class(request.POST or None, request.FILES or None, book=book)
        cover_form = (
            CoverForm(request.POST or None, request.FILES or None) if book and not book.cover else None
        )
        if request.method == "POST" and form.is_valid() and (cover_form is None or cover_form.is_valid()):
            try:
                listing = self._create(form, cover_form, shop, ean, book)
            except ValidationError as error:
                form.add_error(None, error)
            else:
                self.message_user(
                    request,
                    gettext("“%(title)s” is listed with %(quantity)s copies (%(status)s).")
                    % {
                        "title": listing.book.title,
                        "quantity": listing.quantity,
                        "status": listing.get_status_display().lower(),
                    },
                    messages.SUCCESS,
                )
                if "_addanother" in request.POST:
                    return redirect("admin:catalog_listing_add")
                return redirect("admin:catalog_listing_changelist")
        existing = Listing.objects.filter(shop=shop, book__ean=ean).select_related("book")
        return self._render_add(
            request,
            form=form,
            cover_form=cover_form,
            step="details",
            book=book,
            ean=ean,
            shop=shop,
            existing=existing,
        )

    def _create(self, form, cover_form, shop, ean, book):
        data = form.cleaned_data
        if book is None:
            book = services.book_create(
                ean=ean,
                details=services.BookDetails(
                    title=data["title"],
                    subtitle=data["subtitle"],
                    authors=form.author_names(),
                    publisher=data["publisher"],
                    publication_date=data["publication_date"],
                    page_count=data["page_count"],
                    format=data["format"],
                    list_price=data["list_price"],
                ),
                source=Book.Source.BOOKSELLER,
                cover=data.get("cover"),
            )
        elif cover_form is not None and cover_form.cleaned_data.get("cover"):
            services.book_set_cover(book=book, cover=cover_form.cleaned_data["cover"])
        return services.listing_create(
            shop=shop, book=book, condition=data["condition"], price=data["price"], quantity=data["quantity"]
        )

    def _render_add(self, request, **context):
        return TemplateResponse(
            request,
            "admin/catalog/listing/add.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.opts,
                "title": gettext("Add a book to my stock"),
                "has_view_permission": True,
                **context,
            },
        )


@admin.register(Book)
class BookAdmin(admin.ModelAdmin):
    """The shared catalogue, kept by the chain's staff (booksellers have no access)."""

    form = BookAdminForm
    list_display = ["title", "isbn", "authors", "publisher", "list_price", "source", "updated_at"]
    list_filter = ["source", "format"]
    search_fields = ["=ean", "title", "contributors", "publisher"]
    readonly_fields = ["ean", "cover_thumbnail", "source", "created_at", "updated_at"]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if "cover" in form.changed_data:
            services.book_refresh_thumbnail(book=obj)
        search_index_book(book_id=obj.pk)

    def has_add_permission(self, request):
        return False  # books come from ONIX feeds, stock files and booksellers' listings


@admin.register(StockImport)
class StockImportAdmin(admin.ModelAdmin):
    """Upload a stock file, read the preview, apply it."""

    list_display = ["original_name", "shop", "status", "summary", "created_at", "created_by"]
    list_filter = ["status", "format"]
    change_form_template = "admin/catalog/stockimport/detail.html"
    lines_per_page = 100

    def get_queryset(self, request):
        return StockImport.objects.filter(shop__in=shops_for_user(request.user)).select_related(
            "shop", "created_by"
        )

    def has_change_permission(self, request, obj=None):
        return False  # read-only once uploaded; applied or cancelled from its page

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("summary"))
    def summary(self, stock_import):
        counts = stock_import.counts or {}
        if not counts:
            return "—"
        return gettext("%(create)s new, %(update)s updated, %(unchanged)s unchanged, %(refuse)s refused") % {
            "create": counts.get("create", 0),
            "update": counts.get("update", 0),
            "unchanged": counts.get("unchanged", 0),
            "refuse": counts.get("refuse", 0),
        }

    def get_urls(self):
        return [
            path(
                "<path:object_id>/apply/",
                self.admin_site.admin_view(self.apply_view),
                name="catalog_stockimport_apply",
            ),
            path(
                "<path:object_id>/cancel/",
                self.admin_site.admin_view(self.cancel_view),
                name="catalog_stockimport_cancel",
            ),
            *super().get_urls(),
        ]

    def add_view(self, request, form_url="", extra_context=None):
        if not self.has_add_permission(request):
            raise PermissionDenied
        shops = manageable_shops(request)
        form = StockImportForm(request.POST or None, request.FILES or None, shops=shops)
        if request.method == "POST" and form.is_valid():
            stock_import = import_services.stock_import_start(
                shop=form.cleaned_data["shop"],
                upload=form.cleaned_data["file"],
                full_sync=form.cleaned_data["full_sync"],
                by=request.user,
            )
            return redirect("admin:catalog_stockimport_change", stock_import.pk)
        return TemplateResponse(
            request,
            "admin/catalog/stockimport/upload.html",
            {**self.admin_site.each_context(request), "opts": self.opts, "title": gettext("Import my stock"),
             "form": form, "has_view_permission": True},
        )  # fmt: skip

    def change_view(self, request, object_id, form_url="", extra_context=None):
        stock_import = self.get_object(request, object_id)
        if stock_import is None or not self.has_view_permission(request, stock_import):
            raise Http404
        action = request.GET.get("action", "")
        lines = stock_import.lines.all()
        if action:
            lines = lines.filter(action=action)
        page = Paginator(lines, self.lines_per_page).get_page(request.GET.get("page"))
        return TemplateResponse(
            request,
            self.change_form_template,
            {
                **self.admin_site.each_context(request),
                "opts": self.opts,
                "title": stock_import.original_name,
                "original": stock_import,
                "stock_import": stock_import,
                "page": page,
                "action": action,
                "actions": import_services.REPORT_ACTIONS,
                "in_progress": stock_import.status
                in (StockImport.Status.PREVIEWING, StockImport.Status.APPLYING),
                "has_view_permission": True,
            },
        )

    def apply_view(self, request, object_id):
        return self._decide(request, object_id, import_services.stock_import_confirm)

    def cancel_view(self, request, object_id):
        return self._decide(request, object_id, import_services.stock_import_cancel)

    def _decide(self, request, object_id, service):
        stock_import = self.get_object(request, object_id)
        if stock_import is None or request.method != "POST" or not self.has_add_permission(request):
            raise Http404
        try:
            service(stock_import=stock_import)
        except import_services.ImportStateError as error:
            self.message_user(request, str(error), messages.ERROR)
        return redirect("admin:catalog_stockimport_change", stock_import.pk)
