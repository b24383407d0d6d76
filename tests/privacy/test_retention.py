"""The nightly job ends each kind of personal data at the end of its period, and not a day
before; open orders are never touched; the dashboards' figures are the same after; two
runs at once share the work."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from catalog.models import ListingReport, StockAlert
from marketplace.models import OutgoingEmail
from orders.models import Checkout, Order
from pickup.models import CodeAttempt
from privacy.register import kind
from privacy.retention import retention_apply
from privacy.tasks import apply_retention_periods
from tests.factories import ListingFactory, reserve
from tests.privacy.world import EMAIL, customer_who_used_everything, every_figure
from tests.privacy.world import rows_naming_the_person as naming
from tests.race import at_once

DAY = timedelta(days=1)


def in_days(days: float):
    return timezone.now() + timedelta(days=days)


@pytest.mark.django_db
def test_past_every_period_only_the_account_names_the_customer_and_no_figure_moves():
    customer_who_used_everything()
    figures = every_figure()
    assert figures[0].second_chances.alerts_reserved == 1  # their alert led to their order

    done = retention_apply(now=in_days(settings.RETENTION_CLOSED_ORDERS_DAYS + 1))

    # The account is kept until its owner erases it; everything else is anonymised.
    assert naming() == {"marketplace_user": 1}
    assert every_figure() == figures
    assert done["orders"] == 2
    assert done["counter_attempts"] == 1


# What still names the customer, kind by kind.
STILL_THERE = {
    "orders": lambda: Order.objects.filter(customer_email__iexact=EMAIL).exists(),
    "checkouts": lambda: Checkout.objects.filter(email__iexact=EMAIL).exists(),
    "emails": lambda: OutgoingEmail.objects.filter(to__iexact=EMAIL).exists(),
    "stock_alerts": lambda: StockAlert.objects.filter(email=EMAIL).exists(),
    "listing_reports": lambda: ListingReport.objects.filter(reporter_email=EMAIL).exists(),
    "counter_attempts": lambda: CodeAttempt.objects.exists(),
}


@pytest.mark.django_db
@pytest.mark.parametrize("key", STILL_THERE)
def test_each_kind_is_ended_at_the_end_of_its_period_not_before(key):
    customer_who_used_everything()
    period = kind(key).period.days

    retention_apply(now=in_days(period - 1))
    assert STILL_THERE[key]()
    retention_apply(now=in_days(period + 1))
    assert not STILL_THERE[key]()


@pytest.mark.django_db
def test_open_orders_and_emails_still_to_send_are_never_touched():
    order = reserve(ListingFactory(), email=EMAIL, name="Maëlle Zzyzx").orders.get()
    waiting = OutgoingEmail.objects.filter(status=OutgoingEmail.Status.PENDING)
    assert waiting.exists()

    retention_apply(now=in_days(3650))

    order.refresh_from_db()
    assert (order.customer_name, order.customer_email, order.anonymised_at) == ("Maëlle Zzyzx", EMAIL, None)
    assert order.checkout.email == EMAIL
    assert order.checkout.anonymised_at is None
    assert all(email.to and not email.anonymised_at for email in waiting)


@pytest.mark.django_db
def test_a_second_run_finds_nothing_left_to_do():
    customer_who_used_everything()
    later = in_days(settings.RETENTION_CLOSED_ORDERS_DAYS + 1)
    retention_apply(now=later)
    again = retention_apply(now=later)
    assert set(again.values()) == {0}


@pytest.mark.django_db(transaction=True)
def test_two_runs_at_once_share_the_work():
    customer_who_used_everything()
    later = in_days(settings.RETENTION_CLOSED_ORDERS_DAYS + 1)

    first, second = at_once(lambda: retention_apply(now=later), lambda: retention_apply(now=later))

    assert not isinstance(first, Exception)
    assert not isinstance(second, Exception)
    assert first["orders"] + second["orders"] == 2
    assert naming() == {"marketplace_user": 1}


@pytest.mark.django_db
def test_the_job_runs_every_night_through_celery():
    entry = next(
        entry
        for entry in settings.CELERY_BEAT_SCHEDULE.values()
        if entry["task"] == "privacy.tasks.apply_retention_periods"
    )
    assert entry["schedule"].hour == {3}
    assert set(apply_retention_periods.delay().get()) >= {"orders", "emails", "sessions"}


@pytest.mark.django_db
def test_an_alert_never_confirmed_ends_its_period_from_when_it_was_left():
    """Its address may not even be its owner's: 90 days after it was left, not after the
    six months a confirmed alert would have lasted."""
    from catalog import alerts
    from tests.factories import BookFactory, DriveFactory

    alerts.alert_request(
        book=BookFactory(), drive_id=DriveFactory().pk, email=EMAIL, language="fr", client=""
    )
    alerts.alerts_expire(now=in_days(settings.STOCK_ALERT_CONFIRM_DAYS + 1))
    assert StockAlert.objects.get().status == StockAlert.Status.EXPIRED

    retention_apply(now=in_days(settings.RETENTION_STOCK_ALERTS_DAYS + 1))
    assert not StockAlert.objects.filter(email=EMAIL).exists()
