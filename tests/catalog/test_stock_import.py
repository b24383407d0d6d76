"""Loading a shop's stock from a file: preview, apply, re-apply, full sync, real files."""

import csv
import io
from decimal import Decimal
from functools import partial

import pytest
from django.utils import translation

from catalog.imports.apply import stock_import_apply
from catalog.imports.csv_reader import read_csv
from catalog.imports.onix import read_onix
from catalog.imports.plan import Action, plan_stock
from catalog.models import Book, BookClaim, Listing
from shops.models import Shop
from tests.conftest import SHARED_DATA_DIR, require
from tests.factories import BookFactory, ListingFactory, ShopFactory
from tests.race import at_once

pytestmark = pytest.mark.django_db

ONIX_SAMPLE = SHARED_DATA_DIR / "onix_samples" / "Sample_ONIX_3.0.xml"
ONIX_REFERENCE = SHARED_DATA_DIR / "onix_samples" / "full_sample.xml"
DILICOM_CSV = SHARED_DATA_DIR / "french_books_prix_unique" / "books_from_dilicom_onix.csv"
GOODBOOKS = SHARED_DATA_DIR / "goodbooks_10k" / "books.csv"
GOODBOOKS_NORMALIZED = SHARED_DATA_DIR / "goodbooks_10k" / "books_isbn_normalized.csv"


def shared(path):
    require(f"shared data {path.name}", path.is_file(), f"expected at {path} (SHARED_DATA_DIR)")
    return path


def csv_file(text: str, encoding="utf-8") -> io.BytesIO:
    return io.BytesIO(text.encode(encoding))


def apply_csv(shop, text, *, full_sync=False, encoding="utf-8"):
    with translation.override("en"):
        return stock_import_apply(
            shop=shop,
            rows=read_csv(csv_file(text, encoding)),
            full_sync=full_sync,
            source=Book.Source.STOCK_FILE,
        )


def actions(plan):
    return [(line.line, line.action) for line in plan.lines]


@pytest.fixture
def shop():
    return ShopFactory(status=Shop.Status.APPROVED)


@pytest.fixture
def known_book():
    return BookFactory(ean="9782070368228", title="L'Étranger", list_price=Decimal("7.50"))


TILL_EXPORT = """EAN;Titre;Auteur;Éditeur;Quantité;Prix TTC
9782070368228;L'Étranger;Albert Camus;Gallimard;3;7,50
978-2-07-040850-4;La Peste;Albert Camus;Gallimard;2;8,90
"""


def test_a_till_export_creates_listings_and_new_books(shop, known_book):
    plan = apply_csv(shop, TILL_EXPORT)

    assert actions(plan) == [(2, Action.CREATE), (3, Action.CREATE)]
    listings = {
        listing.book.ean: listing for listing in Listing.objects.filter(shop=shop).select_related("book")
    }
    assert (listings["9782070368228"].quantity, listings["9782070368228"].price) == (3, Decimal("7.50"))
    la_peste = listings["9782070408504"]
    assert (la_peste.quantity, la_peste.price, la_peste.book.title) == (2, Decimal("8.90"), "La Peste")
    assert la_peste.book.source == Book.Source.STOCK_FILE
    assert la_peste.book.contributors == [{"name": "Albert Camus", "role": "author"}]
    # A book the catalogue did not know comes without a publisher's price: held for moderation.
    assert (la_peste.status, la_peste.moderation_flags) == (Listing.Status.PENDING, ["unknown_list_price"])
    assert listings["9782070368228"].status == Listing.Status.PUBLISHED


def test_importing_the_same_file_again_changes_nothing(shop, known_book):
    apply_csv(shop, TILL_EXPORT)
    before = list(Listing.objects.order_by("pk").values("pk", "price", "quantity", "status", "updated_at"))

    plan = apply_csv(shop, TILL_EXPORT)

    assert plan.counts == {
        "create": 0,
        "update": 0,
        "unchanged": 2,
        "refuse": 0,
        "zeroed": 0,
        "in_stock": 0,
        "pending": 0,
    }
    assert (
        list(Listing.objects.order_by("pk").values("pk", "price", "quantity", "status", "updated_at"))
        == before
    )
    assert Book.objects.count() == 2
    assert Book.objects.get(ean="9782070408504").authors == "Albert Camus"


def test_changes_are_described_line_by_line(shop, known_book):
    apply_csv(shop, TILL_EXPORT)

    plan = apply_csv(shop, "ean;quantite;prix\n9782070368228;5;7,20\n")

    [line] = plan.lines
    assert line.action == Action.UPDATE
    assert line.message == "Quantity 3 → 5, price €7.50 → €7.20"
    listing = Listing.objects.get(book=known_book)
    assert (listing.quantity, listing.price) == (5, Decimal("7.20"))


