"""Stock files as they really come: every encoding French till software and spreadsheets
write, files that mix two of them, NUL bytes, EANs a spreadsheet mangled; and failures
that say where and what to do, never an import stuck for ever."""

import codecs
import io
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation

from catalog.ean import normalize_book_ean
from catalog.imports import csv_reader, services
from catalog.imports.csv_reader import read_csv
from catalog.imports.records import FileFacts
from catalog.models import Book, Listing, StockImport, StockImportLine
from shops.models import Shop
from tests.factories import BookFactory, ListingFactory, ShopFactory


@pytest.fixture(autouse=True)
def _messages_in_english():
    with translation.override("en"):
        yield


HEADER = "EAN;Titre;Auteur;Éditeur;Quantité;Prix TTC;État"
ETRANGER = "9782070368228;L'Étranger;Albert Camus;Gallimard;3;7,50;neuf"
PESTE = "9782070408504;La Peste;Albert Camus;Gallimard;2;8,90;neuf"
TELERAMA = "9782253004226;Télérama;Collectif;Télérama;1;12,50;neuf"
CHUTE = "9782070360024;La Chute;Albert Camus;Éditions Gallimard;4;6,90;occasion"
ALL_COLUMNS = {
    "ean": "EAN", "title": "Titre", "contributors": "Auteur", "publisher": "Éditeur", "quantity": "Quantité",
    "price": "Prix TTC", "condition": "État",
}  # fmt: skip
NOT_UTF8 = (
    "This line is not written in UTF-8 like the rest of the file (it was probably pasted from another "
    "program), so its accents cannot be read. Export the file again as “CSV UTF-8”, or retype the line, "
    "then import the file again."
)
HAS_NUL = (
    "This line contains a NUL character (an invisible character, not text), left by a faulty export or "
    "copy. Export the file again, or retype the line, then import the file again."
)
ONE_LINE_REFUSED = "1 line cannot be read safely and is refused: see the refused lines for why."


def lines(*texts: str, encoding: str = "utf-8") -> bytes:
    return "".join(f"{text}\r\n" for text in texts).encode(encoding)


def utf8_with_one_windows_1252_line() -> bytes:
    """A till export (UTF-8) into which a line from an older export was pasted."""
    return lines(HEADER, ETRANGER, PESTE) + lines(TELERAMA, encoding="cp1252") + lines(CHUTE)


def read(content: bytes) -> tuple[list, FileFacts]:
    facts = FileFacts()
    return list(read_csv(io.BytesIO(content), facts)), facts


def stock(rows) -> list[tuple]:
    return [
        (row.line, row.ean, row.title, row.quantity, row.price, row.condition)
        for row in rows
        if not row.error
    ]


# --- Telling the encoding -------------------------------------------------------------------


def test_one_windows_1252_line_in_a_utf8_file_is_refused_alone_and_garbles_nothing():
    rows, facts = read(utf8_with_one_windows_1252_line())

    assert facts.encoding == "UTF-8"
    assert facts.columns == ALL_COLUMNS
    assert stock(rows) == [
        (2, "9782070368228", "L'Étranger", "3", "7,50", "neuf"),
        (3, "9782070408504", "La Peste", "2", "8,90", "neuf"),
        (5, "9782070360024", "La Chute", "4", "6,90", "occasion"),
    ]
    [refused] = [row for row in rows if row.error]
    assert (refused.line, refused.ean, refused.title, refused.error) == (4, "9782253004226", "", NOT_UTF8)
    assert rows[-1].publisher == "Éditions Gallimard"
    assert "Ã" not in repr(rows) + repr(facts)
    assert facts.warnings == [ONE_LINE_REFUSED]
    assert facts.last_line == 5


def test_a_utf8_header_decides_even_when_the_pasted_lines_have_more_accents_than_the_rest():
    # One valid UTF-8 character (the header's "é") against a dozen bytes that are not:
    # read as Windows-1252, the header would say "QuantitÃ©" and lose the quantities.
    content = lines("EAN;Titre;Quantité", "9782070368228;Un;3") + lines(
        "9782070408504;Éléphants à l'été, déjà légendés;2", "9782253004226;Été précoce;1", encoding="cp1252"
    )

    rows, facts = read(content)

    assert (facts.encoding, facts.columns["quantity"]) == ("UTF-8", "Quantité")
    assert [(row.line, row.quantity, row.error) for row in rows] == [
        (2, "3", ""), (3, None, NOT_UTF8), (4, None, NOT_UTF8),
    ]  # fmt: skip


