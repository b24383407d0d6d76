"""After checkout: the confirmation, the order's page (reached by its unguessable link),
cancelling it, and "my orders" for account holders. Nobody reaches another's order."""

from datetime import time
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from orders.models import Order, OrderEvent
from orders.services import order_accept, order_collect, order_line_mark_unavailable, order_mark_ready
from shops.models import OpeningPeriod
from tests.factories import ListingFactory, ShopFactory, UserFactory, reserve

pytestmark = pytest.mark.django_db


def en(name, *args):
    with translation.override("en"):
        return reverse(name, args=args)


@pytest.fixture
def customer_a():
    return UserFactory(first_name="Annick", last_name="Le Goff", email="annick@example.fr")


@pytest.fixture
def customer_b():
    return UserFactory(first_name="Bertrand", last_name="Morvan", email="bertrand@example.fr")


def order_of(user, shop, *listings_and_quantities) -> Order:
    items = listings_and_quantities or (ListingFactory(shop=shop),)
    checkout = reserve(*items, user=user, email=user.email if user else "guest@example.fr", language="en")
    return checkout.orders.get()


def test_the_order_page_tells_the_status_the_books_what_to_pay_where_and_what_happened(
    client, shop_a, owner_a
):
    # given an order of two books, accepted, one of which the shop cannot serve
    served = ListingFactory(shop=shop_a, price=Decimal("20.00"), book__title="Germinal")
    damaged = ListingFactory(shop=shop_a, price=Decimal("7.50"), book__list_price=Decimal("7.50"),
                             book__title="Nana")  # fmt: skip
    order = order_of(None, shop_a, (served, 2), damaged)
    order_accept(order=order, by=owner_a)
    order_line_mark_unavailable(line=order.lines.get(title="Nana"), by=owner_a, reason="Abîmé")

    # when the customer opens the link of their email
    page = client.get(en("order", order.token))

    # then
    assert page.status_code == 200
    assert order.reference in page.text
    assert "<strong>Accepted</strong>" in page.text
    assert "The shop is setting your items aside." in page.text
    assert "<del>Nana</del>" in page.text
    assert "Unavailable: Abîmé" in page.text
    assert "40.00&nbsp;€" in page.text  # the served copies only
    for text in ("Librairie Alpha", shop_a.address, "02 97 64 00 00"):
        assert text in page.text
    assert [item["text"] for item in page.context["history"]] == [
        "Order placed",
        "Accepted",
        "“Nana” cannot be served",
    ]
    assert "Cancel this order" in page.text


def test_pages_reached_by_a_token_are_never_cached_and_never_sent_as_a_referrer_elsewhere(client, shop_a):
    order = order_of(None, shop_a)

    for url in (
        en("order", order.token),
        en("checkout_done", order.checkout.token),
        en("order_cancel", order.token),
    ):
        response = client.get(url)
        again = client.get(url)
        assert response.status_code == 200
        assert "no-store" in response["Cache-Control"]
        assert response["Referrer-Policy"] == "same-origin"
        assert "X-Page-Cache" not in again


@pytest.mark.parametrize("name", ["order", "order_cancel", "checkout_done"])
def test_an_unknown_token_is_a_404(client, shop_a, name):
    order = order_of(None, shop_a)

    assert client.get(en(name, "not-" + order.token)).status_code == 404
    assert client.get(en(name, order.reference)).status_code == 404
    assert client.get(en(name, str(order.pk))).status_code == 404


def test_the_customer_cancels_after_a_confirmation(client, shop_a, capture_on_commit):
    listing = ListingFactory(shop=shop_a, quantity=2)
    order = order_of(None, shop_a, (listing, 2))

    confirmation = client.get(en("order_cancel", order.token))
    order.refresh_from_db()
    assert order.status == Order.Status.PLACED  # opening the page changes nothing
    assert "Yes, cancel the order" in confirmation.text

    with capture_on_commit():
        response = client.post(en("order_cancel", order.token), follow=True)

    order.refresh_from_db()
    listing.refresh_from_db()
    assert order.status == Order.Status.CANCELLED
    assert listing.reserved == 0
    event = order.events.get(to_status=Order.Status.CANCELLED)
    assert (event.actor_kind, event.actor) == (OrderEvent.Actor.CUSTOMER, None)
    assert f"Order {order.reference} is cancelled." in response.text
    assert "Cancel this order" not in response.text


