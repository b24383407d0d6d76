"""Nobody hoards: what one customer may reserve and hold, in the service (web and API
alike), with a clear message; a real customer never meets the limits, and one anonymous
client holds only a small share of a shop however many requests it sends."""

import functools
import uuid

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from orders.limits import ReservationLimitReached
from orders.models import Checkout, Order
from orders.services import CartLine, checkout_place, order_cancel
from tests.factories import ListingFactory, ShopFactory, UserFactory, customer_details
from tests.race import at_once

pytestmark = [pytest.mark.django_db, pytest.mark.reservation_limits]

RESERVATIONS = "/api/v1/reservations/"


def place(*listings_and_quantities, client="192.0.2.10", **customer):
    """A checkout through the service, as sent from the address `client`."""
    lines = [
        CartLine(listing_id=listing.pk, quantity=quantity)
        for listing, quantity in (
            item if isinstance(item, tuple) else (item, 1) for item in listings_and_quantities
        )
    ]
    return checkout_place(
        key=uuid.uuid4().hex, lines=lines, customer=customer_details(**customer), client=client
    )


def someone(number: int) -> dict:
    """Another person: their own email and phone."""
    return {"email": f"person{number}@example.fr", "phone": f"+336120000{number:02d}"}


def held_at(shop) -> int:
    return sum(
        line.quantity
        for order in Order.objects.filter(shop=shop, status__in=Order.OPEN_STATUSES)
        for line in order.lines.filter(is_unavailable=False)
    )


@pytest.fixture
def shelf(shop_a):
    """Shop A with plenty of copies of 40 books."""
    return [ListingFactory(shop=shop_a, quantity=30) for _ in range(40)]


# --- One checkout ---------------------------------------------------------------------------


def test_a_line_holds_at_most_ten_copies(shelf, shop_a):
    with translation.override("en"), pytest.raises(ReservationLimitReached) as refused:
        place((shelf[0], 11))

    assert refused.value.limit == "copies_per_line"
    assert "up to 10 copies of" in str(refused.value)
    assert shop_a.trade_name in str(refused.value)
    assert not Order.objects.exists()


def test_a_checkout_holds_at_most_thirty_different_books(settings):
    settings.RESERVATION_MAX_HELD_PER_SHOP = settings.RESERVATION_MAX_HELD_IN_NETWORK = 1000
    books = [ListingFactory() for _ in range(31)]

    with pytest.raises(ReservationLimitReached) as refused:
        place(*books)

    assert refused.value.limit == "lines_per_checkout"
    assert not Checkout.objects.exists()


# --- What one person holds ---------------------------------------------------------------------


def test_one_person_holds_at_most_twenty_books_at_a_shop(shelf, shop_a):
    place((shelf[0], 10), (shelf[1], 8))

    with translation.override("en"), pytest.raises(ReservationLimitReached) as refused:
        place((shelf[2], 3))

    assert refused.value.limit == "held_per_shop"
    assert str(refused.value) == (
        f"At {shop_a.trade_name}, one person can hold up to 20 items at a time, counting the orders already "
        "made with the same email, phone or account. Collect or cancel an order there, or reserve fewer items."
    )
    assert "18" not in str(refused.value)  # what is held is not said: anyone may type someone's phone
    assert held_at(shop_a) == 18
    place((shelf[2], 2))  # exactly at the limit
    assert held_at(shop_a) == 20


@pytest.mark.parametrize(
    "same_person",
    [{"email": "ANNICK@example.fr", "phone": "+33699999999"}, {"email": "other@example.fr"}],
    ids=["same email, any case", "same phone"],
)
def test_a_person_is_the_same_email_or_the_same_phone(shelf, same_person):
    place((shelf[0], 10), (shelf[1], 10))

    with pytest.raises(ReservationLimitReached):
        place(shelf[2], client="198.51.100.99", **same_person)


def test_a_person_is_also_their_account(shelf):
    account = UserFactory()
    place((shelf[0], 10), (shelf[1], 10), user=account)

    with pytest.raises(ReservationLimitReached):
        place(shelf[2], user=account, **someone(1))


def test_copies_no_longer_held_no_longer_count(shelf, shop_a):
    first = place((shelf[0], 10), (shelf[1], 10)).orders.get()

    order_cancel(order=first)

    place((shelf[2], 10))
    assert held_at(shop_a) == 10


def test_one_person_holds_at_most_forty_books_across_the_network():
    shops = [ShopFactory() for _ in range(5)]
    for shop in shops[:4]:
        place((ListingFactory(shop=shop, quantity=20), 10))

    with translation.override("en"), pytest.raises(ReservationLimitReached) as refused:
        place(ListingFactory(shop=shops[4]))

    assert refused.value.limit == "held_in_network"
    assert "one person can hold up to 40 items at a time" in str(refused.value)


# --- What one client address holds -----------------------------------------------------------------


def test_made_up_emails_from_one_address_hold_at_most_forty_books_at_a_shop(shelf, shop_a):
    for number in range(4):
        place((shelf[number], 10), **someone(number))

    with translation.override("en"), pytest.raises(ReservationLimitReached) as refused:
        place(shelf[10], **someone(9))

    assert refused.value.limit == "held_per_shop_per_address"
    assert "from your internet connection" in str(refused.value)
    place(shelf[10], client="198.51.100.7", **someone(9))  # someone else, elsewhere: fine
    assert held_at(shop_a) == 41


def test_an_address_may_place_ten_checkouts_an_hour(shelf, settings):
    for number in range(10):
        place(shelf[number], **someone(number))

    with translation.override("en"), pytest.raises(ReservationLimitReached) as refused:
        place(shelf[10], **someone(10))

    assert refused.value.limit == "checkouts_per_hour"
    assert 60 <= refused.value.retry_after <= 3600
    assert "Please try again in" in str(refused.value)
    place(shelf[10], client="198.51.100.7", **someone(10))