def test_refused_lines_are_explained_and_never_applied_while_the_others_are(shop, known_book):
    text = (
        "ean;quantite;prix;etat\n"
        "9782070368228;4;7,50;neuf\n"  # fine
        "9782070368229;1;7,50;neuf\n"  # bad check digit
        "9782070368228;1;3,00;occasion\n"  # fine: used, priced freely
        "9782070368228;1;6,00;neuf\n"  # same book and condition as line 2
        "978-2-07-040850-4;-2;8,90;neuf\n"  # negative quantity
        "9782070408504;2;huit euros;neuf\n"  # not a price
        "9782070408504;2;8,90;abîmé\n"  # unknown condition
        "\n"
        "9782070408504;2;8,90;neuf;en trop\n"  # more cells than the header
    )

    plan = apply_csv(shop, text)

    refused = {line.line: line.message for line in plan.lines if line.action == Action.REFUSE}
    assert set(refused) == {3, 5, 6, 7, 8, 10}
    assert "check digit" in refused[3]
    assert "Same product and condition as line 2" in refused[5]
    assert "not a whole number" in refused[6]
    assert "not an amount in euros" in refused[7]
    assert "Unknown condition “abîmé”" in refused[8]
    assert refused[10]  # the reader's explanation of the extra cell
    assert sorted(Listing.objects.values_list("condition", "quantity")) == [("new", 4), ("used_good", 1)]


def test_a_new_book_outside_the_loi_lang_range_is_refused_with_the_range(shop, known_book):
    BookFactory(ean="9782070408504", list_price=Decimal("7.50"))

    plan = apply_csv(shop, "ean;quantite;prix\n9782070368228;1;7,12\n9782070408504;1;7,13\n")

    first, second = plan.lines
    assert first.action == Action.REFUSE
    assert "between €7.13 and €7.50" in first.message
    assert second.action == Action.CREATE  # exactly 95 % (rounded up to the cent)


def test_a_price_column_may_be_left_out_for_books_with_a_publishers_price(shop, known_book):
    plan = apply_csv(shop, "isbn;stock\n2-07-036822-X;6\n9782070408504;1\n")

    known, unknown = plan.lines
    assert known.action == Action.CREATE
    assert Listing.objects.get(book=known_book).price == Decimal("7.50")
    assert unknown.action == Action.REFUSE
    assert "No price" in unknown.message


def test_full_sync_sets_to_zero_the_listings_absent_from_the_file(shop, known_book):
    kept = ListingFactory(shop=shop, book=known_book, quantity=2)
    sold_out = ListingFactory(shop=shop, quantity=5)
    other_shop = ListingFactory(quantity=7)

    preview = plan_stock(
        shop=shop, rows=read_csv(csv_file("ean;quantite\n9782070368228;9\n")), full_sync=True
    )
    assert [title for _pk, title in preview.zeroed] == [sold_out.book.title]
    assert Listing.objects.get(pk=sold_out.pk).quantity == 5  # the preview writes nothing

    apply_csv(shop, "ean;quantite\n9782070368228;9\n", full_sync=True)

    assert Listing.objects.get(pk=kept.pk).quantity == 9
    assert Listing.objects.get(pk=sold_out.pk).quantity == 0
    assert Listing.objects.get(pk=other_shop.pk).quantity == 7


def test_a_file_for_one_shop_never_touches_another_shops_stock(shop, known_book):
    neighbour = ListingFactory(book=known_book, quantity=1, price=Decimal("7.50"))

    apply_csv(shop, "ean;quantite;prix\n9782070368228;8;7,50\n", full_sync=True)

    neighbour.refresh_from_db()
    assert neighbour.quantity == 1
    assert Listing.objects.filter(shop=shop, book=known_book).get().quantity == 8


def test_a_shops_file_fills_blank_details_of_a_shared_book_but_never_overwrites_them(shop):
    book = BookFactory(ean="9782070368228", title="L'Étranger", publisher="", list_price=Decimal("7.50"))

    apply_csv(shop, "ean;titre;editeur;quantite\n9782070368228;Un autre titre;Gallimard;1\n")

    book.refresh_from_db()
    assert (book.title, book.publisher) == ("L'Étranger", "Gallimard")


@pytest.mark.parametrize(
    ("text", "encoding"),
    [
        ('EAN,Qté,Prix\n9782070368228,2,"7,50"\n', "utf-8"),
        ("\ufeffEAN;Qté;Prix\n9782070368228;2;7,50\n", "utf-8"),  # Excel's UTF-8 with BOM
        ("EAN;Qté;Prix\n9782070368228;2;7,50\n", "cp1252"),  # French Excel "CSV (séparateur : point-virgule)"
        ("EAN\tQté\tPrix\n9782070368228\t2\t7.50\n", "utf-8"),
    ],
    ids=["comma", "utf8-bom", "windows-1252", "tab"],
)
def test_the_usual_spreadsheet_exports_give_the_same_result(shop, known_book, text, encoding):
    plan = apply_csv(shop, text, encoding=encoding)

    assert actions(plan) == [(2, Action.CREATE)]
    assert Listing.objects.get(shop=shop).quantity == 2