def test_a_windows_1252_file_with_a_sequence_that_happens_to_be_valid_utf8_stays_windows_1252():
    # "É" then a non-breaking space is a valid UTF-8 sequence by accident.
    content = lines(
        "EAN;Titre;Qte",
        "9782070368228;LE CAFÉ\u00a0!;1",
        "9782070408504;Éléphants à l'été, déjà légendés;2",
        "9782253004226;Été précoce, fièvre noire;3",
        encoding="cp1252",
    )

    rows, facts = read(content)

    assert facts.encoding == "Windows-1252"
    assert [row.title for row in rows] == [
        "LE CAFÉ\u00a0!", "Éléphants à l'été, déjà légendés", "Été précoce, fièvre noire",
    ]  # fmt: skip
    assert all(row.error == "" for row in rows)


@pytest.mark.parametrize(
    ("content", "encoding"),
    [
        pytest.param(codecs.BOM_UTF8 + lines(HEADER, ETRANGER, CHUTE), "UTF-8", id="utf8-bom"),
        pytest.param(lines(HEADER, ETRANGER, CHUTE, encoding="cp1252"), "Windows-1252", id="windows-1252"),
        pytest.param(lines(HEADER, ETRANGER, CHUTE, encoding="cp850"), "DOS 850", id="dos-850"),
        pytest.param(
            "".join(f"{text}\r" for text in (HEADER, ETRANGER, CHUTE)).encode("mac_roman"),
            "Mac Roman",
            id="mac-roman-with-classic-mac-line-ends",
        ),
    ],
)
def test_utf8_with_bom_and_the_code_pages_of_till_software_are_read(content, encoding):
    rows, facts = read(content)

    assert facts.encoding == encoding
    assert facts.columns == ALL_COLUMNS
    assert stock(rows) == [
        (2, "9782070368228", "L'Étranger", "3", "7,50", "neuf"),
        (3, "9782070360024", "La Chute", "4", "6,90", "occasion"),
    ]
    assert rows[1].publisher == "Éditions Gallimard"
    assert facts.warnings == []


@pytest.mark.parametrize(("codec", "encoding"), [("cp850", "DOS 850"), ("mac_roman", "Mac Roman")])
def test_a_code_page_is_told_by_its_header_when_windows_1252_decodes_the_file_too(codec, encoding):
    content = lines("EAN;Quantité;Prix", "9782070368228;3;7,50", encoding=codec)
    # Windows-1252 decodes it too, but its "é" is not one: "Quantit\u201a" (DOS), "QuantitŽ" (Mac).
    assert content.decode("cp1252").split(";")[1] in ("Quantit\u201a", "QuantitŽ")

    rows, facts = read(content)

    assert (facts.encoding, facts.columns["quantity"], rows[0].quantity) == (encoding, "Quantité", "3")


def test_windows_1252_keeps_its_euro_signs_and_typographic_quotes():
    rows, facts = read(
        lines("EAN;Titre;Prix", "9782070368228;« L’Étranger » – Œuvres;7,50 €", encoding="cp1252")
    )

    assert facts.encoding == "Windows-1252"
    assert (rows[0].title, rows[0].price) == ("« L’Étranger » – Œuvres", "7,50 €")


EXCEL_UNICODE_TEXT = (
    "EAN\tTitre\tQuantité\tPrix\tÉtat\r\n"
    "9782070368228\tL'Étranger\t3\t7,50\tneuf\r\n"
    "9782070408504\t« La Peste » – Œuvres\t2\t8,90 €\toccasion\r\n"
)


