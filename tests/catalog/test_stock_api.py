"""The stock API for till software: one shop per key, per-item results."""

from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from catalog.models import Listing
from shops import services as shop_services
from shops.models import ShopApiToken
from tests.factories import BookFactory, ListingFactory, MembershipFactory, listings_in_stock

pytestmark = pytest.mark.django_db

BULK = "/api/v1/stock/listings/bulk/"
LISTINGS = "/api/v1/stock/listings/"
PARIS = ZoneInfo("Europe/Paris")


def key_for(shop) -> str:
    _token, key = shop_services.api_token_create(shop=shop, name="Caisse", by=None)
    return key


@pytest.fixture
def api(client):
    def call(method, url, key, payload=None, **headers):
        headers.setdefault("HTTP_ACCEPT_LANGUAGE", "en")
        auth = {"HTTP_AUTHORIZATION": f"Bearer {key}"} if key else {}
        return getattr(client, method)(url, payload, content_type="application/json", **auth, **headers)

    return call


@pytest.fixture
def book():
    return BookFactory(ean="9782070368228", title="L'Étranger", list_price=Decimal("7.50"))


def test_till_software_updates_many_listings_at_once_and_gets_a_result_per_item(api, shop_a, book):
    key = key_for(shop_a)
    ListingFactory(shop=shop_a, book=BookFactory(ean="9782070408504", list_price=Decimal("8.90")), quantity=1)

    response = api(
        "post",
        BULK,
        key,
        {
            "items": [
                {"ean": "978-2-07-036822-8", "quantity": 4, "price": "7.50"},
                {"ean": "9782070408504", "quantity": 0},
                {"ean": "9782070368228", "quantity": 1, "price": 2.5, "condition": "used_good"},
                {"ean": "9782070368229", "quantity": 1},
                {"ean": "9780000000002", "quantity": 1, "price": "12.00", "title": "Inconnu", "authors": ["A. B."],
                 "list_price": "12.00"},
                {"ean": "9782070368228", "quantity": -1},
                {"quantity": 1},
            ]
        },
    )  # fmt: skip

    assert response.status_code == 200
    body = response.json()
    results = [(item["index"], item["result"]) for item in body["items"]]
    assert results == [(0, "create"), (1, "update"), (2, "create"), (3, "refuse"), (4, "create"), (5, "refuse"),
                       (6, "refuse")]  # fmt: skip
    assert "check digit" in body["items"][3]["message"]
    assert body["summary"] == {
        "create": 3,
        "update": 1,
        "unchanged": 0,
        "refuse": 3,
        "zeroed": 0,
        "in_stock": 0,
        "pending": 1,
    }
    # The unknown book's publisher's price is the shop's word only: its listing waits.
    assert "moderation" in body["items"][4]["message"]
    assert Listing.objects.filter(shop=shop_a).count() == 4


def test_sending_the_same_batch_twice_changes_nothing_the_second_time(api, shop_a, book):
    key = key_for(shop_a)
    batch = {"items": [{"ean": "9782070368228", "quantity": 4, "price": "7.50"}]}

    api("post", BULK, key, batch)
    before = Listing.objects.values("price", "quantity", "updated_at").get()
    second = api("post", BULK, key, batch)

    assert second.json()["summary"]["unchanged"] == 1
    assert Listing.objects.values("price", "quantity", "updated_at").get() == before


def test_a_price_outside_the_law_is_refused_with_the_range_in_the_clients_language(api, shop_a, book):
    key = key_for(shop_a)
    batch = {"items": [{"ean": "9782070368228", "quantity": 1, "price": "5.00"}]}

    english = api("post", BULK, key, batch, HTTP_ACCEPT_LANGUAGE="en")
    french = api("post", BULK, key, batch, HTTP_ACCEPT_LANGUAGE="fr")

    assert "between €7.13 and €7.50" in english.json()["items"][0]["message"]
    assert "7,13" in french.json()["items"][0]["message"]


