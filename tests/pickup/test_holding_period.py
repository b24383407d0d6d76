"""A ready order waits at the counter until its deadline: the customer is reminded once
two days before, and at the deadline the order expires and the books go back on sale.
Both jobs run from Celery beat and stay exactly-once when two runs overlap."""

import functools
import subprocess
import sys
from collections import Counter
from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from catalog.models import Listing
from catalog.search import BookQuery, search_books
from catalog.search_index import search_index_refresh
from config.celery import app as celery_app
from marketplace.models import OutgoingEmail
from orders.models import Order, OrderEvent
from orders.pickup_codes import format_pickup_code
from orders.services import OrderStatusError, order_cancel, order_collect
from pickup import holding
from pickup.tasks import expire_uncollected_orders, remind_uncollected_orders
from shops.hours import PARIS
from shops.selectors import shops_near
from tests.conftest import REPO_DIR
from tests.factories import ListingFactory
from tests.pickup.holding_helpers import placed_order, ready_order, reminders_of, told_about
from tests.race import at_once

Status = Order.Status
MINUTE = timedelta(minutes=1)
TWO_DAYS = timedelta(days=2)


@pytest.fixture
def listing(shop_a):
    return ListingFactory(shop=shop_a, quantity=3)


# --- The reminder ----------------------------------------------------------------------


@pytest.mark.django_db
def test_the_customer_is_reminded_once_two_days_before_the_deadline_and_not_earlier(
    listing, capture_on_commit, mailoutbox
):
    # given an order ready for a week (no declared hours: 7 × 24 h)
    order = ready_order(listing)
    assert order.collect_by == order.ready_at + timedelta(days=7)

    # when the job runs a minute before the reminder is due, then when it is due, then again
    assert holding.orders_remind_before_deadline(now=order.collect_by - TWO_DAYS - MINUTE) == 0
    assert reminders_of(order) == []
    with capture_on_commit():
        assert holding.orders_remind_before_deadline(now=order.collect_by - TWO_DAYS) == 1
    assert holding.orders_remind_before_deadline(now=order.collect_by - TWO_DAYS + MINUTE) == 0
    assert holding.orders_remind_before_deadline(now=order.collect_by - MINUTE) == 0

    # then one reminder, to the customer, stamped on the order
    [reminder] = reminders_of(order)
    assert reminder.to == order.customer_email
    order.refresh_from_db()
    assert order.reminder_sent_at == order.collect_by - TWO_DAYS
    assert [message.subject for message in mailoutbox].count(reminder.subject) == 1


@pytest.mark.django_db
def test_the_reminder_gives_the_code_the_deadline_the_shop_and_the_order_page(shop_a, listing):
    shop_a.language = "en"
    shop_a.save(update_fields=["language"])
    order = ready_order(listing, language="en")

    holding.orders_remind_before_deadline(now=order.collect_by - TWO_DAYS)

    [reminder] = reminders_of(order)
    deadline = timezone.localtime(order.collect_by, PARIS)
    assert reminder.subject == (
        f"Reminder: order {order.reference} awaits you until {deadline:%A} {deadline.day} {deadline:%B}"
    )
    for body in (reminder.body_text, reminder.body_html):
        assert format_pickup_code(order.pickup_code) in body
        assert f"until {deadline:%A} {deadline.day} {deadline:%B} at {deadline.hour}:{deadline:%M}" in body
        assert shop_a.address in body
        assert f"{settings.SITE_URL}/en/orders/{order.token}/" in body
        assert listing.book.title in body


@pytest.mark.django_db
def test_orders_that_are_not_waiting_at_the_counter_are_not_reminded(listing):
    # given orders placed, accepted, collected and cancelled once ready
    placed = placed_order(listing)
    collected = ready_order(listing)
    order_collect(order=collected, by=None)
    cancelled = ready_order(listing)
    order_cancel(order=cancelled)
    deadline = collected.collect_by

    # when the job runs when a ready order would be reminded
    assert holding.orders_remind_before_deadline(now=deadline - TWO_DAYS + MINUTE) == 0

    # then nobody hears from it
    assert not OutgoingEmail.objects.filter(event_key__endswith=":reminder").exists()
    assert Order.objects.get(pk=placed.pk).status == Status.PLACED


