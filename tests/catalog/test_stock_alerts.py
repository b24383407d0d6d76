""" "Tell me when it is here": a customer leaves an email on a product no shop near the
drive holds (double opt-in), and is told once when a listing comes in stock within reach,
driven by the listings' trigger, never twice, whatever runs at once."""

import functools
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from catalog import alerts
from catalog.models import Listing, StockAlert, StockAlertCheck
from marketplace.email_context import render as render_email
from marketplace.models import OutgoingEmail
from tests.factories import BookFactory, DriveFactory, ListingFactory, ShopFactory, reserve
from tests.race import at_once

pytestmark = pytest.mark.django_db

CUSTOMER = "annick@example.fr"


@pytest.fixture
def town():
    """The Lorient drive; Port 1 km away, Phare 25 km, Brest 130 km (out of reach); the book
    in the catalogue, in stock nowhere."""
    drive = DriveFactory(name="Drive Lorient", slug="lorient", latitude=47.75, longitude=-3.37)
    return {
        "drive": drive,
        "port": ShopFactory(trade_name="Librairie du Port", latitude=47.755, longitude=-3.36),
        "phare": ShopFactory(trade_name="Le Phare", latitude=47.95, longitude=-3.2),
        "brest": ShopFactory(trade_name="Dialogues Brest", latitude=48.39, longitude=-4.49),
        "book": BookFactory(title="L'Anomalie", list_price=Decimal("22.00")),
    }


def en(name, *args, query=""):
    with translation.override("en"):
        return reverse(name, args=args) + (f"?{query}" if query else "")


def emails_to(address=CUSTOMER) -> list[OutgoingEmail]:
    emails = list(OutgoingEmail.objects.filter(to=address).order_by("pk"))
    for email in emails:
        render_email(email)
    return emails


def leave_alert(client, town, email=CUSTOMER):
    return client.post(en("alert_new", town["book"].ean, query="drive=lorient"), {"email": email})


def confirmed_alert(town, email=CUSTOMER) -> StockAlert:
    alerts.alert_request(book=town["book"], drive_id=town["drive"].pk, email=email, language="en", client="")
    alert = StockAlert.objects.get(email=email)
    return alerts.alert_confirm(alert=alert)


def run_the_job() -> alerts.AlertsSent:
    return alerts.alerts_send()


# --- Leaving one: double opt-in -------------------------------------------------------------------


def test_the_book_page_links_to_the_alert_when_nothing_is_in_stock(town, client):
    page = client.get(en("book", town["book"].ean, query="drive=lorient")).text
    assert en("alert_new", town["book"].ean, query="drive=lorient") in page
    ListingFactory(shop=town["port"], book=town["book"])
    page = client.get(
        en("book", town["book"].ean, query="drive=lorient&radius=30")
    ).text  # not the cached page
    assert "Tell me when it is here" not in page


def test_an_alert_waits_for_its_confirmation_from_the_emailed_link(town, client, capture_on_commit):
    with capture_on_commit():
        response = leave_alert(client, town)
    assert "Check your mailbox" in response.text
    alert = StockAlert.objects.get()
    assert (alert.status, alert.drive, alert.language) == (StockAlert.Status.PENDING, town["drive"], "en")
    assert alert.expires_at - timezone.now() > timedelta(days=179)

    [confirmation] = emails_to()
    assert "L'Anomalie" in confirmation.subject
    link = re.search(r"https?://\S+(/en/alerts/\S+/confirm/)", confirmation.body_text).group(1)
    assert "/unsubscribe/" in confirmation.body_text

    # Opening the link (as a mail scanner does) confirms nothing; its button does.
    assert "Confirm my alert" in client.get(link).text
    assert StockAlert.objects.get().status == StockAlert.Status.PENDING
    assert "Your alert is on" in client.post(link).text
    assert StockAlert.objects.get().status == StockAlert.Status.ACTIVE


def test_the_confirmation_is_in_the_persons_language(town, client, capture_on_commit):
    with capture_on_commit():
        client.post(reverse("alert_new", args=[town["book"].ean]) + "?drive=lorient", {"email": CUSTOMER})
    [confirmation] = emails_to()
    assert "Confirmez votre alerte" in confirmation.subject
    assert "/en/" not in confirmation.body_text


def test_asking_again_sends_the_link_again_and_keeps_one_alert(town, client, capture_on_commit):
    with capture_on_commit():
        leave_alert(client, town)
        leave_alert(client, town, email=CUSTOMER.upper())
    assert StockAlert.objects.count() == 1
    assert len(emails_to()) == 2
    alerts.alert_confirm(alert=StockAlert.objects.get())
    with capture_on_commit():
        response = leave_alert(client, town)
    assert "Check your mailbox" in response.text  # the same page: nothing said about the address
    assert len(emails_to()) == 2  # an alert already on is left as it is


