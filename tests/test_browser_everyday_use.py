"""The limits that stop hoarders and guessers are never met by people using the product
as it is meant, in real Chromium with the production values of every limit:
- a customer reserving a few books in two bookshops, then a few more the same day;
- a bookseller's busy Saturday: a mistyped password, twenty-five orders accepted, made
  ready and handed over at the counter, with a couple of mistyped codes."""

import re

import pytest
from playwright.sync_api import expect

from orders.models import Order
from orders.services import order_accept, order_mark_ready
from shops.models import Membership
from tests.factories import BooksellerFactory, ListingFactory, ShopFactory, reserve
from tests.test_browser_reservation import (
    PHONE_SIZE,
    confirm_as_guest,
    reservation_scene,
    reserve_at,
    reserve_two_books_as_guest,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), pytest.mark.reservation_limits]

PASSWORD = "correct horse battery staple"  # the factories'
BOOKSELLER = "yann@librairie-du-port.fr"
BUSY_DAY_ORDERS = 25


def never_limited(page) -> list[int]:
    """Every status the browser received from the site, to check that none was a 429."""
    statuses: list[int] = []
    page.on("response", lambda response: statuses.append(response.status))
    return statuses


def test_a_customer_reserves_in_two_bookshops_then_comes_back_for_more(live_server, page, localities):
    scene = reservation_scene()
    ListingFactory(shop=scene.port, book__title="Le Petit Prince", quantity=6)
    statuses = never_limited(page)
    page.set_viewport_size(PHONE_SIZE)

    # Two books in two bookshops, as a guest.
    first = reserve_two_books_as_guest(page, live_server.url)
    expect(page.locator(".answer-by")).to_have_count(2)  # "the shop answers by …" on each order

    # Later that day, the same person wants two more copies of another book at the Port.
    from catalog.search_index import search_index_refresh

    search_index_refresh()
    page.goto(live_server.url + "/en/")
    reserve_at(page, search="petit prince", title="Le Petit Prince", shop="Librairie du Port")
    page.get_by_role("link", name=re.compile("My reservation")).first.click()
    page.get_by_role("link", name="Continue").click()
    confirm_as_guest(page)

    assert Order.objects.filter(customer_email="annick@example.fr").count() == len(first) + 1
    assert 429 not in statuses


def busy_saturday():
    """The Port's owner, and 25 orders of as many customers, placed through the checkout."""
    shop = ShopFactory(trade_name="Librairie du Port", language="en")
    owner = BooksellerFactory(email=BOOKSELLER)
    Membership.objects.create(user=owner, shop=shop, role=Membership.Role.OWNER)
    books = [ListingFactory(shop=shop, quantity=10) for _ in range(10)]
    orders = []
    for number in range(BUSY_DAY_ORDERS):
        orders.append(
            reserve(
                books[number % 10],
                (books[(number + 3) % 10], 2),
                email=f"client{number}@example.fr",
                phone=f"+336100000{number:02d}",
                language="en",
            ).orders.get()
        )
    return shop, owner, orders


def test_a_bookseller_gets_through_a_busy_saturday_without_meeting_a_limit(live_server, page):
    shop, owner, orders = busy_saturday()
    statuses = never_limited(page)

    # Morning: one mistyped password, then in.
    page.goto(f"{live_server.url}/en/admin/")
    page.get_by_label("Email address").fill(BOOKSELLER)
    page.get_by_label("Password").fill("correct horse battery stapel")
    page.get_by_role("button", name="Log in").click()
    expect(page.locator(".errornote")).to_be_visible()
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()

    # The new orders, accepted from the list in one go, then five opened one by one.
    page.goto(f"{live_server.url}/en/admin/orders/order/")
    page.locator("#action-toggle").check()
    page.locator("select[name=action]").select_option("accept_selected")
    page.get_by_role("button", name="Go").click()
    expect(page.locator(".messagelist")).to_contain_text("25")
    for order in orders[:5]:
        page.goto(f"{live_server.url}/en/admin/orders/order/{order.pk}/change/")
        expect(page.get_by_role("heading", name=f"Order {order.reference}")).to_be_visible()

    # Books set aside through the day: the service marks them ready (their codes drawn).
    for order in orders:
        order_accept(order=order, by=owner)  # already accepted: changes nothing
        order_mark_ready(order=order, by=owner)
    codes = {order.reference: Order.objects.get(pk=order.pk).pickup_code for order in orders}

    # Afternoon at the counter, on the phone: every customer comes, two codes mistyped.
    page.goto(f"{live_server.url}/en/counter/")
    for number, order in enumerate(orders):
        if number in (4, 17):
            page.get_by_label("Pickup code").fill("ACDE-FGHJ")
            page.locator("form.counter-code [type=submit]").click()
            expect(page.locator(".counter-answer")).to_contain_text("No order ready with this code")
        page.get_by_label("Pickup code").fill(codes[order.reference])
        page.locator("form.counter-code [type=submit]").click()
        card = page.locator(".counter-order")
        expect(card).to_contain_text(order.reference)
        card.get_by_role("button", name="Hand over").click()
        expect(page.locator(".message--success")).to_contain_text(order.reference)

    assert Order.objects.filter(shop=shop, status=Order.Status.COLLECTED).count() == BUSY_DAY_ORDERS
    assert 429 not in statuses
