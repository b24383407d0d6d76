"""The shop window's pages: drive choice, search, book page, shop page."""

import gzip
from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from catalog.search_index import search_index_refresh, search_vocabulary_refresh
from shops.models import Shop
from tests.factories import BookFactory, DriveFactory, ListingFactory, ShopFactory

pytestmark = pytest.mark.django_db


def en(name, *args):
    with translation.override("en"):
        return reverse(name, args=args)


@pytest.fixture
def drive():
    return DriveFactory(name="Drive Lorient Keryado", slug="lorient", town="Lorient", postcode="56100",
                        latitude=47.754, longitude=-3.39)  # fmt: skip


@pytest.fixture
def shops():
    return [
        ShopFactory(trade_name="Librairie du Port", latitude=47.75, longitude=-3.37),
        ShopFactory(trade_name="Les Mots Voyageurs", latitude=47.77, longitude=-3.32),
    ]


class Visitor:
    """A browser that follows redirects (pages put the chosen drive in their address)."""

    def __init__(self, client):
        self.client = client

    def get(self, *args, **kwargs):
        return self.client.get(*args, follow=True, **kwargs)


@pytest.fixture
def visitor(client, drive):
    """A visitor who chose the Lorient drive."""
    client.post(en("drive_choose", drive.slug))
    return Visitor(client)


def stock(shop, count, word="roman"):
    books = []
    for number in range(count):
        book = BookFactory(title=f"Un {word} numéro {number}", list_price=Decimal("10.00"))
        ListingFactory(shop=shop, book=book, price=Decimal("10.00"))
        books.append(book)
    search_index_refresh()
    search_vocabulary_refresh()
    return books


def test_choosing_a_drive_keeps_it_and_shows_it_in_every_page(client, drive):
    response = client.post(en("drive_choose", drive.slug), {"next": en("home")})

    assert response["Location"] == en("home")
    page = client.get(en("home"))
    assert "Drive Lorient Keryado" in page.text
    assert page.context["chosen_drive"].slug == "lorient"


def test_choosing_refuses_a_next_address_on_another_site(client, drive):
    response = client.post(en("drive_choose", drive.slug), {"next": "https://evil.example/"})

    assert response["Location"] == en("search")


def test_a_drive_is_found_by_postcode_or_town_and_all_are_listed_by_region(client, drive):
    DriveFactory(
        name="Drive Vannes", slug="vannes", town="Vannes", postcode="56000", latitude=47.66, longitude=-2.76
    )
    DriveFactory(
        name="Drive Lille", slug="lille", town="Lille", postcode="59000", latitude=50.63, longitude=3.05
    )

    by_postcode = client.get(en("drives"), {"q": "56100"}).context["matches"]
    by_town = client.get(en("drives"), {"q": "lorient"}).context["matches"]
    unknown = client.get(en("drives"), {"q": "Atlantide"})
    by_region = client.get(en("drives")).context["regions"]

    assert [d.slug for d in by_postcode][:2] == ["lorient", "vannes"]
    assert [d.slug for d in by_town] == [d.slug for d in by_postcode]
    assert unknown.context["matches"] == []
    assert "No drive found" in unknown.text
    assert {region: [d.slug for d in drives] for region, drives in by_region.items()} == {
        "Bretagne": ["lorient", "vannes"],
        "Hauts-de-France": ["lille"],
    }


def test_a_drive_page_lists_its_approved_partner_shops(client, drive, shops):
    shops[0].drives.add(drive)
    ShopFactory(trade_name="Pas encore", status=Shop.Status.PENDING).drives.add(drive)

    page = client.get(en("drive", drive.slug))

    assert "Librairie du Port" in page.text
    assert "Pas encore" not in page.text


def test_search_asks_for_a_drive_first(client):
    page = client.get(en("search"), {"q": "roman"})

    assert page.status_code == 200
    assert page.context["needs_drive"]