def test_full_sync_from_the_api(api, shop_a, book):
    ListingFactory(shop=shop_a, book=book, quantity=1)
    gone = ListingFactory(shop=shop_a, quantity=5)

    response = api(
        "post", BULK, key_for(shop_a), {"items": [{"ean": book.ean, "quantity": 2}], "full_sync": True}
    )

    # Half of the stock set to 0 is not "more than half": no confirmation asked.
    assert response.status_code == 200
    assert response.json()["summary"]["zeroed"] == 1
    gone.refresh_from_db()
    assert gone.quantity == 0


def test_a_one_item_full_sync_that_would_empty_the_shop_is_refused_until_confirmed(api, shop_a, book):
    # given a shop with 1,002 listings in stock
    key = key_for(shop_a)
    listings_in_stock(shop_a, 1_002)
    batch = {"items": [{"ean": book.ean, "quantity": 2}], "full_sync": True}

    # when its till sends a full sync of one book, then confirms it
    refused = api("post", BULK, key, batch, HTTP_ACCEPT_LANGUAGE="fr")
    untouched = Listing.objects.filter(shop=shop_a, quantity=2).count()
    applied = api("post", BULK, key, {**batch, "confirm_zeroing": True})

    # then the first answer says how many would go to 0, in French, and changes nothing
    assert refused.status_code == 409
    assert refused.json() == {
        "detail": "Offres en stock que cette synchronisation complète mettrait à 0\u00a0: 1002 sur 1002. Rien "
        "n’a été modifié. Si c’est bien ce que vous voulez, renvoyez la requête avec «\u00a0confirm_zeroing\u00a0»"
        "\u00a0: true.",
        "code": "zeroing_needs_confirmation",
        "zeroed": 1002,
        "in_stock": 1002,
        "confirm_with": "confirm_zeroing",
    }
    assert untouched == 1_002
    assert applied.status_code == 200
    assert applied.json()["summary"]["zeroed"] == 1_002
    assert dict(Listing.objects.filter(shop=shop_a).values_list("book__ean", "quantity")) == {
        **{listing.book.ean: 0 for listing in Listing.objects.filter(shop=shop_a).exclude(book=book)},
        book.ean: 2,
    }


def test_the_listings_of_the_keys_shop_are_listed_and_only_those(api, shop_a, shop_b, book):
    ListingFactory(shop=shop_a, book=book, quantity=2)
    ListingFactory(shop=shop_b, book=BookFactory(title="Chez Bravo"))

    response = api("get", LISTINGS, key_for(shop_a))

    assert response.status_code == 200
    assert [(item["ean"], item["quantity"]) for item in response.json()["results"]] == [("9782070368228", 2)]


def test_a_key_of_shop_b_can_never_read_or_change_shop_a(api, shop_a, shop_b, book):
    listing_a = ListingFactory(shop=shop_a, book=book, quantity=2, price=Decimal("7.50"))
    key_b = key_for(shop_b)

    listed = api("get", LISTINGS, key_b, {"ean": book.ean})
    changed = api("post", BULK, key_b, {"items": [{"ean": book.ean, "quantity": 0}], "full_sync": True})

    assert listed.json()["results"] == []
    # B's batch creates B's own listing of the book; A's is untouched, even by B's full sync.
    assert changed.json()["items"][0]["result"] == "create"
    listing_a.refresh_from_db()
    assert listing_a.quantity == 2
    assert Listing.objects.get(shop=shop_b).quantity == 0


@pytest.mark.parametrize(
    "authorization",
    ["", "Bearer ds_deadbeef_not-a-real-key", "Bearer", "Basic dXNlcjpwYXNz"],
    ids=["none", "unknown", "empty", "basic"],
)
def test_calls_without_a_valid_key_are_refused(client, shop_a, authorization):
    headers = {"HTTP_AUTHORIZATION": authorization} if authorization else {}

    response = client.get(LISTINGS, **headers)

    assert response.status_code == 401


