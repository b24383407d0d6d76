"""The orders API: customers reserve and follow their orders by token; shops move their
own orders along with their API key, and never see another shop's."""

import uuid
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from catalog.models import Listing
from orders import services
from orders.api.views import CustomerOrderThrottle, ReservationThrottle
from orders.models import Checkout, Order, OrderEvent
from shops import services as shop_services
from shops.models import Shop
from tests.factories import ListingFactory, MembershipFactory, reserve
from tests.race import at_once

pytestmark = pytest.mark.django_db

RESERVATIONS = "/api/v1/reservations/"
SHOP_ORDERS = "/api/v1/shop/orders/"


def order_url(token: str, action: str = "") -> str:
    return f"/api/v1/orders/{token}/" + (f"{action}/" if action else "")


def shop_order_url(reference: str, action: str = "") -> str:
    return f"{SHOP_ORDERS}{reference}/" + (f"{action}/" if action else "")


def reservation(*listings_and_quantities, **customer) -> dict:
    lines = []
    for item in listings_and_quantities:
        listing, quantity = item if isinstance(item, tuple) else (item, 1)
        lines.append({"listing": listing.pk, "quantity": quantity})
    details = {"name": "Annick Le Goff", "email": "annick@example.fr", "phone": "06 12 34 56 78"}
    return {"customer": details | customer, "accept_terms": True, "lines": lines}


def key_for(shop) -> str:
    _token, key = shop_services.api_token_create(shop=shop, name="Caisse", by=None)
    return key


@pytest.fixture
def customer_api(client):
    """Calls as an anonymous customer, in English unless told otherwise."""

    def call(method, url, payload=None, *, idempotency_key=None, **headers):
        headers.setdefault("HTTP_ACCEPT_LANGUAGE", "en")
        if idempotency_key is not None:
            headers["HTTP_IDEMPOTENCY_KEY"] = idempotency_key
        return getattr(client, method)(url, payload, content_type="application/json", **headers)

    return call


@pytest.fixture
def place(customer_api):
    """POST a reservation with a fresh Idempotency-Key (or the one given)."""

    def call(payload, key=None, **headers):
        return customer_api(
            "post", RESERVATIONS, payload, idempotency_key=key or str(uuid.uuid4()), **headers
        )

    return call


@pytest.fixture
def shop_api(client):
    def call(method, url, key, payload=None):
        auth = {"HTTP_AUTHORIZATION": f"Bearer {key}"} if key else {}
        return getattr(client, method)(
            url, payload, content_type="application/json", HTTP_ACCEPT_LANGUAGE="en", **auth
        )

    return call


def reserved(listing) -> int:
    listing.refresh_from_db()
    return listing.reserved


# --- Reserving -------------------------------------------------------------------------------


def test_a_customer_reserves_in_two_shops_and_gets_one_order_per_shop(place, shop_a, shop_b):
    first = ListingFactory(shop=shop_a, quantity=3, price=Decimal("20.00"), book__title="Les Misérables")
    elsewhere = ListingFactory(shop=shop_b, quantity=2, price=Decimal("8.50"))

    response = place(reservation((first, 2), elsewhere))

    assert response.status_code == 201
    body = response.json()
    checkout = Checkout.objects.get()
    assert body["token"] == checkout.token
    assert body["url"] == f"http://testserver/reservation/done/{checkout.token}/"
    assert len(body["orders"]) == 2
    order_a = next(order for order in body["orders"] if order["shop"]["name"] == "Librairie Alpha")
    stored = Order.objects.get(shop=shop_a)
    assert order_a["reference"] == stored.reference
    assert order_a["token"] == stored.token
    assert order_a["url"] == f"http://testserver/orders/{stored.token}/"
    assert order_a["status"] == "placed"
    assert order_a["amount"] == "40.00"
    assert order_a["can_cancel"] is True
    assert order_a["shop"] == {"name": "Librairie Alpha", "address": "12 rue du Port", "postcode": "56100",
                               "town": "Lorient", "phone": "+33297640000"}  # fmt: skip
    [line] = order_a["lines"]
    assert (line["listing"], line["title"], line["quantity"], line["unit_price"], line["amount"]) == (
        first.pk, "Les Misérables", 2, "20.00", "40.00"
    )  # fmt: skip
    assert reserved(first) == 2
    assert reserved(elsewhere) == 1
    # French formats are accepted and stored in E.164; the API knows no account
    assert str(stored.customer_phone) == "+33612345678"
    assert stored.customer is None
    assert checkout.key.startswith("api:")