def test_search_page_shows_the_books_nearby(visitor, shops):
    stock(shops[0], 3)

    page = visitor.get(en("search"), {"q": "roman"})

    assert page.context["found"].total == 3
    assert "Un roman numéro 0" in page.text
    assert "3 products within 30 km of Drive Lorient Keryado" in page.text


def test_a_search_matching_too_many_books_shows_the_most_relevant_and_says_so(visitor, shops, monkeypatch):
    monkeypatch.setattr("catalog.search.MOST_RELEVANT", 2)
    stock(shops[0], 3)

    page = visitor.get(en("search"), {"q": "roman"})

    assert len(page.context["found"].results) == 2
    assert (
        "More than 2 products within 30 km of Drive Lorient Keryado: here are the 2 most relevant."
        in page.text
    )
    with translation.override("fr"):
        in_french = visitor.get(reverse("search"), {"q": "roman"}).text
    assert (
        "Plus de 2 produits à moins de 30 km de Drive Lorient Keryado\u00a0: voici les 2 plus pertinents."
        in in_french
    )


@pytest.mark.parametrize(
    "params",
    [
        {"radius": "abc"},
        {"radius": "7"},
        {"price_min": "-3"},
        {"price_min": "12", "price_max": "3"},
        {"page": "0"},
        {"page": "x"},
        {"sort": "drop table"},
        {"shop": "999999"},
        {"subject": "9999"},
        {"condition": "broken"},
        {"q": "x" * 500},
        {"q": "'\\\":*&|!()<>"},
    ],
)
def test_bad_search_parameters_never_break_the_page(visitor, shops, params):
    stock(shops[0], 2)

    page = visitor.get(en("search"), {"q": "roman", **params})

    assert page.status_code == 200
    assert page.context["form"].errors or page.context["found"] is not None


def test_the_search_page_costs_the_same_queries_for_3_or_15_results(visitor, shops):
    stock(shops[0], 3, word="conte")
    stock(shops[1], 15, word="recit")
    visitor.get(en("search"))  # the drive's details are cached after the first page

    def queries(word):
        with CaptureQueriesContext(connection) as captured:
            page = visitor.get(en("search"), {"q": word})
        assert page.status_code == 200
        return len(captured)

    assert queries("conte") == queries("recit")


def test_the_book_page_lists_nearby_offers_nearest_first_with_stock(visitor, shops):
    book = BookFactory(title="L'Écume des jours", list_price=Decimal("7.70"))
    ListingFactory(shop=shops[1], book=book, price=Decimal("7.70"), quantity=1)
    ListingFactory(shop=shops[0], book=book, price=Decimal("7.50"), quantity=4)
    ListingFactory(shop=ShopFactory(latitude=50.6, longitude=3.0), book=book)  # Lille: too far

    page = visitor.get(en("book", book.ean))

    offers = page.context["offers"]
    assert [offer.shop.trade_name for offer in offers] == ["Librairie du Port", "Les Mots Voyageurs"]
    assert [offer.is_last_copy for offer in offers] == [False, True]
    assert "Last copy" in page.text
    assert "In stock" in page.text


def test_the_book_page_costs_the_same_queries_for_1_or_8_offers(visitor):
    few, many = BookFactory(), BookFactory()
    ListingFactory(book=few, shop=ShopFactory(latitude=47.75, longitude=-3.37))
    for number in range(8):
        ListingFactory(book=many, shop=ShopFactory(latitude=47.75 + number / 1000, longitude=-3.37))
    visitor.get(en("search"))  # the drive's details are cached after the first page

    def queries(book):
        with CaptureQueriesContext(connection) as captured:
            visitor.get(en("book", book.ean))
        return len(captured)

    assert queries(few) == queries(many)


def test_the_book_page_labels_the_publication_date_as_such_not_as_a_listings_status(client):
    book = BookFactory(publication_date=date(1947, 3, 1))
    with translation.override("fr"):
        french_page = reverse("book", args=[book.ean])

    page = client.get(french_page)

    assert "<dt>Parution</dt><dd>mars 1947</dd>" in page.text
    assert "En ligne" not in page.text
    assert "<dt>Published</dt><dd>March 1947</dd>" in client.get(en("book", book.ean)).text


