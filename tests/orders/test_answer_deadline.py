"""A new order is answered by a deadline, or it is cancelled: the shop is reminded once,
then the order ends "not answered in time", its copies go back on sale and the customer
is told where else to find the books. Both jobs are safe to run twice at once."""

import functools
from collections import Counter
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone, translation

from marketplace.models import OutgoingEmail
from orders import answer_deadline, answer_jobs
from orders.models import Order, OrderEvent
from orders.services import order_accept, order_refuse
from orders.tasks import cancel_unanswered_orders, remind_shops_to_answer
from shops.hours import PARIS
from tests.factories import DriveFactory, ListingFactory, reserve
from tests.race import at_once
from tests.shops.hours_helpers import BOOKSHOP_WEEK, clock_at, give_hours, paris

Status = Order.Status
MINUTE = timedelta(minutes=1)


def placed(listing, quantity=1, **customer) -> Order:
    return reserve((listing, quantity), **customer).orders.get()


@pytest.fixture
def bookshop(shop_a):
    """Shop A with the usual week of a bookshop: Tuesday to Saturday, closed at lunch."""
    give_hours(shop_a, **BOOKSHOP_WEEK)
    return shop_a


# --- The deadline ------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("placed_at", "answer_by"),
    [
        # Tuesday afternoon: the shop has all of Wednesday to answer.
        ("2026-12-01 15:00", "2026-12-02 19:00"),
        # Tuesday at 8:00, before opening: the whole Tuesday is ahead.
        ("2026-12-01 08:00", "2026-12-01 19:00"),
        # Saturday evening: closed Sunday and Monday, answered by Tuesday's closing.
        ("2026-12-05 20:00", "2026-12-08 19:00"),
    ],
)
def test_by_default_the_shop_answers_by_the_end_of_its_next_full_opening_day(bookshop, placed_at, answer_by):
    deadline = answer_deadline.answer_deadline(bookshop, paris(placed_at))

    assert deadline.answer_by == paris(answer_by)
    # reminded three hours before, while the shop is open
    assert deadline.remind_at == paris(answer_by) - timedelta(hours=3)


@pytest.mark.django_db
def test_a_shop_may_choose_a_number_of_opening_hours(bookshop):
    bookshop.answer_within_hours = 4
    # Tuesday 11:30: 1 h this morning, 3 h from 14:00
    deadline = answer_deadline.answer_deadline(bookshop, paris("2026-12-01 11:30"))

    assert deadline.answer_by == paris("2026-12-01 17:00")
    assert deadline.remind_at == paris("2026-12-01 14:15")  # halfway: less than 3 h is left by then


@pytest.mark.django_db
def test_a_closed_week_does_not_let_an_order_wait_longer_than_the_chains_limit(bookshop, settings):
    bookshop.holiday_starts_on = paris("2026-12-02 00:00").date()
    bookshop.holiday_ends_on = paris("2026-12-31 00:00").date()
    placed_at = paris("2026-12-01 15:00")

    deadline = answer_deadline.answer_deadline(bookshop, placed_at)

    assert deadline.answer_by == placed_at + timedelta(days=settings.ORDER_ANSWER_LATEST_DAYS)


@pytest.mark.django_db
def test_a_shop_without_declared_hours_has_two_days(shop_a):
    placed_at = paris("2026-12-01 15:00")

    assert answer_deadline.answer_deadline(shop_a, placed_at).answer_by == placed_at + timedelta(hours=48)


@pytest.mark.django_db
@pytest.mark.parametrize(("hours", "valid"), [(1, False), (2, True), (24, True), (25, False)])
def test_a_shops_time_to_answer_stays_within_the_chains_bounds(shop_a, hours, valid):
    shop_a.answer_within_hours = hours

    if valid:
        shop_a.full_clean()
    else:
        with pytest.raises(ValidationError, match="answer_within_hours"):
            shop_a.full_clean()