def test_a_logged_in_customer_who_cancels_is_recorded(client, shop_a, customer_a):
    order = order_of(customer_a, shop_a)
    client.force_login(customer_a)

    client.post(en("order_cancel", order.token))

    assert order.events.get(to_status=Order.Status.CANCELLED).actor == customer_a


def test_an_order_already_collected_cannot_be_cancelled_and_says_so(client, shop_a, owner_a):
    order = order_of(None, shop_a)
    for move in (order_accept, order_mark_ready, order_collect):
        move(order=order, by=owner_a)

    page = client.get(en("order_cancel", order.token), follow=True)
    posted = client.post(en("order_cancel", order.token), follow=True)

    assert "can no longer be cancelled online" in page.text
    assert f"Order {order.reference} is collected: it cannot become “cancelled”." in posted.text
    order.refresh_from_db()
    assert order.status == Order.Status.COLLECTED


def test_my_orders_needs_an_account(client):
    response = client.get(en("my_orders"))

    assert response.status_code == 302
    assert response["Location"] == en("customer_login") + "?next=" + en("my_orders")


def test_my_orders_lists_only_my_own(client, shop_a, shop_b, customer_a, customer_b):
    mine = [order_of(customer_a, shop_a), order_of(customer_a, shop_b)]
    theirs = order_of(customer_b, shop_a)
    guest = order_of(None, shop_a)
    client.force_login(customer_a)

    page = client.get(en("my_orders"))

    assert set(page.context["page"].object_list) == set(mine)
    for order in mine:
        assert order.reference in page.text
    for order in (theirs, guest):
        assert order.reference not in page.text
        assert order.token not in page.text


def test_customer_b_can_neither_open_nor_cancel_customer_a_s_order(client, shop_a, customer_a, customer_b):
    # given A's order, and B logged in with an order of their own
    a_order = order_of(customer_a, shop_a)
    b_order = order_of(customer_b, shop_a)
    client.force_login(customer_b)

    # when B tries every address that does not hold A's token
    attempts = [
        client.get(en("order", a_order.reference)),
        client.get(en("order", str(a_order.pk))),
        client.post(en("order_cancel", a_order.reference)),
        client.post(en("order_cancel", str(a_order.pk))),
        client.post(en("order_cancel", b_order.token[:-1] + "x")),
        client.get(en("checkout_done", a_order.reference)),
    ]

    # then nothing is found, and A's order is untouched
    assert [response.status_code for response in attempts] == [404] * len(attempts)
    a_order.refresh_from_db()
    assert a_order.status == Order.Status.PLACED
    assert a_order.reference not in client.get(en("my_orders")).text


def test_the_order_link_is_the_key_guests_need_no_account(client, shop_a):
    order = order_of(None, shop_a)

    assert client.get(order.customer_url()).status_code == 200
    assert client.get(en("my_orders")).status_code == 302


def test_the_order_page_costs_as_many_queries_for_five_lines_as_for_one(client, shop_a, owner_a):
    OpeningPeriod.objects.create(shop=shop_a, weekday=2, opens=time(9), closes=time(18))
    one = order_of(None, shop_a, *[ListingFactory(shop=shop_a) for _ in range(2)])
    five = order_of(None, shop_a, *[ListingFactory(shop=shop_a) for _ in range(6)])
    for order in (one, five):
        order_line_mark_unavailable(line=order.lines.first(), by=owner_a, reason="Abîmé")
        order_accept(order=order, by=owner_a)

    with CaptureQueriesContext(connection) as for_one:
        client.get(en("order", one.token))
    with CaptureQueriesContext(connection) as for_five:
        client.get(en("order", five.token))

    # the order with its shop and checkout, lines, events, the shop's opening hours and
    # closures; for the line not served, the orders placed elsewhere instead and the
    # shop's drive (the checkout has none) where to look for it (orders/elsewhere.py)
    assert len(for_five) == len(for_one) <= 7


def test_the_confirmation_page_costs_as_many_queries_for_five_shops_as_for_one(client):
    one = reserve(ListingFactory(shop=ShopFactory()))
    five = reserve(*[ListingFactory(shop=ShopFactory()) for _ in range(5)])

    with CaptureQueriesContext(connection) as for_one:
        client.get(en("checkout_done", one.token))
    with CaptureQueriesContext(connection) as for_five:
        client.get(en("checkout_done", five.token))

    # the order and its shop, lines, events, the shop's opening hours and closures
    assert len(for_five) == len(for_one) <= 5
