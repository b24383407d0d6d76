"""Products of every kind through the stock files and the till API (issue 18): a board game
by its EAN, a shop's own goods without a barcode, the kind's required attributes, and the
book rules (ISBN, loi Lang) left as they were for books."""

from decimal import Decimal

import pytest
from django.utils import translation

from catalog.imports.plan import Action
from catalog.models import Book, Listing, ProductAttribute, ProductKind
from shops import services as shop_services
from tests.catalog.test_stock_import import apply_csv
from tests.factories import BookFactory, ListingFactory, ShopFactory

pytestmark = pytest.mark.django_db

BOARD_GAME_EAN = "3760052142000"  # a real board game's EAN
BULK = "/api/v1/stock/listings/bulk/"


@pytest.fixture
def games_shop():
    return ShopFactory(trade_name="La Ludothèque", kinds=["games-toys"])


@pytest.fixture
def bookshop():
    return ShopFactory(trade_name="Librairie du Port")


def refused(plan) -> dict[int, str]:
    return {line.line: line.message for line in plan.lines if line.action == Action.REFUSE}


def test_a_games_shop_lists_a_board_game_by_its_ean_with_its_attributes(games_shop):
    plan = apply_csv(
        games_shop,
        "EAN;Désignation;Marque;Âge;Nombre de joueurs;Qté;Prix;Prix public\n"
        f"{BOARD_GAME_EAN};Mysterium;Libellud;10 à 99;2-7;3;41,90;44,90\n",
    )

    assert actions(plan) == [(2, Action.CREATE)], plan.lines[0].message
    game = Book.objects.get(ean=BOARD_GAME_EAN)
    assert (game.kind_id, game.title, game.owner_shop) == ("board-game", "Mysterium", None)
    assert game.attributes == {"brand": "Libellud", "age-range": [10, 99], "players": [2, 7]}
    # The brand's recommended price is kept and shown; the shop's price is free (below 95 %).
    assert game.list_price == Decimal("44.90")
    listing = Listing.objects.get(book=game)
    assert (listing.shop, listing.price, listing.quantity, listing.status) == (
        games_shop,
        Decimal("41.90"),
        3,
        Listing.Status.PUBLISHED,
    )
    assert not game.follows_book_rules
    assert game.isbn == BOARD_GAME_EAN


def test_a_board_game_ean_is_still_refused_as_a_book(bookshop):
    plan = apply_csv(bookshop, f"EAN;Qté;Prix\n{BOARD_GAME_EAN};1;41,90\n")

    assert refused(plan) == {
        2: f"“{BOARD_GAME_EAN}” is an EAN, but not a book's (a book's starts with 978 or 979). If it is "
        "another kind of product (a board game, a toy…), give its kind."
    }
    assert not Book.objects.filter(ean=BOARD_GAME_EAN).exists()


def test_a_bookshop_lists_a_board_game_when_its_file_says_so_but_not_a_toy(bookshop):
    plan = apply_csv(
        bookshop,
        "EAN;Type de produit;Titre;Marque;Âge;Qté;Prix\n"
        f"{BOARD_GAME_EAN};Jeu de société;Mysterium;Libellud;10-99;1;41,90\n"
        "4005556220052;jouet;Puzzle;Ravensburger;6;1;12\n"
        "4005556220069;vélo;Vélo;Décathlon;6;1;12\n",
    )

    assert actions(plan) == [(2, Action.CREATE), (3, Action.REFUSE), (4, Action.REFUSE)]
    assert refused(plan) == {
        3: "Your shop may not list “Toy”; its kinds of shop allow “Book”, “Board game”.",
        4: "Unknown kind of product “vélo”: write one of “Book”, “Board game”.",
    }
    assert Book.objects.get(ean=BOARD_GAME_EAN).kind_id == "board-game"


