"""The holding period: a ready order waits at the counter until `collect_by`.

Two jobs, run by Celery beat every few minutes (pickup/tasks.py):
- two days before the deadline, the customer is reminded once;
- at the deadline, the order expires and its copies go back on sale.

Both are idempotent and safe to run twice at once (two beat schedulers started by
mistake, a task delivered twice, a bookseller collecting the order right now): each
order is claimed under a row lock taken with SKIP LOCKED and checked again under it
(marketplace/jobs.py).
"""

from datetime import timedelta

from django.db.models import F
from django.db.models.query import QuerySet
from django.utils import timezone

from marketplace.jobs import act_on_each_alone, act_on_each_in_batches
from orders.models import Order
from orders.services import OrderStatusError, order_email_customer_on_commit, order_expire

REMIND_BEFORE = timedelta(days=2)
# Reminders lock only orders (no stock): a batch is claimed in one transaction. Expiry
# locks the order's listings too, which customers reserving those books wait for: one
# order per transaction, so those locks last milliseconds whatever the backlog.
REMINDER_BATCH_SIZE = 50
EXPIRY_BATCH_SIZE = 100


def orders_due_for_reminder(*, now) -> QuerySet:
    """Ready orders whose deadline is less than two days away and who have not been
    reminded. An order made ready less than two days before its deadline gets no
    reminder: the "ready" email has just told the customer."""
    return Order.objects.filter(
        status=Order.Status.READY,
        reminder_sent_at__isnull=True,
        collect_by__gt=now,
        collect_by__lte=now + REMIND_BEFORE,
        ready_at__lt=F("collect_by") - REMIND_BEFORE,
    )


def orders_past_deadline(*, now) -> QuerySet:
    """Ready orders nobody collected by their deadline."""
    return Order.objects.filter(status=Order.Status.READY, collect_by__lte=now)


def orders_remind_before_deadline(*, now=None) -> int:
    """Email each customer whose order is due for a reminder, once. Returns how many
    reminders this run queued.

    The reminder is stamped (`reminder_sent_at`) in the transaction that queues the
    email, under the row lock: a concurrent run skips the locked rows, and a run that
    reads them after the commit no longer finds them due. The outbox key is the last
    line of defence.
    """
    now = now or timezone.now()

    def remind(order: Order) -> None:
        Order.objects.filter(pk=order.pk).update(reminder_sent_at=now)
        order.reminder_sent_at = now
        _queue_reminder(order)

    return act_on_each_in_batches(
        lambda: orders_due_for_reminder(now=now).select_related("shop").prefetch_related("lines"),
        remind,
        order_by=("collect_by", "pk"),
        batch_size=REMINDER_BATCH_SIZE,
        doing="remind the customer of order",
    )


def _queue_reminder(order: Order) -> None:
    order_email_customer_on_commit(
        order=order, template="emails/orders/customer_reminder", event_key=f"order:{order.pk}:reminder"
    )


def orders_expire_past_deadline(*, now=None) -> int:
    """Expire every ready order whose deadline has passed: the copies go back on sale,
    the customer and the shop are told (orders.services.order_expire). Returns how many
    orders this run expired.

    Each order is locked (SKIP LOCKED) and checked again before order_expire, in a
    transaction of its own: the order first, then its listings, the order every move of
    orders/services.py locks in. An order collected or cancelled meanwhile is no longer
    past its deadline and is left alone; one a concurrent run is expiring is skipped.
    """
    now = now or timezone.now()
    return act_on_each_alone(
        lambda: orders_past_deadline(now=now),
        lambda order: order_expire(order=order),
        order_by=("collect_by", "pk"),
        batch_size=EXPIRY_BATCH_SIZE,
        doing="expire order",
        moved_on=(OrderStatusError,),
    )
