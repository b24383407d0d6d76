"""Head office's side of the shared catalogue: feeds that load the reference, the
conflicts queue where shops' claims disagree, reference prices, and the rules
(catalog/reference.py, catalog/price_changes.py)."""

from decimal import Decimal

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch
from django.http import Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils.html import format_html_join
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from catalog import reference
from catalog.models import BookClaim, BookInConflict, BookPrice, CatalogueFeed, CatalogueRules
from catalog.pricing import format_euros


class CatalogueFeedForm(forms.Form):
    file = forms.FileField(
        label=_("File"),
        help_text=_(
            "A publisher's or distributor's ONIX 3.0 feed, or a CSV file with an EAN column and a price column "
            "(“Prix public” or “Prix”)."
        ),
    )
    source = forms.ChoiceField(
        label=_("Source"),
        choices=BookPrice.Source.choices,
        initial=BookPrice.Source.FEED,
        help_text=_(
            "A feed's data replaces what head office and shops wrote; head office's file replaces shops' data "
            "only. On the same day, a feed's price wins over head office's."
        ),
    )
    effective_from = forms.DateField(
        label=_("Prices in force from"),
        required=False,
        help_text=_(
            "For prices the file does not date (all of a CSV file's). Empty: the feed's date, else today."
        ),
    )


@admin.register(CatalogueFeed)
class CatalogueFeedAdmin(admin.ModelAdmin):
    """Upload a feed; its page says what it loaded and what it refused, and why."""

    list_display = ["original_name", "source", "status", "summary", "sent_on", "created_at", "created_by"]
    list_filter = ["status", "source"]
    change_form_template = "admin/catalog/cataloguefeed/detail.html"

    def has_change_permission(self, request, obj=None):
        return False  # a feed is loaded once; load a new file to correct it

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("summary"))
    def summary(self, feed):
        counts = feed.counts or {}
        if not counts:
            return "—"
        return gettext("%(books)s books (%(created)s new), %(prices)s prices, %(refused)s refused") % {
            "books": counts.get("books", 0),
            "created": counts.get("created", 0),
            "prices": counts.get("prices", 0),
            "refused": counts.get("refused", 0),
        }

    def add_view(self, request, form_url="", extra_context=None):
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = CatalogueFeedForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            feed = reference.catalogue_feed_store(
                upload=form.cleaned_data["file"],
                source=form.cleaned_data["source"],
                effective_from=form.cleaned_data["effective_from"],
                by=request.user,
            )
            return redirect("admin:catalog_cataloguefeed_change", feed.pk)
        return TemplateResponse(
            request,
            "admin/catalog/cataloguefeed/upload.html",
            {**self.admin_site.each_context(request), "opts": self.opts, "form": form,
             "title": gettext("Load a catalogue feed"), "has_view_permission": True},
        )  # fmt: skip

    def change_view(self, request, object_id, form_url="", extra_context=None):
        feed = self.get_object(request, object_id)
        if feed is None or not self.has_view_permission(request, feed):
            raise Http404
        return TemplateResponse(
            request,
            self.change_form_template,
            {**self.admin_site.each_context(request), "opts": self.opts, "title": feed.original_name,
             "original": feed, "feed": feed, "counts": feed.counts or {},
             "in_progress": feed.status == CatalogueFeed.Status.LOADING, "has_view_permission": True},
        )  # fmt: skip


class ClaimsFilter(admin.SimpleListFilter):
    title = _("why")
    parameter_name = "why"

    def lookups(self, request, model_admin):
        return [
            ("disagree", _("Shops disagree with each other")),
            ("no_reference", _("No reference price")),
            ("against_reference", _("A shop disagrees with the reference")),
        ]

    def queryset(self, request, queryset):
        if self.value() == "disagree":
            return queryset.filter(claimed_prices__gt=1)
        if self.value() == "no_reference":
            return queryset.filter(list_price__isnull=True)
        if self.value() == "against_reference":
            return queryset.filter(list_price__isnull=False)
        return queryset


@admin.register(BookInConflict)
class BookInConflictAdmin(admin.ModelAdmin):
    """Books whose shops claim a publisher's price head office has not looked at: they
    disagree with each other or with the reference, or the book has no reference yet."""

    list_display = ["title", "isbn", "reference_price", "claims_column", "claiming_shops"]
    list_filter = [ClaimsFilter]
    search_fields = ["=ean", "title"]
    actions = ["use_agreed_price", "dismiss_claims"]
    list_per_page = 50

    def get_queryset(self, request):
        # The claims column reads each book's claims: prefetched, one query for the page.
        claims = (
            BookClaim.objects.filter(field=BookClaim.Field.LIST_PRICE)
            .select_related("shop")
            .order_by("value")
        )
        return reference.books_in_conflict().prefetch_related(Prefetch("claims", queryset=claims))

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def change_view(self, request, object_id, form_url="", extra_context=None):
        # A book's reference (and its dated prices) is edited on the book's own page.
        book = self.get_object(request, object_id)
        if book is None or not self.has_view_or_change_permission(request, book):
            raise Http404
        return redirect("admin:catalog_book_change", object_id)

    @admin.display(description=_("reference price"))
    def reference_price(self, book):
        return format_euros(book.list_price) if book.list_price is not None else "—"

    @admin.display(description=_("shops' claims"))
    def claims_column(self, book):
        return format_html_join(
            "",
            "<div>{} — {}</div>",
            ((format_euros(Decimal(claim.value)), claim.shop.trade_name) for claim in book.claims.all()),
        )

    @admin.display(description=_("shops"))
    def claiming_shops(self, book):
        return book.claiming_shops

    @admin.action(description=_("Make the price the shops agree on the reference, from today"))
    def use_agreed_price(self, request, queryset):
        if not self.has_change_permission(request):
            raise PermissionDenied
        done = reference.reference_price_set(books=list(queryset))
        left = queryset.count()
        self.message_user(
            request,
            ngettext(
                "%(count)s book has a reference price now.",
                "%(count)s books have a reference price now.",
                done,
            )
            % {"count": done},
            messages.SUCCESS,
        )
        if left:
            self.message_user(
                request,
                gettext(
                    "Books whose shops disagree were left: set their price on the book's page, or load a feed."
                ),
                messages.WARNING,
            )

    @admin.action(description=_("Keep the reference as it is: dismiss the claims"))
    def dismiss_claims(self, request, queryset):
        if not self.has_change_permission(request):
            raise PermissionDenied
        reference.claims_dismiss(books=list(queryset))
        self.message_user(request, gettext("The claims were dismissed."), messages.SUCCESS)


@admin.register(CatalogueRules)
class CatalogueRulesAdmin(admin.ModelAdmin):
    """One row (created by the migration), changed in place."""

    list_display = ["__str__", "price_change_grace_days"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class BookPriceInline(admin.TabularInline):
    """A book's publisher's prices over time. Head office adds one to correct the price
    (from a date); those of feeds are read-only here."""

    model = BookPrice
    fields = ["amount", "effective_from", "source", "feed", "created_at"]
    readonly_fields = ["source", "feed", "created_at"]
    extra = 0
    ordering = ["-effective_from"]

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


def save_book_prices(formset) -> None:
    """The book page's new prices are head office's: recorded, then the price in force
    follows them, the listings follow the price, and the book's claims are reviewed."""
    prices = formset.save(commit=False)
    for price in prices:
        price.source = BookPrice.Source.STAFF
        price.save()
    if prices:
        book = formset.instance
        reference.claims_dismiss(books=[book])
        reference.book_prices_refresh(book_ids=[book.pk])