def test_one_client_leaves_a_few_alerts_an_hour_and_one_address_gets_a_few_links(
    town, settings, capture_on_commit
):
    settings.STOCK_ALERTS_PER_ADDRESS_PER_HOUR = 3
    settings.STOCK_ALERT_EMAILS_PER_RECIPIENT_PER_HOUR = 2
    client = Client(REMOTE_ADDR="203.0.113.9")
    with capture_on_commit():
        statuses = [leave_alert(client, town).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    assert len(emails_to()) == 2
    assert "Many alerts were left from your connection" in leave_alert(client, town).text


def test_a_bad_email_is_said_and_nothing_kept(town, client):
    response = leave_alert(client, town, email="not an email")
    assert "Enter a valid email address" in response.text
    assert not StockAlert.objects.exists()


# --- Told once, when it comes --------------------------------------------------------------------


def test_a_listing_in_stock_within_reach_sends_one_email_with_a_link_to_reserve(town, capture_on_commit):
    alert = confirmed_alert(town)
    listing = ListingFactory(shop=town["phare"], book=town["book"], price=Decimal("21.00"))
    assert StockAlertCheck.objects.count() == 1  # queued by the trigger, nothing scanned

    with capture_on_commit():
        assert run_the_job() == alerts.AlertsSent(checks=1, sent=1)
        assert run_the_job() == alerts.AlertsSent(checks=0, sent=0)
    alert.refresh_from_db()
    assert (alert.status, alert.listing) == (StockAlert.Status.SENT, listing)
    [_confirmation, told] = emails_to()
    assert "is in stock near you" in told.subject
    assert "Le Phare" in told.body_text
    assert "21.00 €" in told.body_text
    assert en("cart_add", listing.pk, query="drive=lorient") in told.body_text

    # More copies, another shop: no second email.
    ListingFactory(shop=town["port"], book=town["book"])
    with capture_on_commit():
        run_the_job()
    assert len(emails_to()) == 2


def test_a_shop_out_of_reach_or_a_listing_not_on_sale_tells_nobody(town):
    alert = confirmed_alert(town)
    ListingFactory(shop=town["brest"], book=town["book"])
    ListingFactory(shop=town["port"], book=town["book"], status=Listing.Status.DRAFT)
    ListingFactory(shop=town["phare"], book=town["book"], quantity=0)
    run_the_job()
    alert.refresh_from_db()
    assert alert.status == StockAlert.Status.ACTIVE


def test_nothing_is_queued_while_no_alert_waits(town):
    ListingFactory(shop=town["port"], book=town["book"])
    ListingFactory(shop=town["port"])
    assert not StockAlertCheck.objects.exists()


def test_copies_coming_back_on_sale_count_a_reservation_does_not(town):
    listing = ListingFactory(shop=town["port"], book=town["book"], quantity=1)
    checkout = reserve(listing)  # the last copy is held: out of stock
    alert = confirmed_alert(town)
    assert alert.status == StockAlert.Status.ACTIVE
    assert not StockAlertCheck.objects.exists()
    from orders.services import order_cancel

    order_cancel(order=checkout.orders.get())  # back on sale
    assert StockAlertCheck.objects.count() == 1
    run_the_job()
    assert StockAlert.objects.get().status == StockAlert.Status.SENT


def test_confirming_when_it_is_in_stock_already_sends_at_once(town, capture_on_commit):
    alerts.alert_request(
        book=town["book"], drive_id=town["drive"].pk, email=CUSTOMER, language="en", client=""
    )
    ListingFactory(shop=town["port"], book=town["book"])
    with capture_on_commit():
        alert = alerts.alert_confirm(alert=StockAlert.objects.get())
    assert alert.status == StockAlert.Status.SENT
    assert "is in stock near you" in emails_to()[-1].subject


@pytest.mark.django_db(transaction=True)
def test_two_imports_of_the_same_book_at_once_send_one_email(town):
    for number in range(5):
        confirmed_alert(town, email=f"reader{number}@example.fr")

    def import_at(shop):
        with transaction.atomic():
            ListingFactory(shop=shop, book=town["book"], quantity=4)

    at_once(functools.partial(import_at, town["port"]), functools.partial(import_at, town["phare"]))
    results = at_once(run_the_job, run_the_job)

    assert sum(result.sent for result in results) == 5
    assert StockAlertCheck.objects.count() == 0
    sent = OutgoingEmail.objects.filter(event_key__endswith=":in-stock")
    assert sorted(sent.values_list("to", flat=True)) == [f"reader{number}@example.fr" for number in range(5)]


# --- Stopping, and the end --------------------------------------------------------------------------


def test_one_button_stops_it_and_nothing_is_sent_after(town, client):
    alert = confirmed_alert(town)
    url = en("alert_unsubscribe", alert.token)
    assert "Stop it, send me nothing" in client.get(url).text
    assert StockAlert.objects.get().status == StockAlert.Status.ACTIVE
    assert "you will get no email about it" in client.post(url).text
    ListingFactory(shop=town["port"], book=town["book"])
    run_the_job()
    assert StockAlert.objects.get().status == StockAlert.Status.UNSUBSCRIBED
    assert not OutgoingEmail.objects.filter(event_key__endswith=":in-stock").exists()


def test_alerts_end_after_six_months_and_unconfirmed_ones_after_a_week(town, settings):
    active = confirmed_alert(town)
    alerts.alert_request(
        book=town["book"], drive_id=town["drive"].pk, email="b@example.fr", language="fr", client=""
    )
    pending = StockAlert.objects.get(email="b@example.fr")
    now = timezone.now()
    assert alerts.alerts_expire(now=now) == 0
    assert alerts.alerts_expire(now=now + timedelta(days=8)) == 1  # unconfirmed for a week
    assert alerts.alerts_expire(now=now + timedelta(days=8)) == 0
    assert alerts.alerts_expire(now=now + timedelta(days=181)) == 1
    active.refresh_from_db()
    pending.refresh_from_db()
    assert (active.status, pending.status) == (StockAlert.Status.EXPIRED, StockAlert.Status.EXPIRED)


def test_the_beat_schedule_runs_both_jobs(settings):
    tasks = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert {"catalog.tasks.send_stock_alerts", "catalog.tasks.expire_stock_alerts"} <= tasks