def test_an_english_customer_gets_the_english_pages(place, shop_a):
    response = place(reservation(ListingFactory(shop=shop_a), language="en"))

    order = Order.objects.get()
    assert order.language == "en"
    assert response.json()["orders"][0]["url"] == f"http://testserver/en/orders/{order.token}/"


def test_the_price_the_customer_saw_is_checked(place, shop_a):
    listing = ListingFactory(shop=shop_a, price=Decimal("20.00"))
    Listing.objects.filter(pk=listing.pk).update(price=Decimal("19.00"))
    payload = reservation(listing)
    payload["lines"][0]["price"] = "20.00"

    response = place(payload)

    assert response.status_code == 409
    [problem] = response.json()["problems"]
    assert (problem["kind"], problem["seen_price"], problem["price"]) == ("price", "20.00", "19.00")
    assert reserved(listing) == 0


# --- Idempotency -----------------------------------------------------------------------------


@pytest.mark.parametrize("key", [None, "", "   ", "k" * 101, "clé-accentuée", "tab\there"])
def test_a_reservation_without_a_valid_idempotency_key_is_refused(customer_api, shop_a, key):
    listing = ListingFactory(shop=shop_a)

    response = customer_api("post", RESERVATIONS, reservation(listing), idempotency_key=key)

    assert response.status_code == 400
    assert "Idempotency-Key" in response.json()["Idempotency-Key"][0]
    assert reserved(listing) == 0
    assert not Checkout.objects.exists()


def test_a_missing_key_and_a_bad_body_are_reported_together(customer_api):
    response = customer_api("post", RESERVATIONS, {"accept_terms": True})

    assert response.status_code == 400
    assert {"Idempotency-Key", "customer", "lines"} <= set(response.json())


def test_a_retry_with_the_same_key_answers_the_same_checkout_and_reserves_once(place, shop_a):
    listing = ListingFactory(shop=shop_a, quantity=5)

    first = place(reservation((listing, 2)), key="retry-1")
    again = place(reservation((listing, 2)), key="retry-1")

    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json()
    assert Checkout.objects.count() == 1
    assert Order.objects.count() == 1
    assert reserved(listing) == 2


def test_the_longest_key_is_accepted_and_replays(place, shop_a):
    listing = ListingFactory(shop=shop_a, quantity=5)
    longest = "k" * 100

    first = place(reservation(listing), key=longest)
    again = place(reservation(listing), key=longest)

    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json()["token"] == first.json()["token"]
    assert len(Checkout.objects.get().key) <= 100


def test_keys_of_the_api_and_of_the_web_form_never_meet(place, shop_a):
    listing = ListingFactory(shop=shop_a, quantity=5)
    web = reserve(listing, key="shared-123")

    response = place(reservation(listing), key="shared-123")

    assert response.status_code == 201
    assert response.json()["token"] != web.token
    assert reserved(listing) == 2


def test_the_same_key_for_a_different_reservation_is_a_conflict(place, shop_a):
    listing = ListingFactory(shop=shop_a, quantity=5)
    place(reservation((listing, 2)), key="reused")

    response = place(reservation((listing, 3)), key="reused")

    assert response.status_code == 409
    assert response.json()["code"] == "idempotency_conflict"
    assert "different reservation" in response.json()["detail"]
    assert reserved(listing) == 2
    assert Order.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_double_submit_at_the_same_instant_reserves_once():
    # given: two requests with the same key, released together, each on its own connection
    listing = ListingFactory(quantity=5)
    payload = reservation((listing, 2))

    def submit():
        response = Client().post(
            RESERVATIONS, payload, content_type="application/json", HTTP_IDEMPOTENCY_KEY="double-click"
        )
        return response.status_code, response.json()

    # when
    answers = at_once(submit, submit)

    # then
    assert [status for status, _body in answers] == [201, 201]
    assert answers[0][1]["token"] == answers[1][1]["token"]
    assert Checkout.objects.count() == 1
    assert Order.objects.count() == 1
    assert reserved(listing) == 2


