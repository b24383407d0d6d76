"""The counter: a member of a shop types (or scans) a pickup code, sees the order, and
hands it over.

Guessing is stopped by counting wrong codes in the database (CodeAttempt), so that every
web process sees the same count: at most MAX_WRONG_PER_USER wrong codes per person and
MAX_WRONG_PER_SHOP per shop within WINDOW. Past either limit even a right code is
refused, so that locked-out guessing learns nothing. A wrong code is one that matches no
order of the shop; an order of another shop is "no order" here, word for word.

Locking: each attempt first takes two transaction-level advisory locks, the person's then
the shop's (always in that order), so that parallel requests count and record their
attempts one after the other instead of all passing a limit at once; a hand-over then
locks the order (orders/services.py locks the order before its listings).
"""

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from marketplace.locking import advisory_xact_lock
from orders.models import Order
from orders.pickup_codes import normalize_pickup_code
from orders.services import order_collect
from pickup.models import CodeAttempt
from pickup.selectors import collected_at, order_for_code
from shops.models import Shop

WINDOW = timedelta(minutes=15)
MAX_WRONG_PER_USER = 5
MAX_WRONG_PER_SHOP = 20


@dataclass(frozen=True)
class CounterAnswer:
    """What the counter says about a code typed at `shop` (the message is for people,
    in the active language)."""

    class Outcome:
        READY = "ready"  # the order waits at this counter: it can be handed over
        HANDED_OVER = "handed-over"
        UNKNOWN = "unknown"  # no order of this shop has this code
        NOT_READY = "not-ready"
        COLLECTED = "collected"
        CLOSED = "closed"  # refused, cancelled or expired
        LOCKED_OUT = "locked-out"  # too many wrong codes: nothing was looked at

    outcome: str
    shop: Shop
    order: Order | None = None
    collected_at: datetime | None = None
    retry_in_minutes: int = 0

    @property
    def message(self) -> str:
        order, Outcome = self.order, self.Outcome
        if self.outcome == Outcome.LOCKED_OUT:
            return ngettext(
                "Too many wrong codes. Try again in %(minutes)s minute.",
                "Too many wrong codes. Try again in %(minutes)s minutes.",
                self.retry_in_minutes,
            ) % {"minutes": self.retry_in_minutes}
        if self.outcome == Outcome.UNKNOWN:
            return _("No order ready with this code at %(shop)s.") % {"shop": self.shop.trade_name}
        if self.outcome == Outcome.READY:
            return _("Order %(reference)s is ready: take the payment, then hand it over.") % {
                "reference": order.reference
            }
        if self.outcome == Outcome.HANDED_OVER:
            return _("Handed over: %(reference)s.") % {"reference": order.reference}
        if self.outcome == Outcome.NOT_READY:
            return _("Order %(reference)s is not ready yet (status: %(status)s).") % {
                "reference": order.reference,
                "status": order.get_status_display().lower(),
            }
        if self.outcome == Outcome.COLLECTED:
            return _("Order %(reference)s was already collected on %(date)s.") % {
                "reference": order.reference,
                "date": _datetime(self.collected_at or order.updated_at),
            }
        if order.status == Order.Status.EXPIRED:
            return _(
                "Order %(reference)s has expired: it was not collected by %(deadline)s and its books "
                "are back on sale."
            ) % {"reference": order.reference, "deadline": _datetime(order.collect_by or order.updated_at)}
        if order.status == Order.Status.UNANSWERED:
            return _("Order %(reference)s was cancelled: it was not answered in time.") % {
                "reference": order.reference
            }
        if order.status == Order.Status.CANCELLED:
            return _("Order %(reference)s was cancelled: there is nothing to hand over.") % {
                "reference": order.reference
            }
        return _("Order %(reference)s was refused: there is nothing to hand over.") % {
            "reference": order.reference
        }


def pickup_code_check(*, shop: Shop, user, typed: str) -> CounterAnswer:
    """Look up what someone at `shop`'s counter typed, and record the attempt.

    The caller has checked that `user` serves at `shop` (counter_shops_for_user).
    Only `shop`'s orders are looked at; READY comes with the order and its lines.
    """
    code = normalize_pickup_code(typed)
    with transaction.atomic():
        _wait_for_other_attempts(user=user, shop=shop)
        locked_out = _minutes_locked_out(user=user, shop=shop) > 0
        order = order_for_code(shop=shop, code=code)
        _record(shop=shop, user=user, code=code, right=order is not None)
        if locked_out:
            return _locked_out(user=user, shop=shop)
        if order is None:
            return CounterAnswer(CounterAnswer.Outcome.UNKNOWN, shop=shop)
        return _answer_for(order, shop=shop)


