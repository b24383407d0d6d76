"""The public read API about drives and bookshops: anonymous, paginated, throttled."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from shops.api.views import PublicPagination, PublicReadThrottle
from shops.geo import haversine_km
from shops.models import Shop
from tests.factories import DriveFactory, ShopFactory

pytestmark = pytest.mark.django_db

LORIENT = (47.7507, -3.3789)


@pytest.fixture
def drives():
    return {
        "lorient": DriveFactory(name="Drive Lorient Keryado", slug="lorient", town="Lorient", postcode="56100",
                                latitude=47.754, longitude=-3.39),
        "vannes": DriveFactory(name="Drive Vannes", slug="vannes", town="Vannes", postcode="56000",
                               latitude=47.66, longitude=-2.76),
        "lille": DriveFactory(name="Drive Lille", slug="lille", town="Lille", postcode="59000",
                              latitude=50.63, longitude=3.05),
    }  # fmt: skip


@pytest.fixture
def shops(drives):
    port = ShopFactory(trade_name="Librairie du Port", latitude=47.75, longitude=-3.37)
    mots = ShopFactory(trade_name="Les Mots Voyageurs", latitude=47.77, longitude=-3.32)
    vannes = ShopFactory(trade_name="Le Silence de la Mer", town="Vannes", postcode="56000",
                         latitude=47.658, longitude=-2.757)  # fmt: skip
    port.drives.add(drives["lorient"])
    mots.drives.add(drives["lorient"], drives["vannes"])
    vannes.drives.add(drives["vannes"])
    return {"port": port, "mots": mots, "vannes": vannes}


def slugs(response) -> list[str]:
    return [item["slug"] for item in response.json()["results"]]


# --- Drives ----------------------------------------------------------------------------


def test_drives_are_listed_by_town_with_their_region_and_web_page(api, drives):
    DriveFactory(slug="closed", town="Auray", is_active=False)

    response = api("/api/v1/drives/")

    assert response.status_code == 200
    assert slugs(response) == ["lille", "lorient", "vannes"]
    lorient = response.json()["results"][1]
    assert lorient == {
        "slug": "lorient",
        "name": "Drive Lorient Keryado",
        "address": "1 avenue du Marché",
        "postcode": "56100",
        "town": "Lorient",
        "region": "BRE",
        "region_name": "Bretagne",
        "latitude": 47.754,
        "longitude": -3.39,
        "distance_km": None,
        "url": "http://testserver/en/drives/lorient/",
    }


def test_drives_come_fifty_a_page_and_the_next_link_leads_to_the_rest(api):
    DriveFactory.create_batch(53)

    first = api("/api/v1/drives/").json()
    second = api(first["next"]).json()

    assert (first["count"], len(first["results"]), first["previous"]) == (53, 50, None)
    assert len(second["results"]) == 3
    assert second["next"] is None
    assert api(second["previous"]).json() == first


def test_drives_near_a_point_come_nearest_first_with_their_distance_up_to_100_km(api, drives):
    response = api("/api/v1/drives/", {"near": "47.7507,-3.3789"})

    results = response.json()["results"]
    assert [drive["slug"] for drive in results] == ["lorient", "vannes"]
    assert results[0]["distance_km"] == round(haversine_km(*LORIENT, 47.754, -3.39), 1)
    assert results[1]["distance_km"] == round(haversine_km(*LORIENT, 47.66, -2.76), 1)


def test_drives_are_found_by_town_or_postcode(api, drives):
    assert slugs(api("/api/v1/drives/", {"q": "lorient"})) == ["lorient", "vannes"]
    assert slugs(api("/api/v1/drives/", {"q": "56100"})) == ["lorient", "vannes"]
    assert slugs(api("/api/v1/drives/", {"q": "Atlantide"})) == []


def test_drives_are_filtered_by_region_alone_or_with_another_filter(api, drives):
    assert slugs(api("/api/v1/drives/", {"region": "HDF"})) == ["lille"]
    assert slugs(api("/api/v1/drives/", {"region": "HDF", "near": "47.75,-3.37"})) == []
    assert slugs(api("/api/v1/drives/", {"region": "BRE", "q": "vannes"})) == ["vannes", "lorient"]
    assert slugs(api("/api/v1/drives/", {"region": "HDF", "q": "vannes"})) == []


def test_a_drive_shows_its_open_partner_shops_by_name(api, drives, shops):
    ShopFactory(trade_name="Pending", status=Shop.Status.PENDING).drives.add(drives["lorient"])

    response = api("/api/v1/drives/lorient/")

    assert response.status_code == 200
    body = response.json()
    assert body["name"] == "Drive Lorient Keryado"
    assert [shop["name"] for shop in body["shops"]] == ["Les Mots Voyageurs", "Librairie du Port"]
    assert body["shops"][1]["url"] == f"http://testserver/en/bookshops/{shops['port'].slug}/"


def test_an_unknown_or_inactive_drive_is_not_found(api, drives):
    DriveFactory(slug="closed", is_active=False)

    assert api("/api/v1/drives/nope/").status_code == 404
    assert api("/api/v1/drives/closed/").status_code == 404


# --- Shops -----------------------------------------------------------------------------


def test_only_open_shops_are_listed_by_name(api, shops):
    for status in (Shop.Status.PENDING, Shop.Status.REJECTED, Shop.Status.SUSPENDED):
        ShopFactory(trade_name=f"Librairie {status}", status=status)

    response = api("/api/v1/shops/")

    assert response.status_code == 200
    assert [shop["name"] for shop in response.json()["results"]] == [
        "Le Silence de la Mer",
        "Les Mots Voyageurs",
        "Librairie du Port",
    ]


def test_a_shop_is_described_with_its_active_drives_and_pages(api, drives, shops):
    drives["lille"].is_active = False
    drives["lille"].save()
    shops["mots"].drives.add(drives["lille"])

    response = api(f"/api/v1/shops/{shops['mots'].slug}/")

    assert response.status_code == 200
    body = response.json()
    assert body["name"] == "Les Mots Voyageurs"
    assert body["phone"] == "+33297640000"
    assert body["logo_url"] is None
    assert body["distance_km"] is None
    assert [drive["slug"] for drive in body["drives"]] == ["lorient", "vannes"]
    assert body["url"] == f"http://testserver/en/bookshops/{shops['mots'].slug}/"


@pytest.mark.parametrize("status", [Shop.Status.PENDING, Shop.Status.REJECTED, Shop.Status.SUSPENDED])
def test_a_shop_that_is_not_open_is_not_found(api, status):
    shop = ShopFactory(status=status)

    assert api(f"/api/v1/shops/{shop.slug}/").status_code == 404


def test_shops_near_a_point_come_nearest_first_within_the_radius(api, shops):
    nearby = api("/api/v1/shops/", {"near": "47.7507,-3.3789"}).json()["results"]
    wider = api("/api/v1/shops/", {"near": "47.7507,-3.3789", "radius": 100}).json()["results"]

    assert [shop["name"] for shop in nearby] == ["Librairie du Port", "Les Mots Voyageurs"]
    assert nearby[0]["distance_km"] == round(haversine_km(*LORIENT, 47.75, -3.37), 1)
    assert [shop["name"] for shop in wider][-1] == "Le Silence de la Mer"


def test_shops_around_a_drive_are_measured_from_the_drive(api, shops):
    response = api("/api/v1/shops/", {"drive": "vannes", "radius": 5})

    assert [shop["name"] for shop in response.json()["results"]] == ["Le Silence de la Mer"]
    assert response.json()["results"][0]["distance_km"] == round(
        haversine_km(47.66, -2.76, 47.658, -2.757), 1
    )


def test_shops_near_a_point_are_paginated_too(api, shops, monkeypatch):
    monkeypatch.setattr(PublicPagination, "page_size", 1)

    first = api("/api/v1/shops/", {"near": "47.7507,-3.3789"}).json()
    second = api(first["next"]).json()

    assert first["count"] == 2
    assert [shop["name"] for shop in first["results"] + second["results"]] == [
        "Librairie du Port",
        "Les Mots Voyageurs",
    ]
    assert second["next"] is None


# --- Bad parameters --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "params", "field"),
    [
        ("/api/v1/drives/", {"near": "abc"}, "near"),
        ("/api/v1/drives/", {"near": "47.75"}, "near"),
        ("/api/v1/drives/", {"near": "95,0"}, "near"),
        ("/api/v1/drives/", {"near": "47,200"}, "near"),
        ("/api/v1/drives/", {"near": "nan,0"}, "near"),
        ("/api/v1/drives/", {"near": "47.75,-3.37", "q": "lorient"}, "near"),
        ("/api/v1/drives/", {"region": "XX"}, "region"),
        ("/api/v1/drives/", {"q": "x" * 101}, "q"),
        ("/api/v1/drives/", {"page": "0"}, "page"),
        ("/api/v1/drives/", {"page": "x"}, "page"),
        ("/api/v1/shops/", {"near": "47.75,-3.37", "radius": "0"}, "radius"),
        ("/api/v1/shops/", {"near": "47.75,-3.37", "radius": "500"}, "radius"),
        ("/api/v1/shops/", {"near": "47.75,-3.37", "radius": "ten"}, "radius"),
        ("/api/v1/shops/", {"drive": "nope"}, "drive"),
        ("/api/v1/shops/", {"drive": "no pe"}, "drive"),
        ("/api/v1/shops/", {"drive": "lorient", "near": "47.75,-3.37"}, "near"),
        ("/api/v1/shops/", {"page": "-1"}, "page"),
    ],
)
def test_a_bad_parameter_is_refused_with_a_400_naming_it(api, drives, url, params, field):
    response = api(url, params)

    assert response.status_code == 400
    assert list(response.json()) == [field]
    assert all(isinstance(message, str) and message for message in response.json()[field])


def test_a_page_past_the_last_one_is_not_found(api, drives):
    assert api("/api/v1/drives/", {"page": 2}).status_code == 404


def test_error_messages_follow_the_accept_language(api):
    english = api("/api/v1/drives/", {"page": "x"}).json()
    french = api("/api/v1/drives/", {"page": "x"}, HTTP_ACCEPT_LANGUAGE="fr").json()

    assert english == {"page": ["A valid integer is required."]}
    assert french == {"page": ["Un nombre entier valide est requis."]}


def test_a_bad_point_is_explained(api):
    response = api("/api/v1/drives/", {"near": "95,0"})

    assert response.json() == {"near": ["The latitude must be between -90 and 90."]}


# --- Costs and limits ------------------------------------------------------------------


def queries_for(api, url, params=None) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert api(url, params).status_code == 200
    return len(queries)


def test_each_endpoint_costs_the_same_queries_for_few_or_many_rows(api, drives, shops):
    drive, point = drives["lorient"], {"near": "47.7507,-3.3789"}
    calls = [  # and what each query is for
        ("/api/v1/drives/", None),  # count, page
        ("/api/v1/drives/", point),  # the drives within 100 km
        ("/api/v1/drives/", {"q": "lorient"}),  # the town, the drives within 100 km of it
        ("/api/v1/drives/lorient/", None),  # drive, partners
        ("/api/v1/shops/", None),  # count, page, their drives
        ("/api/v1/shops/", point),  # the shops within the radius, the page's shops, their drives
        ("/api/v1/shops/", {"drive": "lorient"}),  # the drive, then as above
        (f"/api/v1/shops/{shops['mots'].slug}/", None),  # shop, its drives
    ]
    few = [queries_for(api, url, params) for url, params in calls]

    for number in range(6):
        DriveFactory(name=f"Drive Lorient {number}", town="Lorient", latitude=47.75 + number / 100)
        shop = ShopFactory(latitude=47.75 + number / 100, longitude=-3.37)
        shop.drives.add(drive)
        shops["mots"].drives.add(DriveFactory())
    many = [queries_for(api, url, params) for url, params in calls]

    assert many == few
    assert few == [2, 1, 2, 2, 3, 3, 4, 2]


def test_a_browser_gets_the_browsable_pages_of_every_endpoint(api, drives, shops):
    for url in (
        "/api/v1/drives/",
        "/api/v1/drives/lorient/",
        "/api/v1/shops/",
        f"/api/v1/shops/{shops['port'].slug}/",
    ):
        response = api(url, HTTP_ACCEPT="text/html")

        assert (url, response.status_code, response["Content-Type"]) == (url, 200, "text/html; charset=utf-8")


def test_anonymous_callers_are_throttled(api, monkeypatch):
    monkeypatch.setattr(PublicReadThrottle, "rate", "3/min")

    statuses = [api("/api/v1/drives/").status_code for _ in range(4)]

    assert statuses == [200, 200, 200, 429]


def test_the_schema_documents_the_drive_and_shop_endpoints(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()

    for path in ("/api/v1/drives/", "/api/v1/drives/{slug}/", "/api/v1/shops/", "/api/v1/shops/{slug}/"):
        assert schema["paths"][path]["get"]["tags"] in (["drives"], ["shops"])
    drive_parameters = {
        parameter["name"] for parameter in schema["paths"]["/api/v1/drives/"]["get"]["parameters"]
    }
    assert drive_parameters == {"q", "near", "region", "page"}
    assert "PaginatedShopList" in schema["components"]["schemas"]
