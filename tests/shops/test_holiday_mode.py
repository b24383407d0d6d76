"""Holiday mode: a shop away for a period disappears from search and book pages, takes
no new reservation (with a message saying until when), and keeps its open orders."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from catalog.search import BookQuery, search_books
from catalog.search_index import search_index_refresh
from orders.models import Order
from orders.services import LineProblem, StockChanged, order_accept
from shops.models import Shop
from shops.selectors import shops_near
from tests.factories import BookFactory, ListingFactory, ShopFactory, reserve

pytestmark = pytest.mark.django_db

# The shop factory puts shops in Lorient.
LORIENT = (47.7507, -3.3789)


def en(name, *args):
    with translation.override("en"):
        return reverse(name, args=args)


def today():
    return timezone.localdate()


def away(shop, *, first: date, last: date, message: str = ""):
    shop.holiday_starts_on, shop.holiday_ends_on, shop.holiday_message = first, last, message
    shop.save(update_fields=["holiday_starts_on", "holiday_ends_on", "holiday_message"])


def found_titles(text):
    results = search_books(BookQuery(latitude=LORIENT[0], longitude=LORIENT[1], text=text)).results
    return [result.title for result in results]


@pytest.fixture
def shop():
    return ShopFactory(trade_name="Librairie du Port", status=Shop.Status.APPROVED)


@pytest.fixture
def listing(shop):
    book = BookFactory(title="La Jument verte", list_price=Decimal("8.00"))
    listing = ListingFactory(shop=shop, book=book, quantity=2)
    search_index_refresh()
    return listing


def test_a_shop_away_today_is_not_near_anyone(shop):
    away(shop, first=today(), last=today() + timedelta(days=10))
    assert shops_near(latitude=LORIENT[0], longitude=LORIENT[1], radius_km=30) == []


@pytest.mark.parametrize(
    ("first", "last", "hidden"),
    [
        (0, 0, True),  # a single day, today
        (-3, 0, True),  # its last day
        (0, 3, True),  # its first day
        (-10, -1, False),  # back since this morning
        (1, 10, False),  # leaves tomorrow
    ],
)
def test_the_holiday_counts_whole_days_in_paris(shop, listing, first, last, hidden):
    away(shop, first=today() + timedelta(days=first), last=today() + timedelta(days=last))
    assert (found_titles("jument") == []) is hidden


def test_its_books_leave_the_search_and_come_back_after(shop, listing):
    assert found_titles("jument") == ["La Jument verte"]
    away(shop, first=today(), last=today() + timedelta(days=7))
    assert found_titles("jument") == []
    away(shop, first=today() - timedelta(days=8), last=today() - timedelta(days=1))
    assert found_titles("jument") == ["La Jument verte"]


def test_the_other_shops_of_the_book_stay(shop, listing):
    other = ListingFactory(book=listing.book, shop=ShopFactory(trade_name="Librairie Bravo"))
    search_index_refresh()
    away(shop, first=today(), last=today() + timedelta(days=7))

    book_page = reverse("book", args=[listing.book.ean])
    offers = [offer.listing.pk for offer in _offers_on_book_page(book_page)]

    assert offers == [other.pk]


def _offers_on_book_page(url):
    from django.test import Client

    from shops.models import Drive

    drive = Drive.objects.create(
        name="Drive Lorient", slug="lorient", address="1 rue du Drive", postcode="56100", town="Lorient",
        latitude=LORIENT[0], longitude=LORIENT[1],
    )  # fmt: skip
    return Client().get(url, {"drive": drive.slug}).context["offers"]


def test_the_reserve_page_says_until_when_and_offers_no_form(client, shop, listing):
    away(shop, first=today(), last=date(2099, 8, 31), message="Back after the summer!")

    page = client.get(en("cart_add", listing.pk))

    assert page.status_code == 200
    assert (
        "Librairie du Port is away until Monday 31 August: it takes no reservations until then." in page.text
    )
    assert "Back after the summer!" in page.text
    assert page.context["form"] is None


def test_posting_to_the_reserve_page_adds_nothing(client, shop, listing):
    away(shop, first=today(), last=today() + timedelta(days=3))

    from orders.cart import Cart

    response = client.post(en("cart_add", listing.pk), {"quantity": 1, "seen_price": "8.00"})

    assert response.status_code == 200
    assert Cart(client.session).count() == 0


def test_a_reservation_placed_while_away_is_refused_and_names_the_date(shop, listing):
    away(shop, first=today(), last=date(2099, 8, 31))

    with translation.override("en"), pytest.raises(StockChanged) as refused:
        reserve(listing)

    [problem] = refused.value.problems
    assert problem.kind == LineProblem.Kind.AWAY
    assert problem.away_until == date(2099, 8, 31)
    with translation.override("en"):
        assert "Librairie du Port is away until Aug. 31, 2099" in problem.message
    assert not Order.objects.exists()
    listing.refresh_from_db()
    assert listing.reserved == 0


def test_the_api_says_away_with_the_last_day(shop, listing):
    from rest_framework.test import APIClient

    away(shop, first=today(), last=date(2099, 8, 31))

    response = APIClient().post(
        "/api/v1/reservations/",
        {
            "lines": [{"listing": listing.pk, "quantity": 1}],
            "customer": {"name": "Annick Le Goff", "email": "annick@example.fr", "phone": "0612345678"},
            "accept_terms": True,
        },
        format="json",
        HTTP_IDEMPOTENCY_KEY="holiday-1",
        HTTP_ACCEPT_LANGUAGE="en",
    )

    assert response.status_code == 409, response.content
    [problem] = response.json()["problems"]
    assert (problem["kind"], problem["away_until"]) == ("away", "2099-08-31")


def test_orders_placed_before_the_holiday_stay_and_can_be_handled(shop, listing, owner_of):
    checkout = reserve(listing)
    away(shop, first=today(), last=today() + timedelta(days=7))

    order = checkout.orders.get()
    order_accept(order=order, by=owner_of(shop))

    order.refresh_from_db()
    assert order.status == Order.Status.ACCEPTED
    listing.refresh_from_db()
    assert listing.reserved == 1


@pytest.fixture
def owner_of():
    from shops.models import Membership
    from tests.factories import MembershipFactory

    return lambda shop: MembershipFactory(shop=shop, role=Membership.Role.OWNER).user


def test_the_shop_page_stays_up_while_away(client, shop):
    away(shop, first=today(), last=today() + timedelta(days=7))
    assert client.get(en("shop", shop.slug)).status_code == 200


def test_a_holiday_must_end_after_it_starts(shop):
    from django.core.exceptions import ValidationError

    shop.holiday_starts_on, shop.holiday_ends_on = date(2027, 8, 10), date(2027, 8, 1)
    with pytest.raises(ValidationError):
        shop.full_clean()


def test_the_database_refuses_a_holiday_with_one_date_only(shop):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        Shop.objects.filter(pk=shop.pk).update(holiday_starts_on=date(2027, 8, 1))
    with pytest.raises(IntegrityError), transaction.atomic():
        Shop.objects.filter(pk=shop.pk).update(holiday_ends_on=date(2027, 8, 1))
