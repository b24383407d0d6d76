"""Suspending a shop: its books leave the marketplace at once, and staff choose whether
its open orders are honoured (the shop still serves them) or cancelled (customers told,
copies released)."""

from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import translation

from catalog.search import BookQuery, search_books
from catalog.search_index import search_index_refresh
from marketplace.models import OutgoingEmail
from orders import suspension
from orders.models import Order, OrderEvent
from orders.services import LineProblem, StockChanged, order_accept, order_collect, order_mark_ready
from shops import services
from shops.models import Drive, Membership, OpeningPeriod, Shop, Weekday
from tests.factories import (
    BookFactory,
    ChainStaffFactory,
    ListingFactory,
    MembershipFactory,
    ShopFactory,
    reserve,
)

pytestmark = pytest.mark.django_db

# The shop factory puts shops in Lorient.
LORIENT = (47.7507, -3.3789)


def en(name, *args):
    with translation.override("en"):
        return reverse(name, args=args)


def found_titles(text):
    results = search_books(BookQuery(latitude=LORIENT[0], longitude=LORIENT[1], text=text)).results
    return [result.title for result in results]


@pytest.fixture
def staff():
    return ChainStaffFactory()


@pytest.fixture
def shop():
    shop = ShopFactory(trade_name="Librairie du Port", status=Shop.Status.APPROVED, language="en")
    for weekday in Weekday:
        OpeningPeriod.objects.create(shop=shop, weekday=weekday, opens="09:00", closes="19:00")
    return shop


@pytest.fixture
def owner(shop):
    return MembershipFactory(shop=shop, role=Membership.Role.OWNER).user


@pytest.fixture
def listing(shop):
    book = BookFactory(title="La Jument verte", list_price=Decimal("8.00"))
    listing = ListingFactory(shop=shop, book=book, quantity=10)
    search_index_refresh()
    return listing


@pytest.fixture
def open_orders(listing, owner):
    """One order placed, one accepted, one ready: three customers, one copy each."""
    placed, accepted, ready = (
        reserve(listing, email=f"{name}@example.fr", name=name.title(), language="en").orders.get()
        for name in ("annick", "bernard", "chloe")
    )
    order_accept(order=accepted, by=owner)
    order_accept(order=ready, by=owner)
    order_mark_ready(order=ready, by=owner)
    return [placed, accepted, ready]


@pytest.fixture
def closed_order(listing, owner):
    order = reserve(listing, email="denis@example.fr", language="en").orders.get()
    order_accept(order=order, by=owner)
    order_mark_ready(order=order, by=owner)
    return order_collect(order=order, by=owner)


def test_honouring_the_open_orders_leaves_them_to_the_shop(
    staff, shop, listing, open_orders, owner, mailoutbox
):
    OutgoingEmail.objects.all().delete()

    suspension.shop_suspend(shop=shop, by=staff, reason="Unpaid invoices.", cancel_open_orders=False)

    shop.refresh_from_db()
    assert shop.status == Shop.Status.SUSPENDED
    assert [order.status for order in Order.objects.order_by("pk")] == ["placed", "accepted", "ready"]
    listing.refresh_from_db()
    assert listing.reserved == 3
    assert [email.to for email in OutgoingEmail.objects.all()] == [shop.contact_email]
    # ... and the shop still serves them.
    placed = open_orders[0]
    order_accept(order=placed, by=owner)
    placed.refresh_from_db()
    assert placed.status == Order.Status.ACCEPTED


def test_cancelling_the_open_orders_tells_each_customer_once_and_releases_the_copies(
    staff, shop, listing, open_orders, closed_order, capture_on_commit, mailoutbox
):
    mailoutbox.clear()

    with capture_on_commit():
        suspension.shop_suspend(shop=shop, by=staff, reason="Unpaid invoices.", cancel_open_orders=True)
    with capture_on_commit():
        suspension.shop_suspend(shop=shop, by=staff, reason="Unpaid invoices.", cancel_open_orders=True)

    assert [order.status for order in Order.objects.order_by("pk")] == [
        "cancelled",
        "cancelled",
        "cancelled",
        "collected",
    ]
    listing.refresh_from_db()
    assert (listing.reserved, listing.quantity) == (0, 9)
    for order in open_orders:
        event = order.events.latest("pk")
        assert (event.to_status, event.actor_kind, event.actor) == (
            "cancelled",
            OrderEvent.Actor.SYSTEM,
            staff,
        )
        [email] = [email for email in mailoutbox if email.to == [order.customer_email]]
        assert "Drive Solidaire has cancelled your order" in email.body
        assert "Librairie du Port no longer takes reservations on Drive Solidaire" in email.body
        assert "The shop's words" not in email.body
    assert not [email for email in mailoutbox if email.to == ["denis@example.fr"]]
    to_shop = [email for email in mailoutbox if email.to == [shop.email]]
    assert len(to_shop) == 3
    assert all("cancelled by Drive Solidaire" in email.subject for email in to_shop)
    assert [email.to for email in mailoutbox if email.to == [shop.contact_email]] == [[shop.contact_email]]


