"""Every notification about an order is delivered exactly once: one outbox row per event
(its key is unique), written in the transaction of the change, sent once whatever
happens to the task (delivered twice, broker down at commit)."""

import logging
import time

import pytest
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.utils import timezone

from config.celery import app as celery_app
from marketplace import services as outbox
from marketplace.models import OutgoingEmail
from marketplace.tasks import send_email
from orders.models import Order, OrderEvent
from orders.services import (
    order_accept,
    order_cancel,
    order_collect,
    order_expire,
    order_line_mark_unavailable,
    order_mark_ready,
    order_refuse,
)
from tests import test_celery_worker
from tests.factories import ListingFactory, MembershipFactory, ShopFactory, reserve

pytestmark = pytest.mark.django_db

# The real Redis and worker of tests/test_celery_worker.py, for the end-to-end test below.
worker = test_celery_worker.worker

Status = Order.Status
CUSTOMER = "annick@example.fr"  # tests.factories.customer_details


@pytest.fixture
def bookseller(shop_a):
    """The shop's owner, with no usable password: hashing one costs a second per test."""
    user = get_user_model().objects.create(email="yann@librairie-alpha.fr", password="!")
    return MembershipFactory(shop=shop_a, user=user).user


def new_emails(since: set[int]) -> list[OutgoingEmail]:
    return list(OutgoingEmail.objects.exclude(pk__in=since).order_by("pk"))


def email_ids() -> set[int]:
    return set(OutgoingEmail.objects.values_list("pk", flat=True))


# --- At checkout -----------------------------------------------------------------------


def test_a_checkout_tells_the_customer_once_and_each_shop_once(
    shop_a, shop_b, django_capture_on_commit_callbacks, mailoutbox
):
    # when a customer reserves in two shops
    with django_capture_on_commit_callbacks(execute=True) as enqueued:
        checkout = reserve(ListingFactory(shop=shop_a), ListingFactory(shop=shop_b))

    # then one message per event, each handed to the queue once, each sent once
    order_a, order_b = checkout.orders.order_by("shop_id")
    assert {(email.event_key, email.to) for email in OutgoingEmail.objects.all()} == {
        (f"checkout:{checkout.pk}:customer-placed", CUSTOMER),
        (f"order:{order_a.pk}:shop-new", order_a.shop.email),
        (f"order:{order_b.pk}:shop-new", order_b.shop.email),
    }
    assert len(enqueued) == 3
    assert sorted(message.to[0] for message in mailoutbox) == sorted([CUSTOMER, shop_a.email, shop_b.email])
    assert set(OutgoingEmail.objects.values_list("status", flat=True)) == {OutgoingEmail.Status.SENT}


def test_a_checkout_that_fails_tells_nobody(shop_a, capture_on_commit, mailoutbox):
    from orders.services import StockChanged

    plenty, short = ListingFactory(shop=shop_a, quantity=5), ListingFactory(shop=shop_a, quantity=1)
    with capture_on_commit(), pytest.raises(StockChanged):
        reserve(plenty, (short, 2))

    assert not OutgoingEmail.objects.exists()
    assert mailoutbox == []


# --- At each move ----------------------------------------------------------------------


def steps(order, bookseller, *moves):
    actions = {
        "accept": lambda: order_accept(order=order, by=bookseller),
        "refuse": lambda: order_refuse(order=order, by=bookseller, reason="Abîmé"),
        "ready": lambda: order_mark_ready(order=order, by=bookseller),
        "collect": lambda: order_collect(order=order, by=bookseller),
        "cancel": lambda: order_cancel(order=order),
        "expire": lambda: order_expire(order=order),
        "one line unavailable": lambda: order_line_mark_unavailable(
            line=order.lines.order_by("pk").first(), by=bookseller
        ),
        "last line unavailable": lambda: order_line_mark_unavailable(
            line=order.lines.filter(is_unavailable=False).get(), by=bookseller
        ),
    }
    for name in moves:
        actions[name]()


# (moves before, the move, who hears about it, the event the message announces)
MOVES = [
    ((), "accept", ["customer"], Status.ACCEPTED),
    ((), "refuse", ["customer"], Status.REFUSED),
    (("accept",), "ready", ["customer"], Status.READY),
    (("accept", "ready"), "collect", [], Status.COLLECTED),
    ((), "cancel", ["customer", "shop"], Status.CANCELLED),
    (("accept",), "cancel", ["customer", "shop"], Status.CANCELLED),
    (("accept", "ready"), "cancel", ["customer", "shop"], Status.CANCELLED),
    (("accept", "ready"), "expire", ["customer", "shop"], Status.EXPIRED),
    ((), "one line unavailable", ["customer"], Status.PLACED),
    (("one line unavailable",), "last line unavailable", ["customer"], Status.REFUSED),
    (("accept", "one line unavailable"), "last line unavailable", ["customer"], Status.REFUSED),
]


