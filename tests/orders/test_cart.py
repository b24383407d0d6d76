"""The cart: from the book page's "Reserve" to a reservation grouped by shop, capped by
the copies available, kept across logging in, and never leaking into cached pages."""

import re
from decimal import Decimal

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from catalog.models import Listing
from marketplace.models import OutgoingEmail
from orders.cart import SESSION_KEY
from shops.models import Shop
from tests.factories import DriveFactory, ListingFactory, ShopFactory, UserFactory, reserve

pytestmark = pytest.mark.django_db


def en(name, *args):
    with translation.override("en"):
        return reverse(name, args=args)


def add(client, listing, quantity=1, **extra):
    return client.post(en("cart_add", listing.pk), {"quantity": quantity, **extra})


def read_messages(client):
    """Show the waiting messages, as a browser would (they wait in the session: a page
    is not served from the cache while one waits)."""
    client.get(en("cart"))


def cart_of(client) -> dict[int, int]:
    """{listing id: copies} as the session holds it."""
    return {int(key): line["quantity"] for key, line in client.session.get(SESSION_KEY, {}).items()}


@pytest.fixture
def drive():
    return DriveFactory(name="Drive Lorient Keryado", slug="lorient", latitude=47.754, longitude=-3.39)


def test_the_book_page_links_each_offer_to_its_reserve_page_without_a_form(client, drive, shop_a, shop_b):
    first = ListingFactory(shop=shop_a)
    second = ListingFactory(shop=shop_b, book=first.book)

    page = client.get(en("book", first.book.ean) + "?drive=lorient")

    assert f'href="{en("cart_add", first.pk)}?drive=lorient"' in page.text
    assert f'href="{en("cart_add", second.pk)}?drive=lorient"' in page.text
    assert "csrfmiddlewaretoken" not in page.text  # the page is cached for everyone
    assert page["X-Page-Cache"] == "miss"


def test_the_reserve_page_shows_the_offer_the_distance_and_a_quantity_choice(client, drive, shop_a):
    listing = ListingFactory(shop=shop_a, quantity=3, price=Decimal("7.50"), book__list_price=Decimal("7.50"),
                             book__title="L'Étranger")  # fmt: skip
    reserve(listing)  # another customer holds one copy

    page = client.get(en("cart_add", listing.pk) + "?drive=lorient")

    assert page.status_code == 200
    assert page.context["distance_km"] == pytest.approx(0.8, abs=0.2)
    for text in (
        "Librairie Alpha",
        "12 rue du Port",
        "7.50&nbsp;€",
        "New",
        "2 copies",
        "km from Drive Lorient Keryado",
    ):
        assert text in page.text
    assert page.context["form"].fields["quantity"].choices == [(1, 1), (2, 2)]
    assert "csrfmiddlewaretoken" in page.text
    assert "no-cache" in page["Cache-Control"]


def test_adding_puts_the_copies_in_the_cart_and_goes_to_it(client, shop_a):
    listing = ListingFactory(shop=shop_a, quantity=3)

    response = add(client, listing, 2)

    assert response.status_code == 302
    assert response["Location"] == en("cart")
    assert cart_of(client) == {listing.pk: 2}
    cart_page = client.get(en("cart"))
    assert f"“{listing.book.title}” (Librairie Alpha) is in your reservation." in cart_page.text
    assert client.session[SESSION_KEY][str(listing.pk)]["seen_price"] == "20.00"


def test_the_cart_never_holds_more_copies_than_are_available(client, shop_a):
    # given a shelf of 3 copies, one held by another customer
    listing = ListingFactory(shop=shop_a, quantity=3)
    reserve(listing, email="someone@example.fr")

    # when the customer asks for more than is left
    refused = add(client, listing, 3)
    add(client, listing, 2)
    more = client.get(en("cart_add", listing.pk))

    # then the quantity cannot go past the 2 copies left
    assert refused.status_code == 200  # 3 is not a choice
    assert cart_of(client) == {listing.pk: 2}
    assert more.context["form"] is None
    assert "All the copies left are already in your reservation." in more.text

    # and when the shop sells one at the counter, the cart follows
    Listing.objects.filter(pk=listing.pk).update(quantity=2)
    page = client.get(en("cart"))
    assert cart_of(client) == {listing.pk: 1}
    assert "Librairie Alpha has 1 copy of" in page.text