def test_what_a_kind_requires_is_asked_for_by_name_in_the_sellers_language(games_shop):
    with translation.override("fr"):
        from catalog.imports.apply import stock_import_apply
        from catalog.imports.csv_reader import read_csv
        from tests.catalog.test_stock_import import csv_file

        plan = stock_import_apply(
            shop=games_shop,
            rows=read_csv(
                csv_file(f"EAN;Désignation;Âge;Qté;Prix\n{BOARD_GAME_EAN};Mysterium;dès 10 ans;1;41,90\n")
            ),
            full_sync=False,
            source=Book.Source.STOCK_FILE,
        )

    assert refused(plan) == {
        2: "Marque est obligatoire pour «\u00a0Jeu de société\u00a0». Âge\u00a0: écrivez un nombre ou un "
        "intervalle, par exemple 8-12 (vous avez écrit «\u00a0dès 10 ans\u00a0»)."
    }
    assert not Book.objects.filter(ean=BOARD_GAME_EAN).exists()


def test_a_product_keeps_its_kind_whatever_a_file_calls_it(games_shop, bookshop):
    game = BookFactory(ean=BOARD_GAME_EAN, title="Mysterium", kind_id="board-game", list_price=None,
                       attributes={"brand": "Libellud", "age-range": [10, 99]})  # fmt: skip

    by_games_shop = apply_csv(games_shop, f"EAN;Qté;Prix\n{BOARD_GAME_EAN};2;39\n")
    wrong_kind = apply_csv(games_shop, f"EAN;Type de produit;Qté;Prix\n{BOARD_GAME_EAN};toy;2;39\n")

    assert actions(by_games_shop) == [(2, Action.CREATE)]
    assert refused(wrong_kind) == {2: "This EAN is already in the catalogue as “Board game”, not “Toy”."}
    assert Listing.objects.get(book=game).price == Decimal("39")


def test_a_shops_own_goods_without_a_barcode_stay_its_own(games_shop):
    other = ShopFactory(kinds=["games-toys"])
    text = (
        "EAN;Référence;Type de produit;Désignation;Marque;Âge;Qté;Prix\n"
        ";TOUPIE-01;jouet;Toupie en hêtre;Atelier Kerhoant;3-99;5;18\n"
    )

    first = apply_csv(games_shop, text)
    again = apply_csv(games_shop, text.replace(";5;18", ";4;18"))
    elsewhere = apply_csv(other, text)

    assert (actions(first), actions(again), actions(elsewhere)) == (
        [(2, Action.CREATE)],
        [(2, Action.UPDATE)],
        [(2, Action.CREATE)],
    )
    mine, theirs = (
        Book.objects.get(owner_shop=shop, own_reference="TOUPIE-01") for shop in (games_shop, other)
    )
    assert mine.ean != theirs.ean
    assert (mine.ean[:2], len(mine.ean)) == ("29", 13)
    assert (mine.kind_id, mine.attributes) == ("toy", {"brand": "Atelier Kerhoant", "age-range": [3, 99]})
    assert Listing.objects.get(book=mine).quantity == 4
    # Nobody else lists it by its in-store code.
    assert refused(apply_csv(other, f"EAN;Type de produit;Qté;Prix\n{mine.ean};jouet;1;18\n"))[2].startswith(
        f"“{mine.ean}” is an in-store code"
    )


def test_a_book_needs_its_isbn(bookshop):
    plan = apply_csv(bookshop, "EAN;Référence;Titre;Qté;Prix\n;LIV-1;Un livre;1;10\n")

    assert refused(plan) == {2: "A product of kind “Book” needs its ISBN: the EAN is empty."}


def test_the_loi_lang_still_binds_new_books_only(bookshop):
    BookFactory(ean="9782070368228", list_price=Decimal("7.50"))
    BookFactory(ean=BOARD_GAME_EAN, kind_id="board-game", list_price=Decimal("44.90"),
                attributes={"brand": "Libellud", "age-range": [10, 99]})  # fmt: skip

    plan = apply_csv(bookshop, f"EAN;Qté;Prix\n9782070368228;1;5,00\n{BOARD_GAME_EAN};1;20,00\n")

    # The file names no kind: the board game is the catalogue's, so it is one.
    assert actions(plan) == [(2, Action.REFUSE), (3, Action.CREATE)], plan.lines[1].message
    assert "loi Lang" in plan.lines[0].message
    assert Listing.objects.get(book__ean=BOARD_GAME_EAN).status == Listing.Status.PUBLISHED