def test_a_revoked_key_stops_working_at_once(api, shop_a):
    token, key = shop_services.api_token_create(shop=shop_a, name="Caisse", by=None)
    assert api("get", LISTINGS, key).status_code == 200

    shop_services.api_token_revoke(token=token)

    assert api("get", LISTINGS, key).status_code == 401


def test_a_logged_in_person_without_a_key_is_refused(client, shop_a):
    client.force_login(MembershipFactory(shop=shop_a).user)

    assert client.get(LISTINGS).status_code == 401


def test_keys_are_stored_hashed_and_their_use_recorded(api, shop_a):
    token, key = shop_services.api_token_create(shop=shop_a, name="Caisse", by=None)

    api("get", LISTINGS, key)

    token.refresh_from_db()
    assert key not in (token.key_hash, token.prefix)
    assert key.startswith(token.prefix + "_")
    assert token.last_used_at is not None
    assert timezone.now() - token.last_used_at < timezone.timedelta(minutes=1)


def test_a_malformed_body_is_refused_as_a_whole(api, shop_a):
    response = api("post", BULK, key_for(shop_a), {"items": "9782070368228"})

    assert response.status_code == 400
    assert "items" in response.json()


# --- Parameters of the listings -----------------------------------------------------------


def test_the_listings_are_narrowed_by_ean_condition_and_date_of_change(api, shop_a, book):
    key = key_for(shop_a)
    old = ListingFactory(shop=shop_a, quantity=1)
    new = ListingFactory(shop=shop_a, book=book, quantity=2)
    used = ListingFactory(shop=shop_a, book=book, condition="used_good", price=Decimal("3.00"))
    Listing.objects.filter(pk=old.pk).update(updated_at=datetime(2025, 3, 13, 23, 30, tzinfo=PARIS))
    Listing.objects.filter(pk__in=[new.pk, used.pk]).update(updated_at=datetime(2025, 3, 14, 9, tzinfo=PARIS))

    def eans_and_conditions(**params):
        response = api("get", LISTINGS, key, params)
        assert response.status_code == 200, response.json()
        return sorted((item["ean"], item["condition"]) for item in response.json()["results"])

    both = [(book.ean, "new"), (book.ean, "used_good")]
    assert eans_and_conditions(ean="978-2-07-036822-8") == both
    assert eans_and_conditions(ean="2-07-036822-X") == both  # its ISBN-10
    assert eans_and_conditions(ean=book.ean, condition="used_good") == [(book.ean, "used_good")]
    # A date is its midnight, a time without an offset is Paris time.
    assert eans_and_conditions(updated_since="2025-03-14") == both
    assert eans_and_conditions(updated_since="2025-03-13T23:00:00") == [(old.book.ean, "new"), *both]
    assert eans_and_conditions(updated_since="2025-03-14T08:30:00+01:00") == both
    # "+" unescaped in a query string arrives as a space.
    assert eans_and_conditions(updated_since="2025-03-13T22:00:00 00:00") == [(old.book.ean, "new"), *both]
    assert eans_and_conditions(updated_since="2025-03-14T08:00:01Z") == []


@pytest.mark.parametrize(
    ("params", "errors"),
    [
        ({"updated_since": "hier"}, {"updated_since": [
            "Donnez une date ISO 8601 (2025-03-14) ou une date et une heure (2025-03-14T09:30:00+01:00), et "
            "non «\u00a0hier\u00a0»."]}),
        ({"updated_since": "2025-02-30"}, {"updated_since": [
            "Donnez une date ISO 8601 (2025-03-14) ou une date et une heure (2025-03-14T09:30:00+01:00), et "
            "non «\u00a02025-02-30\u00a0»."]}),
        ({"ean": "9782070368229"}, {"ean": [
            "«\u00a09782070368229\u00a0» n’est pas un ISBN valide\u00a0: sa clé de contrôle ne correspond pas. "
            "Vérifiez qu’il n’y a pas de faute de frappe."]}),
        ({"condition": "abime"}, {"condition": ["«\u00a0abime\u00a0» n'est pas un choix valide."]}),
        ({"page": "deux"}, {"page": ["Un nombre entier valide est requis."]}),
        ({"page": "0"}, {"page": ["Assurez-vous que cette valeur est supérieure ou égale à\u00a01."]}),
        ({"page": "3"}, {"page": ["Il n’y a pas de page 3\u00a0: la dernière est la 1."]}),
    ],
    ids=["updated_since-words", "updated_since-no-such-day", "ean", "condition", "page-words", "page-0",
         "page-past-the-last"],
)  # fmt: skip
def test_a_bad_parameter_answers_400_naming_it_in_the_callers_language(api, shop_a, book, params, errors):
    ListingFactory(shop=shop_a, book=book)

    response = api("get", LISTINGS, key_for(shop_a), params, HTTP_ACCEPT_LANGUAGE="fr")

    assert response.status_code == 400
    assert response.json() == errors


