"""The demo's stand-in for Celery beat runs the same jobs as production's schedule."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from orders.models import Order
from tests.factories import ListingFactory
from tests.pickup.holding_helpers import ready_order, reminders_of

pytestmark = pytest.mark.django_db


def test_one_run_expires_the_overdue_order_and_reminds_the_one_due(capture_on_commit):
    overdue = ready_order(ListingFactory(quantity=1))
    due = ready_order(ListingFactory(quantity=1))
    Order.objects.filter(pk=overdue.pk).update(collect_by=timezone.now() - timedelta(minutes=1))
    Order.objects.filter(pk=due.pk).update(
        ready_at=timezone.now() - timedelta(days=6), collect_by=timezone.now() + timedelta(days=1)
    )

    output = StringIO()
    with capture_on_commit():
        call_command("run_periodic_jobs", "--once", stdout=output)

    overdue.refresh_from_db()
    assert overdue.status == Order.Status.EXPIRED
    assert len(reminders_of(due)) == 1
    assert "expire-uncollected-orders: 1" in output.getvalue()


def test_running_it_twice_changes_nothing_more(capture_on_commit):
    overdue = ready_order(ListingFactory(quantity=1))
    Order.objects.filter(pk=overdue.pk).update(collect_by=timezone.now() - timedelta(minutes=1))

    with capture_on_commit():
        call_command("run_periodic_jobs", "--once", stdout=StringIO())
    second = StringIO()
    call_command("run_periodic_jobs", "--once", stdout=second)

    assert overdue.events.filter(to_status=Order.Status.EXPIRED).count() == 1
    assert "expire-uncollected-orders" not in second.getvalue()
