"""The holding period: a ready order waits at the counter until `collect_by`.

Two jobs, run by Celery beat every few minutes (pickup/tasks.py):
- two days before the deadline, the customer is reminded once;
- at the deadline, the order expires and its copies go back on sale.

Both are idempotent and safe to run twice at once (two beat schedulers started by
mistake, a task delivered twice): each order is claimed under a row lock taken with
SKIP LOCKED, and checked again under that lock, so a run passes over what another run
(or a bookseller collecting the order right now) holds instead of waiting for it, and
never acts on an order twice.
"""

import logging
from datetime import timedelta

from django.db import transaction
from django.db.models import F
from django.db.models.query import QuerySet
from django.utils import timezone

from orders.models import Order
from orders.services import OrderStatusError, order_email_customer_on_commit, order_expire

logger = logging.getLogger(__name__)

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
    sent, failed = 0, set()
    while True:
        with transaction.atomic():
            batch = list(
                orders_due_for_reminder(now=now)
                .exclude(pk__in=failed)
                .select_for_update(skip_locked=True, of=("self",))
                .select_related("shop")
                .prefetch_related("lines")
                .order_by("collect_by", "pk")[:REMINDER_BATCH_SIZE]
            )
            if not batch:
                return sent
            for order in batch:
                try:
                    with transaction.atomic():  # a savepoint: one order that fails spares the others
                        Order.objects.filter(pk=order.pk).update(reminder_sent_at=now)
                        order.reminder_sent_at = now
                        _queue_reminder(order)
                except Exception:
                    logger.exception("Could not remind the customer of order %s", order.pk)
                    failed.add(order.pk)
                else:
                    sent += 1


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
    expired, passed_over = 0, set()
    while True:
        # Read a page of candidates without locking; each is claimed below.
        candidates = list(
            orders_past_deadline(now=now)
            .exclude(pk__in=passed_over)
            .order_by("collect_by", "pk")
            .values_list("pk", flat=True)[:EXPIRY_BATCH_SIZE]
        )
        if not candidates:
            return expired
        for order_id in candidates:
            if _expire(order_id, now=now):
                expired += 1
            else:
                passed_over.add(order_id)


def _expire(order_id: int, *, now) -> bool:
    try:
        with transaction.atomic():
            order = (
                orders_past_deadline(now=now)
                .select_for_update(skip_locked=True, of=("self",))
                .filter(pk=order_id)
                .first()
            )
            if order is None:
                return False  # collected or cancelled meanwhile, or being expired by another run
            order_expire(order=order)
            return True
    except OrderStatusError:
        return False
    except Exception:
        logger.exception("Could not expire order %s", order_id)
        return False
