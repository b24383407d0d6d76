"""Collection in real Chromium: the customer's order page shows the pickup code; the
bookseller, on a phone, opens the counter from the admin, types the code, sees what to
take and hands the order over. And the QR code's link, opened logged out, goes through
the login and back to the counter with the order shown. Where the browser reads QR codes
itself, the counter also scans with the camera."""

import json
import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from catalog.models import Listing
from orders.models import Order
from orders.pickup_qr import counter_url
from orders.services import order_accept, order_mark_ready
from shops.models import Membership
from tests.factories import BooksellerFactory, ListingFactory, ShopFactory, reserve
from tests.orders.admin_helpers import bookseller_logs_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct horse battery staple"  # the factories' password
PHONE_SIZE = {"width": 390, "height": 844}
BOOKSELLER = "yann@librairie-du-port.fr"


def ready_order_at_the_port() -> tuple[Order, Listing]:
    """Librairie du Port, its owner, two copies of Germinal reserved, accepted, set aside."""
    shop = ShopFactory(trade_name="Librairie du Port", language="en")
    owner = BooksellerFactory(email=BOOKSELLER)
    Membership.objects.create(user=owner, shop=shop, role=Membership.Role.OWNER)
    listing = ListingFactory(shop=shop, book__title="Germinal", price=Decimal("9.90"), quantity=3)
    order = reserve((listing, 2), language="en").orders.get()
    order_accept(order=order, by=owner)
    order_mark_ready(order=order, by=owner)
    order.refresh_from_db()
    return order, listing


def test_the_bookseller_hands_over_the_order_with_the_code_the_customer_shows(live_server, page):
    order, listing = ready_order_at_the_port()
    page.set_viewport_size(PHONE_SIZE)

    # The customer opens their order: the code, its QR code and the deadline.
    page.goto(f"{live_server.url}/en/orders/{order.token}/")
    block = page.locator(".pickup-code")
    expect(block.get_by_role("heading", name="Your pickup code")).to_be_visible()
    expect(block.locator("svg.pickup-qr__image")).to_be_visible()
    expect(block).to_contain_text("To collect by")
    code = block.locator(".pickup-code__code").inner_text()
    assert re.fullmatch(r"[A-Z0-9]{4}-[A-Z0-9]{4}", code)
    page.context.clear_cookies()

    # The bookseller, on their phone: the admin, then the counter.
    bookseller_logs_in(page, live_server.url, email=BOOKSELLER)
    page.get_by_role("link", name="Counter (hand over an order)").click()
    expect(page.get_by_role("heading", name="Counter", level=1)).to_be_visible()
    page.get_by_label("Pickup code").fill(code.lower().replace("-", " "))
    page.get_by_role("button", name="Find the order").click()

    card = page.locator(".counter-order")
    expect(card).to_contain_text(order.reference)
    expect(card).to_contain_text("Annick Le Goff")
    expect(card).to_contain_text("Germinal")
    expect(card.locator(".counter-order__due")).to_have_text(re.compile(r"Amount due:\s*19\.80\s€"))
    card.get_by_role("button", name="Hand over").click()

    expect(page.get_by_text(f"Handed over: {order.reference}.")).to_be_visible()
    expect(page.get_by_label("Pickup code")).to_be_empty()  # ready for the next customer
    order.refresh_from_db()
    assert order.status == Order.Status.COLLECTED
    listing.refresh_from_db()
    assert (listing.quantity, listing.reserved) == (1, 0)


def test_the_qr_link_goes_through_the_login_to_the_counter_and_hands_nothing_over(
    live_server, page, settings
):
    order, _ = ready_order_at_the_port()
    settings.SITE_URL = live_server.url
    page.set_viewport_size(PHONE_SIZE)

    # The phone's camera app opens the QR code's link: the site's default language
    # (French), so the steps below go by the page's structure rather than its words.
    page.goto(counter_url(order.pickup_code))
    page.locator("#id_username").fill(BOOKSELLER)
    page.locator("#id_password").fill(PASSWORD)
    page.locator("#login-form [type=submit]").click()

    # The link only fills the code in (opening a link never counts as an attempt): one tap.
    expect(page.locator("form.counter-code input[name=code]")).to_have_value(order.pickup_code)
    expect(page.locator(".counter-order")).to_have_count(0)
    page.locator("form.counter-code [type=submit]").click()
    card = page.locator(".counter-order")
    expect(card).to_contain_text(order.reference)
    order.refresh_from_db()
    assert order.status == Order.Status.READY  # showing is not handing over
    card.locator("button[type=submit]").click()
    expect(page.locator(".message--success")).to_contain_text(order.reference)
    order.refresh_from_db()
    assert order.status == Order.Status.COLLECTED


# A browser that reads QR codes (BarcodeDetector) and a camera, both simulated: Debian's
# Chromium has neither. The "camera" films a black square; the "detector" reads `payload`.
FAKE_QR_READER = """
(() => {
  const payload = %s;
  window.BarcodeDetector = class {
    static async getSupportedFormats() { return ["qr_code"]; }
    async detect() { return [{ rawValue: payload }]; }
  };
  Object.defineProperty(navigator, "mediaDevices", { configurable: true, value: {
    async getUserMedia() {
      const canvas = document.createElement("canvas");
      canvas.width = canvas.height = 8;
      canvas.getContext("2d").fillRect(0, 0, 8, 8);
      return canvas.captureStream();
    },
  } });
})();
"""
NO_QR_READER = "delete window.BarcodeDetector;"


def test_where_the_browser_reads_qr_codes_the_counter_scans_with_the_camera(live_server, page):
    order, _ = ready_order_at_the_port()
    page.set_viewport_size(PHONE_SIZE)
    page.add_init_script(FAKE_QR_READER % json.dumps(counter_url(order.pickup_code)))
    bookseller_logs_in(page, live_server.url, email=BOOKSELLER)

    page.goto(f"{live_server.url}/en/counter/")
    page.get_by_role("button", name="Scan the QR code with the camera").click()

    expect(page.locator(".counter-order")).to_contain_text(order.reference)
    expect(page.get_by_label("Pickup code")).to_have_value(order.pickup_code)
    order.refresh_from_db()
    assert order.status == Order.Status.READY  # scanning shows; the bookseller hands over


def test_without_a_qr_reader_the_counter_offers_typing_only(live_server, page):
    ready_order_at_the_port()
    page.add_init_script(NO_QR_READER)
    bookseller_logs_in(page, live_server.url, email=BOOKSELLER)

    page.goto(f"{live_server.url}/en/counter/")

    expect(page.get_by_label("Pickup code")).to_be_visible()
    expect(page.get_by_role("button", name="Scan the QR code with the camera")).to_be_hidden()