# --- Reservations that cannot go through -----------------------------------------------------


def test_a_short_line_reserves_nothing_and_lists_the_problem(place, shop_a, shop_b):
    plenty = ListingFactory(shop=shop_b, quantity=5)
    short = ListingFactory(shop=shop_a, quantity=2, book__title="Le Dernier Exemplaire")

    response = place(reservation(plenty, (short, 3)))

    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "stock_changed"
    assert body["problems"] == [
        {"listing": short.pk, "kind": "short", "title": "Le Dernier Exemplaire", "shop": "Librairie Alpha",
         "asked": 3, "available": 2, "seen_price": None, "price": None, "away_until": None, "message": body["detail"]}
    ]  # fmt: skip
    assert "Le Dernier Exemplaire" in body["detail"]
    assert reserved(plenty) == 0
    assert not Checkout.objects.exists()
    assert not Order.objects.exists()


def test_a_listing_of_a_suspended_shop_is_reported_gone(place, shop_a):
    listing = ListingFactory(shop=shop_a)
    Shop.objects.filter(pk=shop_a.pk).update(status=Shop.Status.SUSPENDED)

    response = place(reservation(listing))

    assert response.status_code == 409
    assert response.json()["problems"][0]["kind"] == "gone"


def test_a_busy_database_answers_503_with_retry_after(place, shop_a, monkeypatch):
    def busy(**kwargs):
        raise services.ReservationBusy

    monkeypatch.setattr(services, "checkout_place", busy)

    response = place(reservation(ListingFactory(shop=shop_a)))

    assert response.status_code == 503
    assert response["Retry-After"] == "2"
    assert response.json()["code"] == "busy"


@pytest.mark.parametrize(
    ("change", "where"),
    [
        (lambda body, listing: body.pop("customer"), ["customer"]),
        (lambda body, listing: body["customer"].pop("name"), ["customer", "name"]),
        (lambda body, listing: body["customer"].update(name="  "), ["customer", "name"]),
        (lambda body, listing: body["customer"].update(email="annick"), ["customer", "email"]),
        (lambda body, listing: body["customer"].update(phone="12 34"), ["customer", "phone"]),
        (lambda body, listing: body["customer"].update(phone=["06"]), ["customer", "phone"]),
        (lambda body, listing: body["customer"].update(language="de"), ["customer", "language"]),
        (lambda body, listing: body.pop("accept_terms"), ["accept_terms"]),
        (lambda body, listing: body.update(accept_terms=False), ["accept_terms"]),
        (lambda body, listing: body.pop("lines"), ["lines"]),
        (lambda body, listing: body.update(lines=[]), ["lines"]),
        (lambda body, listing: body.update(lines="1042"), ["lines"]),
        (lambda body, listing: body["lines"][0].update(quantity=0), ["lines", "0", "quantity"]),
        (lambda body, listing: body["lines"][0].update(quantity=1000), ["lines", "0", "quantity"]),
        (lambda body, listing: body["lines"][0].update(quantity="two"), ["lines", "0", "quantity"]),
        (lambda body, listing: body["lines"][0].pop("quantity"), ["lines", "0", "quantity"]),
        (lambda body, listing: body["lines"][0].update(listing=listing.pk + 1000), ["lines", "0", "listing"]),
        (lambda body, listing: body["lines"][0].update(listing=10**30), ["lines", "0", "listing"]),
        (lambda body, listing: body["lines"][0].update(listing="abc"), ["lines", "0", "listing"]),
        (lambda body, listing: body["lines"][0].update(price="-1"), ["lines", "0", "price"]),
        (lambda body, listing: body["lines"].append(dict(body["lines"][0])), ["lines", "1", "listing"]),
        (lambda body, listing: body.update(lines=[{"listing": listing.pk, "quantity": 1}] * 51), ["lines"]),
    ],
    ids=["no customer", "no name", "blank name", "bad email", "bad phone", "phone not text", "language",
         "terms missing", "terms refused", "no lines", "empty lines", "lines not a list", "quantity 0",
         "quantity 1000", "quantity not a number", "no quantity", "unknown listing", "huge listing id",
         "listing not a number", "negative price", "same listing twice", "51 lines"],
)  # fmt: skip
def test_bad_parameters_are_refused_with_what_is_wrong(place, shop_a, change, where):
    listing = ListingFactory(shop=shop_a, quantity=5)
    payload = reservation(listing)
    change(payload, listing)

    response = place(payload)

    assert response.status_code == 400
    error = response.json()
    for step in where:
        error = error[step]
    assert isinstance(error, list)
    assert all(isinstance(message, str) and message for message in error)
    assert reserved(listing) == 0
    assert not Checkout.objects.exists()