def test_a_retry_of_a_placed_checkout_is_never_refused(shelf):
    key = uuid.uuid4().hex
    lines = [CartLine(listing_id=shelf[0].pk, quantity=10), CartLine(listing_id=shelf[1].pk, quantity=10)]
    first = checkout_place(key=key, lines=lines, customer=customer_details(), client="192.0.2.10")

    again = checkout_place(key=key, lines=lines, customer=customer_details(), client="192.0.2.10")

    assert again.pk == first.pk


def test_the_address_is_kept_only_as_a_keyed_hash(shelf):
    checkout = place(shelf[0])

    assert len(checkout.client_hash) == 64
    assert "192.0.2.10" not in checkout.client_hash


# --- However many requests --------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_concurrent_checkouts_of_one_person_never_pass_the_limit(shop_a):
    books = [ListingFactory(shop=shop_a, quantity=30) for _ in range(8)]

    results = at_once(
        *[functools.partial(place, (book, 10), client=f"192.0.2.{n}") for n, book in enumerate(books)]
    )

    assert sum(isinstance(result, Checkout) for result in results) == 2, results
    assert all(isinstance(result, (Checkout, ReservationLimitReached)) for result in results), results
    assert held_at(shop_a) == 20


def test_one_anonymous_client_holds_a_small_share_of_a_shop_however_many_requests_it_sends(shop_a):
    # given a shop with 3,000 copies of 100 books
    books = [ListingFactory(shop=shop_a, quantity=30) for _ in range(100)]
    api = Client(REMOTE_ADDR="203.0.113.66")

    # when one client sends 30 API reservations of 30 lines × 10 copies under made-up names
    answers = []
    for attempt in range(30):
        lines = [{"listing": book.pk, "quantity": 10} for book in books[attempt % 70 : attempt % 70 + 30]]
        person = someone(attempt)
        payload = {
            "customer": {"name": f"Bot {attempt}", "email": person["email"], "phone": person["phone"]},
            "accept_terms": True,
            "lines": lines,
        }
        answers.append(
            api.post(
                RESERVATIONS, payload, content_type="application/json", HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4())
            )
        )

    # then it holds at most 40 of the 3,000 copies, and was told why
    assert held_at(shop_a) <= 40
    assert {answer.status_code for answer in answers} <= {201, 409, 429}
    refused = [answer.json() for answer in answers if answer.status_code == 409]
    assert refused
    assert all(answer["code"] == "reservation_limit" for answer in refused)


# --- Said where the customer is ---------------------------------------------------------------


def test_the_api_says_which_limit_in_the_callers_language(shelf):
    place((shelf[0], 10), (shelf[1], 10), client="203.0.113.5")
    payload = {
        "customer": {"name": "Annick Le Goff", "email": "annick@example.fr", "phone": "06 12 34 56 78"},
        "accept_terms": True,
        "lines": [{"listing": shelf[2].pk, "quantity": 1}],
    }

    answer = Client().post(
        RESERVATIONS, payload, content_type="application/json", HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4()),
        HTTP_ACCEPT_LANGUAGE="fr",
    )  # fmt: skip

    assert answer.status_code == 409
    assert answer.json()["code"] == "reservation_limit"
    assert answer.json()["limit"] == "held_per_shop"
    assert "une même personne peut réserver jusqu’à 20 articles" in answer.json()["detail"]


def test_the_api_answers_429_with_retry_after_past_the_hourly_checkouts(shelf):
    for number in range(10):
        place(shelf[number], client="203.0.113.5", **someone(number))
    payload = {
        "customer": {"name": "Bot", "email": "bot@example.fr", "phone": "06 00 00 00 01"},
        "accept_terms": True,
        "lines": [{"listing": shelf[11].pk, "quantity": 1}],
    }

    answer = Client(REMOTE_ADDR="203.0.113.5").post(
        RESERVATIONS, payload, content_type="application/json", HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4())
    )

    assert answer.status_code == 429
    assert answer.json()["limit"] == "checkouts_per_hour"
    assert int(answer["Retry-After"]) >= 60


def test_the_checkout_page_says_what_to_do_and_keeps_the_cart(client, shelf, shop_a):
    place((shelf[0], 10), (shelf[1], 10), client="127.0.0.1")
    with translation.override("en"):
        client.post(reverse("cart_add", args=[shelf[2].pk]), {"quantity": 1})
        form = client.get(reverse("checkout")).context["form"]
        response = client.post(
            reverse("checkout"),
            {"token": form["token"].value(), "name": "Annick Le Goff", "email": "annick@example.fr",
             "phone": "06 12 34 56 78", "accept_terms": "on"},
        )  # fmt: skip

    assert response.status_code == 200
    assert "one person can hold up to 20 items at a time" in response.text
    assert "Nothing has been reserved." in response.text
    assert held_at(shop_a) == 20
    assert client.session["cart"]  # still there, to try again later


def test_the_web_checkout_counts_its_submissions_like_the_api(client, shelf, settings):
    settings.RESERVATION_REQUESTS_PER_ADDRESS_PER_MINUTE = 2
    with translation.override("en"):
        statuses = []
        for _ in range(3):  # two reservations, then one past the minute's count
            client.post(reverse("cart_add", args=[shelf[0].pk]), {"quantity": 1})
            form = client.get(reverse("checkout")).context["form"]
            statuses.append(
                client.post(
                    reverse("checkout"),
                    {"token": form["token"].value(), "name": "Annick Le Goff", "email": "annick@example.fr",
                     "phone": "06 12 34 56 78", "accept_terms": "on"},
                ).status_code
            )  # fmt: skip

    assert statuses == [302, 302, 429]
