from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Case, When
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import redirect
from django.template.defaultfilters import linebreaksbr
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.text import Truncator
from django.utils.timesince import timesince
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from catalog import moderation_services, services, stock
from catalog.admin_reference import BookPriceInline, save_book_prices
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
from catalog.models import (
    Book,
    BookPrice,
    Listing,
    ListingReport,
    ListingStatusChange,
    ListingToModerate,
    StockImport,
)
from catalog.moderation_selectors import (
    latest_rejection_reason,
    listing_history,
    listings_to_moderate_for_user,
    open_reports,
    with_moderation_details,
)
from catalog.price_changes import listings_with_price_to_review
from catalog.reference import outranks_or_equals
from catalog.search_index import search_index_book
from catalog.selectors import book_by_ean, listings_for_user, with_book_details
from marketplace.admin_filters import WaitingFilter
from marketplace.forms import DecisionReasonForm
from shops.admin_filters import ShopDriveFilter
from shops.models import Shop
from shops.selectors import shops_for_user, user_sees_all_shops


def manageable_shops(request):
    """The shops whose stock the user may change: their own, approved or pending."""
    return shops_for_user(request.user).exclude(status=Shop.Status.REJECTED).order_by("trade_name")


class PriceReviewFilter(admin.SimpleListFilter):
    title = _("publisher's price")
    parameter_name = "price_review"

    def lookups(self, request, model_admin):
        return [("yes", _("Price to review"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return listings_with_price_to_review(queryset)
        return queryset


class WithoutReferencePriceFilter(admin.SimpleListFilter):
    title = _("publisher's price")
    parameter_name = "reference_price"

    def lookups(self, request, model_admin):
        return [("none", _("No reference price")), ("known", _("Known"))]

    def queryset(self, request, queryset):
        if self.value() in ("none", "known"):
            return queryset.filter(list_price__isnull=self.value() == "none")
        return queryset


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


def flag_labels(flags) -> list[str]:
    labels = dict(Listing.Flag.choices)
    return [str(labels.get(flag, flag)) for flag in flags]


class IsbnSearchMixin:
    def get_search_results(self, request, queryset, search_term):
        # A scanned or typed ISBN finds its book exactly; anything else searches text.
        try:
            ean = normalize_book_ean(search_term)
        except ValidationError:
            return super().get_search_results(request, queryset, search_term)
        return queryset.filter(book__ean=ean), False


class ListingStatusChangeInline(admin.TabularInline):
    """The moderators' decisions on a listing and the shop's resubmissions, with why."""

    model = ListingStatusChange
    extra = 0
    can_delete = False
    fields = ["created_at", "from_status", "to_status", "by", "reason"]
    readonly_fields = fields
    verbose_name_plural = _("History of moderation decisions")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor")

    @admin.display(description=_("by"))
    def by(self, change):
        # The shop reads this: a name, not an address or a link to an account page.
        if change.actor is None:
            return "—"
        return change.actor.get_full_name() or gettext("a moderator")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Listing)
class ListingAdmin(IsbnSearchMixin, admin.ModelAdmin):
    """The bookseller's stock: one row per book and condition, price and quantity
    editable in the list. A rejected listing says why, and can be resubmitted."""

    list_display = ["cover_thumbnail", "title", "authors", "isbn", "condition", "price", "quantity", "reserved",
                    "status_label", "updated_at"]  # fmt: skip
    list_display_links = ["title"]
    list_editable = ["price", "quantity"]
    list_filter = ["status", InStockFilter, PriceReviewFilter, "condition"]
    search_fields = ["book__title", "book__subtitle", "book__contributors"]
    search_help_text = _("Title, author, or ISBN (with or without hyphens).")
    actions = ["publish", "hide", "set_out_of_stock", "resubmit_selected"]
    list_per_page = 50
    form = StockListForm  # the same checks (price law, reserved copies) as the list's rows
    fields = ["book_summary", "shop", "condition", "price", "quantity", "reserved", "status", "flags"]
    readonly_fields = ["book_summary", "shop", "condition", "reserved", "status", "flags",
                       "moderation_decision"]  # fmt: skip
    inlines = [ListingStatusChangeInline]
    change_form_template = "admin/catalog/listing/change_form.html"

    def get_queryset(self, request):
        return with_book_details(listings_for_user(request.user)).annotate(
            rejection_reason=Case(When(status=Listing.Status.REJECTED, then=latest_rejection_reason()))
        )

    def get_fields(self, request, obj=None):
        if obj is not None and obj.status == Listing.Status.REJECTED:
            return [*self.fields, "moderation_decision"]
        return self.fields

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
        return "; ".join(flag_labels(listing.moderation_flags)) or "—"

    @admin.display(description=_("status"), ordering="status")
    def status_label(self, listing):
        reason = getattr(listing, "rejection_reason", None)
        if listing.status == Listing.Status.REJECTED and reason:
            return format_html(
                '<span class="listing-rejected" title="{}">{}</span>',
                reason,
                gettext("Rejected by the moderators: %(reason)s") % {"reason": Truncator(reason).chars(140)},
            )
        return listing.get_status_display()

    @admin.display(description=_("moderators' decision"))
    def moderation_decision(self, listing):
        reason = getattr(listing, "rejection_reason", None) or gettext("(no reason recorded)")
        return format_html(
            '<div class="listing-rejected"><strong>{}</strong><br>{}</div><div class="listing-rejected-help">{}</div>',
            gettext("Rejected by the moderators:"),
            linebreaksbr(reason),
            gettext(
                "Correct the price or the quantity if needed and save, then click “Resubmit for moderation”: "
                "the moderators will look at the listing again."
            ),
        )

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
        count = stock.listings_set_out_of_stock(listings=queryset)
        self.message_user(
            request,
            ngettext("%(count)d listing set to 0.", "%(count)d listings set to 0.", count) % {"count": count},
        )

    @admin.action(
        description=_("Resubmit the selected rejected listings for moderation"), permissions=["change"]
    )
    def resubmit_selected(self, request, queryset):
        selected = queryset.count()
        result = moderation_services.listings_resubmit(listings=queryset, by=request.user)
        if result.changed:
            self.message_user(
                request,
                ngettext(
                    "%(count)d listing is back in the moderators' queue.",
                    "%(count)d listings are back in the moderators' queue.",
                    result.changed,
                )
                % {"count": result.changed},
                messages.SUCCESS,
            )
        for problem in result.refused:
            self.message_user(request, problem, messages.ERROR)
        left_alone = selected - result.changed - len(result.refused)
        if left_alone:
            self.message_user(
                request,
                ngettext(
                    "%(count)d listing was left as it was (already waiting for the moderators, or not "
                    "one of your shop's).",
                    "%(count)d listings were left as they were (already waiting for the moderators, or not "
                    "one of your shop's).",
                    left_alone,
                )
                % {"count": left_alone},
                messages.INFO,
            )

    # --- Resubmitting from the listing's page -------------------------------------------

    def get_urls(self):
        return [
            path(
                "<path:object_id>/resubmit/",
                self.admin_site.admin_view(self.resubmit_view),
                name="catalog_listing_resubmit",
            ),
            *super().get_urls(),
        ]

    def resubmit_view(self, request, object_id):
        listing = self.get_object(request, object_id)
        if listing is None:
            raise Http404
        change_url = reverse("admin:catalog_listing_change", args=[listing.pk])
        if request.method != "POST":
            return redirect(change_url)
        if not self.has_change_permission(request, listing):
            raise PermissionDenied
        try:
            moderation_services.listing_resubmit(listing=listing, by=request.user)
        except moderation_services.ListingModerationError as error:
            self.message_user(request, str(error), messages.ERROR)
        else:
            self.message_user(
                request,
                gettext("“%(title)s” is back in the moderators' queue.")
                % {"title": listing.book.title_or_isbn},
                messages.SUCCESS,
            )
        return redirect(change_url)

    def render_change_form(self, request, context, *args, obj=None, **kwargs):
        context["can_resubmit"] = (
            obj is not None
            and obj.status == Listing.Status.REJECTED
            and self.has_change_permission(request, obj)
            and obj.shop.memberships.filter(user=request.user).exists()
        )
        return super().render_change_form(request, context, *args, obj=obj, **kwargs)

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
        form = form_class(request.POST or None, request.FILES or None, book=book, shop_id=shop.pk)
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
            shop=shop,
            book=book,
            condition=data["condition"],
            price=data["price"],
            quantity=data["quantity"],
            claimed_list_price=data.get("list_price"),
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
    """The shared catalogue, kept by the chain's staff (booksellers have no access). Head
    office's corrections rank below publishers' feeds and above shops (catalog/reference.py);
    the publisher's price is corrected by adding a dated price below."""

    form = BookAdminForm
    list_display = ["title", "isbn", "authors", "publisher", "list_price", "source", "updated_at"]
    list_filter = ["source", "format", WithoutReferencePriceFilter]
    search_fields = ["=ean", "title", "contributors", "publisher"]
    readonly_fields = ["ean", "list_price", "cover_thumbnail", "source", "created_at", "updated_at"]
    inlines = [BookPriceInline]

    def save_model(self, request, obj, form, change):
        if form.changed_data and not outranks_or_equals(obj.source, Book.Source.STAFF):
            obj.source = Book.Source.STAFF  # shops no longer overwrite what head office corrected
        super().save_model(request, obj, form, change)
        if "cover" in form.changed_data:
            services.book_refresh_thumbnail(book=obj)
        search_index_book(book_id=obj.pk)

    def save_formset(self, request, form, formset, change):
        if formset.model is BookPrice:
            save_book_prices(formset)
        else:
            super().save_formset(request, form, formset, change)

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
            path(
                "<path:object_id>/retry/",
                self.admin_site.admin_view(self.retry_view),
                name="catalog_stockimport_retry",
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
                **import_services.stock_import_preview_details(stock_import),
            },
        )

    def apply_view(self, request, object_id):
        return self._decide(request, object_id, import_services.stock_import_confirm)

    def cancel_view(self, request, object_id):
        return self._decide(request, object_id, import_services.stock_import_cancel)

    def retry_view(self, request, object_id):
        return self._decide(request, object_id, import_services.stock_import_retry)

    def _decide(self, request, object_id, service):
        stock_import = self.get_object(request, object_id)
        if stock_import is None or request.method != "POST" or not self.has_add_permission(request):
            raise Http404
        try:
            service(stock_import=stock_import)
        except import_services.ImportStateError as error:
            self.message_user(request, str(error), messages.ERROR)
        return redirect("admin:catalog_stockimport_change", stock_import.pk)


# --- The moderation queue -----------------------------------------------------------------


def listings_to_moderate_count(request) -> int:
    """How many listings wait for this moderator. Kept on the request: the sidebar and the
    admin home both show it, for one query."""
    if not hasattr(request, "_listings_to_moderate_count"):
        request._listings_to_moderate_count = listings_to_moderate_for_user(request.user).count()
    return request._listings_to_moderate_count


class DriveFilter(ShopDriveFilter):
    shop_field = "shop"


class WaitingForFilter(WaitingFilter):
    since_field = "waiting_since"


class WhyFilter(admin.SimpleListFilter):
    """Why the listing is in the queue: the rule that holds it, or what it was reported for."""

    title = _("reason")
    parameter_name = "why"

    def lookups(self, request, model_admin):
        return [
            *((f"flag:{value}", label) for value, label in Listing.Flag.choices),
            *(
                (f"report:{value}", gettext("Reported: %(reason)s") % {"reason": label})
                for value, label in ListingReport.Reason.choices
            ),
        ]

    def queryset(self, request, queryset):
        kind, _colon, value = (self.value() or "").partition(":")
        if kind == "flag" and value in Listing.Flag.values:
            return queryset.filter(status=Listing.Status.PENDING, moderation_flags__contains=[value])
        if kind == "report" and value in ListingReport.Reason.values:
            return queryset.filter(pk__in=open_reports().filter(reason=value).values("listing_id"))
        return queryset


@admin.register(ListingToModerate)
class ListingToModerateAdmin(IsbnSearchMixin, admin.ModelAdmin):
    """The moderators' queue: listings of their shops held by a rule or reported, the
    longest waiting first. Nothing is edited here: the actions and the buttons of a
    listing's page call catalog/moderation_services.py, and every page fetches its listing
    through listings_for_user, so another drive's listing is a 404."""

    list_display = ["book_column", "shop_column", "price_column", "quantity_column", "why_column",
                    "waiting_column"]  # fmt: skip
    list_display_links = ["book_column"]
    list_filter = [DriveFilter, WaitingForFilter, WhyFilter, ("shop", admin.RelatedOnlyFieldListFilter)]
    show_facets = admin.ShowFacets.ALWAYS
    search_fields = ["book__title", "shop__trade_name"]
    search_help_text = _("Title, ISBN or shop.")
    actions = ["approve_selected", "reject_selected", "dismiss_reports_selected"]
    list_per_page = 50
    detail_template = "admin/catalog/listingtomoderate/detail.html"
    reject_template = "admin/catalog/listingtomoderate/reject.html"

    def get_queryset(self, request):
        return with_moderation_details(listings_to_moderate_for_user(request.user))

    def get_ordering(self, request):
        return ["waiting_since", "pk"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_moderate_permission(self, request, obj=None):
        return request.user.has_perm("catalog.moderate_listing")

    def changelist_view(self, request, extra_context=None):
        return super().changelist_view(
            request, {"title": gettext("Listings to moderate"), **(extra_context or {})}
        )

    def menu_name(self, request, name):
        count = listings_to_moderate_count(request)
        if not count:
            return name
        return format_html(
            '{} <span class="menu-count" title="{}">{}</span>',
            name,
            ngettext("%(count)d listing to moderate", "%(count)d listings to moderate", count)
            % {"count": count},
            count,
        )

    # --- Columns ----------------------------------------------------------------------

    @admin.display(description=_("book"), ordering="book__title")
    def book_column(self, listing):
        thumbnail = listing.book.cover_thumbnail
        return format_html(
            '<span class="moderation-row-book">{}<span><strong>{}</strong><br>'
            "<small>ISBN&nbsp;{}<br>{}</small></span></span>",
            format_html('<img src="{}" alt="" width="40" loading="lazy">', thumbnail.url)
            if thumbnail
            else "",
            listing.book.title or gettext("(untitled)"),
            listing.book.isbn,
            listing.get_condition_display(),
        )

    @admin.display(description=_("shop and drives"), ordering="shop__trade_name")
    def shop_column(self, listing):
        return format_html(
            "{}<br><small>{}</small>",
            listing.shop.trade_name,
            ", ".join(drive.name for drive in listing.shop.drives.all()) or "—",
        )

    @admin.display(description=_("price / publisher's"), ordering="price")
    def price_column(self, listing):
        list_price = listing.book.list_price
        if list_price is None:
            return format_html("{} € / —", listing.price)
        if listing.price > list_price:
            return format_html('<strong class="price-above">{} €</strong> / {} €', listing.price, list_price)
        return format_html("{} € / {} €", listing.price, list_price)

    @admin.display(description=_("copies"), ordering="quantity")
    def quantity_column(self, listing):
        return listing.quantity

    @admin.display(description=_("why"))
    def why_column(self, listing):
        """The rules that hold it (pending listings only: a published one keeps the flags a
        moderator accepted), then its open reports: how many, and what for."""
        flags = flag_labels(listing.moderation_flags) if listing.status == Listing.Status.PENDING else []
        held = format_html_join("", "<div>{}</div>", ((label,) for label in flags))
        reasons = listing.open_report_reasons
        if not reasons:
            return held or "—"
        labels = dict(ListingReport.Reason.choices)
        return format_html(
            '{}<div class="moderation-reports-summary">{}</div>',
            held,
            ngettext("%(count)d report: %(reasons)s", "%(count)d reports: %(reasons)s", len(reasons))
            % {
                "count": len(reasons),
                "reasons": ", ".join(str(labels.get(reason, reason)) for reason in dict.fromkeys(reasons)),
            },
        )

    @admin.display(description=_("waiting since"), ordering="waiting_since")
    def waiting_column(self, listing):
        return format_html(
            '<time datetime="{}" title="{}">{}</time>',
            listing.waiting_since.isoformat(),
            listing.waiting_since.strftime("%Y-%m-%d %H:%M"),
            timesince(listing.waiting_since, depth=1),
        )

    # --- Bulk actions -----------------------------------------------------------------

    @admin.action(description=_("Publish the selected listings"), permissions=["moderate"])
    def approve_selected(self, request, queryset):
        result = moderation_services.listings_approve(listings=queryset, by=request.user)
        self._say(
            request,
            result,
            done=ngettext("%(count)d listing published.", "%(count)d listings published.", result.changed),
            unchanged=ngettext(
                "%(count)d listing was already online: its reports are dismissed.",
                "%(count)d listings were already online: their reports are dismissed.",
                result.unchanged,
            ),
        )

    @admin.action(description=_("Reject the selected listings with a reason…"), permissions=["moderate"])
    def reject_selected(self, request, queryset):
        """An intermediate page lists exactly the selected listings and asks the reason;
        its form posts the same action again, with "apply"."""
        form = DecisionReasonForm(
            request.POST if "apply" in request.POST else None, applies_to="listing", reason_required=True
        )
        if "apply" in request.POST and form.is_valid():
            try:
                result = moderation_services.listings_reject(
                    listings=queryset, by=request.user, reason=form.cleaned_data["reason_text"]
                )
            except moderation_services.ListingModerationError as error:
                form.add_error(None, str(error))
            else:
                self._say(
                    request,
                    result,
                    done=ngettext(
                        "%(count)d listing rejected; its shop has been told why.",
                        "%(count)d listings rejected; their shops have been told why.",
                        result.changed,
                    ),
                    unchanged=ngettext(
                        "%(count)d listing was already rejected.",
                        "%(count)d listings were already rejected.",
                        result.unchanged,
                    ),
                )
                return None  # back to the queue
        listings = list(queryset.order_by("waiting_since", "pk"))
        return TemplateResponse(
            request,
            self.reject_template,
            {
                **self.admin_site.each_context(request),
                "opts": self.opts,
                "title": ngettext("Reject a listing", "Reject listings", len(listings)),
                "listings": listings,
                "form": form,
                "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
                "action": "reject_selected",
                "media": self.media + form.media,
            },
        )

    @admin.action(description=_("Dismiss the reports (keep the listings online)"), permissions=["moderate"])
    def dismiss_reports_selected(self, request, queryset):
        result = moderation_services.listings_reports_dismiss(listings=queryset, by=request.user)
        self._say(
            request,
            result,
            done=ngettext(
                "The reports on %(count)d listing are dismissed.",
                "The reports on %(count)d listings are dismissed.",
                result.changed,
            ),
            unchanged=ngettext(
                "%(count)d listing had no open report.",
                "%(count)d listings had no open report.",
                result.unchanged,
            ),
        )

    def _say(self, request, result, *, done: str, unchanged: str):
        if result.changed:
            self.message_user(request, done % {"count": result.changed}, messages.SUCCESS)
        if result.unchanged:
            self.message_user(request, unchanged % {"count": result.unchanged}, messages.INFO)
        for problem in result.refused:
            self.message_user(request, problem, messages.ERROR)

    # --- A listing's page and its decisions --------------------------------------------

    def get_urls(self):
        return [
            path(
                "<path:object_id>/decide/<slug:decision>/",
                self.admin_site.admin_view(self.decision_view),
                name="catalog_listingtomoderate_decide",
            ),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        if not self.has_view_permission(request):
            raise PermissionDenied
        listing = self._listing(request, object_id)
        may_moderate = self.has_moderate_permission(request)
        reports = list(listing.reports.select_related("reporter", "resolved_by"))
        return self._render(
            request,
            self.detail_template,
            listing,
            title=listing.book.title_or_isbn,
            flags=flag_labels(listing.moderation_flags),
            reports=reports,
            has_open_reports=any(report.status == ListingReport.Status.OPEN for report in reports),
            history=listing_history(listing),
            can_approve=may_moderate and Listing.MOVES["publish"].allowed_from(listing.status),
            can_reject=may_moderate and Listing.MOVES["reject"].allowed_from(listing.status),
            may_moderate=may_moderate,
        )

    def history_view(self, request, object_id, extra_context=None):
        # A listing's history is its decisions, on its own page (the admin's log has none).
        if not self.has_view_permission(request):
            raise PermissionDenied
        listing = self._listing(request, object_id)
        return redirect(reverse("admin:catalog_listingtomoderate_change", args=[listing.pk]) + "#history")

    def decision_view(self, request, object_id, decision):
        if not self.has_moderate_permission(request):
            raise PermissionDenied
        listing = self._listing(request, object_id)
        page_url = reverse("admin:catalog_listingtomoderate_change", args=[listing.pk])
        if decision == "reject":
            return self._reject_one(request, listing, page_url)
        if decision not in ("approve", "dismiss"):
            raise Http404
        if request.method != "POST":
            return redirect(page_url)
        title = listing.book.title_or_isbn
        try:
            if decision == "approve":
                moderation_services.listing_approve(listing=listing, by=request.user)
                done = gettext("“%(title)s” is published.")
            else:
                moderation_services.listing_reports_dismiss(listing=listing, by=request.user)
                done = gettext("The reports on “%(title)s” are dismissed.")
        except moderation_services.ListingModerationError as error:
            self.message_user(request, str(error), messages.ERROR)
            return redirect(page_url)
        self.message_user(request, done % {"title": title}, messages.SUCCESS)
        return redirect("admin:catalog_listingtomoderate_changelist")

    def _reject_one(self, request, listing, page_url):
        form = DecisionReasonForm(
            request.POST if request.method == "POST" else None, applies_to="listing", reason_required=True
        )
        if request.method == "POST" and form.is_valid():
            try:
                moderation_services.listing_reject(
                    listing=listing, by=request.user, reason=form.cleaned_data["reason_text"]
                )
            except moderation_services.ListingModerationError as error:
                self.message_user(request, str(error), messages.ERROR)
                return redirect(page_url)
            self.message_user(
                request,
                gettext("“%(title)s” is rejected; the shop has been told why.")
                % {"title": listing.book.title_or_isbn},
                messages.SUCCESS,
            )
            return redirect("admin:catalog_listingtomoderate_changelist")
        return self._render(
            request,
            self.reject_template,
            listing,
            title=ngettext("Reject a listing", "Reject listings", 1),
            listings=[listing],
            form=form,
            page_url=page_url,
            media=self.media + form.media,
        )

    def _listing(self, request, object_id) -> Listing:
        """The listing, if it is one of the person's shops' (404 otherwise), in the queue or
        not: its page keeps its history after the decision."""
        queryset = with_moderation_details(listings_for_user(request.user))
        try:
            return queryset.get(pk=object_id)
        except (Listing.DoesNotExist, ValidationError, ValueError):
            raise Http404 from None

    def _render(self, request, template, listing, **context):
        return TemplateResponse(
            request,
            template,
            {
                **self.admin_site.each_context(request),
                "opts": self.opts,
                "listing": listing,
                "original": listing,
                "has_view_permission": True,
                **context,
            },
        )