def test_the_bad_phone_message_shows_the_expected_formats(place, shop_a):
    payload = reservation(ListingFactory(shop=shop_a), phone="0612")

    response = place(payload)

    assert "02 97 64 12 34" in response.json()["customer"]["phone"][0]


@pytest.mark.parametrize(
    ("body", "content_type", "expected"),
    [
        ('{"customer": ', "application/json", 400),
        ("[1, 2]", "application/json", 400),
        ("null", "application/json", 400),
        ("", "application/json", 400),
        ("customer=Annick", "application/x-www-form-urlencoded", 415),
    ],
    ids=["broken json", "a list", "null", "empty", "a form"],
)
def test_a_body_that_is_not_a_json_object_is_refused(client, body, content_type, expected):
    response = client.post(
        RESERVATIONS, body, content_type=content_type, HTTP_IDEMPOTENCY_KEY="k1", HTTP_ACCEPT_LANGUAGE="en"
    )

    assert response.status_code == expected
    assert response.json()
    assert not Checkout.objects.exists()


def test_errors_speak_the_clients_language(place):
    response = place({"accept_terms": True}, HTTP_ACCEPT_LANGUAGE="fr")

    assert response.json()["customer"] == ["Ce champ est obligatoire."]


def test_reservations_are_throttled_per_address(place, shop_a, monkeypatch):
    monkeypatch.setattr(ReservationThrottle, "rate", "2/min")
    listing = ListingFactory(shop=shop_a, quantity=10)

    statuses = [place(reservation(listing)).status_code for _ in range(3)]

    assert statuses == [201, 201, 429]
    assert reserved(listing) == 2


# --- The customer's order ----------------------------------------------------------------------


def test_the_customer_reads_their_order_with_its_token(customer_api, shop_a):
    kept = ListingFactory(shop=shop_a, price=Decimal("12.00"))
    damaged = ListingFactory(shop=shop_a, price=Decimal("9.00"), book__title="Abîmé")
    order = reserve(kept, damaged).orders.get()
    services.order_line_mark_unavailable(
        line=order.lines.get(listing=damaged), by=None, reason="Couverture déchirée"
    )

    response = customer_api("get", order_url(order.token))

    assert response.status_code == 200
    body = response.json()
    assert (body["reference"], body["status"], body["status_label"]) == (order.reference, "placed", "Placed")
    assert body["amount"] == "12.00"
    lines = {line["title"]: line for line in body["lines"]}
    assert (lines["Abîmé"]["is_unavailable"], lines["Abîmé"]["unavailable_reason"]) == (
        True,
        "Couverture déchirée",
    )
    assert lines[kept.book.title]["is_unavailable"] is False
    assert [(event["to_status"], event["by"], event["line"]) for event in body["events"]] == [
        ("placed", "customer", None),
        ("placed", "shop", lines["Abîmé"]["id"]),
    ]
    assert body["shop"]["name"] == "Librairie Alpha"


def test_an_unknown_token_is_not_found(customer_api, shop_a):
    reserve(ListingFactory(shop=shop_a))

    assert customer_api("get", order_url("not-a-token")).status_code == 404
    assert customer_api("post", order_url("not-a-token", "cancel")).status_code == 404