@pytest.mark.django_db
def test_an_order_past_its_deadline_or_ready_within_two_days_of_it_is_not_reminded(shop_a, listing):
    # given an order kept a week, and one kept a day (the "ready" email has just said it all)
    week = ready_order(listing)
    shop_a.holding_days = 1
    shop_a.save(update_fields=["holding_days"])
    soon = ready_order(listing)
    assert soon.collect_by == soon.ready_at + timedelta(days=1)

    # when the job runs just before that order's deadline, and after the other one's
    assert holding.orders_remind_before_deadline(now=soon.collect_by - MINUTE) == 0
    assert holding.orders_remind_before_deadline(now=week.collect_by + MINUTE) == 0

    # then no reminder at all
    assert reminders_of(soon) == reminders_of(week) == []


@pytest.mark.django_db
def test_a_backlog_is_reminded_in_batches_each_once(monkeypatch, listing):
    monkeypatch.setattr(holding, "REMINDER_BATCH_SIZE", 2)
    listing.quantity = 10
    listing.save(update_fields=["quantity"])
    orders = [ready_order(listing, email=f"client{number}@example.fr") for number in range(5)]
    latest = max(order.collect_by for order in orders)

    assert holding.orders_remind_before_deadline(now=latest - TWO_DAYS) == 5

    assert sorted(email.to for email in OutgoingEmail.objects.filter(event_key__endswith=":reminder")) == [
        f"client{number}@example.fr" for number in range(5)
    ]


# --- Expiry ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_an_order_expires_at_its_deadline_and_not_a_minute_before(shop_a, capture_on_commit, mailoutbox):
    # given the last copy of a book, set aside for a customer: it is not offered any more
    listing = ListingFactory(shop=shop_a, quantity=1, book__title="Unique au monde")
    order = ready_order(listing)
    search_index_refresh()
    shops = shops_near(latitude=shop_a.latitude, longitude=shop_a.longitude, radius_km=30)
    query = BookQuery(text="unique", latitude=shop_a.latitude, longitude=shop_a.longitude)
    assert search_books(query, shops=shops).total == 0

    # when the job runs a minute before the deadline
    assert holding.orders_expire_past_deadline(now=order.collect_by - MINUTE) == 0
    order.refresh_from_db()
    assert order.status == Status.READY

    # and at the deadline
    with capture_on_commit():
        assert holding.orders_expire_past_deadline(now=order.collect_by) == 1

    # then the order expired, by the system, and the copy is back on sale and in the search
    order.refresh_from_db()
    assert order.status == Status.EXPIRED
    [event] = order.events.filter(to_status=Status.EXPIRED)
    assert event.actor_kind == OrderEvent.Actor.SYSTEM
    listing.refresh_from_db()
    assert (listing.quantity, listing.reserved) == (1, 0)
    assert search_books(query, shops=shops).total == 1
    # and the customer and the shop are told, each once
    told = told_about(event)
    assert {who: email.to for who, email in told.items()} == {
        "customer": order.customer_email,
        "shop": shop_a.email,
    }
    sent_to = [message.to[0] for message in mailoutbox]
    assert sent_to.count(order.customer_email) == sent_to.count(shop_a.email) == 1


@pytest.mark.django_db
def test_expiring_twice_expires_once(listing):
    order = ready_order(listing)

    assert holding.orders_expire_past_deadline(now=order.collect_by + MINUTE) == 1
    assert holding.orders_expire_past_deadline(now=order.collect_by + MINUTE) == 0

    assert order.events.filter(to_status=Status.EXPIRED).count() == 1
    listing.refresh_from_db()
    assert listing.reserved == 0


