"""Placing a checkout: one order per shop, stock held, all or nothing, once per key."""

from decimal import Decimal

import pytest

from catalog.models import Listing
from marketplace.models import OutgoingEmail
from orders.models import REFERENCE_ALPHABET, Checkout, Order, OrderEvent
from orders.services import (
    CartLine,
    EmptyReservation,
    IdempotencyConflict,
    LineProblem,
    StockChanged,
    checkout_place,
)
from shops.models import Shop
from tests.conftest import empty_caches
from tests.factories import DriveFactory, ListingFactory, customer_details, reserve

pytestmark = pytest.mark.django_db


def test_a_checkout_makes_one_order_per_shop_and_holds_the_copies(shop_a, shop_b, capture_on_commit):
    # given
    first = ListingFactory(shop=shop_a, quantity=3, price=Decimal("20.00"))
    second = ListingFactory(
        shop=shop_a, quantity=1, price=Decimal("19.00"), book__list_price=Decimal("20.00")
    )
    elsewhere = ListingFactory(shop=shop_b, quantity=2)

    # when
    with capture_on_commit():
        checkout = reserve((first, 2), second, elsewhere)

    # then
    orders = list(checkout.orders.order_by("shop_id"))
    assert [order.shop for order in orders] == sorted([shop_a, shop_b], key=lambda shop: shop.pk)
    order_a = checkout.orders.get(shop=shop_a)
    assert order_a.status == Order.Status.PLACED
    assert order_a.total() == Decimal("59.00")
    assert [(line.title, line.quantity, line.unit_price) for line in order_a.lines.all()] == [
        (first.book.title, 2, Decimal("20.00")),
        (second.book.title, 1, Decimal("19.00")),
    ]
    for listing, reserved in ((first, 2), (second, 1), (elsewhere, 1)):
        listing.refresh_from_db()
        assert listing.reserved == reserved
    assert first.available == 1
    assert second.available == 0
    # the customer gets one message, each shop its own
    recipients = sorted(OutgoingEmail.objects.values_list("to", flat=True))
    assert recipients == sorted(["annick@example.fr", shop_a.email, shop_b.email])
    assert OrderEvent.objects.filter(to_status=Order.Status.PLACED).count() == 2


def test_references_are_short_unambiguous_and_tokens_unguessable(shop_a):
    checkout = reserve(ListingFactory(shop=shop_a))
    order = checkout.orders.get()
    assert len(order.reference) == 6
    assert set(order.reference) <= set(REFERENCE_ALPHABET)
    assert not set(order.reference) & set("0O1IL5S2Z8B")
    assert len(order.token) >= 40
    assert len(checkout.token) >= 40


def test_the_customer_email_lists_every_shop_with_its_address_and_amount(shop_a, shop_b, capture_on_commit):
    with capture_on_commit():
        checkout = reserve(ListingFactory(shop=shop_a, price=Decimal("20.00")), ListingFactory(shop=shop_b))
    email = OutgoingEmail.objects.get(to="annick@example.fr")
    assert email.language == "fr"
    for order in checkout.orders.all():
        assert order.reference in email.body_text
        assert order.shop.trade_name in email.body_html
        assert order.customer_url() in email.body_text
    assert "20,00\u00a0€" in email.body_text  # French amounts, a no-break space before the euro sign


def test_the_shop_email_links_to_the_order_in_the_admin(shop_a, capture_on_commit):
    with capture_on_commit():
        checkout = reserve(ListingFactory(shop=shop_a))
    order = checkout.orders.get()
    email = OutgoingEmail.objects.get(to=shop_a.email)
    assert order.reference in email.subject
    assert f"/admin/orders/order/{order.pk}/change/" in email.body_text
    assert order.customer_name in email.body_html


def test_an_english_customer_is_written_to_in_english(shop_a, capture_on_commit):
    with capture_on_commit():
        checkout = reserve(ListingFactory(shop=shop_a), language="en")
    email = OutgoingEmail.objects.get(to="annick@example.fr")
    assert email.language == "en"
    assert "reserved" in email.body_text
    assert f"/en/orders/{checkout.orders.get().token}/" in email.body_text


