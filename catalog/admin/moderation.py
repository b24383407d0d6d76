"""The moderation queue: listings held by a rule or reported, and the decisions on them."""

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.timesince import timesince
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from catalog import moderation_services
from catalog.admin.common import IsbnSearchMixin, flag_labels
from catalog.models import (
    Listing,
    ListingReport,
    ListingToModerate,
)
from catalog.moderation_selectors import (
    listing_history,
    listings_to_moderate_for_user,
    open_reports,
    with_moderation_details,
)
from catalog.pricing import format_euros
from catalog.selectors import listings_for_user
from marketplace.admin_filters import WaitingFilter
from marketplace.forms import DecisionReasonForm
from shops.admin_filters import ShopDriveFilter

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
        price = format_euros(listing.price)  # "3,44 €" in French, as the site writes it
        if list_price is None:
            return format_html("{} / —", price)
        if listing.price > list_price:
            return format_html(
                '<strong class="price-above">{}</strong> / {}', price, format_euros(list_price)
            )
        return format_html("{} / {}", price, format_euros(list_price))

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