@pytest.mark.django_db
def test_an_order_collected_or_cancelled_before_the_job_runs_is_left_alone(listing):
    collected, cancelled, waiting = ready_order(listing), ready_order(listing), ready_order(listing)
    order_collect(order=collected, by=None)
    order_cancel(order=cancelled)
    listing.refresh_from_db()
    stock_before = (listing.quantity, listing.reserved)

    assert holding.orders_expire_past_deadline(now=waiting.collect_by + MINUTE) == 1

    assert {order.pk: order.status for order in Order.objects.all()} == {
        collected.pk: Status.COLLECTED,
        cancelled.pk: Status.CANCELLED,
        waiting.pk: Status.EXPIRED,
    }
    listing.refresh_from_db()
    assert (listing.quantity, listing.reserved) == (stock_before[0], stock_before[1] - 1)


@pytest.mark.django_db
def test_a_backlog_expires_in_batches_oldest_deadline_first(monkeypatch, listing):
    monkeypatch.setattr(holding, "EXPIRY_BATCH_SIZE", 2)
    listing.quantity = 10
    listing.save(update_fields=["quantity"])
    orders = [ready_order(listing) for _ in range(5)]

    assert holding.orders_expire_past_deadline(now=orders[-1].collect_by) == 5

    assert set(Order.objects.values_list("status", flat=True)) == {Status.EXPIRED}
    listing.refresh_from_db()
    assert listing.reserved == 0


@pytest.mark.django_db
def test_an_order_that_fails_to_expire_does_not_hold_back_the_others(monkeypatch, listing, caplog):
    first, second = ready_order(listing), ready_order(listing)
    real_expire = holding.order_expire

    def expire_breaking_on_the_first(*, order):
        if order.pk == first.pk:
            raise RuntimeError("template missing")
        return real_expire(order=order)

    monkeypatch.setattr(holding, "order_expire", expire_breaking_on_the_first)

    assert holding.orders_expire_past_deadline(now=second.collect_by) == 1

    assert Order.objects.get(pk=first.pk).status == Status.READY  # tried again by the next run
    assert Order.objects.get(pk=second.pk).status == Status.EXPIRED
    assert f"Could not expire order {first.pk}" in caplog.text


# --- Celery ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_tasks_run_the_jobs(listing):
    reminded, expired = ready_order(listing), ready_order(listing)
    now = timezone.now()
    # as if both had been ready for days
    Order.objects.filter(pk=reminded.pk).update(
        ready_at=now - TWO_DAYS * 2, collect_by=now + TWO_DAYS - MINUTE
    )
    Order.objects.filter(pk=expired.pk).update(ready_at=now - TWO_DAYS * 4, collect_by=now - MINUTE)

    assert remind_uncollected_orders.delay().get() == 1
    assert expire_uncollected_orders.delay().get() == 1

    assert len(reminders_of(reminded)) == 1
    assert Order.objects.get(pk=expired.pk).status == Status.EXPIRED


def test_every_task_of_the_beat_schedule_exists_for_a_worker():
    """In a fresh process, as a worker starts: the tasks it knows come from autodiscovery,
    not from this test module's imports."""
    script = (
        "from config.celery import app; app.loader.import_default_modules(); "
        "print('\\n'.join(sorted(app.tasks)))"
    )
    found = subprocess.run(
        [sys.executable, "-c", script], cwd=REPO_DIR, capture_output=True, text=True, check=True
    ).stdout.split()

    for name, entry in settings.CELERY_BEAT_SCHEDULE.items():
        assert entry["task"] in found, name
    assert {"pickup.tasks.remind_uncollected_orders", "pickup.tasks.expire_uncollected_orders"} <= set(found)