def test_a_customers_token_opens_their_order_and_no_other(customer_api, shop_a):
    listing = ListingFactory(shop=shop_a, quantity=5)
    checkout_a = reserve(listing, email="a@example.fr")
    order_a = checkout_a.orders.get()
    order_b = reserve(listing, email="b@example.fr").orders.get()

    mine = customer_api("get", order_url(order_a.token))
    # the checkout's token is not an order's token
    by_checkout_token = customer_api("get", order_url(checkout_a.token))
    cancel_with_checkout_token = customer_api("post", order_url(checkout_a.token, "cancel"))
    customer_api("post", order_url(order_a.token, "cancel"))

    assert mine.json()["reference"] == order_a.reference
    assert order_b.reference not in mine.text
    assert by_checkout_token.status_code == 404
    assert cancel_with_checkout_token.status_code == 404
    order_b.refresh_from_db()
    assert order_b.status == Order.Status.PLACED
    assert reserved(listing) == 1


def test_the_customer_cancels_and_the_copies_go_back_on_sale(customer_api, shop_a):
    listing = ListingFactory(shop=shop_a, quantity=2)
    order = reserve((listing, 2)).orders.get()

    response = customer_api("post", order_url(order.token, "cancel"))
    again = customer_api("post", order_url(order.token, "cancel"))

    assert response.status_code == 200
    assert (response.json()["status"], response.json()["can_cancel"]) == ("cancelled", False)
    assert again.status_code == 200
    assert reserved(listing) == 0
    assert OrderEvent.objects.filter(order=order, to_status=Order.Status.CANCELLED).count() == 1


def test_a_collected_order_cannot_be_cancelled(customer_api, shop_a):
    order = order_in(Order.Status.COLLECTED, shop_a)

    response = customer_api("post", order_url(order.token, "cancel"))

    assert response.status_code == 409
    assert response.json()["code"] == "status"
    assert order.reference in response.json()["detail"]
    order.refresh_from_db()
    assert order.status == Order.Status.COLLECTED


def test_customer_reads_are_throttled(customer_api, shop_a, monkeypatch):
    monkeypatch.setattr(CustomerOrderThrottle, "rate", "2/min")
    order = reserve(ListingFactory(shop=shop_a)).orders.get()

    statuses = [customer_api("get", order_url(order.token)).status_code for _ in range(3)]

    assert statuses == [200, 200, 429]


# --- The shop's orders -------------------------------------------------------------------------


def order_in(status, shop, **listing):
    """An order of `shop` brought to `status` through the real services."""
    order = reserve(ListingFactory(shop=shop, **listing)).orders.get()
    path = {
        Order.Status.PLACED: [],
        Order.Status.ACCEPTED: [services.order_accept],
        Order.Status.READY: [services.order_accept, services.order_mark_ready],
        Order.Status.COLLECTED: [services.order_accept, services.order_mark_ready, services.order_collect],
        Order.Status.REFUSED: [lambda order, by: services.order_refuse(order=order, by=by, reason="Fermé")],
        Order.Status.CANCELLED: [lambda order, by: services.order_cancel(order=order, by=by)],
        Order.Status.EXPIRED: [services.order_accept, services.order_mark_ready,
                               lambda order, by: services.order_expire(order=order)],
    }[status]  # fmt: skip
    for move in path:
        move(order=order, by=None)
    order.refresh_from_db()
    return order


def test_the_shop_lists_its_own_orders_newest_first(shop_api, shop_a, shop_b):
    older = order_in(Order.Status.ACCEPTED, shop_a)
    newer = order_in(Order.Status.PLACED, shop_a)
    order_in(Order.Status.PLACED, shop_b)

    response = shop_api("get", SHOP_ORDERS, key_for(shop_a))

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2
    assert [order["reference"] for order in body["results"]] == [newer.reference, older.reference]
    first = body["results"][0]
    assert first["customer"] == {"name": "Annick Le Goff", "email": "annick@example.fr", "phone": "+33612345678",
                                 "language": "fr"}  # fmt: skip
    # the customer's key to the order stays with the customer
    assert "token" not in first
    assert newer.token not in response.text