def test_the_same_key_twice_makes_one_set_of_orders(shop_a):
    listing = ListingFactory(shop=shop_a, quantity=5)
    first = reserve((listing, 2), key="form-token-1")
    again = reserve((listing, 2), key="form-token-1")
    assert again.pk == first.pk
    assert Order.objects.count() == 1
    listing.refresh_from_db()
    assert listing.reserved == 2


def test_the_same_key_for_a_different_request_is_refused(shop_a):
    listing = ListingFactory(shop=shop_a, quantity=5)
    reserve((listing, 2), key="api-key-1")
    with pytest.raises(IdempotencyConflict):
        reserve((listing, 3), key="api-key-1")
    listing.refresh_from_db()
    assert listing.reserved == 2


def test_a_short_line_reserves_nothing_and_says_which_line(shop_a, shop_b):
    plenty = ListingFactory(shop=shop_b, quantity=5)
    short = ListingFactory(shop=shop_a, quantity=2, book__title="Le Dernier Exemplaire")
    with pytest.raises(StockChanged) as raised:
        reserve((plenty, 1), (short, 3))
    [problem] = raised.value.problems
    assert (problem.kind, problem.listing_id, problem.asked, problem.available) == (
        LineProblem.Kind.SHORT,
        short.pk,
        3,
        2,
    )
    assert "Le Dernier Exemplaire" in problem.message
    assert "2" in problem.message
    assert not Order.objects.exists()
    assert not Checkout.objects.exists()
    plenty.refresh_from_db()
    assert plenty.reserved == 0


@pytest.mark.parametrize(
    "change",
    [
        {"status": Listing.Status.HIDDEN},
        {"status": Listing.Status.REJECTED},
        {"quantity": 0},
    ],
)
def test_a_listing_withdrawn_since_the_cart_is_reported_gone(shop_a, change):
    listing = ListingFactory(shop=shop_a, quantity=1)
    Listing.objects.filter(pk=listing.pk).update(**change)
    with pytest.raises(StockChanged) as raised:
        reserve(listing)
    assert raised.value.problems[0].kind == LineProblem.Kind.GONE


def test_a_suspended_shop_takes_no_reservation(shop_a):
    listing = ListingFactory(shop=shop_a)
    Shop.objects.filter(pk=shop_a.pk).update(status=Shop.Status.SUSPENDED)
    with pytest.raises(StockChanged):
        reserve(listing)


def test_copies_held_by_others_cannot_be_reserved(shop_a):
    listing = ListingFactory(shop=shop_a, quantity=1)
    reserve(listing, email="first@example.fr")
    with pytest.raises(StockChanged) as raised:
        reserve(listing, email="second@example.fr")
    assert raised.value.problems[0].available == 0


def test_a_price_changed_since_the_cart_must_be_confirmed(shop_a):
    listing = ListingFactory(shop=shop_a, price=Decimal("20.00"))
    Listing.objects.filter(pk=listing.pk).update(price=Decimal("19.00"))
    line = CartLine(listing_id=listing.pk, quantity=1, seen_price=Decimal("20.00"))
    with pytest.raises(StockChanged) as raised:
        checkout_place(key="k", lines=[line], customer=customer_details(), client="")
    problem = raised.value.problems[0]
    assert (problem.kind, problem.seen_price, problem.price) == (
        LineProblem.Kind.PRICE,
        Decimal("20.00"),
        Decimal("19.00"),
    )


def test_the_same_listing_twice_adds_up(shop_a):
    listing = ListingFactory(shop=shop_a, quantity=5)
    checkout = reserve((listing, 1), (listing, 2))
    assert checkout.orders.get().lines.get().quantity == 3


def test_an_empty_cart_is_refused():
    with pytest.raises(EmptyReservation):
        checkout_place(key="k", lines=[], customer=customer_details(), client="")


