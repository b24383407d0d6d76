"""The nightly job that applies the register's periods (privacy/register.py): every kind of
personal data past its period is anonymised or deleted, a batch at a time.

Safe to run twice at once: each batch locks its rows with SKIP LOCKED, so two runs share
the work instead of waiting for each other, and every erase skips rows already done, so a
run that stopped half-way (a worker killed) is finished by the next. Open orders are never
touched: an order counts from the day it closed, and a checkout waits for its orders.
"""

import logging
from datetime import datetime, timedelta

from django.contrib.sessions.models import Session
from django.db import transaction
from django.utils import timezone

from catalog.models import StockAlert
from orders.alert_outcomes import ALERT_TO_ORDER_DAYS, alerts_outcome_freeze
from privacy.register import REGISTER, PersonalData

logger = logging.getLogger(__name__)

BATCH_SIZE = 500


def retention_apply(*, now: datetime | None = None) -> dict[str, int]:
    """End what is past its period. Returns {kind: rows anonymised or deleted}."""
    now = now or timezone.now()
    # The alerts whose two weeks to lead to a reservation are over: their outcome written
    # down before the orders or the alerts lose the address that links them.
    alerts_outcome_freeze(
        alerts=StockAlert.objects.filter(sent_at__lt=now - timedelta(days=ALERT_TO_ORDER_DAYS))
    )
    done = {entry.key: _end_past_period(entry, now=now) for entry in REGISTER}
    done["sessions"] = Session.objects.filter(expire_date__lt=now).delete()[0]
    logger.info("Retention periods applied: %s", done)
    return done


def _end_past_period(entry: PersonalData, *, now: datetime) -> int:
    total = 0
    while True:
        with transaction.atomic():
            pks = list(
                entry.past_period(now=now)
                .select_for_update(skip_locked=True, of=("self",))
                .order_by("pk")
                .values_list("pk", flat=True)[:BATCH_SIZE]
            )
            changed = entry.erase(pks, now=now) if pks else 0
        total += changed
        if len(pks) < BATCH_SIZE or not changed:  # not changed: never loop on rows it cannot end
            return total