def test_listing_orders_takes_the_same_queries_for_one_order_or_many(shop_api, shop_a):
    key = key_for(shop_a)
    order_in(Order.Status.PLACED, shop_a)
    shop_api("get", SHOP_ORDERS, key)  # the key's first use is recorded once
    with CaptureQueriesContext(connection) as one:
        shop_api("get", SHOP_ORDERS, key)
    for _ in range(4):
        order_in(Order.Status.ACCEPTED, shop_a)

    with CaptureQueriesContext(connection) as five:
        response = shop_api("get", SHOP_ORDERS, key)

    assert response.json()["count"] == 5
    assert len(five) == len(one)


def test_the_shop_filters_its_orders_by_status(shop_api, shop_a):
    order_in(Order.Status.ACCEPTED, shop_a)
    waiting = order_in(Order.Status.PLACED, shop_a)

    response = shop_api("get", SHOP_ORDERS + "?status=placed", key_for(shop_a))

    assert [order["reference"] for order in response.json()["results"]] == [waiting.reference]


@pytest.mark.parametrize("query", ["?status=lost", "?page=0", "?page=abc"])
def test_bad_list_parameters_are_refused(shop_api, shop_a, query):
    response = shop_api("get", SHOP_ORDERS + query, key_for(shop_a))

    assert response.status_code == 400


def test_the_shop_reads_one_order_by_its_reference_in_any_case(shop_api, shop_a):
    order = order_in(Order.Status.PLACED, shop_a)

    response = shop_api("get", shop_order_url(order.reference.lower()), key_for(shop_a))

    assert response.status_code == 200
    assert response.json()["reference"] == order.reference
    assert response.json()["lines"][0]["quantity"] == 1


def test_the_shop_accepts_prepares_and_hands_over_an_order(shop_api, shop_a, capture_on_commit):
    listing = ListingFactory(shop=shop_a, quantity=3)
    order = reserve((listing, 2)).orders.get()
    key = key_for(shop_a)

    with capture_on_commit():
        statuses = [
            shop_api("post", shop_order_url(order.reference, action), key).json()["status"]
            for action in ("accept", "ready", "collect")
        ]

    assert statuses == ["accepted", "ready", "collected"]
    listing.refresh_from_db()
    assert (listing.quantity, listing.reserved) == (1, 0)
    events = OrderEvent.objects.filter(order=order).exclude(to_status=Order.Status.PLACED)
    assert {(event.actor_kind, event.actor) for event in events} == {(OrderEvent.Actor.SHOP, None)}


def test_accepting_twice_changes_nothing_the_second_time(shop_api, shop_a):
    order = order_in(Order.Status.PLACED, shop_a)
    key = key_for(shop_a)

    shop_api("post", shop_order_url(order.reference, "accept"), key)
    again = shop_api("post", shop_order_url(order.reference, "accept"), key)

    assert again.status_code == 200
    assert OrderEvent.objects.filter(order=order, to_status=Order.Status.ACCEPTED).count() == 1


def test_the_shop_refuses_an_order_with_a_reason(shop_api, shop_a):
    listing = ListingFactory(shop=shop_a, quantity=3)
    order = reserve((listing, 2)).orders.get()

    response = shop_api("post", shop_order_url(order.reference, "refuse"), key_for(shop_a),
                        {"reason": "Fermé pour inventaire"})  # fmt: skip

    assert response.status_code == 200
    assert (response.json()["status"], response.json()["refusal_reason"]) == (
        "refused",
        "Fermé pour inventaire",
    )
    assert reserved(listing) == 0


@pytest.mark.parametrize("body", [None, {}, {"reason": "   "}, {"reason": "x" * 2001}])
def test_a_refusal_needs_a_reason(shop_api, shop_a, body):
    order = order_in(Order.Status.PLACED, shop_a)

    response = shop_api("post", shop_order_url(order.reference, "refuse"), key_for(shop_a), body)

    assert response.status_code == 400
    assert "reason" in response.json()
    order.refresh_from_db()
    assert order.status == Order.Status.PLACED