def test_the_database_refuses_holding_more_copies_than_the_shelf_has(shop_a):
    from django.db import IntegrityError, transaction

    listing = ListingFactory(shop=shop_a, quantity=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        Listing.objects.filter(pk=listing.pk).update(reserved=2)


def test_a_reserved_last_copy_leaves_the_search_and_the_book_page(shop_a, client):
    from django.urls import reverse

    from catalog.search import BookQuery, search_books
    from catalog.search_index import search_index_refresh
    from shops.selectors import shops_near

    listing = ListingFactory(shop=shop_a, quantity=1, book__title="Unique au monde")
    search_index_refresh()
    shops = shops_near(latitude=shop_a.latitude, longitude=shop_a.longitude, radius_km=30)
    query = BookQuery(text="unique", latitude=shop_a.latitude, longitude=shop_a.longitude)
    assert search_books(query, shops=shops).total == 1

    book_page = reverse("book", args=[listing.book.ean]) + f"?drive={DriveFactory().slug}"
    assert shop_a.trade_name in client.get(book_page).text

    reserve(listing)

    assert search_books(query, shops=shops).total == 0
    empty_caches()  # the public page cache
    assert shop_a.trade_name not in client.get(book_page).text


def test_a_reference_already_taken_is_drawn_again(monkeypatch):
    """References are drawn at random: one already taken is drawn again, in the same
    transaction (the insert skips the conflict instead of failing)."""
    from orders import services as order_services

    taken = reserve(ListingFactory()).orders.get().reference
    draws = iter([taken, "FRESH234"])
    monkeypatch.setattr(order_services, "new_reference", lambda: next(draws))

    order = reserve(ListingFactory(), email="second@example.fr").orders.get()

    assert order.reference == "FRESH234"
    assert order.lines.count() == 1


def _changed_after_the_read(monkeypatch, **changes_by_listing):
    """What another request changes between the checkout's first read of the listings
    and the hold: {listing: {field: value}}, applied right after that read."""
    from catalog import stock

    read = stock.listings_to_reserve

    def read_then_change(ids):
        listings = read(ids)
        for listing, change in changes_by_listing.values():
            Listing.objects.filter(pk=listing.pk).update(**change)
        return listings

    monkeypatch.setattr(stock, "listings_to_reserve", read_then_change)


def test_a_line_changed_during_the_checkout_is_the_only_one_reported(shop_a, shop_b, monkeypatch):
    """The hold leaves out the repriced line and holds the other (the last copy): only the
    repriced line is a problem, and the last copy stays in the cart, unheld once rolled back."""
    last_copy = ListingFactory(shop=shop_a, quantity=1, price=Decimal("8.00"))
    repriced = ListingFactory(shop=shop_b, quantity=3, price=Decimal("20.00"))
    _changed_after_the_read(monkeypatch, repriced=(repriced, {"price": Decimal("24.00")}))

    with pytest.raises(StockChanged) as raised:
        reserve(last_copy, repriced)

    assert [(problem.listing_id, problem.kind) for problem in raised.value.problems] == [
        (repriced.pk, LineProblem.Kind.PRICE)
    ]
    last_copy.refresh_from_db()
    assert last_copy.reserved == 0
    assert not Order.objects.exists()


def test_a_copy_taken_during_the_checkout_is_reported_short(shop_a, monkeypatch):
    listing = ListingFactory(shop=shop_a, quantity=3)
    _changed_after_the_read(monkeypatch, taken=(listing, {"reserved": 2}))

    with pytest.raises(StockChanged) as raised:
        reserve((listing, 2))

    [problem] = raised.value.problems
    assert (problem.kind, problem.available) == (LineProblem.Kind.SHORT, 1)
    assert not Order.objects.exists()


def test_a_line_the_hold_missed_but_fine_under_the_lock_is_held(shop_a, monkeypatch):
    """PostgreSQL checks the hold's condition again only on rows that passed it when the
    statement began: a copy taken and given back while the hold waited is held by the
    second try under the lock, not reported gone."""
    from catalog import stock

    listing = ListingFactory(shop=shop_a, quantity=1)
    hold = stock.stock_hold_if_left
    attempts = []

    def missed_once(wanted, *, today):
        attempts.append(sorted(wanted))
        return set() if len(attempts) == 1 else hold(wanted, today=today)

    monkeypatch.setattr(stock, "stock_hold_if_left", missed_once)

    checkout = reserve(listing)

    assert attempts == [[listing.pk], [listing.pk]]
    assert checkout.orders.get().lines.get().listing_id == listing.pk
    listing.refresh_from_db()
    assert listing.reserved == 1