def test_a_rule_head_office_adds_to_a_kind_holds_the_products_that_break_it(games_shop):
    game = BookFactory(ean=BOARD_GAME_EAN, kind_id="board-game", list_price=None,
                       attributes={"brand": "Libellud", "age-range": [10, 99]})  # fmt: skip
    listing = ListingFactory(shop=games_shop, book=game, price=Decimal("40"), quantity=1)
    ProductAttribute.objects.filter(kind__code="board-game", code="players").update(required=True)

    plan = apply_csv(games_shop, f"EAN;Qté;Prix\n{BOARD_GAME_EAN};2;40\n")

    listing.refresh_from_db()
    assert plan.lines[0].action == Action.UPDATE
    assert (listing.status, listing.moderation_flags) == (
        Listing.Status.PENDING,
        [Listing.Flag.MISSING_DETAILS],
    )


def test_the_till_api_lists_any_kind_and_a_product_without_a_barcode(client, games_shop):
    _token, key = shop_services.api_token_create(shop=games_shop, name="Caisse", by=None)

    response = client.post(
        BULK,
        {
            "items": [
                {"ean": BOARD_GAME_EAN, "kind": "board-game", "title": "Mysterium", "quantity": 2, "price": "41.90",
                 "attributes": {"brand": "Libellud", "age-range": [10, 99], "players": "2-7"}},
                {"reference": "TOUPIE-01", "kind": "toy", "title": "Toupie", "quantity": 1, "price": 18,
                 "attributes": {"brand": "Atelier Kerhoant", "age-range": 3}},
                {"ean": "4005556220052", "kind": "toy", "title": "Puzzle", "quantity": 1, "price": 12},
                {"quantity": 1},
            ]
        },
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {key}",
        HTTP_ACCEPT_LANGUAGE="en",
    )  # fmt: skip

    assert response.status_code == 200, response.content
    results = response.json()["items"]
    assert [item["result"] for item in results] == ["create", "create", "refuse", "refuse"]
    assert results[2]["message"] == "Brand is required for “Toy”. Age is required for “Toy”."
    assert "reference" in results[3]["message"]
    assert Book.objects.get(ean=BOARD_GAME_EAN).attributes["players"] == [2, 7]
    assert Book.objects.get(owner_shop=games_shop).attributes == {
        "brand": "Atelier Kerhoant",
        "age-range": [3, 3],
    }


def test_head_office_can_require_nothing_of_a_new_kind():
    record = ProductKind.objects.create(code="record", name_fr="Disque", name_en="Record")
    shop = ShopFactory(kinds=["bookshop"])
    record.shop_kinds.add(*shop.kinds.all())

    plan = apply_csv(shop, "EAN;Type de produit;Titre;Qté;Prix\n0602445790630;Disque;Un disque;1;25\n")

    assert actions(plan) == [(2, Action.CREATE)], plan.lines[0].message
    assert Book.objects.get(ean="0602445790630").kind_id == "record"


def actions(plan):
    return [(line.line, line.action) for line in plan.lines]


# --- By hand, in the bookseller's space ------------------------------------------------


def admin_add(**query) -> str:
    from urllib.parse import urlencode

    from django.urls import reverse

    with translation.override("en"):
        url = reverse("admin:catalog_listing_add")
    return f"{url}?{urlencode(query)}" if query else url


@pytest.fixture
def games_seller(client, games_shop):
    from tests.factories import MembershipFactory

    client.force_login(MembershipFactory(shop=games_shop).user)
    return client