def test_a_customer_who_cancels_is_still_told_it_was_their_cancellation(
    listing, capture_on_commit, mailoutbox
):
    from orders.services import order_cancel

    order = reserve(listing, language="en").orders.get()
    mailoutbox.clear()

    with capture_on_commit():
        order_cancel(order=order)

    to_customer = [email for email in mailoutbox if email.to == [order.customer_email]]
    to_shop = [email for email in mailoutbox if email.to != [order.customer_email]]
    assert f"Your order {order.reference} at Librairie du Port is cancelled." in to_customer[0].body
    assert "cancelled by the customer" in to_shop[0].subject


def test_the_suspension_page_asks_what_becomes_of_the_open_orders(client, staff, shop, open_orders):
    client.force_login(staff)
    url = en("admin:shops_shop_decide", shop.pk, "suspend")

    page = client.get(url)
    without_choice = client.post(url, {"reason": "Unpaid invoices."})

    assert page.context["form"]["open_orders"].value() == "honour"
    assert "The shop has 3 open orders right now." in page.text
    assert "Honour them: the shop still serves them" in page.text
    assert without_choice.status_code == 200
    assert without_choice.context["form"].errors["open_orders"]
    shop.refresh_from_db()
    assert shop.status == Shop.Status.APPROVED


@pytest.mark.parametrize(
    ("choice", "statuses"), [("honour", {"placed", "accepted", "ready"}), ("cancel", {"cancelled"})]
)
def test_staff_suspend_from_the_shop_page_with_their_choice(
    client, staff, shop, open_orders, choice, statuses
):
    client.force_login(staff)

    response = client.post(
        en("admin:shops_shop_decide", shop.pk, "suspend"),
        {"reason": "Unpaid invoices.", "open_orders": choice},
        follow=True,
    )

    shop.refresh_from_db()
    assert shop.status == Shop.Status.SUSPENDED
    assert set(Order.objects.values_list("status", flat=True)) == statuses
    assert "“Librairie du Port” is suspended" in response.text


def test_a_suspended_shops_books_leave_the_search_at_once(staff, shop, listing):
    assert found_titles("jument") == ["La Jument verte"]

    services.shop_suspend(shop=shop, by=staff, reason="Unpaid invoices.")

    assert found_titles("jument") == []


def test_a_suspended_shops_offer_leaves_the_book_page(client, staff, shop, listing):
    other = ListingFactory(book=listing.book, shop=ShopFactory(trade_name="Librairie Bravo"))
    search_index_refresh()
    drive = Drive.objects.create(
        name="Drive Lorient", slug="lorient", address="1 rue du Drive", postcode="56100", town="Lorient",
        latitude=LORIENT[0], longitude=LORIENT[1],
    )  # fmt: skip

    services.shop_suspend(shop=shop, by=staff, reason="Unpaid invoices.")
    page = client.get(en("book", listing.book.ean), {"drive": drive.slug})

    assert [offer.listing.pk for offer in page.context["offers"]] == [other.pk]


def test_a_public_page_cached_before_the_suspension_is_not_served_after_it(client, staff, shop, listing):
    Drive.objects.create(
        name="Drive Lorient", slug="lorient", address="1 rue du Drive", postcode="56100", town="Lorient",
        latitude=LORIENT[0], longitude=LORIENT[1],
    )  # fmt: skip
    url = en("book", listing.book.ean) + "?drive=lorient"
    client.get(url)
    cached = client.get(url)

    services.shop_suspend(shop=shop, by=staff, reason="Unpaid invoices.")
    after = client.get(url)

    assert cached["X-Page-Cache"] == "hit"
    assert "Librairie du Port" in cached.text
    assert after["X-Page-Cache"] == "miss"
    assert "Librairie du Port" not in after.text


def test_a_suspended_shops_books_cannot_be_reserved(client, staff, shop, listing):
    services.shop_suspend(shop=shop, by=staff, reason="Unpaid invoices.")

    assert client.get(en("cart_add", listing.pk)).status_code == 404
    with translation.override("en"), pytest.raises(StockChanged) as refused:
        reserve(listing)

    [problem] = refused.value.problems
    assert problem.kind == LineProblem.Kind.GONE
    assert not Order.objects.exists()
    listing.refresh_from_db()
    assert listing.reserved == 0


def test_a_customer_on_the_checkout_page_when_the_shop_is_suspended_reserves_nothing(
    client, staff, shop, listing
):
    from orders.cart import Cart

    client.post(en("cart_add", listing.pk), {"quantity": 1, "seen_price": "8.00"})
    token = client.get(en("checkout")).context["form"]["token"].value()

    services.shop_suspend(shop=shop, by=staff, reason="Unpaid invoices.")
    response = client.post(
        en("checkout"),
        {"token": token, "name": "Annick Le Goff", "email": "annick@example.fr", "phone": "0612345678",
         "accept_terms": "on"},
    )  # fmt: skip

    assert response.status_code == 302
    assert response["Location"] == en("cart")
    assert not Order.objects.exists()
    assert Cart(client.session).count() == 0
    listing.refresh_from_db()
    assert listing.reserved == 0
