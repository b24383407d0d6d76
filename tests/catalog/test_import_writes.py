"""How an applied stock file is written: new books, listings and claims COPY'd straight
into their tables, and the set-based way when the catalogue changed under the import."""

import gc
from dataclasses import replace
from datetime import date
from decimal import Decimal
from functools import partial

import pytest

from catalog.imports import plan as planning
from catalog.imports.apply import stock_import_apply
from catalog.imports.plan import Action
from catalog.imports.records import (
    BOOK_FIELDS,
    ContributorRecord,
    StockRow,
    book_metadata,
    book_metadata_offered,
)
from catalog.models import Book, BookClaim, Listing
from shops.models import Shop
from tests.catalog.import_helpers import apply_csv
from tests.factories import BookFactory, ShopFactory
from tests.race import at_once

pytestmark = pytest.mark.django_db

NEW_BOOKS = """EAN;Titre;Auteur;Éditeur;Quantité;Prix TTC;Prix public
9782070408504;La Peste;Albert Camus;Gallimard;2;8,90;8,90
9782070360024;L'Étranger;Albert Camus;Gallimard;3;7,60;8,00
"""


@pytest.fixture
def shop():
    return ShopFactory(status=Shop.Status.APPROVED)


def test_new_books_their_listings_and_the_shops_claims_are_written(shop):
    plan = apply_csv(shop, NEW_BOOKS)

    assert [line.action for line in plan.lines] == [Action.CREATE, Action.CREATE]
    books = {book.ean: book for book in Book.objects.filter(listings__shop=shop)}
    assert books["9782070408504"].title == "La Peste"
    assert books["9782070408504"].contributors == [{"name": "Albert Camus", "role": "author"}]
    assert books["9782070408504"].source == Book.Source.STOCK_FILE
    assert books["9782070408504"].search_vector is None  # indexed after commit
    listing = Listing.objects.get(shop=shop, book=books["9782070360024"])
    assert (listing.quantity, listing.price, listing.status) == (3, Decimal("7.60"), Listing.Status.PENDING)
    assert listing.moderation_flags == [Listing.Flag.UNKNOWN_LIST_PRICE]
    claims = dict(BookClaim.objects.filter(shop=shop).values_list("book__ean", "value"))
    assert claims == {"9782070408504": "8.90", "9782070360024": "8.00"}


def test_new_books_get_ids_the_catalogue_goes_on_from(shop):
    apply_csv(shop, NEW_BOOKS)

    # then a book added afterwards the usual way gets the next id, not one the import took
    later = BookFactory()
    assert later.pk > max(Book.objects.exclude(pk=later.pk).values_list("pk", flat=True))


def test_a_book_new_and_used_in_the_file_gets_one_claim_from_its_first_line(shop):
    plan = apply_csv(
        shop,
        "EAN;Titre;État;Quantité;Prix TTC;Prix public\n"
        "9782070408504;La Peste;occasion;1;4,00;8,90\n"
        "9782070408504;La Peste;neuf;2;9,10;9,10\n",
    )

    assert [line.action for line in plan.lines] == [Action.CREATE, Action.CREATE]
    assert Book.objects.filter(ean="9782070408504").count() == 1
    assert Listing.objects.filter(shop=shop).count() == 2
    assert list(BookClaim.objects.filter(shop=shop).values_list("value", flat=True)) == ["8.90"]


def test_a_known_book_new_and_used_in_the_file_gets_one_claim(shop):
    BookFactory(ean="9782070408504", list_price=None)

    apply_csv(
        shop,
        "EAN;État;Quantité;Prix TTC;Prix public\n9782070408504;neuf;2;9,10;9,10\n9782070408504;occasion;1;4;9,00\n",
    )

    assert list(BookClaim.objects.filter(shop=shop).values_list("value", flat=True)) == ["9.10"]


def test_a_book_that_appeared_since_the_plan_is_listed_not_created_twice(shop, monkeypatch):
    # given a book another import added after this one read the catalogue
    appeared = BookFactory(ean="9782070408504", title="La Peste (déjà là)", list_price=None)
    read_catalogue = planning._existing_books

    def catalogue_as_it_was(eans):
        return {ean: book for ean, book in read_catalogue(eans).items() if ean != appeared.ean}

    monkeypatch.setattr(planning, "_existing_books", catalogue_as_it_was)

    # when the import writes
    plan = apply_csv(shop, NEW_BOOKS)

    # then it lists that book, creates the other, and claims both prices
    assert [line.action for line in plan.lines] == [Action.CREATE, Action.CREATE]
    assert Book.objects.filter(ean="9782070408504").count() == 1
    assert Listing.objects.get(shop=shop, book=appeared).quantity == 2
    assert Listing.objects.get(shop=shop, book__ean="9782070360024").quantity == 3
    assert BookClaim.objects.filter(shop=shop).count() == 2
    appeared.refresh_from_db()
    assert appeared.title == "La Peste (déjà là)"


@pytest.mark.django_db(transaction=True)
def test_two_shops_bringing_the_same_new_books_at_once_share_them():
    shops = [ShopFactory(status=Shop.Status.APPROVED) for _ in range(2)]

    results = at_once(*(partial(apply_csv, shop, NEW_BOOKS) for shop in shops))

    assert [result for result in results if isinstance(result, Exception)] == []
    assert Book.objects.filter(ean__in=["9782070408504", "9782070360024"]).count() == 2
    for shop in shops:
        assert Listing.objects.filter(shop=shop).count() == 2
        assert BookClaim.objects.filter(shop=shop).count() == 2


def test_the_cycle_collector_runs_again_after_an_import(shop):
    apply_csv(shop, NEW_BOOKS)
    assert gc.isenabled()

    def rows_then_a_failure():
        yield StockRow(line=2, ean="9782070408504", quantity="1")
        raise OSError("the file went away")

    with pytest.raises(OSError, match="went away"):
        stock_import_apply(
            shop=shop, rows=rows_then_a_failure(), full_sync=False, source=Book.Source.STOCK_FILE
        )
    assert gc.isenabled()


@pytest.mark.parametrize(
    "row",
    [
        StockRow(line=2, ean="1"),
        StockRow(line=2, ean="1", contributors=[ContributorRecord("Albert Camus", "author")]),
        StockRow(
            line=2, ean="1", title="T", publisher="P", page_count=120, language="fre", format="paperback"
        ),
        StockRow(line=2, ean="1", imprint="Folio", page_count=0, format="scroll", clil_code="12"),
        StockRow(line=2, ean="1", subtitle="S", description="D", clil_code="3435", page_count=200_000),
    ],
)
def test_the_metadata_a_row_offers_is_what_it_would_write(row):
    dated = replace(row, publication_date=date(2020, 1, 1))
    for candidate in (row, dated):
        written = book_metadata(candidate)
        expected = sum(1 << index for index, value in enumerate(written) if value not in ("", None, "[]"))
        assert book_metadata_offered(candidate) == expected
        assert len(written) == len(BOOK_FIELDS)
