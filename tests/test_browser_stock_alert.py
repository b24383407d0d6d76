""" "Tell me when it is here" in real Chromium: a customer leaves an alert on a book no shop
near the drive holds and confirms it from the email; a bookshop's till lists the book
(the stock API); one email comes, and its link reserves the book."""

import json
import re
import urllib.request
from decimal import Decimal
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from catalog.alerts import alerts_send
from marketplace.models import OutgoingEmail
from orders.models import Order
from tests.factories import BookFactory, DriveFactory, ShopFactory, api_key_for
from tests.test_browser_reservation import PHONE_SIZE, confirm_as_guest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def the_till_lists(base_url: str, *, key: str, ean: str) -> dict:
    body = {"items": [{"ean": ean, "quantity": 2, "price": "22.00"}]}
    request = urllib.request.Request(
        f"{base_url}/api/v1/stock/listings/bulk/",
        data=json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=30) as response:  # the live test server
        return json.load(response)


def emails_to(address: str) -> list[OutgoingEmail]:
    return list(OutgoingEmail.objects.filter(to=address).order_by("pk"))


def test_an_alert_left_then_a_shop_lists_the_book_one_email_and_a_reservation(live_server, page, localities):
    DriveFactory(name="Drive Lorient Keryado", slug="lorient", town="Lorient", postcode="56100",
                 latitude=47.754, longitude=-3.39)  # fmt: skip
    port = ShopFactory(trade_name="Librairie du Port", latitude=47.75, longitude=-3.37)
    book = BookFactory(title="L'Anomalie", list_price=Decimal("22.00"))

    # The customer, on a phone, finds the book in stock nowhere around, and leaves an alert.
    page.set_viewport_size(PHONE_SIZE)
    page.goto(f"{live_server.url}/en/books/{book.ean}/?drive=lorient")
    expect(
        page.get_by_text(re.compile("No bookshop around Drive Lorient Keryado has this book"))
    ).to_be_visible()
    page.get_by_role("link", name="Tell me when it is here").click()
    page.get_by_label("Your email").fill("annick@example.fr")
    page.get_by_role("button", name="Tell me").click()
    expect(page.get_by_role("heading", name="Check your mailbox")).to_be_visible()

    # The link of the confirmation email, then its button.
    [confirmation] = emails_to("annick@example.fr")
    link = re.search(r"https?://\S+/alerts/\S+/confirm/", confirmation.body_text).group(0)
    page.goto(live_server.url + urlsplit(link).path)
    page.get_by_role("button", name="Confirm my alert").click()
    expect(page.get_by_text("Your alert is on")).to_be_visible()

    # The shop's till lists the book; the job (beat runs it every minute) sends one email.
    assert the_till_lists(live_server.url, key=api_key_for(port), ean=book.ean)
    assert alerts_send().sent == 1
    assert alerts_send().sent == 0
    [_confirmation, told] = emails_to("annick@example.fr")
    assert "Librairie du Port" in told.body_text

    # Its link reserves the book there.
    reserve = re.search(r"https?://\S+/reservation/add/\d+/\?drive=lorient", told.body_text).group(0)
    page.goto(live_server.url + urlsplit(reserve).path + "?drive=lorient")
    page.get_by_label("Copies").select_option("1")
    page.get_by_role("button", name="Add to my reservation").click()
    page.get_by_role("link", name="Continue").click()
    confirm_as_guest(page)
    assert Order.objects.get().shop == port