def test_the_last_page_is_found_and_the_next_is_a_bad_parameter(api, shop_a):
    key = key_for(shop_a)
    listings_in_stock(shop_a, 101)

    second = api("get", LISTINGS, key, {"page": "2"})
    last = api("get", LISTINGS, key, {"page": "last"})
    third = api("get", LISTINGS, key, {"page": "3"})

    assert (second.status_code, len(second.json()["results"]), second.json()["count"]) == (200, 1, 101)
    assert last.json()["results"] == second.json()["results"]
    assert third.status_code == 400
    assert third.json() == {"page": ["There is no page 3: the last one is 2."]}


# --- Keys in the admin ----------------------------------------------------------------------


def test_a_bookseller_creates_a_key_sees_it_once_and_revokes_it(client, shop_a):
    owner = MembershipFactory(shop=shop_a).user
    client.force_login(owner)

    created = client.post(reverse("admin:shops_shopapitoken_add"), {"shop": shop_a.pk, "name": "Caisse"})
    key = created.context["key"]
    token = ShopApiToken.objects.get()
    listing = client.get(reverse("admin:shops_shopapitoken_changelist"))
    client.post(
        reverse("admin:shops_shopapitoken_changelist"), {"action": "revoke", "_selected_action": [token.pk]}
    )

    assert created.status_code == 200
    assert key.startswith("ds_")
    assert key not in listing.text
    token.refresh_from_db()
    assert token.revoked_at is not None


def test_a_bookseller_cannot_create_or_revoke_keys_of_another_shop(client, shop_a, shop_b):
    token_a, _key = shop_services.api_token_create(shop=shop_a, name="Caisse A", by=None)
    client.force_login(MembershipFactory(shop=shop_b).user)

    created = client.post(reverse("admin:shops_shopapitoken_add"), {"shop": shop_a.pk, "name": "Pirate"})
    listing = client.get(reverse("admin:shops_shopapitoken_changelist"))
    client.post(
        reverse("admin:shops_shopapitoken_changelist"), {"action": "revoke", "_selected_action": [token_a.pk]}
    )

    assert "shop" in created.context["adminform"].form.errors
    assert "Caisse A" not in listing.text
    token_a.refresh_from_db()
    assert token_a.revoked_at is None
    assert ShopApiToken.objects.count() == 1


# --- Documentation -------------------------------------------------------------------------


def test_the_openapi_schema_documents_the_stock_endpoints(client):
    response = client.get("/api/schema/", HTTP_ACCEPT="application/json")

    schema = response.json()
    assert {BULK, LISTINGS} <= set(schema["paths"])
    assert "shopApiKey" in schema["components"]["securitySchemes"]


def test_the_api_documentation_page_uses_no_cdn(client):
    response = client.get("/api/docs/")

    assert response.status_code == 200
    assert "cdn" not in response.text.lower()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/" in response.text


def test_every_key_is_recognised_whatever_characters_its_secret_holds(shop_a):
    from shops.selectors import api_token_for_key

    for _ in range(200):  # secrets are url-safe base64: "_" and "-" appear often
        token, key = shop_services.api_token_create(shop=shop_a, name="Caisse", by=None)
        assert api_token_for_key(key) == token