@pytest.mark.django_db(transaction=True)
def test_two_imports_for_the_same_shop_at_once_are_applied_one_after_the_other():
    # given two stock files for one shop arriving at the same moment
    shop = ShopFactory(status=Shop.Status.APPROVED)
    BookFactory(ean="9782070368228", list_price=Decimal("7.50"))
    results = at_once(
        *(partial(apply_csv, shop, f"ean;quantite\n9782070368228;{quantity}\n") for quantity in (4, 6))
    )
    errors = [result for result in results if isinstance(result, Exception)]

    # then no unique-constraint crash: the second waited for the first and updated its listing
    assert errors == []
    assert Listing.objects.filter(shop=shop).count() == 1
    assert Listing.objects.get(shop=shop).quantity in (4, 6)


# --- Real files ---------------------------------------------------------------------------


def dilicom_prices() -> dict[str, Decimal]:
    with open(shared(DILICOM_CSV), encoding="utf-8") as handle:
        return {row["ean13"]: Decimal(row["price_eur_fr_ttc"]) for row in csv.DictReader(handle)}


def test_the_real_dilicom_onix_feed_as_a_shops_stock_lists_104_books_at_the_prices_it_claims(shop):
    with open(shared(ONIX_SAMPLE), "rb") as onix:
        plan = stock_import_apply(
            shop=shop, rows=read_onix(onix), full_sync=False, source=Book.Source.STOCK_FILE
        )

    expected = dilicom_prices()
    assert plan.counts["create"] == 104
    [duplicate] = [line for line in plan.lines if line.action == Action.REFUSE]
    assert duplicate.ean == "9782868180483"
    books = {book.ean: book for book in Book.objects.all()}
    # A shop's file is not a reference: the prices it gives are its claims, which price its
    # own listings, and the listings wait until head office has a reference price.
    assert all(book.list_price is None for book in books.values())
    claims = dict(BookClaim.objects.filter(shop=shop).values_list("book__ean", "value"))
    assert {ean: Decimal(value) for ean, value in claims.items()} == expected
    listings = Listing.objects.filter(shop=shop).select_related("book")
    assert {listing.book.ean: listing.price for listing in listings} == expected
    assert all(listing.quantity == 0 for listing in listings)  # an ONIX feed carries no stock
    assert {listing.status for listing in listings} == {Listing.Status.PENDING}
    assert plan.counts["pending"] == 104
    assert plan.pending_reasons == {Listing.Flag.UNKNOWN_LIST_PRICE: 104}
    assert books["9782017185550"].title == "Corse Un Grand Week-end"
    assert books["9782017185550"].clil_code == "3804"


def test_the_editeur_reference_onix_sample_imports_with_its_title_and_euro_price(shop):
    with open(shared(ONIX_REFERENCE), "rb") as onix:
        plan = stock_import_apply(
            shop=shop, rows=read_onix(onix), full_sync=False, source=Book.Source.STOCK_FILE
        )

    assert plan.counts["create"] == 1
    book = Book.objects.get(ean="9780007232833")
    assert book.title.lower().startswith("roseanna")
    assert book.list_price is None  # the shop's word only
    assert Listing.objects.get(book=book).price == Decimal("8.99")
    assert "Per Wahlöö" in book.authors


def test_the_dilicom_csv_flattening_applies_at_the_real_fixed_prices(shop):
    text = shared(DILICOM_CSV).read_text(encoding="utf-8")
    # The flattening names its price column price_eur_fr_ttc: give it a till-software name.
    text = text.replace("price_eur_fr_ttc", "prix", 1)

    plan = apply_csv(shop, text)

    assert plan.counts["create"] == 104
    assert plan.counts["refuse"] == 1  # the EAN the feed repeats
    prices = dict(Listing.objects.filter(shop=shop).values_list("book__ean", "price"))
    assert prices == dilicom_prices()


def test_goodbooks_messy_isbns_are_repaired_or_refused_one_by_one(shop):
    # books.csv's "isbn" column lost the leading zeros of its ISBN-10s (439023483 for
    # 0439023483); books_isbn_normalized.csv gives the repaired ISBN-13, or nothing when
    # no valid ISBN can be recovered.
    with open(shared(GOODBOOKS_NORMALIZED), encoding="utf-8") as handle:
        expected = [row["isbn13"] for row in csv.DictReader(handle)]

    with open(shared(GOODBOOKS), "rb") as handle, translation.override("en"):
        plan = plan_stock(shop=shop, rows=read_csv(handle), full_sync=False)

    assert len(plan.lines) == len(expected) == 10_000
    for line, isbn13 in zip(plan.lines, expected, strict=True):
        if isbn13:
            assert line.ean == isbn13, line
            assert "No price" in line.message  # the list has no prices: nothing to list
        else:
            assert line.action == Action.REFUSE
            assert "ISBN" in line.message, line
    assert sum(1 for isbn13 in expected if isbn13) == 9_277