@pytest.mark.parametrize(
    "content",
    [
        pytest.param(codecs.BOM_UTF16_LE + EXCEL_UNICODE_TEXT.encode("utf-16-le"), id="le-bom-excel"),
        pytest.param(codecs.BOM_UTF16_BE + EXCEL_UNICODE_TEXT.encode("utf-16-be"), id="be-bom"),
        pytest.param(EXCEL_UNICODE_TEXT.encode("utf-16-le"), id="le-no-bom"),
        pytest.param(EXCEL_UNICODE_TEXT.encode("utf-16-be"), id="be-no-bom"),
    ],
)
def test_utf16_files_are_read_with_or_without_their_byte_order_mark(content):
    rows, facts = read(content)

    assert facts.encoding == "UTF-16"
    assert facts.columns == {"ean": "EAN", "title": "Titre", "quantity": "Quantité", "price": "Prix",
                             "condition": "État"}  # fmt: skip
    assert stock(rows) == [
        (2, "9782070368228", "L'Étranger", "3", "7,50", "neuf"),
        (3, "9782070408504", "« La Peste » – Œuvres", "2", "8,90 €", "occasion"),
    ]


# --- Lines that cannot be read ----------------------------------------------------------------


@pytest.mark.parametrize("encoding", ["utf-8", "cp1252", "utf-16"])
def test_a_line_with_a_nul_byte_is_refused_alone(encoding):
    content = lines("EAN;Titre;Quantité", "9782070368228;Un;3", "9782070408504;De\x00ux;2", "9782070360024;Trois;4",
                    encoding=encoding)  # fmt: skip

    rows, facts = read(content)

    assert [(row.line, row.ean, row.quantity, row.error) for row in rows] == [
        (2, "9782070368228", "3", ""), (3, "9782070408504", None, HAS_NUL), (4, "9782070360024", "4", ""),
    ]  # fmt: skip
    assert facts.warnings[-1] == ONE_LINE_REFUSED


def test_a_nul_in_the_ean_itself_is_dropped_from_what_the_report_shows():
    [row], _facts = read(lines("EAN;Quantité", "97820703\x0068228;3"))

    assert (row.ean, row.error) == ("9782070368228", HAS_NUL)


def test_a_line_holding_the_replacement_character_is_refused_alone():
    rows, _facts = read(lines("EAN;Titre", "9782070368228;L'\ufffdtranger", "9782070408504;La Peste"))

    assert [(row.line, row.error) for row in rows] == [
        (2, "Some characters of this line cannot be read (they show as “�”). Correct them, or export the file "
            "again as “CSV UTF-8”, then import the file again."),
        (3, ""),
    ]  # fmt: skip


# --- What the reader tells about the file -----------------------------------------------------


def test_the_facts_name_the_columns_read_and_ignored_and_warn_of_what_is_missing():
    content = lines("Code barre;Qantité;Rayon;Prix TTC;Prix", "9782070368228;3;Polar;7,50;7,00")

    [row], facts = read(content)

    assert (row.quantity, row.price) == (None, "7,50")
    assert facts.columns == {"ean": "Code barre", "price": "Prix TTC"}
    assert facts.ignored == ["Qantité", "Rayon", "Prix"]
    assert facts.warnings == [
        "The columns “Prix TTC” and “Prix” hold the same thing: only “Prix TTC” is read.",
        "The column “Qantité” looks like “Quantité” but was not recognised, so it is ignored. If that is what "
        "it holds, name it “Quantité” and import the file again.",
        "No quantity column: every new listing will get 0 copies, and your listings already online keep their "
        "quantities.",
        "No condition column: every line counts as a new book.",
    ]
    assert facts.as_json() == {
        "encoding": "UTF-8",
        "columns": {"ean": "Code barre", "price": "Prix TTC"},
        "ignored": ["Qantité", "Rayon", "Prix"],
        "warnings": facts.warnings,
    }


def test_a_missing_price_column_is_explained():
    _rows, facts = read(lines("EAN;Quantité;État", "9782070368228;3;neuf"))

    assert facts.warnings == [
        "No price column: new books are offered at their publisher's price (the lines of books without one "
        "are refused), and your listings already online keep their prices."
    ]


def test_read_csv_still_works_without_facts():
    assert [row.quantity for row in read_csv(io.BytesIO(utf8_with_one_windows_1252_line()))] == [
        "3", "2", None, "4",
    ]  # fmt: skip


# --- EANs a spreadsheet mangled, and sheet music ---------------------------------------------


@pytest.mark.parametrize("typed", ["9.78207E+12", "9,78207E+12", "9.78207036823E+12", "9,78207036823E+12",
                                   "9.78207e12"])  # fmt: skip