@pytest.mark.parametrize(
    ("before", "move", "told", "event_status"),
    MOVES,
    ids=[f"{'-'.join(before) or 'placed'}-then-{move}" for before, move, _, _ in MOVES],
)
def test_each_move_queues_exactly_one_message_per_person_told(
    before, move, told, event_status, shop_a, bookseller, django_capture_on_commit_callbacks, mailoutbox
):
    # given an order of two books, moved along
    order = reserve(ListingFactory(shop=shop_a), ListingFactory(shop=shop_a)).orders.get()
    steps(order, bookseller, *before)
    emails_before = email_ids()

    # when
    with django_capture_on_commit_callbacks(execute=True) as enqueued:
        steps(order, bookseller, move)

    # then one message per person told, keyed by the event it announces
    event = OrderEvent.objects.filter(order=order, to_status=event_status).last()
    addresses = {"customer": CUSTOMER, "shop": shop_a.email}
    assert [(email.event_key, email.to) for email in new_emails(emails_before)] == [
        (f"order-event:{event.pk}:{who}", addresses[who]) for who in told
    ]
    assert len(enqueued) == len(told)
    assert [message.to[0] for message in mailoutbox] == [addresses[who] for who in told]


def test_the_customer_hears_of_each_step_once_over_the_whole_life(
    shop_a, bookseller, capture_on_commit, mailoutbox
):
    with capture_on_commit():
        order = reserve(ListingFactory(shop=shop_a)).orders.get()
        for move in (order_accept, order_mark_ready, order_collect):
            move(order=order, by=bookseller)
            move(order=order, by=bookseller)  # a double click: a quiet no-op

    to_customer = [message.subject for message in mailoutbox if message.to == [CUSTOMER]]
    assert len(to_customer) == 3  # placed, accepted, ready (collecting sends nothing)
    assert len(mailoutbox) == 4  # and the shop's new-order message
    assert OutgoingEmail.objects.count() == 4


def test_two_messages_for_the_same_event_are_impossible(shop_a):
    reserve(ListingFactory(shop=shop_a))
    email = OutgoingEmail.objects.get(to=CUSTOMER)

    with pytest.raises(IntegrityError), transaction.atomic():
        OutgoingEmail.objects.create(
            event_key=email.event_key, to=CUSTOMER, language="fr", subject="S", body_text="B"
        )


# --- Sending ---------------------------------------------------------------------------


def test_the_task_run_twice_sends_once(shop_a, bookseller, capture_on_commit, mailoutbox):
    order = reserve(ListingFactory(shop=shop_a)).orders.get()
    with capture_on_commit():
        order_accept(order=order, by=bookseller)  # the task runs once after commit
    email = OutgoingEmail.objects.get(event_key__endswith=":customer")
    assert len(mailoutbox) == 1

    send_email.delay(email.pk)  # the broker delivers it again
    send_email.apply(args=[email.pk])
    outbox.email_send(email_id=email.pk)

    assert len(mailoutbox) == 1
    email.refresh_from_db()
    assert (email.status, email.attempts) == (OutgoingEmail.Status.SENT, 1)


@pytest.fixture
def broker_down(monkeypatch):
    """Celery publishing for real, to a broker that does not answer (Redis stopped)."""
    dead = "redis://127.0.0.1:1/0"  # nothing listens on port 1: connection refused
    # Celery reads CELERY_BROKER_URL from the environment before its own setting.
    monkeypatch.setenv("CELERY_BROKER_URL", dead)
    monkeypatch.setattr(celery_app.conf, "broker_url", dead)
    celery_app.conf.task_always_eager = False
    forget_broker_connections()
    assert celery_app.connection_for_write().port == 1
    yield
    celery_app.conf.task_always_eager = True
    monkeypatch.undo()
    forget_broker_connections()


def forget_broker_connections():
    # The app keeps the connection pool of the first broker URL it used: drop it so that
    # the next publication takes the current URL (kombu keeps one pool per URL, so the
    # real broker's pool is found again afterwards, still open).
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


