"""The shop's answer to a new order: due by a deadline, or the order is cancelled.

A placed order holds copies until the shop accepts or refuses it. So that an order
nobody answers does not hold them for ever (a shop that stopped reading its emails, or
a hoarder's orders nobody will accept), each order gets at checkout:
- `answer_by`: by default the closing time of the shop's next full opening day (an order
  placed on Monday afternoon is answered by Tuesday's closing time); a shop may set a
  number of opening hours instead (Shop.answer_within_hours, within the chain's bounds).
  Never later than ORDER_ANSWER_LATEST_DAYS; a shop without declared hours gets
  ORDER_ANSWER_HOURS_WITHOUT_OPENING_HOURS.
- `answer_reminder_at`: ORDER_ANSWER_REMIND_BEFORE_HOURS before the deadline, or halfway
  for a shorter wait.

Two jobs (orders/answer_jobs.py) remind the shop once, then close what is still
unanswered at the deadline (status "not answered in time": the copies go back on sale and
the customer is told, in their language, with a link to the same books near their
drive, `search_again_url`).
"""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.urls import reverse
from django.utils import translation

from orders.models import Order
from shops.hours import Schedule
from shops.models import Shop


@dataclass(frozen=True)
class AnswerDeadline:
    answer_by: datetime
    remind_at: datetime


def answer_deadline(shop: Shop, placed_at: datetime, *, schedule: Schedule | None = None) -> AnswerDeadline:
    """When `shop` must have answered an order placed at `placed_at`, and when it is
    reminded. `schedule`: the shop's, if the caller has it (else read: two queries)."""
    schedule = schedule or Schedule.for_shop(shop)
    latest = placed_at + timedelta(days=settings.ORDER_ANSWER_LATEST_DAYS)
    if not schedule.has_hours:
        deadline = placed_at + timedelta(hours=settings.ORDER_ANSWER_HOURS_WITHOUT_OPENING_HOURS)
    elif shop.answer_within_hours:
        # Within the chain's bounds as they are now (a value saved under wider ones).
        hours = min(max(shop.answer_within_hours, settings.ORDER_ANSWER_MIN_OPENING_HOURS),
                    settings.ORDER_ANSWER_MAX_OPENING_HOURS)  # fmt: skip
        deadline = schedule.ready_by(placed_at, timedelta(hours=hours))
    else:
        deadline = schedule.end_of_next_full_day(placed_at)
    # In UTC: Python subtracts hours from a Paris time on the wall clock, an hour off on
    # the nights the clocks change.
    deadline = min(deadline or latest, latest).astimezone(UTC)
    placed_at = placed_at.astimezone(UTC)
    remind_at = max(
        placed_at + (deadline - placed_at) / 2,
        deadline - timedelta(hours=settings.ORDER_ANSWER_REMIND_BEFORE_HOURS),
    )
    return AnswerDeadline(answer_by=deadline, remind_at=remind_at)


def search_again_url(order: Order) -> str:
    """Where the customer finds the books of `order` elsewhere: the first book's page
    near the drive they were shopping around (else the shop's first drive), absolute,
    in the order's language. Empty when the order had no line."""
    line = next(iter(order.lines.all()), None)
    if line is None:
        return ""
    drive = order.checkout.drive if order.checkout.drive_id else order.shop.drives.order_by("pk").first()
    with translation.override(order.language):
        path = reverse("book", args=[line.ean])
    query = f"?drive={drive.slug}" if drive is not None else ""
    return f"{settings.SITE_URL}{path}{query}"