def test_an_ean_a_spreadsheet_wrote_in_scientific_notation_is_refused_with_what_to_do(typed):
    with pytest.raises(ValidationError) as refused:
        normalize_book_ean(typed)

    assert refused.value.code == "ean_spreadsheet_number"
    assert refused.value.messages == [
        f"“{typed}” is an EAN that the spreadsheet turned into a number, losing its last digits. Format the EAN "
        "column as Text in the spreadsheet, type or paste the EANs again if needed, and export the file again."
    ]


@pytest.mark.parametrize(
    ("typed", "ean"),
    [
        ("9782070368228.0", "9782070368228"),
        ("9782070368228,0", "9782070368228"),
        (" 9782070368228,00 ", "9782070368228"),
        ("9.782070368228E+12", "9782070368228"),  # all 13 digits kept: nothing lost
        ("439023483.0", "9780439023481"),  # an ISBN-10 that also lost its leading zero
    ],
)
def test_an_ean_a_spreadsheet_wrote_as_a_whole_number_is_accepted(typed, ean):
    assert normalize_book_ean(typed) == ean


@pytest.mark.parametrize("typed", ["9790260000438", "979-0-2600-0043-8"])
def test_sheet_music_is_refused_as_not_a_book(typed):
    with pytest.raises(ValidationError) as refused:
        normalize_book_ean(typed)

    assert refused.value.code == "ean_sheet_music"
    assert refused.value.messages == [
        f"“{typed}” is sheet music (ISMN, 979-0…), not a book. If the shop may list sheet music, "
        "give its kind of product."
    ]


def test_a_product_that_is_not_a_book_is_refused_with_a_clear_reason():
    with pytest.raises(ValidationError) as refused:
        normalize_book_ean("3017620422003")

    assert refused.value.messages == [
        "“3017620422003” is an EAN, but not a book's (a book's starts with 978 or 979). If it is another "
        "kind of product (a board game, a toy…), give its kind."
    ]


# --- The whole way: upload, preview, apply ----------------------------------------------------


@pytest.fixture
def shop(db):
    return ShopFactory(status=Shop.Status.APPROVED)


@pytest.fixture
def books(db):
    return [
        BookFactory(ean=ean, title=title, list_price=price)
        for ean, title, price in [
            ("9782070368228", "L'Étranger", Decimal("7.50")),
            ("9782070408504", "La Peste", Decimal("8.90")),
            ("9782253004226", "Télérama", Decimal("12.50")),
        ]
    ]


def start(shop, content: bytes, capture_on_commit, *, full_sync=False) -> StockImport:
    with capture_on_commit():
        stock_import = services.stock_import_start(
            shop=shop, upload=SimpleUploadedFile("stock.csv", content), full_sync=full_sync, by=None
        )
    stock_import.refresh_from_db()
    return stock_import


def apply(stock_import, capture_on_commit) -> StockImport:
    with capture_on_commit():
        services.stock_import_confirm(stock_import=stock_import)
    stock_import.refresh_from_db()
    return stock_import


def quantities(shop) -> dict[str, int]:
    return dict(Listing.objects.filter(shop=shop).values_list("book__ean", "quantity"))


def report(stock_import, action) -> list[tuple]:
    return list(stock_import.lines.filter(action=action).values_list("line", "ean", "message"))


def test_a_mixed_encoding_file_is_previewed_and_applied_but_its_odd_line(shop, books, capture_on_commit):
    stock_import = start(shop, utf8_with_one_windows_1252_line(), capture_on_commit)

    assert stock_import.status == StockImport.Status.PREVIEWED
    facts = {"encoding": "UTF-8", "columns": ALL_COLUMNS, "ignored": [], "warnings": [ONE_LINE_REFUSED]}
    assert stock_import.file_facts == facts
    assert report(stock_import, "refuse") == [(4, "9782253004226", NOT_UTF8)]

    stock_import = apply(stock_import, capture_on_commit)

    assert stock_import.status == StockImport.Status.APPLIED
    assert stock_import.file_facts == facts  # what the preview found out is kept
    assert quantities(shop) == {"9782070368228": 3, "9782070408504": 2, "9782070360024": 4}
    new_book = Book.objects.get(ean="9782070360024")
    assert (new_book.title, new_book.publisher) == ("La Chute", "Éditions Gallimard")
    assert not Book.objects.filter(title__contains="Ã").exists()
    assert not Book.objects.filter(publisher__contains="Ã").exists()