@pytest.mark.django_db
def test_the_order_gets_its_deadline_at_checkout_and_the_customer_and_shop_see_it(bookshop, client):
    bookshop.language = "en"
    bookshop.save(update_fields=["language"])
    with clock_at(paris("2026-12-01 15:00")):
        order = placed(ListingFactory(shop=bookshop), language="en")

    assert order.answer_by == paris("2026-12-02 19:00")
    with translation.override("en"):
        page = client.get(reverse("order", args=[order.token])).text
        done = client.get(reverse("checkout_done", args=[order.checkout.token])).text
    assert "The shop answers by Wednesday 2 December at 19:00" in page
    assert "The shop answers by Wednesday 2 December at 19:00." in done
    new_order = OutgoingEmail.objects.get(event_key=f"order:{order.pk}:shop-new")
    assert "Please answer by Wednesday 2 December at 19:00" in new_order.body_text
    assert "Please answer by Wednesday 2 December at 19:00" in new_order.body_html
    placed_email = OutgoingEmail.objects.get(event_key=f"checkout:{order.checkout_id}:customer-placed")
    assert "The shop confirms it by Wednesday 2 December at 19:00 at the latest." in placed_email.body_text


@pytest.mark.django_db
def test_the_bookseller_sees_the_deadline_on_the_orders_page(bookshop, owner_a, client):
    with clock_at(paris("2026-12-01 15:00")):
        order = placed(ListingFactory(shop=bookshop))
    client.force_login(owner_a)

    with translation.override("en"):
        page = client.get(reverse("admin:orders_order_change", args=[order.pk])).text

    assert "Accept or refuse it by Wednesday 2 December at 19:00" in page


# --- The reminder ------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_shop_is_reminded_once_and_not_before_time(bookshop, capture_on_commit, mailoutbox):
    order = placed(ListingFactory(shop=bookshop))

    assert answer_jobs.orders_remind_shops_to_answer(now=order.answer_reminder_at - MINUTE) == 0
    with capture_on_commit():
        assert answer_jobs.orders_remind_shops_to_answer(now=order.answer_reminder_at) == 1
    assert answer_jobs.orders_remind_shops_to_answer(now=order.answer_reminder_at + MINUTE) == 0

    [reminder] = OutgoingEmail.objects.filter(event_key=f"order:{order.pk}:answer-reminder")
    assert reminder.to == bookshop.email
    assert order.reference in reminder.subject
    deadline = timezone.localtime(order.answer_by, PARIS)
    assert f"{deadline:%H:%M}".lstrip("0") in reminder.body_text
    assert reverse("admin:orders_order_change", args=[order.pk]) in reminder.body_text
    assert [message.subject for message in mailoutbox].count(reminder.subject) == 1


@pytest.mark.django_db
def test_an_answered_order_gets_no_reminder(bookshop, owner_a):
    order = placed(ListingFactory(shop=bookshop))
    order_accept(order=order, by=owner_a)

    assert answer_jobs.orders_remind_shops_to_answer(now=order.answer_reminder_at) == 0


# --- The deadline passes -------------------------------------------------------------------


@pytest.mark.django_db
def test_an_unanswered_order_is_cancelled_its_copies_released_and_everyone_told(bookshop):
    drive = DriveFactory(slug="drive-lorient")
    listing = ListingFactory(shop=bookshop, quantity=3)
    checkout = reserve((listing, 2), language="en")
    order = checkout.orders.get()
    checkout.drive = drive
    checkout.save(update_fields=["drive"])

    assert answer_jobs.orders_cancel_unanswered(now=order.answer_by - MINUTE) == 0
    assert answer_jobs.orders_cancel_unanswered(now=order.answer_by) == 1

    order.refresh_from_db()
    listing.refresh_from_db()
    assert order.status == Status.UNANSWERED
    assert listing.reserved == 0
    [event] = order.events.filter(to_status=Status.UNANSWERED)
    assert (event.from_status, event.actor_kind) == (Status.PLACED, OrderEvent.Actor.SYSTEM)
    customer = OutgoingEmail.objects.get(event_key=f"order-event:{event.pk}:customer")
    shop = OutgoingEmail.objects.get(event_key=f"order-event:{event.pk}:shop")
    assert customer.subject == f"Order {order.reference} was not answered in time"
    assert "did not confirm your order" in customer.body_text
    with translation.override("en"):
        book_page = reverse("book", args=[order.lines.get().ean])
    assert f"{book_page}?drive=drive-lorient" in customer.body_text
    assert shop.to == bookshop.email
    assert order.reference in shop.subject


@pytest.mark.django_db
def test_the_customers_order_page_says_why_and_where_to_look(bookshop, client):
    order = placed(ListingFactory(shop=bookshop))
    answer_jobs.orders_cancel_unanswered(now=order.answer_by)

    with translation.override("en"):
        page = client.get(reverse("order", args=[order.token])).text

    assert "Not answered in time" in page
    assert "did not confirm this order in time" in page
    assert reverse("book", args=[order.lines.get().ean]) in page


