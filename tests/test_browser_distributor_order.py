"""'Order it for me' in real Chromium: a book no shop near the drive holds is found by a
search, asked from a bookshop that orders books, then accepted with a date, ordered from
the distributor, made ready and handed over by the bookseller, the customer told at
each step."""

import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from catalog.search_index import search_index_refresh, search_vocabulary_refresh
from marketplace.models import OutgoingEmail
from orders.models import Order
from shops.models import Membership
from tests.factories import BookFactory, BooksellerFactory, DriveFactory, ShopFactory
from tests.orders.admin_helpers import bookseller_logs_in, bookseller_opens_the_order
from tests.test_browser_reservation import PHONE_SIZE

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_book_nobody_holds_is_ordered_from_a_bookshop_and_collected(live_server, page, localities):
    DriveFactory(name="Drive Lorient Keryado", slug="lorient", town="Lorient", postcode="56100",
                 latitude=47.754, longitude=-3.39)  # fmt: skip
    port = ShopFactory(trade_name="Librairie du Port", latitude=47.75, longitude=-3.37, takes_orders=True,
                       order_days=5, language="en")  # fmt: skip
    owner = BooksellerFactory(email="yann@librairie-du-port.fr")
    Membership.objects.create(user=owner, shop=port, role=Membership.Role.OWNER)
    BookFactory(title="Les Années", contributors=[{"name": "Annie Ernaux", "role": "author"}],
                list_price=Decimal("9.20"))  # fmt: skip
    search_index_refresh()
    search_vocabulary_refresh()

    # The customer, on a phone, looks for a book no shop around has in stock.
    page.set_viewport_size(PHONE_SIZE)
    page.goto(live_server.url + "/en/")
    page.get_by_label("Town or postcode").fill("Lorient")
    page.get_by_role("button", name="Find my drive").click()
    page.get_by_role("button", name="Choose Drive Lorient Keryado").click()
    page.get_by_role("searchbox", name="Search a product").fill("les annees")
    page.get_by_role("searchbox", name="Search a product").press("Enter")
    expect(
        page.get_by_text(re.compile("No shop near Drive Lorient Keryado has it in stock: order it"))
    ).to_be_visible()
    page.get_by_role("link", name="Les Années").click()

    # Its page offers the bookshop that orders books, with its usual time.
    expect(page.get_by_role("heading", name="Order it from a bookshop near you")).to_be_visible()
    expect(page.get_by_text("Usually within 5 days")).to_be_visible()
    page.get_by_role("link", name=re.compile("Order it here")).click()

    expect(page.get_by_role("heading", name="Order a book from a bookshop")).to_be_visible()
    page.get_by_label("Your name").fill("Annick Le Goff")
    page.get_by_label("Email", exact=True).fill("annick@example.fr")
    page.get_by_label("Phone").fill("06 12 34 56 78")
    page.get_by_label("I accept the reservation terms.").check()
    page.get_by_role("button", name="Ask Librairie du Port to order it").click()
    expect(page.get_by_role("heading", name="Your items are reserved")).to_be_visible()
    expect(page.get_by_text(re.compile("You asked the shop to order this book for you"))).to_be_visible()
    order = Order.objects.get()
    assert order.from_distributor
    page.context.clear_cookies()

    # The bookseller accepts it with a date, orders it, marks it ready when it comes, hands it over.
    page.set_viewport_size({"width": 1280, "height": 900})
    bookseller_logs_in(page, live_server.url, email=owner.email)
    bookseller_opens_the_order(page, live_server.url, reference=order.reference)
    expect(page.get_by_text("To order from your distributor")).to_be_visible()
    page.get_by_role("button", name="Accept", exact=True).click()
    expect(page.get_by_label("Expected in the shop on")).to_be_visible()
    page.get_by_role("button", name="Accept", exact=True).click()
    expect(
        page.get_by_text(f"Order {order.reference} is accepted; the customer has been told.")
    ).to_be_visible()

    page.get_by_role("button", name="Ordered from the distributor", exact=True).click()
    page.get_by_role("button", name="Ordered from the distributor", exact=True).click()
    expect(page.get_by_text(f"Order {order.reference} is ordered from the distributor")).to_be_visible()

    page.get_by_role("button", name="Mark ready", exact=True).click()
    expect(page.get_by_text(f"Order {order.reference} is ready")).to_be_visible()
    page.get_by_role("button", name="Hand over", exact=True).click()
    order.refresh_from_db()
    assert order.status == Order.Status.COLLECTED

    # The customer heard of each step, once.
    subjects = list(OutgoingEmail.objects.filter(to="annick@example.fr").values_list("subject", flat=True))
    assert len(subjects) == 4  # asked, accepted (with the date), ordered, ready (with the code)
    assert any("ordered from the distributor" in subject for subject in subjects)