def test_an_excel_unicode_text_file_is_previewed_and_applied(shop, books, capture_on_commit):
    content = codecs.BOM_UTF16_LE + EXCEL_UNICODE_TEXT.replace("8,90 €", "8,90").encode("utf-16-le")

    stock_import = start(shop, content, capture_on_commit)

    assert stock_import.status == StockImport.Status.PREVIEWED
    assert stock_import.file_facts["encoding"] == "UTF-16"
    assert stock_import.counts["create"] == 2
    stock_import = apply(stock_import, capture_on_commit)
    assert stock_import.status == StockImport.Status.APPLIED
    assert quantities(shop) == {"9782070368228": 3, "9782070408504": 2}
    assert set(Listing.objects.filter(shop=shop).values_list("condition", flat=True)) == {
        Listing.Condition.NEW, Listing.Condition.USED_GOOD,
    }  # fmt: skip


def test_a_nul_line_is_reported_without_breaking_the_report(shop, books, capture_on_commit):
    content = lines("EAN;Quantité", "9782070368228;3", "97820704\x0008504;2")

    stock_import = start(shop, content, capture_on_commit)

    assert stock_import.status == StockImport.Status.PREVIEWED
    assert report(stock_import, "refuse") == [(3, "9782070408504", HAS_NUL)]
    assert apply(stock_import, capture_on_commit).status == StockImport.Status.APPLIED
    assert quantities(shop) == {"9782070368228": 3}


@pytest.mark.parametrize(
    "content",
    [
        pytest.param(codecs.BOM_UTF16_LE + "Titre\tQuantité\r\nUn\t3\r\n".encode("utf-16-le"), id="utf16"),
        pytest.param(lines("Ti\x00tre;Quantité", "Un;3"), id="nul-in-the-header"),
    ],
)
def test_a_file_without_ean_column_fails_with_its_columns_rather_than_staying_previewing(
    shop, capture_on_commit, content
):
    stock_import = start(shop, content, capture_on_commit)

    assert stock_import.status == StockImport.Status.FAILED
    assert "Columns found: “Titre”, “Quantité”." in stock_import.error


def test_an_unexpected_error_while_reading_names_the_line(shop, books, capture_on_commit, monkeypatch):
    stock_row = csv_reader._stock_row

    def failing_on_line_3(cells, columns, others, *, line, header_width):
        if line == 3:
            raise RuntimeError("a bug")
        return stock_row(cells, columns, others, line=line, header_width=header_width)

    monkeypatch.setattr(csv_reader, "_stock_row", failing_on_line_3)

    stock_import = start(shop, lines(HEADER, ETRANGER, PESTE, CHUTE), capture_on_commit)

    assert stock_import.status == StockImport.Status.FAILED
    assert stock_import.error == (
        "An unexpected error stopped this import at line 3; your stock was not changed. Check the file there "
        "and import it again; if it looks right, send us the file so that we can look into it."
    )
    assert not Listing.objects.filter(shop=shop).exists()


def test_an_unexpected_error_after_reading_says_so(shop, books, capture_on_commit, monkeypatch):
    stock_import = start(shop, lines(HEADER, ETRANGER), capture_on_commit)
    monkeypatch.setattr(services, "stock_import_apply", lambda **kwargs: 1 / 0)

    stock_import = apply(stock_import, capture_on_commit)

    assert stock_import.status == StockImport.Status.FAILED
    assert stock_import.error.startswith("An unexpected error stopped this import after its file was read")
    assert not Listing.objects.filter(shop=shop).exists()


def test_a_file_that_breaks_the_csv_reader_fails_with_its_line(shop, capture_on_commit):
    stock_import = start(shop, lines("EAN;Titre", "9782070368228;Un", "9782070408504;" + "x" * 200_000),
                         capture_on_commit)  # fmt: skip

    assert stock_import.status == StockImport.Status.FAILED
    assert "from line 3 on" in stock_import.error


# --- The import's page ------------------------------------------------------------------------