def test_changing_a_quantity_is_capped_by_the_stock_and_zero_removes_the_line(client, shop_a):
    listing = ListingFactory(shop=shop_a, quantity=3)
    add(client, listing)

    client.post(en("cart_update", listing.pk), {"quantity": 9})
    capped = cart_of(client)
    client.post(en("cart_update", listing.pk), {"quantity": 0})

    assert capped == {listing.pk: 3}
    assert cart_of(client) == {}


def test_a_line_can_be_removed(client, shop_a):
    kept, removed = ListingFactory(shop=shop_a), ListingFactory(shop=shop_a, book__title="Le Horla")
    add(client, kept)
    add(client, removed)

    client.post(en("cart_remove", removed.pk))

    assert cart_of(client) == {kept.pk: 1}
    assert "“Le Horla” is no longer in your reservation." in client.get(en("cart")).text


def test_the_cart_groups_lines_by_shop_with_what_to_pay_in_each(client, shop_a, shop_b):
    a1 = ListingFactory(shop=shop_a, price=Decimal("20.00"), quantity=5)
    a2 = ListingFactory(shop=shop_a, price=Decimal("7.50"), book__list_price=Decimal("7.50"))
    b1 = ListingFactory(shop=shop_b, price=Decimal("12.00"), book__list_price=Decimal("12.00"))
    add(client, a1, 2)
    add(client, b1)
    add(client, a2)

    page = client.get(en("cart"))

    groups = page.context["contents"].groups
    assert [group.shop for group in groups] == [shop_a, shop_b]
    assert [[item.listing for item in group.items] for group in groups] == [
        sorted([a1, a2], key=lambda listing: listing.book.title),
        [b1],
    ]
    assert [group.subtotal for group in groups] == [Decimal("47.50"), Decimal("12.00")]
    assert "47.50&nbsp;€" in page.text
    assert "12.00&nbsp;€" in page.text
    assert shop_a.address in page.text
    assert "02 97 64 00 00" in page.text  # the shop's phone
    assert page.context["cart_count"] == 4


@pytest.mark.parametrize(
    "withdraw",
    [
        lambda listing: Listing.objects.filter(pk=listing.pk).update(status=Listing.Status.HIDDEN),
        lambda listing: Listing.objects.filter(pk=listing.pk).update(quantity=0),
        lambda listing: Shop.objects.filter(pk=listing.shop_id).update(status=Shop.Status.SUSPENDED),
        lambda listing: listing.delete(),
    ],
    ids=["hidden", "sold-out", "shop-suspended", "deleted"],
)
def test_a_line_whose_listing_vanished_is_dropped_with_a_message_saying_which(client, shop_a, withdraw):
    gone = ListingFactory(shop=shop_a, book__title="Les Misérables")
    kept = ListingFactory(shop=ShopFactory())
    add(client, gone)
    add(client, kept)
    client.get(en("cart"))  # the "added" messages are read

    withdraw(gone)
    page = client.get(en("cart"))

    assert cart_of(client) == {kept.pk: 1}
    assert (
        "“Les Misérables” is no longer available at Librairie Alpha: it has been removed from your reservation."
        in page.text
    )


def test_a_price_change_since_adding_is_told_on_the_cart_page(client, shop_a):
    listing = ListingFactory(shop=shop_a, price=Decimal("20.00"), book__title="Germinal")
    add(client, listing)
    Listing.objects.filter(pk=listing.pk).update(price=Decimal("19.00"))

    page = client.get(en("cart"))

    assert "The price of “Germinal” at Librairie Alpha changed from 20.00 € to 19.00 €." in page.text
    assert client.session[SESSION_KEY][str(listing.pk)]["seen_price"] == "19.00"