@pytest.mark.django_db
def test_an_order_answered_in_time_is_left_alone(bookshop, owner_a):
    accepted, refused = placed(ListingFactory(shop=bookshop)), placed(ListingFactory(shop=bookshop))
    order_accept(order=accepted, by=owner_a)
    order_refuse(order=refused, by=owner_a, reason="Épuisé")

    assert answer_jobs.orders_cancel_unanswered(now=timezone.now() + timedelta(days=30)) == 0
    assert set(Order.objects.values_list("status", flat=True)) == {Status.ACCEPTED, Status.REFUSED}


@pytest.mark.django_db
def test_the_jobs_are_celery_tasks_on_the_beat_schedule(bookshop, settings):
    order = placed(ListingFactory(shop=bookshop))
    schedule = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}

    assert {"orders.tasks.remind_shops_to_answer", "orders.tasks.cancel_unanswered_orders"} <= schedule
    with clock_at(order.answer_by):
        assert remind_shops_to_answer.apply().get() == 0  # past the reminder's time: straight to the end
        assert cancel_unanswered_orders.apply().get() == 1


@pytest.mark.django_db
def test_an_order_placed_without_a_deadline_gets_its_shops_before_anything_is_closed(bookshop):
    # An order placed by a web process still running the previous version during the deploy.
    with clock_at(paris("2026-12-01 15:00")):
        order = placed(ListingFactory(shop=bookshop))
    Order.objects.filter(pk=order.pk).update(answer_by=None, answer_reminder_at=None)

    assert answer_jobs.orders_cancel_unanswered(now=paris("2026-12-02 18:00")) == 0
    order.refresh_from_db()
    assert order.answer_by == paris("2026-12-02 19:00")
    assert answer_jobs.orders_cancel_unanswered(now=paris("2026-12-02 19:00")) == 1


# --- Two runs at once, and a shop answering as the deadline passes -----------------------------


@pytest.mark.django_db(transaction=True)
def test_two_runs_at_once_remind_and_cancel_each_order_once(monkeypatch, shop_a):
    monkeypatch.setattr(answer_jobs, "REMINDER_BATCH_SIZE", 3)
    listing = ListingFactory(shop=shop_a, quantity=40)
    orders = [placed(listing, email=f"client{number}@example.fr") for number in range(12)]
    remind_at = max(order.answer_reminder_at for order in orders)
    deadline = max(order.answer_by for order in orders)

    reminded = at_once(*[functools.partial(answer_jobs.orders_remind_shops_to_answer, now=remind_at)] * 2)
    cancelled = at_once(*[functools.partial(answer_jobs.orders_cancel_unanswered, now=deadline)] * 2)

    assert sum(reminded) == 12, reminded
    assert sum(cancelled) == 12, cancelled
    reminders = OutgoingEmail.objects.filter(event_key__endswith=":answer-reminder")
    assert Counter(reminders.values_list("event_key", flat=True)) == Counter(
        {f"order:{order.pk}:answer-reminder": 1 for order in orders}
    )
    assert OrderEvent.objects.filter(to_status=Status.UNANSWERED).count() == 12
    listing.refresh_from_db()
    assert listing.reserved == 0


@pytest.mark.django_db(transaction=True)
def test_a_shop_accepting_as_the_deadline_passes_ends_one_way_only(shop_a):
    listing = ListingFactory(shop=shop_a, quantity=20)
    endings = Counter()
    for _attempt in range(6):
        order = placed(listing)

        accept, cancel = at_once(
            functools.partial(order_accept, order=order, by=None),
            functools.partial(answer_jobs.orders_cancel_unanswered, now=order.answer_by),
        )

        order.refresh_from_db()
        endings[order.status] += 1
        assert order.status in (Status.ACCEPTED, Status.UNANSWERED)
        assert (cancel == 1) == (order.status == Status.UNANSWERED)
        assert isinstance(accept, Order) == (order.status == Status.ACCEPTED), accept
        assert order.events.filter(to_status__in=[Status.ACCEPTED, Status.UNANSWERED]).count() == 1

    listing.refresh_from_db()
    assert listing.reserved == endings[Status.ACCEPTED]