def test_the_shop_marks_a_line_unavailable_and_the_order_goes_on(shop_api, shop_a):
    kept, damaged = ListingFactory(shop=shop_a), ListingFactory(shop=shop_a)
    order = reserve(kept, damaged).orders.get()
    line = order.lines.get(listing=damaged)

    response = shop_api("post", shop_order_url(order.reference, f"lines/{line.pk}/unavailable"), key_for(shop_a),
                        {"reason": "Abîmé"})  # fmt: skip

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "placed"
    assert [(item["id"], item["is_unavailable"], item["unavailable_reason"]) for item in body["lines"]
            if item["is_unavailable"]] == [(line.pk, True, "Abîmé")]  # fmt: skip
    assert reserved(damaged) == 0
    assert reserved(kept) == 1


def test_when_no_line_is_left_the_order_is_refused(shop_api, shop_a):
    order = order_in(Order.Status.PLACED, shop_a)
    line = order.lines.get()

    response = shop_api(
        "post", shop_order_url(order.reference, f"lines/{line.pk}/unavailable"), key_for(shop_a)
    )

    assert response.json()["status"] == "refused"


def test_a_line_of_another_order_is_not_found(shop_api, shop_a):
    order = order_in(Order.Status.PLACED, shop_a)
    other_line = order_in(Order.Status.PLACED, shop_a).lines.get()

    response = shop_api("post", shop_order_url(order.reference, f"lines/{other_line.pk}/unavailable"),
                        key_for(shop_a))  # fmt: skip

    assert response.status_code == 404
    other_line.refresh_from_db()
    assert not other_line.is_unavailable


def test_an_unavailability_reason_is_at_most_500_characters(shop_api, shop_a):
    order = order_in(Order.Status.PLACED, shop_a)
    line = order.lines.get()

    response = shop_api("post", shop_order_url(order.reference, f"lines/{line.pk}/unavailable"), key_for(shop_a),
                        {"reason": "x" * 501})  # fmt: skip

    assert response.status_code == 400
    line.refresh_from_db()
    assert not line.is_unavailable


def test_a_key_of_shop_b_can_never_see_or_move_shop_as_orders(shop_api, shop_a, shop_b):
    order = order_in(Order.Status.PLACED, shop_a)
    line = order.lines.get()
    key_b = key_for(shop_b)
    events_before = OrderEvent.objects.filter(order=order).count()

    listed = shop_api("get", SHOP_ORDERS, key_b)
    read = shop_api("get", shop_order_url(order.reference), key_b)
    moves = [
        shop_api("post", shop_order_url(order.reference, action), key_b, body)
        for action, body in [("accept", None), ("refuse", {"reason": "Pirate"}), ("ready", None),
                             ("collect", None), (f"lines/{line.pk}/unavailable", None)]
    ]  # fmt: skip

    assert listed.json()["count"] == 0
    assert read.status_code == 404
    assert [move.status_code for move in moves] == [404] * 5
    assert order.reference not in listed.text + read.text + "".join(move.text for move in moves)
    order.refresh_from_db()
    line.refresh_from_db()
    assert order.status == Order.Status.PLACED
    assert not line.is_unavailable
    assert OrderEvent.objects.filter(order=order).count() == events_before


@pytest.mark.parametrize(
    "authorization",
    ["", "Bearer ds_deadbeef_not-a-real-key", "Basic dXNlcjpwYXNz"],
    ids=["none", "unknown", "basic"],
)
def test_shop_endpoints_need_a_valid_key(client, shop_a, authorization):
    order = order_in(Order.Status.PLACED, shop_a)
    headers = {"HTTP_AUTHORIZATION": authorization} if authorization else {}

    listed = client.get(SHOP_ORDERS, **headers)
    accepted = client.post(shop_order_url(order.reference, "accept"), **headers)

    assert listed.status_code == 401
    assert accepted.status_code == 401
    order.refresh_from_db()
    assert order.status == Order.Status.PLACED


def test_a_bookseller_logged_in_without_a_key_is_refused(client, shop_a):
    order = order_in(Order.Status.PLACED, shop_a)
    client.force_login(MembershipFactory(shop=shop_a).user)

    assert client.get(SHOP_ORDERS).status_code == 401
    assert client.post(shop_order_url(order.reference, "accept")).status_code == 401


