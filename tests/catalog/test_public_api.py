"""The public search and availability API: the web search, as JSON, near a drive or a point."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from catalog.models import Listing, Subject
from catalog.search_index import search_index_refresh, search_vocabulary_refresh
from shops.geo import haversine_km
from shops.models import Shop
from tests.factories import BookFactory, DriveFactory, ListingFactory, ShopFactory

pytestmark = pytest.mark.django_db

LORIENT = (47.7507, -3.3789)
SEARCH = "/api/v1/search/"
CAMUS = [{"name": "Albert Camus", "role": "author"}]


def availability(ean: str) -> str:
    return f"/api/v1/books/{ean}/availability/"


@pytest.fixture
def drive():
    return DriveFactory(name="Drive Lorient Keryado", slug="lorient", latitude=47.754, longitude=-3.39)


@pytest.fixture
def shops():
    return {
        "port": ShopFactory(trade_name="Librairie du Port", latitude=47.75, longitude=-3.37),
        "mots": ShopFactory(trade_name="Les Mots Voyageurs", latitude=47.77, longitude=-3.32),
        "quimper": ShopFactory(trade_name="Ravy", town="Quimper", latitude=47.996, longitude=-4.102),
    }


@pytest.fixture
def books(shops):
    stranger = BookFactory(
        ean="9782070360024",
        title="L'Étranger",
        contributors=[{"name": "Albert Camus", "role": "author"},
                      {"name": "Jacques Ferrandez", "role": "illustrator"}],
        publisher="Gallimard",
        list_price=Decimal("8.50"),
        cover_thumbnail="covers/thumbnails/9782070360024-abcd1234.webp",
    )  # fmt: skip
    plague = BookFactory(
        ean="9782070360420", title="La Peste", list_price=Decimal("9.20"), contributors=CAMUS
    )
    fall = BookFactory(ean="9782070360116", title="La Chute", list_price=Decimal("6.90"), contributors=CAMUS)
    ListingFactory(shop=shops["port"], book=stranger, price=Decimal("8.50"), quantity=1)
    ListingFactory(
        shop=shops["mots"], book=stranger, price=Decimal("4.00"), condition=Listing.Condition.USED_GOOD
    )
    ListingFactory(shop=shops["quimper"], book=stranger, price=Decimal("8.50"))
    ListingFactory(shop=shops["mots"], book=plague, price=Decimal("9.20"))
    ListingFactory(shop=shops["port"], book=fall, price=Decimal("6.90"))
    search_index_refresh()
    search_vocabulary_refresh()
    return {"stranger": stranger, "plague": plague, "fall": fall}


def titles(response) -> list[str]:
    return [book["title"] for book in response.json()["results"]]


# --- Search ----------------------------------------------------------------------------


def test_search_finds_books_in_stock_near_a_drive_with_their_offers_summed_up(api, drive, books):
    response = api(SEARCH, {"drive": "lorient", "q": "étranger"})

    assert response.status_code == 200
    body = response.json()
    assert {key: body[key] for key in ("count", "next", "previous", "page", "pages", "corrections", "isbn")} == {
        "count": 1, "next": None, "previous": None, "page": 1, "pages": 1, "corrections": {}, "isbn": "",
    }  # fmt: skip
    assert body["results"] == [
        {
            "ean": "9782070360024",
            "title": "L'Étranger",
            "subtitle": "",
            "authors": "Albert Camus",
            "contributors": [
                {"name": "Albert Camus", "role": "author"},
                {"name": "Jacques Ferrandez", "role": "illustrator"},
            ],
            "publisher": "Gallimard",
            "cover_thumbnail_url": "http://testserver/media/covers/thumbnails/9782070360024-abcd1234.webp",
            "list_price": "8.50",
            "min_price": "4.00",
            "max_price": "8.50",
            "shop_count": 2,  # Quimper is too far
            "has_new": True,
            "has_used": True,
            "nearest_km": round(haversine_km(47.754, -3.39, 47.75, -3.37), 1),
            "url": "http://testserver/en/books/9782070360024/",
            "kind": "book",
            "attributes": {},
        }
    ]


def test_search_around_a_point_reaches_as_far_as_the_radius(api, books):
    near = api(SEARCH, {"lat": LORIENT[0], "lon": LORIENT[1], "q": "étranger"}).json()
    wide = api(SEARCH, {"lat": LORIENT[0], "lon": LORIENT[1], "q": "étranger", "radius": 100}).json()

    assert near["results"][0]["shop_count"] == 2
    assert wide["results"][0]["shop_count"] == 3


def test_search_pages_link_to_each_other_until_the_last(api, drive, books):
    first = api(SEARCH, {"drive": "lorient", "q": "camus", "page_size": 2, "sort": "price"}).json()
    second = api(first["next"]).json()

    assert (first["count"], first["pages"], first["page"], first["previous"]) == (3, 2, 1, None)
    assert [book["title"] for book in first["results"]] == ["L'Étranger", "La Chute"]
    assert (second["page"], second["next"]) == (2, None)
    assert [book["title"] for book in second["results"]] == ["La Peste"]
    assert "page=" not in second["previous"]
    assert api(second["previous"]).json() == first


def test_a_search_matching_too_many_books_says_there_are_more(api, drive, books, monkeypatch):
    monkeypatch.setattr("catalog.search.MOST_RELEVANT", 2)

    by_relevance = api(SEARCH, {"drive": "lorient", "q": "camus"}).json()
    by_price = api(SEARCH, {"drive": "lorient", "q": "camus", "sort": "price"}).json()

    assert (by_relevance["count"], by_relevance["more"], len(by_relevance["results"])) == (2, True, 2)
    assert (by_price["count"], by_price["more"], len(by_price["results"])) == (3, False, 3)


def test_a_page_past_the_last_is_empty_but_says_how_many_there_are(api, drive, books):
    body = api(SEARCH, {"drive": "lorient", "q": "camus", "page": 9}).json()

    assert (body["count"], body["pages"], body["results"], body["next"]) == (3, 1, [], None)
    assert "page=" not in body["previous"]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"condition": "used"}, ["L'Étranger"]),
        ({"condition": "new", "sort": "price"}, ["La Chute", "L'Étranger", "La Peste"]),
        ({"price_min": "7", "price_max": "9", "sort": "price"}, ["L'Étranger"]),
        ({"price_max": "5"}, ["L'Étranger"]),
        ({"sort": "nearest"}, ["L'Étranger", "La Chute", "La Peste"]),
    ],
)
def test_search_filters_and_sorts_like_the_web_page(api, drive, books, params, expected):
    response = api(SEARCH, {"drive": "lorient", "q": "camus", **params})

    assert titles(response) == expected


def test_search_can_be_narrowed_to_one_shop(api, drive, books, shops):
    response = api(SEARCH, {"drive": "lorient", "shop": shops["mots"].pk, "sort": "price"})

    assert titles(response) == ["L'Étranger", "La Peste"]


def test_search_by_subject_includes_the_subjects_under_it(api, drive, books):
    literature = Subject.objects.create(code="3435", label="Littérature générale")
    Subject.objects.create(code="3436", label="Romans", parent=literature)
    books["plague"].clil_code = "3436"
    books["plague"].save()

    assert titles(api(SEARCH, {"drive": "lorient", "subject": "3435"})) == ["La Peste"]


def test_an_isbn_finds_its_book_and_a_typo_is_corrected(api, drive, books):
    by_isbn = api(SEARCH, {"drive": "lorient", "q": "978-2-07-036042-0"}).json()
    typo = api(SEARCH, {"drive": "lorient", "q": "pestte"}).json()

    assert (by_isbn["isbn"], [book["title"] for book in by_isbn["results"]]) == (
        "9782070360420",
        ["La Peste"],
    )
    assert typo["corrections"] == {"pestt": "pest"}
    assert [book["title"] for book in typo["results"]] == ["La Peste"]


# --- Availability ----------------------------------------------------------------------


def test_a_books_offers_come_nearest_first_with_the_shop_and_the_stock_left(api, drive, books, shops):
    response = api(availability("9782070360024"), {"drive": "lorient"})

    assert response.status_code == 200
    body = response.json()
    assert body["book"]["title"] == "L'Étranger"
    assert body["book"]["isbn"] == "978-2-07-036002-4"
    assert body["book"]["authors"] == "Albert Camus"
    assert body["book"]["url"] == "http://testserver/en/books/9782070360024/"
    assert body["book"]["cover_url"] is None
    offered = {(listing.shop_id, listing.condition): listing.pk for listing in Listing.objects.all()}
    assert body["offers"] == [
        {
            "listing": offered[(shops["port"].pk, "new")],
            "shop": {
                "slug": shops["port"].slug,
                "name": "Librairie du Port",
                "town": "Lorient",
                "distance_km": round(haversine_km(47.754, -3.39, 47.75, -3.37), 1),
                "url": f"http://testserver/en/bookshops/{shops['port'].slug}/",
            },
            "price": "8.50",
            "condition": "new",
            "condition_label": "New",
            "stock": "last_copy",
        },
        {
            "listing": offered[(shops["mots"].pk, "used_good")],
            "shop": {
                "slug": shops["mots"].slug,
                "name": "Les Mots Voyageurs",
                "town": "Lorient",
                "distance_km": round(haversine_km(47.754, -3.39, 47.77, -3.32), 1),
                "url": f"http://testserver/en/bookshops/{shops['mots'].slug}/",
            },
            "price": "4.00",
            "condition": "used_good",
            "condition_label": "Used — good",
            "stock": "in_stock",
        },
    ]


def test_availability_reaches_as_far_as_the_radius_around_a_point(api, books):
    near = api(availability("9782070360024"), {"lat": LORIENT[0], "lon": LORIENT[1], "radius": 1}).json()
    wide = api(availability("9782070360024"), {"lat": LORIENT[0], "lon": LORIENT[1], "radius": 100}).json()

    assert [offer["shop"]["name"] for offer in near["offers"]] == ["Librairie du Port"]
    assert [offer["shop"]["name"] for offer in wide["offers"]][-1] == "Ravy"


def test_availability_leaves_out_shops_that_are_not_open_and_copies_not_for_sale(api, drive, books, shops):
    Shop.objects.filter(pk=shops["mots"].pk).update(status=Shop.Status.SUSPENDED)
    ListingFactory(shop=ShopFactory(status=Shop.Status.PENDING), book=books["stranger"])
    hidden = ShopFactory(trade_name="Hidden")
    ListingFactory(shop=hidden, book=books["stranger"], status=Listing.Status.HIDDEN)
    ListingFactory(shop=hidden, book=books["stranger"], condition=Listing.Condition.USED_GOOD, quantity=0)

    response = api(availability("9782070360024"), {"drive": "lorient"})

    assert [offer["shop"]["name"] for offer in response.json()["offers"]] == ["Librairie du Port"]


@pytest.mark.parametrize("written", ["978-2-07-036002-4", "2070360024", "2-07-036002-4"])
def test_the_ean_may_be_written_with_hyphens_or_as_an_isbn_10(api, drive, books, written):
    response = api(availability(written), {"drive": "lorient"})

    assert response.status_code == 200
    assert response.json()["book"]["ean"] == "9782070360024"


def test_a_book_not_in_the_catalogue_is_not_found(api, drive):
    assert api(availability("9782070368228"), {"drive": "lorient"}).status_code == 404


# --- Bad parameters --------------------------------------------------------------------

AROUND = {"lat": "47.75", "lon": "-3.37"}


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"lat": "abc", "lon": "-3.37"}, "lat"),
        ({"lat": "95", "lon": "-3.37"}, "lat"),
        ({"lat": "nan", "lon": "-3.37"}, "lat"),
        ({"lat": "47.75", "lon": "200"}, "lon"),
        ({"lat": "47.75"}, "lon"),
        ({"lon": "-3.37"}, "lat"),
        ({}, "drive"),
        ({"drive": "nope"}, "drive"),
        ({"drive": "lorient", **AROUND}, "drive"),
        ({**AROUND, "radius": "0"}, "radius"),
        ({**AROUND, "radius": "500"}, "radius"),
        ({**AROUND, "radius": "2.5"}, "radius"),
        ({**AROUND, "page": "0"}, "page"),
        ({**AROUND, "page": "x"}, "page"),
        ({**AROUND, "page": "1001"}, "page"),
        ({**AROUND, "page_size": "100"}, "page_size"),
        ({**AROUND, "page_size": "0"}, "page_size"),
        ({**AROUND, "sort": "evil"}, "sort"),
        ({**AROUND, "condition": "broken"}, "condition"),
        ({**AROUND, "price_min": "-1"}, "price_min"),
        ({**AROUND, "price_min": "cheap"}, "price_min"),
        ({**AROUND, "price_max": "12.345"}, "price_max"),
        ({**AROUND, "price_min": "20", "price_max": "10"}, "price_max"),
        ({**AROUND, "shop": "x"}, "shop"),
        ({**AROUND, "subject": "litt"}, "subject"),
        ({**AROUND, "subject": "9999"}, "subject"),
        ({**AROUND, "q": "x" * 201}, "q"),
    ],
)
def test_a_bad_search_parameter_is_refused_with_a_400_naming_it(api, drive, params, field):
    response = api(SEARCH, params)

    assert response.status_code == 400
    assert list(response.json()) == [field]


@pytest.mark.parametrize(
    ("ean", "params", "field"),
    [
        ("9782070360025", {"drive": "lorient"}, "ean"),
        ("123", {"drive": "lorient"}, "ean"),
        ("2900000000018", {"drive": "lorient"}, "ean"),  # an in-store code, no product's
        ("9782070360024", {}, "drive"),
        ("9782070360024", {"drive": "nope"}, "drive"),
        ("9782070360024", {**AROUND, "radius": "101"}, "radius"),
        ("9782070360024", {"lat": "-91", "lon": "0"}, "lat"),
    ],
)
def test_a_bad_availability_parameter_is_refused_with_a_400_naming_it(api, drive, books, ean, params, field):
    response = api(availability(ean), params)

    assert response.status_code == 400
    assert list(response.json()) == [field]


def test_a_bad_ean_and_a_missing_location_are_reported_together(api):
    response = api(availability("9782070360025"))

    assert response.json() == {
        "drive": ["Say where to look: give drive (a drive's slug), or lat and lon."],
        "ean": [
            "“9782070360025” is not a valid ISBN: its check digit does not match. Check for a typing error."
        ],
    }


def test_messages_explain_what_to_give(api, drive):
    assert api(SEARCH).json() == {
        "drive": ["Say where to look: give drive (a drive's slug), or lat and lon."]
    }
    assert api(SEARCH, {"drive": "nope"}).json() == {"drive": ["No drive has the slug “nope”."]}
    assert api(SEARCH, {**AROUND, "price_min": "20", "price_max": "10"}).json() == {
        "price_max": ["The highest price must not be below the lowest."]
    }


def test_messages_are_in_the_language_the_client_asks_for(api, drive):
    response = api(SEARCH, {**AROUND, "page_size": "100"}, HTTP_ACCEPT_LANGUAGE="fr")

    assert response.json() == {"page_size": ["Assurez-vous que cette valeur est inférieure ou égale à 50."]}
    assert response["Content-Language"] == "fr"


# --- Costs and documentation -----------------------------------------------------------


def queries_for(api, url, params) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert api(url, params).status_code == 200
    return len(queries)


def test_search_and_availability_cost_the_same_queries_for_few_or_many_results(api, drive, books, shops):
    book = books["stranger"]
    calls = [  # and what each query is for
        (SEARCH, {"drive": "lorient", "page_size": 50}),  # drive, shops around, results
        # subject check, shops around, words and which the vocabulary knows, subjects under, results
        (SEARCH, {**AROUND, "q": "camus", "page_size": 50, "subject": "3435", "condition": "new"}),
        # drive, book, offers (the shops around Lorient are cached by the first call)
        (availability(book.ean), {"drive": "lorient"}),
    ]
    Subject.objects.create(code="3435", label="Littérature générale")
    few = [queries_for(api, url, params) for url, params in calls]

    for number in range(8):
        shop = ShopFactory(latitude=47.75 + number / 1000, longitude=-3.37)
        ListingFactory(shop=shop, book=book)
        essay = BookFactory(title=f"Noces {number}", clil_code="3435", contributors=CAMUS)
        ListingFactory(shop=shop, book=essay)
    search_index_refresh()
    search_vocabulary_refresh()
    many = [queries_for(api, url, params) for url, params in calls]

    assert many == few
    assert few == [3, 5, 3]


def test_a_browser_gets_the_browsable_pages_of_search_and_availability(api, drive, books):
    search = api(SEARCH, {"drive": "lorient"}, HTTP_ACCEPT="text/html")
    book = api(availability("9782070360024"), {"drive": "lorient"}, HTTP_ACCEPT="text/html")

    assert (search.status_code, book.status_code) == (200, 200)
    assert "Étranger" in book.text


def test_the_schema_documents_the_search_and_availability(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()

    search = schema["paths"]["/api/v1/search/"]["get"]
    assert search["tags"] == ["search"]
    assert {parameter["name"] for parameter in search["parameters"]} == {
        "drive", "lat", "lon", "q", "radius", "condition", "shop", "price_min", "price_max", "subject", "kind", "sort",
        "page", "page_size",
    }  # fmt: skip
    assert set(search["responses"]) == {"200", "400", "406", "429"}
    book = schema["paths"]["/api/v1/books/{ean}/availability/"]["get"]
    assert {parameter["name"] for parameter in book["parameters"]} == {"ean", "drive", "lat", "lon", "radius"}
    assert {"SearchResults", "BookResult", "Availability", "Offer"} <= set(schema["components"]["schemas"])