@pytest.mark.django_db(transaction=True)
def test_beat_loads_the_schedule_into_the_database():
    """What `celery beat` does at start with django-celery-beat's DatabaseScheduler."""
    from django_celery_beat.models import PeriodicTask
    from django_celery_beat.schedulers import DatabaseScheduler

    scheduler = DatabaseScheduler(app=celery_app)
    scheduler._finalize.cancel()  # no write at interpreter exit, when the test database is gone

    rows = {task.name: task for task in PeriodicTask.objects.select_related("interval", "crontab")}
    for name, entry in settings.CELERY_BEAT_SCHEDULE.items():
        assert rows[name].task == entry["task"]
        assert rows[name].enabled
        if isinstance(entry["schedule"], int | float):
            assert rows[name].interval.every * 1.0 == entry["schedule"]
        else:  # a nightly job, at its hour
            assert rows[name].crontab.hour == ",".join(map(str, sorted(entry["schedule"].hour)))
        assert scheduler.schedule[name].task == entry["task"]
    assert rows["expire-uncollected-orders"].interval.period == "seconds"


# --- Two runs at once, and a bookseller at the counter ---------------------------------


@pytest.mark.django_db(transaction=True)
def test_two_reminder_runs_at_once_send_each_reminder_once(monkeypatch, listing):
    monkeypatch.setattr(holding, "REMINDER_BATCH_SIZE", 3)
    listing.quantity = 20
    listing.save(update_fields=["quantity"])
    orders = [ready_order(listing, email=f"client{number}@example.fr") for number in range(12)]
    now = max(order.collect_by for order in orders) - TWO_DAYS

    rounds = [
        at_once(*[functools.partial(holding.orders_remind_before_deadline, now=now)] * 2) for _ in range(3)
    ]

    # each reminder was claimed by one run only, and the later rounds found nothing left
    assert [sum(results) for results in rounds] == [12, 0, 0], rounds

    reminders = OutgoingEmail.objects.filter(event_key__endswith=":reminder")
    assert Counter(reminders.values_list("to", flat=True)) == Counter(
        {f"client{number}@example.fr": 1 for number in range(12)}
    )
    assert not Order.objects.filter(reminder_sent_at__isnull=True).exists()


@pytest.mark.django_db(transaction=True)
def test_two_expiry_runs_at_once_expire_each_order_once(listing):
    listing.quantity = 20
    listing.save(update_fields=["quantity"])
    orders = [ready_order(listing) for _ in range(12)]
    now = max(order.collect_by for order in orders)

    results = at_once(*[functools.partial(holding.orders_expire_past_deadline, now=now)] * 2)

    assert all(isinstance(result, int) for result in results), results
    assert sum(results) == 12  # each order counted by the run that expired it
    for order in orders:
        [event] = order.events.filter(to_status=Status.EXPIRED)
        assert len(told_about(event)) == 2
    listing.refresh_from_db()
    assert (listing.quantity, listing.reserved) == (20, 0)
    assert OrderEvent.objects.filter(to_status=Status.EXPIRED).count() == 12


@pytest.mark.django_db(transaction=True)
def test_a_collect_racing_the_expiry_ends_one_way_only(listing):
    listing.quantity = 20
    listing.save(update_fields=["quantity"])
    endings = Counter()

    for _attempt in range(6):  # the two interleave differently each time
        order = ready_order(listing)
        before = Listing.objects.get(pk=listing.pk)

        # when the customer is at the counter as the deadline passes
        collect, expire = at_once(
            functools.partial(order_collect, order=order, by=None),
            functools.partial(holding.orders_expire_past_deadline, now=order.collect_by),
        )

        # then either the collect or the expiry happened, never both
        order.refresh_from_db()
        endings[order.status] += 1
        if order.status == Status.COLLECTED:
            assert isinstance(collect, Order), collect
            assert expire == 0
            expected = (before.quantity - 1, before.reserved - 1)
        else:
            assert order.status == Status.EXPIRED
            assert isinstance(collect, OrderStatusError), collect
            assert expire == 1
            expected = (before.quantity, before.reserved - 1)
        [_end] = order.events.filter(to_status__in={Status.COLLECTED, Status.EXPIRED})
        after = Listing.objects.get(pk=listing.pk)
        assert (after.quantity, after.reserved) == expected

    assert sum(endings.values()) == 6