def test_a_games_shop_adds_a_board_game_by_hand_with_what_its_kind_asks(games_seller, games_shop):
    step_one = games_seller.post(
        admin_add(), {"shop": games_shop.pk, "kind": "board-game", "isbn": BOARD_GAME_EAN}
    )
    assert step_one.status_code == 302, step_one.context["form"].errors
    form_page = games_seller.get(step_one["Location"])
    assert {"attribute_brand", "attribute_age-range", "attribute_players"} <= set(
        form_page.context["form"].fields
    )

    missing = games_seller.post(
        step_one["Location"],
        {
            "title": "Mysterium",
            "attribute_age-range": "10",
            "condition": "new",
            "price": "41.90",
            "quantity": "2",
        },
    )
    done = games_seller.post(step_one["Location"], {"title": "Mysterium", "attribute_brand": "Libellud",
                                                    "attribute_age-range": "10 à 99", "list_price": "44.90",
                                                    "condition": "new", "price": "39.00", "quantity": "2"})  # fmt: skip

    assert missing.context["form"].errors["attribute_brand"] == ["Brand is required for “Board game”."]
    assert done.status_code == 302, done.context["form"].errors
    game = Book.objects.get(ean=BOARD_GAME_EAN)
    assert (game.kind_id, game.attributes, game.list_price) == (
        "board-game",
        {"brand": "Libellud", "age-range": [10, 99]},
        Decimal("44.90"),
    )
    assert Listing.objects.get(book=game).status == Listing.Status.PUBLISHED


def test_a_shop_adds_its_own_goods_without_a_barcode_by_hand(games_seller, games_shop):
    step_one = games_seller.post(
        admin_add(), {"shop": games_shop.pk, "kind": "toy", "reference": "TOUPIE-01"}
    )
    assert step_one.status_code == 302, step_one.context["form"].errors

    done = games_seller.post(step_one["Location"], {"title": "Toupie", "attribute_brand": "Atelier Kerhoant",
                                                    "attribute_age-range": "3", "condition": "new", "price": "18",
                                                    "quantity": "5"})  # fmt: skip
    again = games_seller.get(step_one["Location"])

    assert done.status_code == 302, done.context["form"].errors
    toy = Book.objects.get(owner_shop=games_shop, own_reference="TOUPIE-01")
    assert toy.ean.startswith("29")
    assert again.context["book"] == toy  # known now: only the offer is asked


def test_a_bookshop_cannot_add_a_toy_nor_a_book_without_isbn(client, bookshop):
    from tests.factories import MembershipFactory

    client.force_login(MembershipFactory(shop=bookshop).user)

    toy = client.post(admin_add(), {"shop": bookshop.pk, "kind": "toy", "isbn": "4005556220052"})
    book = client.post(admin_add(), {"shop": bookshop.pk, "kind": "book", "reference": "LIV-1"})
    sneaked = client.get(admin_add(shop=bookshop.pk, kind="toy", ean="4005556220052"))

    assert toy.status_code == 200
    assert "kind" in toy.context["form"].errors
    assert book.context["form"].errors["isbn"] == [
        "A product of kind “Book” needs its ISBN: the EAN is empty."
    ]
    assert (sneaked.status_code, sneaked["Location"]) == (302, admin_add())  # back to step one


def test_head_office_completes_what_a_product_lacks_in_the_catalogue(client, games_shop):
    from django.urls import reverse

    from tests.factories import ChainStaffFactory

    game = BookFactory(ean=BOARD_GAME_EAN, kind_id="board-game", title="Mysterium", list_price=None,
                       attributes={"brand": "Libellud", "age-range": [10, 99]})  # fmt: skip
    client.force_login(ChainStaffFactory())
    url = reverse("admin:catalog_book_change", args=[game.pk])

    page = client.get(url)
    form = {
        "title": "Mysterium",
        "attribute_brand": "Libellud",
        "prices-TOTAL_FORMS": 0,
        "prices-INITIAL_FORMS": 0,
    }
    wrong = client.post(url, {**form, "attribute_age-range": "dix", "attribute_players": "2-7"})
    right = client.post(url, {**form, "attribute_age-range": "10-99", "attribute_players": "2 à 7"})

    assert page.context["adminform"].form["attribute_age-range"].value() == "10-99"
    assert "attribute_age-range" in wrong.context["adminform"].form.errors
    assert right.status_code == 302
    game.refresh_from_db()
    assert game.attributes == {"brand": "Libellud", "age-range": [10, 99], "players": [2, 7]}


# --- A kind of shop head office adds, with no code change --------------------------------


