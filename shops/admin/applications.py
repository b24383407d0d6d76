"""The applications queue: pending shops, the longest waiting first."""

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef
from django.http import Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.http import urlencode
from django.utils.timesince import timesince
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from marketplace.admin_decisions import decide_each
from marketplace.admin_filters import WaitingFilter
from shops import services
from shops.admin.decisions import DECISIONS, _report_skipped, _selected_count, approve_shops, can_review_shops
from shops.admin.shops import DriveFilter
from shops.forms import ShopDecisionForm
from shops.models import (
    Shop,
    ShopApplication,
    ShopStatusChange,
)
from shops.selectors import shops_for_user

# --- The applications queue ------------------------------------------------------------


class ApplicationWaitingFilter(WaitingFilter):
    """How long an application has waited since it was sent (or sent again)."""

    since_field = "status_changed_at"


@admin.register(ShopApplication)
class ShopApplicationAdmin(admin.ModelAdmin):
    """The moderation queue of shop applications: the pending ones the reviewer may see
    (shops_for_user: their drives' for drive staff), the longest waiting first. Each
    row leads to the shop's page and its decision pages; nothing is edited here."""

    list_display_links = None
    list_filter = [("drives", DriveFilter), ApplicationWaitingFilter, "kinds"]
    show_facets = admin.ShowFacets.ALWAYS
    search_fields = ["trade_name", "legal_name", "siret", "town", "postcode", "contact_email"]
    ordering = ["status_changed_at", "pk"]
    actions = ["approve_selected", "reject_selected"]

    def get_queryset(self, request):
        rejected_before = ShopStatusChange.objects.filter(shop=OuterRef("pk"), to_status=Shop.Status.REJECTED)
        return (
            ShopApplication.objects.filter(
                pk__in=shops_for_user(request.user).values("pk"), status=Shop.Status.PENDING
            )
            .annotate(was_rejected=Exists(rejected_before))
            .prefetch_related("drives")
        )

    def get_list_display(self, request):
        # The decision links bring the reviewer back to this very list (page, filters).
        queue_url = request.get_full_path()

        @admin.display(description=_("decide"))
        def decide(shop):
            return format_html_join(
                " · ",
                '<a href="{}?{}" class="decision-link decision-link--{}">{}</a>',
                (
                    (reverse("admin:shops_shop_decide", args=[shop.pk, slug]), urlencode({"next": queue_url}),
                     slug, DECISIONS[slug].label)
                    for slug in ("approve", "reject")
                ),
            )  # fmt: skip

        return ["shop", "town", "drive_names", "waiting_for", "resubmitted", decide]

    def has_add_permission(self, request):
        return False  # applications come through the public form

    def has_delete_permission(self, request, obj=None):
        return False  # an application is decided on, never deleted

    def has_review_permission(self, request):
        return can_review_shops(request)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        # One page per shop: its own, with the decision buttons and the history.
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        application = self.get_object(request, unquote(object_id))
        if application is None:
            raise Http404
        return redirect("admin:shops_shop_change", application.pk)

    def history_view(self, request, object_id, extra_context=None):
        return self.change_view(request, object_id)

    @admin.display(description=_("shop"), ordering="trade_name")
    def shop(self, application):
        return format_html(
            '<a href="{}">{}</a>',
            reverse("admin:shops_shop_change", args=[application.pk]),
            application.trade_name,
        )

    @admin.display(description=_("drives"))
    def drive_names(self, application):
        return ", ".join(drive.name for drive in application.drives.all()) or "—"

    @admin.display(description=_("waiting for"), ordering="status_changed_at")
    def waiting_for(self, application):
        return timesince(application.status_changed_at, depth=1)

    @admin.display(description=_("sent again after a rejection"), boolean=True, ordering="was_rejected")
    def resubmitted(self, application):
        return application.was_rejected

    @admin.action(description=_("Approve the selected applications"), permissions=["review"])
    def approve_selected(self, request, queryset):
        approve_shops(self, request, queryset)

    @admin.action(
        description=_("Reject the selected applications (one reason for all)"), permissions=["review"]
    )
    def reject_selected(self, request, queryset):
        """Ask for one reason on a page listing exactly the selected applications, then
        reject them one by one (each its own transaction and email)."""
        applications = list(queryset.order_by("status_changed_at", "pk"))
        selected = _selected_count(request, queryset)
        if not applications:
            _report_skipped(self, request, selected)
            return None
        confirmed = "confirm" in request.POST
        form = ShopDecisionForm(request.POST if confirmed else None, shop=None, reason_required=True)
        if confirmed and form.is_valid():
            rejected = decide_each(
                applications,
                lambda shop: services.shop_reject(
                    shop=shop, by=request.user, reason=form.cleaned_data["reason_text"]
                ),
                refused=services.ShopStatusError,  # decided by someone else in the meantime
            ).done
            if rejected:
                self.message_user(
                    request,
                    ngettext(
                        "%(count)d application rejected; the applicant has been told why.",
                        "%(count)d applications rejected; each applicant has been told why.",
                        rejected,
                    )
                    % {"count": rejected},
                    messages.SUCCESS,
                )
            _report_skipped(self, request, selected - rejected)
            return None
        # The confirmation carries the rows as ticked (an id no longer pending, or not
        # this reviewer's, is counted as skipped, never acted on).
        if request.POST.get("select_across") == "1":
            ticked = [str(application.pk) for application in applications]
        else:
            ticked = request.POST.getlist(helpers.ACTION_CHECKBOX_NAME)
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("Reject applications"),
            "opts": self.opts,
            "applications": applications,
            "ticked": ticked,
            "skipped": selected - len(applications),
            "form": form,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/shops/shopapplication/reject_selected.html", context)