@pytest.mark.django_db(transaction=True)
def test_an_order_placed_while_the_broker_is_down_is_kept_and_told_later_once(
    broker_down, shop_a, mailoutbox, caplog
):
    # when a customer reserves while Redis is down
    listing = ListingFactory(shop=shop_a)
    with caplog.at_level(logging.ERROR, logger="django.db.backends.base"):
        checkout = reserve(listing)

    # then the order is placed all the same, and its messages wait in the outbox
    order = checkout.orders.get()
    assert order.status == Status.PLACED
    listing.refresh_from_db()
    assert listing.reserved == 1
    emails = OutgoingEmail.objects.order_by("pk")
    assert [(email.to, email.status) for email in emails] == [
        (shop_a.email, OutgoingEmail.Status.PENDING),
        (CUSTOMER, OutgoingEmail.Status.PENDING),
    ]
    assert mailoutbox == []
    assert caplog.text.count("Emails: the broker cannot be reached") == 1, caplog.text  # once per outage

    # when the broker is back and the periodic sweep runs
    celery_app.conf.task_always_eager = True
    later = timezone.now() + outbox.REQUEUE_AFTER * 2
    assert outbox.emails_requeue_unsent(now=later) == 2
    assert outbox.emails_requeue_unsent(now=later) == 0  # each is handed over once

    # then each message is sent, once
    assert sorted(message.to[0] for message in mailoutbox) == sorted([CUSTOMER, shop_a.email])
    assert set(OutgoingEmail.objects.values_list("status", flat=True)) == {OutgoingEmail.Status.SENT}
    send_email.delay(emails[0].pk)  # a late duplicate from the broker changes nothing
    assert len(mailoutbox) == 2


# --- Language and format ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "hello", "link_prefix"),
    [("fr", "Bonjour Annick Le Goff,", "/orders/"), ("en", "Hello Annick Le Goff,", "/en/orders/")],
)
def test_the_customer_is_written_to_in_their_language_in_html_and_plain_text(
    language, hello, link_prefix, shop_a, bookseller, capture_on_commit, mailoutbox
):
    order = reserve(ListingFactory(shop=shop_a, book__title="Le Horla"), language=language).orders.get()
    with capture_on_commit():
        order_accept(order=order, by=bookseller)

    [message] = mailoutbox
    [(html, content_type)] = message.alternatives
    assert content_type == "text/html"
    assert message.body.startswith(hello)
    assert "<" not in message.body  # plain text, not HTML
    assert hello in html
    assert "<p>" in html
    for body in (message.body, html):
        assert order.reference in body
        assert "Le Horla" in body
        assert f"{link_prefix}{order.token}/" in body
    assert order.reference in message.subject
    assert OutgoingEmail.objects.get(to=CUSTOMER, event_key__startswith="order-event").language == language


def test_french_and_english_customers_get_different_subjects(shop_a, bookseller):
    orders = {
        language: reserve(ListingFactory(shop=shop_a), language=language).orders.get()
        for language in ("fr", "en")
    }
    for order in orders.values():
        order_accept(order=order, by=bookseller)

    subjects = {
        language: OutgoingEmail.objects.get(
            event_key__startswith="order-event", to=CUSTOMER, language=language
        ).subject.replace(order.reference, "REF")
        for language, order in orders.items()
    }
    assert subjects["en"] == "Order REF accepted"
    assert subjects["fr"] != subjects["en"]


def test_the_shop_is_written_to_in_its_own_language(capture_on_commit, mailoutbox):
    shop = ShopFactory(language="en")
    with capture_on_commit():
        order = reserve(ListingFactory(shop=shop)).orders.get()  # a French customer

    to_shop = OutgoingEmail.objects.get(to=shop.email)
    assert to_shop.language == "en"
    assert to_shop.subject == f"New order {order.reference}"
    assert OutgoingEmail.objects.get(to=CUSTOMER).language == "fr"


# --- With the real moving parts --------------------------------------------------------


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_tells_the_customer_and_the_shop_once_each(worker):
    # given a real worker on Redis (the fixture of tests/test_celery_worker.py)
    shop = ShopFactory(language="en")

    # when a customer reserves
    order = reserve(ListingFactory(shop=shop), language="en").orders.get()

    # then the worker sends both messages, once each
    def all_sent():
        return set(OutgoingEmail.objects.values_list("status", flat=True)) == {OutgoingEmail.Status.SENT}

    assert test_celery_worker.wait_until(all_sent), worker.read_text()
    time.sleep(1)  # a second delivery would have had time to show up in the log
    output = worker.read_text()
    assert output.count("Subject: Your reservation is registered") == 1, output
    assert output.count(f"Subject: New order {order.reference}") == 1, output
    assert OutgoingEmail.objects.count() == 2
