"""Deadlines of the books a shop orders from its distributor ("order it for me"), run by
Celery beat every hour (orders/tasks.py). Such an order waits, accepted or "ordered",
for a date the shop gave (`expected_on`): the day after it, the shop is reminded once
(mark it ready when it comes, or say it cannot be had); ORDER_BOOK_LATE_CANCEL_DAYS after
it, the order is cancelled by Drive Solidaire and the customer told. Idempotent and safe
to run twice at once (marketplace/jobs.py).
"""

from datetime import date, timedelta

from django.conf import settings
from django.db.models.query import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from marketplace.jobs import act_on_each_alone, act_on_each_in_batches
from orders.models import Order, OrderEvent
from orders.services import OrderStatusError, order_cancel, order_email_shop_on_commit

WAITING_FOR_THE_BOOK = [Order.Status.ACCEPTED, Order.Status.ORDERED]
REMINDER_BATCH_SIZE = 50
CANCEL_BATCH_SIZE = 100


def orders_with_late_books(*, today: date) -> QuerySet:
    """Orders whose book was expected before `today` (Paris) and is not in yet."""
    return Order.objects.filter(from_distributor=True, status__in=WAITING_FOR_THE_BOOK, expected_on__lt=today)


def orders_remind_shops_of_late_books(*, today: date | None = None) -> int:
    """Email each shop, once per order, that the book it expected is late. Returns how
    many reminders this run queued (stamped under the row lock, as the answer reminders)."""
    today = today or timezone.localdate()
    now = timezone.now()

    def remind_shop(order: Order) -> None:
        Order.objects.filter(pk=order.pk).update(shop_reminded_late_at=now)
        order_email_shop_on_commit(
            order=order, template="emails/orders/shop_book_late", event_key=f"order:{order.pk}:book-late"
        )

    return act_on_each_in_batches(
        lambda: (
            orders_with_late_books(today=today)
            .filter(shop_reminded_late_at__isnull=True)
            .select_related("shop")
        ),
        remind_shop,
        order_by=("expected_on", "pk"),
        batch_size=REMINDER_BATCH_SIZE,
        doing="remind the shop of the late book of order",
    )


def orders_cancel_books_never_in(*, today: date | None = None) -> int:
    """Cancel every order whose book is ORDER_BOOK_LATE_CANCEL_DAYS late: nothing is held
    (no copy), the customer is told by Drive Solidaire, the shop too. Returns how many."""
    today = today or timezone.localdate()
    limit = today - timedelta(days=settings.ORDER_BOOK_LATE_CANCEL_DAYS)

    def cancel(order: Order) -> None:
        with override(order.language):
            note = _("The book did not come from the distributor in time.")
        order_cancel(order=order, actor_kind=OrderEvent.Actor.SYSTEM, note=note)

    return act_on_each_alone(
        lambda: orders_with_late_books(today=limit),
        cancel,
        order_by=("expected_on", "pk"),
        batch_size=CANCEL_BATCH_SIZE,
        doing="cancel the order of a book never in,",
        moved_on=(OrderStatusError,),
    )