def test_an_unknown_book_is_a_404(client):
    assert client.get(en("book", "9782070368228")).status_code == 404


def test_the_book_page_without_a_drive_invites_to_choose_one(client):
    book = BookFactory()

    page = client.get(en("book", book.ean))

    assert page.status_code == 200
    assert "Choose your drive" in page.text


def test_a_shop_page_shows_its_profile_and_stock_with_a_search(client, shops):
    stock(shops[0], 2, word="roman")
    stock(shops[0], 1, word="poeme")
    stock(shops[1], 1, word="roman")

    page = client.get(en("shop", shops[0].slug))
    searched = client.get(en("shop", shops[0].slug), {"q": "poème"})

    assert page.context["found"].total == 3
    assert shops[0].address in page.text
    assert [result.title for result in searched.context["found"].results] == ["Un poeme numéro 0"]


@pytest.mark.parametrize("status", [Shop.Status.PENDING, Shop.Status.REJECTED, Shop.Status.SUSPENDED])
def test_a_shop_that_is_not_open_has_no_public_page(client, status):
    shop = ShopFactory(status=status)

    assert client.get(en("shop", shop.slug)).status_code == 404


def test_pages_are_french_by_default(client, drive):
    with translation.override("fr"):
        choose, search = reverse("drive_choose", args=[drive.slug]), reverse("search")
    client.post(choose)

    page = client.get(search, follow=True)

    assert search == "/search/"

    assert '<html lang="fr">' in page.text
    assert "Votre drive" in page.text


def test_a_public_page_is_served_from_the_cache_for_a_short_while(client, drive, shops):
    book = stock(shops[0], 1)[0]
    url = en("book", book.ean) + "?drive=lorient"

    first = client.get(url)
    ListingFactory(shop=shops[1], book=book)  # a new offer: visible once the page expires
    second = client.get(url)

    assert (first["X-Page-Cache"], second["X-Page-Cache"]) == ("miss", "hit")
    assert second.content == first.content


def test_a_cached_page_goes_out_compressed_to_browsers_and_plain_to_others(client, drive, shops):
    book = stock(shops[0], 1)[0]
    url = en("book", book.ean) + "?drive=lorient"

    fresh = client.get(url)
    to_browser = client.get(url, headers={"Accept-Encoding": "gzip, deflate, br, zstd"})
    to_other = client.get(url)

    assert (to_browser["X-Page-Cache"], to_browser["Content-Encoding"]) == ("hit", "gzip")
    assert "Accept-Encoding" in to_browser["Vary"]
    assert gzip.decompress(to_browser.content) == fresh.content
    assert (to_other["X-Page-Cache"], to_other.has_header("Content-Encoding")) == ("hit", False)
    assert to_other.content == fresh.content


def test_a_page_rendered_afresh_goes_out_compressed_to_browsers(client, drive, shops):
    book = stock(shops[0], 1)[0]

    page = client.get(en("book", book.ean) + "?drive=lorient", headers={"Accept-Encoding": "gzip"})

    assert (page["X-Page-Cache"], page["Content-Encoding"]) == ("miss", "gzip")
    assert book.title in gzip.decompress(page.content).decode()


def test_logged_in_people_always_see_fresh_pages(client, drive, shops, owner_a):
    book = stock(shops[0], 1)[0]
    client.force_login(owner_a)

    response = client.get(en("book", book.ean) + "?drive=lorient")
    again = client.get(en("book", book.ean) + "?drive=lorient")

    assert "X-Page-Cache" not in response
    assert "X-Page-Cache" not in again


def test_the_language_links_point_to_the_same_page(client, drive):
    page = client.get(en("drives"), {"q": "lorient"})

    links = {language["code"]: language["url"] for language in page.context["language_links"]}
    assert links == {"fr": "/drives/?q=lorient", "en": "/en/drives/?q=lorient"}
