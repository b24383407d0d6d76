"""How periodic jobs act on rows that are due, exactly once, however many run at once.

Two beat schedulers started by mistake, a task delivered twice, a person acting on the
same row at that moment: each row is claimed under a row lock taken with SKIP LOCKED and
checked again under it (the `due` queryset is re-applied), so a run passes over what
another holds instead of waiting for it, and never acts on a row twice. A row whose
action fails is logged and left for the next run; it does not hold back the others.

- `act_on_each_in_batches`: rows claimed a batch at a time in one transaction, each
  acted on in a savepoint. For actions that lock nothing else (stamping a reminder).
- `act_on_each_alone`: one row per transaction. For actions that lock other rows too
  (an order's listings), which customers may be waiting for: those locks then last
  milliseconds whatever the backlog.
"""

import logging
from collections.abc import Callable

from django.db import transaction
from django.db.models import Model, QuerySet

logger = logging.getLogger(__name__)


def act_on_each_in_batches(
    due: Callable[[], QuerySet],
    act: Callable[[Model], None],
    *,
    order_by: tuple[str, ...],
    batch_size: int,
    doing: str,
) -> int:
    """Call `act` once on each row of `due()`; returns on how many it succeeded. `doing`
    names the action in the logs ("remind the customer of order")."""
    done, failed = 0, set()
    while True:
        with transaction.atomic():
            batch = list(
                due()
                .exclude(pk__in=failed)
                .select_for_update(skip_locked=True, of=("self",))
                .order_by(*order_by)[:batch_size]
            )
            if not batch:
                return done
            for row in batch:
                try:
                    with transaction.atomic():  # a savepoint: one row that fails spares the others
                        act(row)
                except Exception:
                    logger.exception("Could not %s %s", doing, row.pk)
                    failed.add(row.pk)
                else:
                    done += 1


def act_on_each_alone(
    due: Callable[[], QuerySet],
    act: Callable[[Model], None],
    *,
    order_by: tuple[str, ...],
    batch_size: int,
    doing: str,
    moved_on: tuple[type[Exception], ...] = (),
) -> int:
    """Call `act` once on each row of `due()`, each in a transaction of its own; returns
    on how many it succeeded. `doing` names the action in the logs ("expire order");
    `moved_on`: errors meaning the row changed meanwhile (not logged)."""
    done, passed_over = 0, set()
    while True:
        # Read a page of candidates without locking; each is claimed below.
        candidates = list(
            due().exclude(pk__in=passed_over).order_by(*order_by).values_list("pk", flat=True)[:batch_size]
        )
        if not candidates:
            return done
        for pk in candidates:
            if _claim_and_act(due, pk, act, doing=doing, moved_on=moved_on):
                done += 1
            else:
                passed_over.add(pk)


def _claim_and_act(due, pk, act, *, doing, moved_on) -> bool:
    try:
        with transaction.atomic():
            row = due().select_for_update(skip_locked=True, of=("self",)).filter(pk=pk).first()
            if row is None:
                return False  # no longer due, or being handled by another run
            act(row)
            return True
    except moved_on:
        return False
    except Exception:
        logger.exception("Could not %s %s", doing, pk)
        return False


def publish_without_retry(task, *args) -> None:
    """Hand `task` to the broker once, without Celery's retries: a request never waits
    on a broker that is down (its timeouts are CELERY_BROKER_TRANSPORT_OPTIONS'). For tasks
    whose work a periodic job picks up anyway (a watchdog, the search index refresh)."""
    task.apply_async(args, retry=False)
