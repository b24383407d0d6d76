"""The answer deadline's jobs, run by Celery beat every few minutes (orders/tasks.py):
remind the shop once before `answer_by`, then close each placed order still unanswered
at it. Idempotent and safe to run twice at once (marketplace/jobs.py); a shop accepting
at the very moment the deadline passes wins or loses cleanly, never both.
"""

from django.db.models.query import QuerySet
from django.utils import timezone

from marketplace.jobs import act_on_each_alone, act_on_each_in_batches
from orders.answer_deadline import answer_deadline
from orders.models import Order
from orders.services import OrderStatusError, order_email_shop_on_commit, order_mark_unanswered

# Reminders lock only orders: a batch per transaction. Closing an order locks its
# listings too: one order per transaction (marketplace/jobs.py).
REMINDER_BATCH_SIZE = 50
CANCEL_BATCH_SIZE = 100


def orders_due_for_answer_reminder(*, now) -> QuerySet:
    return Order.objects.filter(
        status=Order.Status.PLACED,
        shop_reminded_at__isnull=True,
        answer_reminder_at__lte=now,
        answer_by__gt=now,
    )


def orders_past_answer_deadline(*, now) -> QuerySet:
    return Order.objects.filter(status=Order.Status.PLACED, answer_by__lte=now)


def orders_without_deadline_get_one() -> int:
    """Give placed orders without an answer deadline the one of their shop and time of
    placing: orders placed by a web process still running the previous version while the
    migration ran. Normally none. Returns how many it dated."""
    dated = 0
    undated = Order.objects.filter(status=Order.Status.PLACED, answer_by__isnull=True)
    for order in undated.select_related("shop").prefetch_related("shop__opening_periods", "shop__closures"):
        deadline = answer_deadline(order.shop, order.placed_at)
        # Conditional: an order answered meanwhile keeps what it has.
        dated += undated.filter(pk=order.pk).update(
            answer_by=deadline.answer_by, answer_reminder_at=deadline.remind_at
        )
    return dated


def orders_remind_shops_to_answer(*, now=None) -> int:
    """Email each shop about each placed order due for a reminder, once. Returns how
    many reminders this run queued. Stamped under the row lock in the transaction that
    queues the email: a concurrent run skips the locked rows, a later one no longer finds
    them due; the outbox key is the last line of defence."""
    now = now or timezone.now()

    def remind_shop(order: Order) -> None:
        Order.objects.filter(pk=order.pk).update(shop_reminded_at=now)
        order.shop_reminded_at = now
        order_email_shop_on_commit(
            order=order,
            template="emails/orders/shop_answer_reminder",
            event_key=f"order:{order.pk}:answer-reminder",
        )

    return act_on_each_in_batches(
        lambda: orders_due_for_answer_reminder(now=now).select_related("shop"),
        remind_shop,
        order_by=("answer_reminder_at", "pk"),
        batch_size=REMINDER_BATCH_SIZE,
        doing="remind the shop of order",
    )


def orders_cancel_unanswered(*, now=None) -> int:
    """Close every placed order past its answer deadline as "not answered in time"
    (orders.services.order_mark_unanswered). One order per transaction: the order first,
    then its listings, the order every move locks in. Returns how many it closed."""
    now = now or timezone.now()
    orders_without_deadline_get_one()
    return act_on_each_alone(
        lambda: orders_past_answer_deadline(now=now),
        lambda order: order_mark_unanswered(order=order),
        order_by=("answer_by", "pk"),
        batch_size=CANCEL_BATCH_SIZE,
        doing="close unanswered order",
        moved_on=(OrderStatusError,),
    )
