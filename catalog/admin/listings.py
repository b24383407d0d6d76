"""A shop's stock, listing by listing: the list, adding a book by its ISBN, a listing's
page and its history."""

from urllib.parse import urlencode

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Case, When
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import redirect
from django.template.defaultfilters import linebreaksbr
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.text import Truncator
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from catalog import moderation_services, services, stock
from catalog.admin.common import IsbnSearchMixin, flag_labels, manageable_shops
from catalog.ean import normalize_any_ean
from catalog.forms import (
    CoverForm,
    IsbnForm,
    ListingDetailsForm,
    NewBookForm,
    NewProductForm,
    StockListForm,
    StockListRowForm,
)
from catalog.models import (
    Book,
    Listing,
    ListingStatusChange,
)
from catalog.moderation_selectors import (
    latest_rejection_reason,
)
from catalog.price_changes import listings_with_price_to_review
from catalog.product_kinds import ShopProductKinds
from catalog.selectors import book_by_ean, listings_for_user, own_product, with_book_details
from shops.selectors import user_sees_all_shops


class PriceReviewFilter(admin.SimpleListFilter):
    title = _("publisher's price")
    parameter_name = "price_review"

    def lookups(self, request, model_admin):
        return [("yes", _("Price to review"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return listings_with_price_to_review(queryset)
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

    list_display = ["cover_thumbnail", "title", "isbn", "condition", "price", "quantity",
                    "reserved_column", "status_label", "updated_on"]  # fmt: skip
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
    # What the pages say instead of Django's « Sélectionnez l'objet offre à changer »
    # (templates/admin/change_list.html).
    list_title = _("Your listings")
    add_label = _("Add a product")

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
        return StockListRowForm

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
        """The title, and the authors under it: one column less, so that the table fits a
        tablet (issue 19)."""
        title = listing.book.title or gettext("(untitled)")
        if not listing.book.authors:
            return title
        return format_html('{}<br><span class="listing-authors">{}</span>', title, listing.book.authors)

    @admin.display(description=_("reserved"), ordering="reserved")
    def reserved_column(self, listing):
        return listing.reserved

    @admin.display(description=_("updated"), ordering="updated_at")
    def updated_on(self, listing):
        return date_format(timezone.localtime(listing.updated_at), "SHORT_DATE_FORMAT")

    @admin.display(description=_("ISBN / EAN"), ordering="book__ean")
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
        ean, reference, shop = request.GET.get("ean"), request.GET.get("reference", "").strip(), None
        if (ean or reference) and request.GET.get("shop", "").isdigit():
            shop = shops.filter(pk=request.GET["shop"]).first()
        if shop is None:
            return self._isbn_step(request, shops)
        return self._details_step(request, shop, ean, reference)

    def _isbn_step(self, request, shops):
        form = IsbnForm(request.POST or None, shops=shops)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            query = urlencode(
                {"shop": data["shop"].pk, "kind": data["kind"].code}
                | ({"ean": data["isbn"]} if data["isbn"] else {"reference": data["reference"]})
            )
            return HttpResponseRedirect(f"{reverse('admin:catalog_listing_add')}?{query}")
        return self._render_add(request, form=form, step="isbn")

    def _details_step(self, request, shop, ean, reference):
        kinds = ShopProductKinds(shop)
        kind = kinds.by_code(request.GET.get("kind", "")) or kinds.usual
        try:
            if ean:
                ean = normalize_any_ean(ean)
                book = book_by_ean(ean)
            else:
                book = own_product(shop=shop, reference=reference[:40])
                ean = book.ean if book else None
            kinds.check_allowed(book.kind if book is not None else kind)
        except (ValidationError, ValueError):
            return redirect("admin:catalog_listing_add")
        if book is not None and book.owner_shop_id not in (None, shop.pk):
            return redirect("admin:catalog_listing_add")
        files = request.FILES or None
        if book is not None:
            form = ListingDetailsForm(request.POST or None, files, book=book, shop_id=shop.pk)
        elif kind.book_rules:
            form = NewBookForm(request.POST or None, files, book=None, shop_id=shop.pk)
        else:
            form = NewProductForm(request.POST or None, files, book=None, shop_id=shop.pk, kind=kind)
        cover_form = (
            CoverForm(request.POST or None, request.FILES or None) if book and not book.cover else None
        )
        if request.method == "POST" and form.is_valid() and (cover_form is None or cover_form.is_valid()):
            try:
                listing = self._create(form, cover_form, shop, ean, book, reference=reference)
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
        existing = Listing.objects.filter(shop=shop, book=book).select_related("book") if book else []
        return self._render_add(
            request,
            form=form,
            cover_form=cover_form,
            step="details",
            book=book,
            kind=book.kind if book is not None else kind,
            ean=ean,
            reference=reference,
            shop=shop,
            existing=existing,
        )

    def _create(self, form, cover_form, shop, ean, book, *, reference):
        data = form.cleaned_data
        if book is None and isinstance(form, NewProductForm):
            book = services.product_create(
                kind=form.kind,
                ean=ean,
                title=data["title"],
                attributes=form.attribute_values,
                source=Book.Source.BOOKSELLER,
                owner_shop=shop if ean is None else None,
                own_reference=reference if ean is None else "",
                description=data["description"],
                list_price=data["list_price"],
                cover=data.get("cover"),
            )
        elif book is None:
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
            claimed_list_price=data.get("list_price") if book.follows_book_rules else None,
        )

    def _render_add(self, request, **context):
        return TemplateResponse(
            request,
            "admin/catalog/listing/add.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.opts,
                "title": gettext("Add a product to my stock"),
                "has_view_permission": True,
                **context,
            },
        )