def pickup_hand_over(*, order_id: int, code: str, shop: Shop, user) -> CounterAnswer:
    """Hand order `order_id` over at `shop`'s counter: the customer paid and takes the books.

    The code and the shop are checked again under the order's lock (the form posts an
    order id: it proves nothing by itself; an id of another shop, or of no order, is a
    wrong code like any other, so that ids cannot be probed), the attempt is recorded and
    counted like a typed code, and the move goes through order_collect (stock, history).
    Sent twice, the order is handed over once; the second answer says it was already
    collected. The caller has checked that `user` serves at `shop` (counter_shops_for_user).
    """
    code = normalize_pickup_code(code)
    with transaction.atomic():
        _wait_for_other_attempts(user=user, shop=shop)
        locked_out = _minutes_locked_out(user=user, shop=shop) > 0
        locked = (
            Order.objects.select_for_update(of=("self",))
            .select_related("shop")
            .filter(pk=order_id, shop=shop)
            .first()
        )
        right = locked is not None and bool(code) and locked.pickup_code == code
        _record(shop=shop, user=user, code=code, right=right)
        if locked_out:
            return _locked_out(user=user, shop=shop)
        if not right:
            return CounterAnswer(CounterAnswer.Outcome.UNKNOWN, shop=shop)
        if locked.status != Order.Status.READY:
            return _answer_for(locked, shop=shop)
        collected = order_collect(order=locked, by=user)
    return CounterAnswer(CounterAnswer.Outcome.HANDED_OVER, shop=shop, order=collected)


def _answer_for(order: Order, *, shop: Shop) -> CounterAnswer:
    """The answer for a right code of `shop`, from the order's status."""
    Outcome, Status = CounterAnswer.Outcome, Order.Status
    if order.status == Status.READY:
        return CounterAnswer(Outcome.READY, shop=shop, order=order)
    if order.status in (Status.PLACED, Status.ACCEPTED):
        return CounterAnswer(Outcome.NOT_READY, shop=shop, order=order)
    if order.status == Status.COLLECTED:
        return CounterAnswer(Outcome.COLLECTED, shop=shop, order=order, collected_at=collected_at(order))
    return CounterAnswer(Outcome.CLOSED, shop=shop, order=order)


def _record(*, shop: Shop, user, code: str, right: bool) -> None:
    CodeAttempt.objects.create(
        shop=shop, user=user, code=code[: CodeAttempt._meta.get_field("code").max_length], succeeded=right
    )


def _locked_out(*, user, shop: Shop) -> CounterAnswer:
    # Counted after recording this attempt: a wrong code typed while locked out pushes
    # the end further, a right one does not.
    return CounterAnswer(
        CounterAnswer.Outcome.LOCKED_OUT,
        shop=shop,
        retry_in_minutes=_minutes_locked_out(user=user, shop=shop),
    )


def _minutes_locked_out(*, user, shop: Shop) -> int:
    """Minutes until both the person and the shop are back under their limits (0: now)."""
    now = timezone.now()
    waits = []
    for attempts, limit in (
        (CodeAttempt.objects.filter(user=user), MAX_WRONG_PER_USER),
        (CodeAttempt.objects.filter(shop=shop), MAX_WRONG_PER_SHOP),
    ):
        newest_wrong = list(
            attempts.filter(succeeded=False, created_at__gt=now - WINDOW)
            .order_by("-created_at")
            .values_list("created_at", flat=True)[:limit]
        )
        if len(newest_wrong) >= limit:
            # Under the limit again once the limit-th newest wrong code leaves the window.
            waits.append(newest_wrong[limit - 1] + WINDOW - now)
    if not waits:
        return 0
    return max(1, math.ceil(max(waits).total_seconds() / 60))


def _wait_for_other_attempts(*, user, shop: Shop) -> None:
    """Queue behind the other attempts of this person, then of this shop, until commit."""
    advisory_xact_lock(f"pickup-attempts:user:{user.pk}", f"pickup-attempts:shop:{shop.pk}")


def _datetime(moment: datetime) -> str:
    return formats.date_format(timezone.localtime(moment), "DATETIME_FORMAT")
