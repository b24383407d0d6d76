"""Decisions on shops: the buttons of a shop's page (one per move of Shop.MOVES) and
the bulk approvals and rejections."""

from collections.abc import Callable
from dataclasses import dataclass, field

from django.contrib import messages
from django.contrib.admin import helpers
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from marketplace.admin_decisions import decide_each
from shops import services
from shops.forms import ShopDecisionForm
from shops.models import (
    Shop,
)


def can_review_shops(request) -> bool:
    return request.user.has_perm("shops.review_shop")


@dataclass(frozen=True)
class Decision:
    """A button on a shop's admin page: one of the moves Shop.MOVES declares (its name,
    label and the statuses it starts from come from there), and the service that makes it."""

    move: str
    service: Callable
    reason_required: bool
    reason_argument: str
    done_message: str
    form_class: type[ShopDecisionForm] = field(default=ShopDecisionForm)

    @property
    def slug(self) -> str:
        return self.move

    @property
    def label(self):
        return Shop.MOVES[self.move].label

    def allowed_for(self, shop: Shop) -> bool:
        return Shop.MOVES[self.move].allowed_from(shop.status)


DECISIONS = {
    decision.move: decision
    for decision in [
        Decision("approve", services.shop_approve, False, "note",
                 _("“%(shop)s” is approved; its owner has been sent a link to set a password.")),
        Decision("reject", services.shop_reject, True, "reason",
                 _("“%(shop)s” is rejected; the applicant has been told why.")),
        # The back office offers to cancel the open orders too (backoffice/admin.py).
        Decision("suspend", services.shop_suspend, True, "reason",
                 _("“%(shop)s” is suspended; the shop has been told why.")),
        Decision("reinstate", services.shop_reinstate, False, "note",
                 _("“%(shop)s” is back on the marketplace.")),
    ]
}  # fmt: skip


def _selected_count(request, queryset) -> int:
    """How many rows the person ticked (all of the list's rows with "select all")."""
    if request.POST.get("select_across") == "1":
        return queryset.count()
    return len(set(request.POST.getlist(helpers.ACTION_CHECKBOX_NAME)))


def _report_skipped(modeladmin, request, skipped: int) -> None:
    if skipped:
        modeladmin.message_user(
            request,
            ngettext(
                "%(count)d selected shop was not awaiting review and was left as it was.",
                "%(count)d selected shops were not awaiting review and were left as they were.",
                skipped,
            )
            % {"count": skipped},
            messages.WARNING,
        )


def approve_shops(modeladmin, request, queryset) -> None:
    """Approve the selected shops that are pending, one by one (each its own transaction
    and email); the others are counted and left alone."""
    approved = decide_each(
        queryset.filter(status=Shop.Status.PENDING).order_by("pk"),
        lambda shop: services.shop_approve(shop=shop, by=request.user),
        refused=services.ShopStatusError,  # decided by someone else in the meantime
    ).done
    if approved:
        modeladmin.message_user(
            request,
            ngettext("%(count)d shop approved.", "%(count)d shops approved.", approved) % {"count": approved},
            messages.SUCCESS,
        )
    _report_skipped(modeladmin, request, _selected_count(request, queryset) - approved)
