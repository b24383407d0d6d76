"""The outbox row says what to send; the worker writes the message (marketplace/
email_context.py): a checkout's request renders no email."""

import datetime
from decimal import Decimal

import pytest
from django.db import transaction
from django.test.signals import template_rendered
from django.utils import translation
from django.utils.translation import gettext_lazy

from marketplace import email_context, services
from marketplace.models import OutgoingEmail
from shops.models import Shop
from tests.factories import ListingFactory, ShopFactory, reserve

pytestmark = pytest.mark.django_db


@pytest.fixture
def templates_rendered():
    names = []

    def seen(sender, template, **kwargs):
        names.append(template.name)

    template_rendered.connect(seen)
    yield names
    template_rendered.disconnect(seen)


def stored(field: str) -> list:
    """What the rows hold, read column by column: reading a row whole would render it."""
    return list(OutgoingEmail.objects.order_by("pk").values_list(field, flat=True))


def test_a_checkout_renders_no_email_and_the_worker_writes_each_once(templates_rendered, mailoutbox):
    listing = ListingFactory(quantity=3)

    with transaction.atomic():  # the on-commit sending is left out: the worker comes later
        reserve(listing, email="annick@example.fr")

    assert not [name for name in templates_rendered if name.startswith("emails/")]
    assert stored("subject") == ["", ""]  # the shop's and the customer's
    assert sorted(stored("template")) == ["emails/orders/customer_placed", "emails/orders/shop_new_order"]

    for email_id in stored("pk"):
        services.email_send(email_id=email_id)

    assert "emails/orders/customer_placed.html" in templates_rendered  # written by the worker
    assert all(stored("subject"))
    assert all(stored("body_html"))
    assert sorted(message.subject for message in mailoutbox) == sorted(stored("subject"))
    assert stored("status") == [OutgoingEmail.Status.SENT] * 2


def test_the_message_is_written_in_its_own_language_whatever_the_workers(mailoutbox):
    email = services.email_queue_on_commit(
        event_key="test:fr", to="a@example.fr", template="emails/password_reset",
        context={"link": "https://example.org/reset/"}, language="fr",
    )  # fmt: skip

    with translation.override("en"):
        services.email_send(email_id=email.pk)

    assert mailoutbox[0].subject == "Choisissez un nouveau mot de passe pour Drive Solidaire"


def test_a_message_about_a_deleted_row_is_failed_with_the_reason_and_never_sent(mailoutbox):
    shop = ShopFactory()
    email = services.email_queue_on_commit(
        event_key="test:gone", to="a@example.fr", template="emails/shops/reinstated",
        context={"shop": shop, "change": None, "site_url": ""}, language="en",
    )  # fmt: skip
    Shop.objects.filter(pk=shop.pk).delete()

    services.email_send(email_id=email.pk)
    services.email_send(email_id=email.pk)  # a second delivery of the task changes nothing

    email.refresh_from_db()
    assert email.status == OutgoingEmail.Status.FAILED
    assert email.last_error.startswith("Cannot be written: RowGone: shops.shop")
    assert email.attempts == 0
    assert mailoutbox == []


def test_a_message_read_whole_shows_its_text_before_it_is_sent():
    email = services.email_queue_on_commit(
        event_key="test:read", to="a@example.fr", template="emails/password_reset",
        context={"link": "https://example.org/reset/"}, language="en",
    )  # fmt: skip

    assert stored("subject") == [""]
    assert OutgoingEmail.objects.get(pk=email.pk).subject == "Choose a new password for Drive Solidaire"
    assert stored("subject") == [""]  # shown, not stored: the worker stores what it sends


def test_the_context_keeps_rows_by_reference_and_values_as_they_were():
    shop = ShopFactory()
    with translation.override("fr"):
        frozen = email_context.freeze(
            {"shop": shop, "price": Decimal("12.50"), "on": datetime.date(2026, 12, 24),
             "at": datetime.datetime(2026, 12, 24, 18, 30, tzinfo=datetime.UTC),
             "items": [(shop, "x")], "label": gettext_lazy("Approved"), "none": None}
        )  # fmt: skip

    thawed = email_context.thaw(frozen)

    assert thawed["shop"] == shop
    assert thawed["price"] == Decimal("12.50")
    assert thawed["on"] == datetime.date(2026, 12, 24)
    assert thawed["at"] == datetime.datetime(2026, 12, 24, 18, 30, tzinfo=datetime.UTC)
    assert thawed["items"] == [[shop, "x"]]
    assert thawed["label"] == "Approuvée"  # translated in the email's language when queued
    assert thawed["none"] is None


def test_a_context_it_cannot_keep_is_refused_when_queued():
    with pytest.raises(TypeError, match="cannot keep set"):
        email_context.freeze({"tags": {"a", "b"}})


def test_a_message_that_fails_to_be_written_for_any_reason_is_failed_not_retried(monkeypatch, mailoutbox):
    email = services.email_queue_on_commit(
        event_key="test:broken", to="a@example.fr", template="emails/password_reset",
        context={"link": "https://example.org/reset/"}, language="en",
    )  # fmt: skip

    def broken(email):
        raise ValueError("a template tag failed")

    monkeypatch.setattr(email_context, "render", broken)
    services.email_send(email_id=email.pk)

    assert stored("status") == [OutgoingEmail.Status.FAILED]
    assert stored("last_error") == ["Cannot be written: ValueError: a template tag failed"]
    assert mailoutbox == []


def test_the_outbox_list_of_the_back_office_does_not_write_the_messages(client, templates_rendered):
    from tests.factories import ChainStaffFactory

    for number in range(3):
        services.email_queue_on_commit(
            event_key=f"test:list:{number}", to="a@example.fr", template="emails/password_reset",
            context={"link": "https://example.org/reset/"}, language="en",
        )  # fmt: skip
    client.force_login(ChainStaffFactory())

    assert client.get("/en/admin/marketplace/outgoingemail/").status_code == 200

    assert not [name for name in templates_rendered if name.startswith("emails/")]


def test_an_orders_lines_are_kept_as_a_relation_and_read_by_the_worker(django_assert_num_queries):
    shop = ShopFactory()
    order = reserve(
        (ListingFactory(shop=shop, quantity=5), 2), ListingFactory(shop=shop, quantity=5)
    ).orders.get()

    with django_assert_num_queries(0):
        frozen = email_context.freeze({"lines": order.lines})
    thawed = email_context.thaw(frozen)

    assert thawed["lines"] == list(order.lines.all())
    assert [line.quantity for line in thawed["lines"]] == [2, 1]