def test_an_offer_that_is_not_on_sale_has_no_reserve_page(client, shop_a):
    draft = ListingFactory(shop=shop_a, status=Listing.Status.DRAFT)
    pending_shop = ListingFactory(shop=ShopFactory(status=Shop.Status.PENDING))

    assert client.get(en("cart_add", draft.pk)).status_code == 404
    assert client.get(en("cart_add", pending_shop.pk)).status_code == 404
    assert add(client, draft).status_code == 404
    assert cart_of(client) == {}


def test_the_cart_survives_logging_in(client, shop_a):
    listing = ListingFactory(shop=shop_a)
    UserFactory(email="annick@example.fr")
    add(client, listing, 2)

    response = client.post(
        en("customer_login") + "?next=" + en("checkout"),
        {"username": "annick@example.fr", "password": "correct horse battery staple", "next": en("checkout")},
    )

    assert response.status_code == 302
    assert response["Location"] == en("checkout")
    assert client.session["_auth_user_id"]
    assert cart_of(client) == {listing.pk: 2}


def test_the_cart_survives_signing_up(client, shop_a):
    listing = ListingFactory(shop=shop_a)
    add(client, listing)

    response = client.post(
        en("customer_signup"),
        {
            "first_name": "Annick",
            "last_name": "Le Goff",
            "email": "annick@example.fr",
            "next": en("checkout"),
        },
    )
    assert response["Location"] == en("customer_signup_sent")
    # the link of the confirmation email, opened in the same browser, then its button
    email = OutgoingEmail.objects.get(to="annick@example.fr")
    link = re.search(r"https?://\S+/accounts/signup/confirm/\S+/", email.body_text).group(0)
    confirmed = client.post(
        link.removeprefix(settings.SITE_URL),
        {"new_password1": "une phrase de passe", "new_password2": "une phrase de passe"},
    )

    assert confirmed["Location"] == en("checkout")
    assert client.session["_auth_user_id"]
    assert cart_of(client) == {listing.pk: 1}


def test_the_header_counts_the_copies_in_the_cart(client, shop_a):
    add(client, ListingFactory(shop=shop_a), 2)
    add(client, ListingFactory(shop=shop_a))

    page = client.get(en("home"))

    assert page.context["cart_count"] == 3
    assert '<span class="cart-link__count">3<span class="visually-hidden"> items</span></span>' in page.text


def test_a_cached_page_never_shows_a_cart_count_to_others(client, drive, shop_a):
    listing = ListingFactory(shop=shop_a)
    url = en("book", listing.book.ean) + "?drive=lorient"
    stranger = Client()

    # given a visitor with a book in their reservation
    add(client, listing)
    read_messages(client)

    # when they open the book page twice, then a stranger does
    first, again = client.get(url), client.get(url)
    strangers = stranger.get(url)

    # then the visitor gets fresh pages with their count, and nothing of it was cached
    assert "X-Page-Cache" not in first
    assert "X-Page-Cache" not in again
    assert "cart-link__count" in again.text
    assert strangers["X-Page-Cache"] == "miss"
    assert "cart-link__count" not in strangers.text


def test_a_visitor_with_a_cart_is_not_served_a_page_cached_for_others(client, drive, shop_a):
    listing = ListingFactory(shop=shop_a)
    url = en("book", listing.book.ean) + "?drive=lorient"
    assert Client().get(url)["X-Page-Cache"] == "miss"  # cached, without a count

    add(client, listing)
    read_messages(client)
    page = client.get(url)

    assert "X-Page-Cache" not in page
    assert "cart-link__count" in page.text


def test_the_cart_page_costs_as_many_queries_for_five_lines_as_for_one(client):
    shops = [ShopFactory(), ShopFactory(), ShopFactory()]
    one, five = Client(), Client()
    add(one, ListingFactory(shop=shops[0]))
    for number in range(5):
        add(five, ListingFactory(shop=shops[number % 3]))
    one.get(en("cart"))  # messages read, sessions warm
    five.get(en("cart"))

    with CaptureQueriesContext(connection) as for_one:
        assert len(one.get(en("cart")).context["contents"].groups) == 1
    with CaptureQueriesContext(connection) as for_five:
        assert len(five.get(en("cart")).context["contents"].groups) == 3

    assert len(for_five) == len(for_one) <= 3
