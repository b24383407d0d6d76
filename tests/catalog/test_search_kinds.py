"""Finding products of every kind near a drive (issue 18): French full text over names,
brands and attributes; a filter by kind and by a kind's filterable attributes; a page
laid out for the product's kind."""

from decimal import Decimal

import pytest
from django.utils import translation

from catalog.search import BookQuery, search_books
from catalog.search_index import search_index_refresh, search_vocabulary_refresh
from tests.catalog.test_search_pages import Visitor, en
from tests.factories import BookFactory, DriveFactory, ListingFactory, ShopFactory

pytestmark = pytest.mark.django_db

LORIENT = {"latitude": 47.754, "longitude": -3.39}


@pytest.fixture
def catalogue():
    games_shop = ShopFactory(
        trade_name="La Ludothèque", kinds=["games-toys"], latitude=47.75, longitude=-3.37
    )
    bookshop = ShopFactory(trade_name="Librairie du Port", latitude=47.75, longitude=-3.37)
    products = {
        "mysterium": BookFactory(ean="3760052142000", kind_id="board-game", title="Mysterium", publisher="",
                                 list_price=Decimal("44.90"),
                                 attributes={"brand": "Libellud", "age-range": [10, 99], "players": [2, 7]}),
        "dobble": BookFactory(ean="3760052140000", kind_id="board-game", title="Dobble Kids", publisher="",
                              list_price=None, attributes={"brand": "Zygomatic", "age-range": [4, 8]}),
        "puzzle": BookFactory(ean="4005556220052", kind_id="toy", title="Puzzle du monde", publisher="",
                              list_price=None, attributes={"brand": "Ravensburger", "age-range": [6, 12]}),
        "novel": BookFactory(title="Le jeu des mystères", list_price=Decimal("9.00")),
    }  # fmt: skip
    for key, product in products.items():
        shop = bookshop if key == "novel" else games_shop
        ListingFactory(shop=shop, book=product, price=product.list_price or Decimal("15.00"))
    search_index_refresh()
    search_vocabulary_refresh()
    return products


def titles(**query) -> list[str]:
    return sorted(result.title for result in search_books(BookQuery(**LORIENT, **query)).results)


def test_a_brand_finds_its_games_and_words_find_every_kind(catalogue):
    assert titles(text="libellud") == ["Mysterium"]
    assert titles(text="ravensburger puzzle") == ["Puzzle du monde"]
    assert titles(text="3760052142000") == ["Mysterium"]


def test_a_kind_and_an_age_narrow_the_search(catalogue):
    assert titles(kind="board-game") == ["Dobble Kids", "Mysterium"]
    assert titles(kind="book") == ["Le jeu des mystères"]
    # A nine-year-old: the games and toys whose age range holds 9.
    assert titles(attribute_filters=(("age-range", "range", 9),)) == ["Puzzle du monde"]
    assert titles(attribute_filters=(("age-range", "range", 6),)) == ["Dobble Kids", "Puzzle du monde"]
    assert titles(kind="toy", attribute_filters=(("brand", "text", "RAVENSBURGER"),)) == ["Puzzle du monde"]


def test_the_search_page_filters_by_kind_and_age_and_says_what_each_product_is(client, catalogue):
    drive = DriveFactory(slug="lorient", **LORIENT)
    client.post(en("drive_choose", drive.slug))
    visitor = Visitor(client)

    with translation.override("fr"):
        page = visitor.get("/search/", {"drive": "lorient", "kind": "board-game", "a_age-range": "12"})
    html = page.content.decode()

    assert page.status_code == 200
    assert "Mysterium" in html
    assert "Dobble" not in html
    assert "Jeu de société · Libellud · 10 à 99\u00a0ans · 2 à 7" in html
    assert 'name="a_age-range"' in html
    assert 'name="a_players"' in html


def test_a_games_page_shows_what_describes_a_game_and_no_book_rules(client, catalogue):
    drive = DriveFactory(slug="lorient", **LORIENT)
    client.post(en("drive_choose", drive.slug))

    with translation.override("fr"):
        page = Visitor(client).get("/books/3760052142000/")
    html = page.content.decode()

    assert page.status_code == 200
    assert "<dt>Marque</dt><dd>Libellud</dd>" in html
    assert "<dt>Âge</dt><dd>10 à 99\u00a0ans</dd>" in html
    assert "Prix conseillé" in html
    assert "<dt>ISBN</dt>" not in html
    assert "Dans les boutiques près de chez vous" in html


def test_browsing_books_or_a_kind_or_an_age_without_words(catalogue):
    # Browsing the books alone: the newest titles around, among books only.
    assert titles(kind="book") == ["Le jeu des mystères"]
    # An age alone looks among the kinds that have attributes (books have none).
    assert titles(attribute_filters=(("age-range", "range", 5),)) == ["Dobble Kids"]
    assert titles(kind="toy", sort="price") == ["Puzzle du monde"]
    assert titles(kind="board-game", text="mysterium") == ["Mysterium"]