def en(name, *args):
    with translation.override("en"):
        return reverse(name, args=args)


@pytest.mark.django_db
def test_after_a_failed_import_the_bookseller_uploads_again(
    client, owner_a, shop_a, books, capture_on_commit
):
    client.force_login(owner_a)
    with capture_on_commit():
        client.post(en("admin:catalog_stockimport_add"),
                    {"shop": shop_a.pk, "file": SimpleUploadedFile("stock.csv", lines("Titre", "Un"))})  # fmt: skip
    failed = StockImport.objects.get()
    assert failed.status == StockImport.Status.FAILED

    assert client.get(en("admin:catalog_stockimport_change", failed.pk)).status_code == 200
    assert client.get(en("admin:catalog_stockimport_add")).status_code == 200
    with capture_on_commit():
        response = client.post(
            en("admin:catalog_stockimport_add"),
            {"shop": shop_a.pk, "file": SimpleUploadedFile("stock.txt", codecs.BOM_UTF16_LE
                                                           + EXCEL_UNICODE_TEXT.encode("utf-16-le"))},
        )  # fmt: skip

    second = StockImport.objects.exclude(pk=failed.pk).get()
    assert response["Location"] == en("admin:catalog_stockimport_change", second.pk)
    assert second.status == StockImport.Status.PREVIEWED
    assert second.file_facts["encoding"] == "UTF-16"


@pytest.mark.django_db
def test_the_preview_shows_the_file_its_warnings_and_the_moderation_before_the_apply_button(
    client, owner_a, shop_a
):
    stock_import = StockImport.objects.create(
        shop=shop_a, original_name="stock.csv", format="csv", status=StockImport.Status.PREVIEWED,
        full_sync=True, language="en",
        counts={"create": 1, "update": 0, "unchanged": 0, "refuse": 0, "zeroed": 3, "in_stock": 5, "pending": 4,
                "pending_reasons": {"unknown_list_price": 3, "suspicious_quantity": 1}},
        file_facts={"encoding": "DOS 850", "columns": {"ean": "Code barre", "quantity": "Qté"},
                    "ignored": ["Rayon"], "warnings": ["No condition column: every line counts as a new book."]},
    )  # fmt: skip
    client.force_login(owner_a)

    page = client.get(en("admin:catalog_stockimport_change", stock_import.pk)).text

    apply_button = page.index("Apply this import")
    shown = [
        "4 listings will wait for moderation",
        "New book without a reference publisher&#x27;s price: 3",
        "Unusually large quantity: 1",
        "This will set 3 of your 5 listings in stock to 0.",
        '<li class="warning">No condition column: every line counts as a new book.</li>',
        "Character encoding: DOS 850",
        "<q>Code barre</q> (EAN / ISBN), <q>Qté</q> (quantity)",
        "Columns ignored: <q>Rayon</q>",
    ]
    positions = {text: page.find(text) for text in shown}
    assert all(0 <= position < apply_button for position in positions.values()), positions


@pytest.mark.django_db
def test_a_full_sync_that_zeroes_less_than_half_the_stock_is_not_alarming(client, owner_a, shop_a):
    stock_import = StockImport.objects.create(
        shop=shop_a, original_name="stock.csv", format="csv", status=StockImport.Status.PREVIEWED,
        full_sync=True, counts={"create": 0, "update": 0, "unchanged": 3, "refuse": 0, "zeroed": 2, "in_stock": 5},
    )  # fmt: skip
    client.force_login(owner_a)

    page = client.get(en("admin:catalog_stockimport_change", stock_import.pk)).text

    assert "listings in stock to 0" not in page
    assert "wait for moderation" not in page


def test_a_real_full_sync_preview_counts_the_listings_in_stock(shop, books, capture_on_commit):
    for book in books:
        ListingFactory(shop=shop, book=book, quantity=2)

    stock_import = start(shop, lines("EAN;Quantité", "9782070368228;3"), capture_on_commit, full_sync=True)

    assert (stock_import.counts["zeroed"], stock_import.counts["in_stock"]) == (2, 3)
    assert services.stock_import_preview_details(stock_import)["zeroes_most_of_the_stock"] is True
    assert StockImportLine.objects.filter(stock_import=stock_import, action="zeroed").count() == 2
