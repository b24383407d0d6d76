"""When the shelf says no, in real Chromium: a bookshop refuses a book, and the customer
reserves it at the next bookshop around their drive in two clicks (the link in the
refusal's email, then the button), with the details they gave the first time."""

import re
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from marketplace.models import OutgoingEmail
from orders.models import Order
from orders.services import CartLine, checkout_place, order_refuse
from shops.models import Drive
from tests.factories import customer_details
from tests.orders.admin_helpers import bookseller_logs_in, bookseller_opens_the_order
from tests.test_browser_reservation import PHONE_SIZE, confirm_as_guest, reservation_scene, reserve_at

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_refused_book_is_reserved_at_the_next_bookshop_in_two_clicks(live_server, page, localities):
    scene = reservation_scene()  # L'Étranger at Librairie du Port (2 copies) and Les Mots Voyageurs (1)

    # A customer on a phone reserves L'Étranger at Librairie du Port.
    page.set_viewport_size(PHONE_SIZE)
    page.goto(live_server.url + "/en/")
    page.get_by_label("Town or postcode").fill("Lorient")
    page.get_by_role("button", name="Find my drive").click()
    page.get_by_role("button", name="Choose Drive Lorient Keryado").click()
    reserve_at(page, search="etranger", title="L'Étranger", shop="Librairie du Port")
    page.get_by_role("link", name="Continue").click()
    confirm_as_guest(page)
    first = Order.objects.get(shop=scene.port)
    page.context.clear_cookies()

    # The bookseller, about to refuse, sees which colleague nearby has it, and says so.
    page.set_viewport_size({"width": 1280, "height": 900})
    bookseller_logs_in(page, live_server.url, email=scene.port_owner_email)
    bookseller_opens_the_order(page, live_server.url, reference=first.reference)
    page.get_by_role("button", name="Refuse", exact=True).click()
    colleagues = page.locator(".order-elsewhere")
    expect(colleagues).to_contain_text("Colleagues nearby who have it in stock")
    expect(colleagues).to_contain_text("Les Mots Voyageurs")
    page.get_by_label("Why can you not serve this order?").fill(
        "Our copy is damaged; Les Mots Voyageurs has it."
    )
    page.get_by_role("button", name="Refuse", exact=True).click()
    expect(
        page.get_by_text(f"Order {first.reference} is refused; the customer has been told why.")
    ).to_be_visible()
    page.context.clear_cookies()

    # The customer's email lists Les Mots Voyageurs with a link to reserve it there.
    email = OutgoingEmail.objects.filter(to="annick@example.fr", subject__contains=first.reference).order_by(
        "-pk"
    )[0]
    assert "Les Mots Voyageurs" in email.body_text
    link = re.search(r"https?://\S+/orders/\S+/elsewhere/\d+/", email.body_text).group(0)

    # Click one: the email's link. Click two: the button.
    page.set_viewport_size(PHONE_SIZE)
    page.goto(live_server.url + urlsplit(link).path)
    expect(page.get_by_role("heading", name="Reserve at another shop")).to_be_visible()
    expect(page.get_by_text("In the name of Annick Le Goff")).to_be_visible()
    page.get_by_role("button", name="Reserve at Les Mots Voyageurs").click()

    expect(page.get_by_role("heading", name="Your items are reserved")).to_be_visible()
    expect(page.locator(".order-card")).to_contain_text("Les Mots Voyageurs")
    second = Order.objects.get(shop=scene.mots)
    assert (second.customer_name, second.customer_phone.as_e164, second.checkout.instead_of) == (
        "Annick Le Goff", "+33612345678", first
    )  # fmt: skip

    # The refused order's page now says where the book was reserved instead, and its own
    # button (the other way in) is gone with the offer.
    page.goto(live_server.url + first.customer_url().replace("/orders/", "/en/orders/", 1))
    expect(page.get_by_text("Reserved instead at Les Mots Voyageurs")).to_be_visible()
    expect(page.get_by_role("button", name=re.compile("Reserve it there"))).to_have_count(0)


def test_the_refused_orders_page_reserves_with_one_button(live_server, page, localities):
    scene = reservation_scene()

    listing = scene.port.listings.get(book__title="L'Étranger")
    checkout = checkout_place(key="k", lines=[CartLine(listing.pk, 1)], customer=customer_details(language="en"),
                              client="", drive_id=Drive.objects.get(slug="lorient").pk)  # fmt: skip
    order_refuse(order=checkout.orders.get(), by=None, reason="Abîmé.")

    page.set_viewport_size(PHONE_SIZE)
    page.goto(live_server.url + "/en" + checkout.orders.get().customer_url())
    section = page.locator(".elsewhere")
    expect(section.get_by_role("heading", name="In stock at another shop near your drive")).to_be_visible()
    section.get_by_role("button", name=re.compile("Reserve it there")).click()
    expect(page.get_by_role("heading", name="Your items are reserved")).to_be_visible()
    assert Order.objects.get(shop=scene.mots).checkout.instead_of == checkout.orders.get()