def test_head_office_adds_record_shops_and_a_record_shop_lists_a_record_that_is_found(client):
    from django.urls import reverse

    from catalog.search import BookQuery, search_books
    from catalog.search_index import search_index_refresh
    from shops.models import ShopKind
    from tests.factories import ChainStaffFactory, MembershipFactory

    client.force_login(ChainStaffFactory())
    with translation.override("en"):
        kinds_url, products_url = (
            reverse("admin:shops_shopkind_add"),
            reverse("admin:catalog_productkind_add"),
        )
    shop_kind = client.post(kinds_url, {"code": "disquaire", "name_fr": "Disquaire", "name_en": "Record shop",
                                        "position": 30})  # fmt: skip
    assert shop_kind.status_code == 302, shop_kind.context["adminform"].form.errors
    record_shops = ShopKind.objects.get(code="disquaire")
    product_kind = client.post(products_url, {
        "code": "record", "name_fr": "Disque", "name_en": "Record", "position": 40,
        "shop_kinds": [record_shops.pk],
        "attributes-TOTAL_FORMS": 2, "attributes-INITIAL_FORMS": 0,
        "attributes-0-position": 10, "attributes-0-code": "artist", "attributes-0-name_fr": "Artiste",
        "attributes-0-name_en": "Artist", "attributes-0-type": "text", "attributes-0-required": "on",
        "attributes-1-position": 20, "attributes-1-code": "format", "attributes-1-name_fr": "Format",
        "attributes-1-name_en": "Format", "attributes-1-type": "choice",
        "attributes-1-choices": "Vinyle 33 tours\nCD\nVinyle 45 tours", "attributes-1-filterable": "on",
    })  # fmt: skip
    assert product_kind.status_code == 302, product_kind.context["adminform"].form.errors

    # A record shop, with its kind, lists a record from its till's file.
    shop = ShopFactory(trade_name="Disques Bleus", kinds=["disquaire"], latitude=47.75, longitude=-3.37)
    MembershipFactory(shop=shop)
    plan = apply_csv(
        shop,
        "EAN;Titre;Artiste;Format;Qté;Prix\n0602445790630;Fragments;Nolwenn Leroy;vinyle 33 tours;2;29,90\n",
    )
    search_index_refresh()

    assert actions(plan) == [(2, Action.CREATE)], plan.lines[0].message
    record = Book.objects.get(ean="0602445790630")
    assert (record.kind_id, record.attributes) == (
        "record",
        {"artist": "Nolwenn Leroy", "format": "Vinyle 33 tours"},
    )
    found = search_books(BookQuery(latitude=47.754, longitude=-3.39, text="nolwenn leroy"))
    assert [result.title for result in found.results] == ["Fragments"]
    by_format = search_books(BookQuery(latitude=47.754, longitude=-3.39, kind="record",
                                       attribute_filters=(("format", "choice", "vinyle 33 tours"),)))  # fmt: skip
    assert [result.title for result in by_format.results] == ["Fragments"]
    # The record shop may not list the catalogue's books (its kind allows records only).
    BookFactory(ean="9782070368228", list_price=Decimal("7.50"))
    refused_book = apply_csv(shop, "EAN;Qté;Prix\n9782070368228;1;7,50\n")
    assert "may not list “Book”" in refused_book.lines[0].message


def test_a_games_shops_preview_names_the_columns_read_as_attributes(
    games_seller, games_shop, capture_on_commit
):
    from django.urls import reverse

    from catalog.models import StockImport
    from tests.catalog.test_stock_admin import upload

    text = f"EAN;Désignation;Marque;Âge;Rayon;Qté;Prix\n{BOARD_GAME_EAN};Mysterium;Libellud;10;Jeux;1;40\n"
    with translation.override("en"), capture_on_commit():
        games_seller.post(
            reverse("admin:catalog_stockimport_add"),
            {"shop": games_shop.pk, "file": upload("stock.csv", text)},
        )
    with translation.override("en"):
        preview = games_seller.get(
            reverse("admin:catalog_stockimport_change", args=[StockImport.objects.get().pk])
        )

    assert "<q>Marque</q> (brand)" in preview.text
    assert "<q>Âge</q> (age)" in preview.text
    assert "Columns ignored: <q>Rayon</q>" in preview.text