def test_a_revoked_key_can_no_longer_move_orders(shop_api, shop_a):
    order = order_in(Order.Status.PLACED, shop_a)
    token, key = shop_services.api_token_create(shop=shop_a, name="Caisse", by=None)
    shop_services.api_token_revoke(token=token)

    assert shop_api("post", shop_order_url(order.reference, "accept"), key).status_code == 401


ILLEGAL_MOVES = [
    (Order.Status.PLACED, "ready"),
    (Order.Status.PLACED, "collect"),
    (Order.Status.ACCEPTED, "refuse"),
    (Order.Status.ACCEPTED, "collect"),
    (Order.Status.READY, "accept"),
    (Order.Status.READY, "refuse"),
    (Order.Status.READY, "unavailable"),
    (Order.Status.COLLECTED, "accept"),
    (Order.Status.COLLECTED, "refuse"),
    (Order.Status.COLLECTED, "ready"),
    (Order.Status.COLLECTED, "unavailable"),
    (Order.Status.REFUSED, "accept"),
    (Order.Status.REFUSED, "ready"),
    (Order.Status.REFUSED, "collect"),
    (Order.Status.REFUSED, "unavailable"),
    (Order.Status.CANCELLED, "accept"),
    (Order.Status.CANCELLED, "refuse"),
    (Order.Status.CANCELLED, "ready"),
    (Order.Status.CANCELLED, "collect"),
    (Order.Status.CANCELLED, "unavailable"),
    (Order.Status.EXPIRED, "accept"),
    (Order.Status.EXPIRED, "collect"),
    (Order.Status.EXPIRED, "unavailable"),
]


@pytest.mark.parametrize(("status", "action"), ILLEGAL_MOVES, ids=[f"{s}-{a}" for s, a in ILLEGAL_MOVES])
def test_every_illegal_move_is_a_conflict_with_the_reason(shop_api, shop_a, status, action):
    order = order_in(status, shop_a)
    line = order.lines.get()
    events_before = OrderEvent.objects.filter(order=order).count()
    url, body = {
        "refuse": (shop_order_url(order.reference, "refuse"), {"reason": "Trop tard"}),
        "unavailable": (shop_order_url(order.reference, f"lines/{line.pk}/unavailable"), None),
    }.get(action, (shop_order_url(order.reference, action), None))

    response = shop_api("post", url, key_for(shop_a), body)

    assert response.status_code == 409
    assert response.json()["code"] == "status"
    assert order.reference in response.json()["detail"]
    order.refresh_from_db()
    assert order.status == status
    assert OrderEvent.objects.filter(order=order).count() == events_before


@pytest.mark.parametrize("status", [Order.Status.COLLECTED, Order.Status.REFUSED, Order.Status.EXPIRED])
def test_a_closed_order_cannot_be_cancelled_by_the_customer(customer_api, shop_a, status):
    order = order_in(status, shop_a)

    response = customer_api("post", order_url(order.token, "cancel"))

    assert response.status_code == 409
    order.refresh_from_db()
    assert order.status == status


# --- Documentation -------------------------------------------------------------------------------


def test_the_schema_documents_the_orders_endpoints(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()

    paths = schema["paths"]
    reserve_op = paths[RESERVATIONS]["post"]
    assert {"201", "400", "409", "429", "503"} <= set(reserve_op["responses"])
    [key_header] = [parameter for parameter in reserve_op["parameters"] if parameter["in"] == "header"]
    assert (key_header["name"], key_header["required"]) == ("Idempotency-Key", True)
    assert "examples" in reserve_op["requestBody"]["content"]["application/json"]
    assert set(paths["/api/v1/orders/{token}/"]) == {"get"}
    assert "409" in paths["/api/v1/orders/{token}/cancel/"]["post"]["responses"]
    assert set(paths[SHOP_ORDERS]) == {"get"}
    for action in ("accept", "refuse", "ready", "collect", "lines/{line_id}/unavailable"):
        operation = paths[f"{SHOP_ORDERS}{{reference}}/{action}/"]["post"]
        assert "409" in operation["responses"]
        assert operation["security"] == [{"shopApiKey": []}]
    assert {"Checkout", "CustomerOrder", "ShopOrder", "StockChanged"} <= set(schema["components"]["schemas"])
