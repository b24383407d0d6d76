"""Reading stock files (ONIX 3.0 feeds, CSV exports of till software) into StockRow
records, before the planner judges them. No database: readers only read."""

import csv
import io
import re
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation

from catalog.imports.csv_reader import parse_price, read_csv
from catalog.imports.onix import read_onix
from catalog.imports.records import ContributorRecord, FileFormatError, StockRow
from tests.conftest import SHARED_DATA_DIR, require

DILICOM_ONIX = SHARED_DATA_DIR / "onix_samples" / "Sample_ONIX_3.0.xml"
EDITEUR_ONIX = SHARED_DATA_DIR / "onix_samples" / "full_sample.xml"
DILICOM_CSV = SHARED_DATA_DIR / "french_books_prix_unique" / "books_from_dilicom_onix.csv"
GOODBOOKS_CSV = SHARED_DATA_DIR / "goodbooks_10k" / "books.csv"

OFFICIAL_NAMESPACE = "http://ns.editeur.org/onix/3.0/reference"
DILICOMS_NAMESPACE = "http://www.editeur.org/onix/3.0/reference"
ROLES_IN_DILICOMS_CSV = {"A01": "author", "A12": "illustrator", "A15": "preface", "B06": "translator"}


@pytest.fixture(autouse=True)
def _messages_in_english():
    """Messages are checked in English, the language of the code, whatever the
    French catalogue says."""
    with translation.override("en"):
        yield


def shared_file(path: Path) -> Path:
    require(path.name, path.is_file(), f"expected at {path} (set SHARED_DATA_DIR)")
    return path


# --- ONIX messages built in the tests ---------------------------------------------------


def onix_message(*products: str, namespace: str | None = None, release: str = "3.0") -> bytes:
    xmlns = f' xmlns="{namespace}"' if namespace else ""
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<ONIXMessage release="{release}"{xmlns}>\n'
        "<Header><Sender><SenderName>Test</SenderName></Sender></Header>\n"
        + "\n".join(products)
        + "\n</ONIXMessage>\n"
    ).encode()


def onix_product(*blocks: str, ean: str = "9782070360024", notification: str = "03") -> str:
    return (
        f"<Product><RecordReference>test</RecordReference><NotificationType>{notification}</NotificationType>"
        f"{identifier('15', ean) if ean else ''}{''.join(blocks)}</Product>"
    )


def identifier(id_type: str, value: str) -> str:
    return (
        f"<ProductIdentifier><ProductIDType>{id_type}</ProductIDType><IDValue>{value}</IDValue>"
        "</ProductIdentifier>"
    )


def descriptive(*elements: str) -> str:
    return f"<DescriptiveDetail>{''.join(elements)}</DescriptiveDetail>"


def publishing(*elements: str) -> str:
    return f"<PublishingDetail>{''.join(elements)}</PublishingDetail>"


def supply(*elements: str) -> str:
    return f"<ProductSupply><SupplyDetail>{''.join(elements)}</SupplyDetail></ProductSupply>"


def title(text: str, title_type: str = "01") -> str:
    return (
        f"<TitleDetail><TitleType>{title_type}</TitleType><TitleElement>"
        f"<TitleElementLevel>01</TitleElementLevel><TitleText>{text}</TitleText></TitleElement></TitleDetail>"
    )


def contributor(role: str, names: str, number: int | None = None) -> str:
    sequence = f"<SequenceNumber>{number}</SequenceNumber>" if number else ""
    return f"<Contributor>{sequence}<ContributorRole>{role}</ContributorRole>{names}</Contributor>"


def countries(codes: str) -> str:
    return f"<CountriesIncluded>{codes}</CountriesIncluded>"


def price(amount: str, *, price_type: str = "04", currency: str = "EUR", territory: str | None = None) -> str:
    territory = countries("FR") if territory is None else territory
    return (
        f"<Price><PriceType>{price_type}</PriceType><PriceAmount>{amount}</PriceAmount>"
        f"<CurrencyCode>{currency}</CurrencyCode><Territory>{territory}</Territory></Price>"
    )


def read_one_product(*blocks: str, **product) -> StockRow:
    [row] = read_onix(io.BytesIO(onix_message(onix_product(*blocks, **product))))
    return row


# --- ONIX: real feeds --------------------------------------------------------------------


def test_every_product_of_dilicoms_feed_matches_its_flattened_csv():
    rows = list(read_onix(shared_file(DILICOM_ONIX)))
    with open(shared_file(DILICOM_CSV), encoding="utf-8", newline="") as handle:
        expected = list(csv.DictReader(handle))

    assert len(rows) == len(expected) == 105
    mismatches = []
    for row, book in zip(rows, expected, strict=True):
        published = book["publication_date"]
        wanted = {
            "ean": book["ean13"],
            "title": book["title"],
            "subtitle": book["subtitle"],
            "imprint": book["imprint"],
            "publisher": book["publisher"],
            "list_price": Decimal(book["price_eur_fr_ttc"]),
            "page_count": int(book["pages"]) if book["pages"] else None,
            "clil_code": book["clil_codes"].split(";")[0],
            "publication_date": date(int(published[:4]), int(published[4:6]), int(published[6:])),
            "language": book["language"],
            "format": "paperback",
            "error": "",
            # The CSV lists contributors in the file's order, the reader by sequence number.
            "contributors": sorted(
                (name, ROLES_IN_DILICOMS_CSV.get(code, "other"))
                for name, code in re.findall(r"(.+?) \((\w+)\)(?:; |$)", book["contributors"])
            ),
        }
        found = {field: getattr(row, field) for field in wanted}
        found["contributors"] = sorted((person.name, person.role) for person in row.contributors)
        mismatches += [
            (row.line, field, found[field], value) for field, value in wanted.items() if found[field] != value
        ]
    assert mismatches == []


def test_dilicoms_feed_is_read_in_feed_order_with_its_repeated_record_twice():
    rows = list(read_onix(shared_file(DILICOM_ONIX)))

    assert [row.line for row in rows] == list(range(1, 106))
    assert [row.line for row in rows if row.ean == "9782868180483"] == [97, 98]
    assert all(row.quantity is None and row.price is None and row.condition is None for row in rows)


def test_contributors_follow_their_sequence_numbers_not_their_order_in_the_file():
    rows = list(read_onix(shared_file(DILICOM_ONIX)))

    assert rows[100].contributors == [
        ContributorRecord("Octavia E. Butler", "author"),
        ContributorRecord("Jessica Shapiro", "translator"),
        ContributorRecord("Fania Noël", "other"),  # A19, afterword
        ContributorRecord("Marion Mazauric", "preface"),
    ]


def test_a_description_escaped_twice_becomes_plain_text_with_its_line_breaks():
    corsica = next(read_onix(shared_file(DILICOM_ONIX)))

    assert corsica.description.startswith(
        "Tous les sites incontournables, des balades et des activités de plein air, nos adresses coups"
    )
    assert " :\n\n- Toutes les possibilités de week-end autour d’Ajaccio" in corsica.description
    assert "\n- Des plans détaillés pour chaque région.\n- Plein d'idées" in corsica.description
    assert corsica.description.endswith("écouter des chants corses...")
    assert not re.search(r"[<>&]", corsica.description)


def test_editeurs_reference_sample_is_read_in_full():
    [roseanna] = read_onix(shared_file(EDITEUR_ONIX))

    assert (roseanna.line, roseanna.ean, roseanna.title, roseanna.subtitle) == (
        1,
        "9780007232833",
        "Roseanna",
        "",
    )
    assert roseanna.contributors == [
        ContributorRecord("Maj Sjöwall", "author"),
        ContributorRecord("Per Wahlöö", "author"),
        ContributorRecord("Lois Roth", "translator"),
        ContributorRecord("Henning Mankell", "preface"),  # A24, introduction
    ]
    assert (roseanna.publisher, roseanna.imprint) == ("HarperCollins Publishers", "HarperPerennial")
    assert roseanna.publication_date == date(2006, 8, 7)
    assert (roseanna.language, roseanna.page_count, roseanna.format) == ("eng", 245, "pocket")
    assert roseanna.list_price == Decimal("8.99")  # the EUR price for France, not GBP 7.99
    assert roseanna.clil_code == ""
    assert roseanna.description.startswith("Widely recognised as the among the greatest crime fiction")
    assert "Jonathan Franzen.\n\nWritten in 1965, Roseanna is the work" in roseanna.description
    assert roseanna.error == ""


# --- ONIX: what a product gives ----------------------------------------------------------


@pytest.mark.parametrize("namespace", [None, OFFICIAL_NAMESPACE, DILICOMS_NAMESPACE])
def test_a_feed_is_read_with_the_official_namespace_dilicoms_or_none(namespace):
    message = onix_message(
        onix_product(
            descriptive(
                "<ProductForm>BB</ProductForm>",
                title("L’Étranger"),
                contributor("A01", "<NamesBeforeKey>Albert</NamesBeforeKey><KeyNames>Camus</KeyNames>"),
                "<Language><LanguageRole>01</LanguageRole><LanguageCode>FRE</LanguageCode></Language>",
            ),
            publishing(
                "<Imprint><ImprintName>Folio</ImprintName></Imprint>",
                "<Publisher><PublishingRole>01</PublishingRole><PublisherName>Gallimard</PublisherName></Publisher>",
            ),
            supply(price("8.50")),
        ),
        namespace=namespace,
    )

    [row] = read_onix(io.BytesIO(message))

    assert (row.ean, row.title, row.format, row.language) == (
        "9782070360024",
        "L’Étranger",
        "hardback",
        "fre",
    )
    assert row.contributors == [ContributorRecord("Albert Camus", "author")]
    assert (row.publisher, row.imprint, row.list_price) == ("Gallimard", "Folio", Decimal("8.50"))


def test_a_deletion_notice_is_read_with_an_error_so_that_it_is_not_imported():
    row = read_one_product(descriptive(title("Retiré")), notification="05")

    assert (row.ean, row.title) == ("9782070360024", "Retiré")
    assert row.error == "This book is marked as deleted in the ONIX file: it is not imported."


def test_a_product_without_ean_is_read_with_an_error_saying_so():
    row = read_one_product(
        identifier("01", "NUART-7586125"),  # the publisher's own reference
        descriptive(title("Sans code")),
        ean="",
    )

    assert row.ean == ""
    assert "has no EAN (ISBN-13)" in row.error


def test_the_isbn_13_is_preferred_to_the_gtin_13_which_is_used_when_alone():
    gtin = identifier("03", "3760000000001")

    assert read_one_product(gtin).ean == "9782070360024"
    assert read_one_product(gtin, ean="").ean == "3760000000001"


def test_only_the_books_own_title_is_taken_not_its_series_nor_other_title_types():
    row = read_one_product(
        descriptive(
            "<Collection><TitleDetail><TitleType>01</TitleType><TitleElement>"
            "<TitleElementLevel>01</TitleElementLevel><TitleText>Folio</TitleText></TitleElement>"
            "</TitleDetail></Collection>",
            title("LIVRE : ETRANGER", title_type="05"),
            "<TitleDetail><TitleType>01</TitleType>"
            "<TitleElement><TitleElementLevel>02</TitleElementLevel><TitleText>Série</TitleText></TitleElement>"
            "<TitleElement><TitleElementLevel>01</TitleElementLevel><TitlePrefix>L’</TitlePrefix>"
            "<TitleWithoutPrefix>Étranger</TitleWithoutPrefix><Subtitle>roman</Subtitle></TitleElement>"
            "</TitleDetail>",
        )
    )

    assert (row.title, row.subtitle) == ("L’ Étranger", "roman")


def test_contributor_names_are_taken_in_order_of_preference_and_turned_round_when_inverted():
    row = read_one_product(
        descriptive(
            contributor("A01", "<PersonNameInverted>Wahlöö, Per</PersonNameInverted>", 1),
            contributor("A01", "<PersonName>Maj Sjöwall</PersonName><KeyNames>Ignored</KeyNames>", 2),
            contributor("A01", "<NamesBeforeKey>Antoine</NamesBeforeKey><PrefixToKey>de</PrefixToKey>"
                               "<KeyNames>Saint-Exupéry</KeyNames>", 3),
            contributor("A01", "<CorporateName>Collectif</CorporateName>", 4),
            contributor("A01", "<UnnamedPersons>02</UnnamedPersons>", 5),
        )
    )  # fmt: skip

    assert [c.name for c in row.contributors] == [
        "Per Wahlöö",
        "Maj Sjöwall",
        "Antoine de Saint-Exupéry",
        "Collectif",
    ]


@pytest.mark.parametrize(
    ("code", "role"),
    [("A01", "author"), ("B06", "translator"), ("A12", "illustrator"), ("B01", "editor"), ("B11", "editor"),
     ("A15", "preface"), ("A24", "preface"), ("A19", "other"), ("", "other")],
)  # fmt: skip
def test_contributor_roles_are_mapped_to_the_catalogues(code, role):
    row = read_one_product(descriptive(contributor(code, "<PersonName>Anne Person</PersonName>")))

    assert row.contributors == [ContributorRecord("Anne Person", role)]


def publishing_date(role: str, when: str, date_format: str = "") -> str:
    return (
        f"<PublishingDate><PublishingDateRole>{role}</PublishingDateRole>{date_format}<Date>{when}</Date>"
        "</PublishingDate>"
    )


@pytest.mark.parametrize(
    ("dates", "published"),
    [
        (publishing_date("01", "20230308"), date(2023, 3, 8)),
        (publishing_date("01", "20230308", "<DateFormat>00</DateFormat>"), date(2023, 3, 8)),
        (publishing_date("01", "202303", "<DateFormat>01</DateFormat>"), date(2023, 3, 1)),
        (publishing_date("11", "1965").replace("<Date>", "<Date dateformat='05'>"), date(1965, 1, 1)),
        (publishing_date("11", "19650101") + publishing_date("01", "20060807"), date(2006, 8, 7)),
        (publishing_date("01", "20231332"), None),
        (publishing_date("01", "2023", "<DateFormat>00</DateFormat>"), None),
        (publishing_date("01", "mars 2023"), None),
        (publishing_date("20", "1965"), None),
    ],
)
def test_the_publication_date_is_read_in_the_formats_onix_allows(dates, published):
    assert read_one_product(publishing(dates)).publication_date == published


def test_the_page_count_is_the_main_content_extent_in_pages():
    extents = (
        "<Extent><ExtentType>00</ExtentType><ExtentValue>350</ExtentValue><ExtentUnit>05</ExtentUnit></Extent>"
        "<Extent><ExtentType>07</ExtentType><ExtentValue>256</ExtentValue><ExtentUnit>03</ExtentUnit></Extent>"
        "<Extent><ExtentType>05</ExtentType><ExtentValue>240</ExtentValue><ExtentUnit>03</ExtentUnit></Extent>"
    )

    assert read_one_product(descriptive(extents)).page_count == 240
    assert read_one_product(descriptive()).page_count is None


@pytest.mark.parametrize(
    ("form", "details", "book_format"),
    [("BB", [], "hardback"), ("BC", [], "paperback"), ("BC", ["B104"], "pocket"),
     ("BC", ["B113", "B105"], "pocket"), ("BH", [], "board_book"), ("BE", [], "spiral"), ("AJ", [], "audio"),
     ("BZ", [], "other"), ("EA", [], "other")],
)  # fmt: skip
def test_the_product_form_gives_the_books_format(form, details, book_format):
    form_details = "".join(f"<ProductFormDetail>{detail}</ProductFormDetail>" for detail in details)

    assert (
        read_one_product(descriptive(f"<ProductForm>{form}</ProductForm>", form_details)).format
        == book_format
    )


def test_the_main_clil_subject_is_preferred_to_the_first_one():
    subjects = (
        "<Subject><SubjectSchemeIdentifier>93</SubjectSchemeIdentifier><SubjectCode>FBA</SubjectCode></Subject>"
        "<Subject><SubjectSchemeIdentifier>29</SubjectSchemeIdentifier><SubjectCode>3435</SubjectCode></Subject>"
        "<Subject><MainSubject/><SubjectSchemeIdentifier>29</SubjectSchemeIdentifier>"
        "<SubjectCode>3436</SubjectCode></Subject>"
    )

    assert read_one_product(descriptive(subjects)).clil_code == "3436"


FRANCE_EXCLUDED = "<RegionsIncluded>WORLD</RegionsIncluded><CountriesExcluded>BE CH FR</CountriesExcluded>"
WORLD_BUT_CANADA = "<RegionsIncluded>WORLD</RegionsIncluded><CountriesExcluded>CA</CountriesExcluded>"


@pytest.mark.parametrize(
    ("prices", "list_price"),
    [
        pytest.param([price("14.69", price_type="01"), price("15.50")], "15.50", id="fixed-price-preferred"),
        pytest.param([price("9.00", territory=countries("BE LU")),
                      price("8.00", price_type="02", territory=countries("DE AT FR"))],
                     "8.00", id="fr-in-a-list"),
        pytest.param([price("7.00", price_type="02", territory=FRANCE_EXCLUDED),
                      price("7.50", price_type="01", territory=WORLD_BUT_CANADA)],
                     "7.50", id="world-but-not-france"),
        pytest.param([price("16.90", price_type="04", currency="CHF", territory=countries("CH")),
                      price("7.99", price_type="02", currency="GBP")], None, id="no-euro-price-for-france"),
        pytest.param([price("12.00", price_type="42")], None, id="other-price-types-ignored"),
    ],
)  # fmt: skip
def test_the_list_price_is_the_publishers_euro_price_for_france(prices, list_price):
    row = read_one_product(supply(*prices))

    assert row.list_price == (Decimal(list_price) if list_price else None)
    assert row.price is None


def test_a_price_without_territory_applies_to_its_market():
    product_supply = (
        "<ProductSupply><Market><Territory>{}</Territory></Market><SupplyDetail><Price><PriceType>04</PriceType>"
        "<PriceAmount>11.00</PriceAmount><CurrencyCode>EUR</CurrencyCode></Price></SupplyDetail></ProductSupply>"
    )

    assert read_one_product(product_supply.format(WORLD_BUT_CANADA)).list_price == Decimal("11.00")
    assert read_one_product(product_supply.format(FRANCE_EXCLUDED)).list_price is None


def test_the_quantity_is_the_stock_on_hand_when_the_feed_gives_it():
    on_hand = "<Stock><OnHand>3</OnHand></Stock>"

    assert read_one_product(supply(on_hand, price("8.50"))).quantity == "3"
    assert read_one_product(supply(price("8.50"))).quantity is None


def test_an_xhtml_description_is_turned_into_paragraphs_and_lines():
    text_content = (
        "<CollateralDetail>"
        "<TextContent><TextType>02</TextType><Text textformat='05'>Court.</Text></TextContent>"
        "<TextContent><TextType>03</TextType><Text textformat='05'><p>Un <em>grand</em>   roman.</p>"
        "<p>Première ligne<br/>seconde ligne</p><p>5 &lt; 6 &amp;&amp; pas de balise</p></Text></TextContent>"
        "</CollateralDetail>"
    )

    assert read_one_product(text_content).description == (
        "Un grand roman.\n\nPremière ligne\nseconde ligne\n\n5 < 6 && pas de balise"
    )


def test_html_escaped_again_and_again_is_unescaped_until_plain_text():
    escaped_twice_more = (
        "<CollateralDetail><TextContent><TextType>03</TextType>"
        "<Text>Caf&amp;amp;eacute; &amp;amp;amp; th&amp;eacute;&amp;lt;br /&amp;gt;&amp;nbsp;Fin</Text>"
        "</TextContent></CollateralDetail>"
    )

    assert read_one_product(escaped_twice_more).description == "Café & thé\nFin"


# --- ONIX: whole files refused -------------------------------------------------------------


def test_broken_xml_is_refused_with_the_line_of_the_problem():
    broken = onix_message(onix_product(descriptive(title("Un"))), onix_product(descriptive(title("Deux"))))
    broken = broken.replace(b"<TitleText>Deux</TitleText>", b"<TitleText>Deux</Title>")

    with pytest.raises(FileFormatError, match="cannot be read from line 5 on"):
        list(read_onix(io.BytesIO(broken)))


@pytest.mark.parametrize(
    ("content", "message"),
    [
        pytest.param(onix_message(onix_product(), release="2.1"), "This file is in ONIX 2.1, an older",
                     id="onix-2.1-reference-tags"),
        pytest.param(b'<ONIXMessage xmlns="http://www.editeur.org/onix/2.1/reference"><Product/></ONIXMessage>',
                     "in ONIX 2.1", id="onix-2.1-namespace-without-release"),
        pytest.param(b'<ONIXmessage release="2.1"><product><b221>15</b221></product></ONIXmessage>',
                     "written with short tags", id="short-tags"),
        pytest.param(b"<rss><channel/></rss>", "not an ONIX 3.0 file", id="not-onix"),
        pytest.param(b"EAN;Titre\n9782070360024;L'Etranger\n", "damaged or is not an ONIX", id="a-csv-file"),
        pytest.param(b"", "cannot be read from line 1", id="empty"),
        pytest.param(onix_message(), "contains no book", id="no-product"),
    ],
)  # fmt: skip
def test_a_file_that_is_not_onix_3_is_refused_with_what_to_do(content, message):
    with pytest.raises(FileFormatError, match=message):
        list(read_onix(io.BytesIO(content)))


def test_an_external_entity_is_never_fetched(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("do not leak")
    message = onix_message(onix_product(descriptive(title("&secret;")))).replace(
        b"<ONIXMessage",
        f'<!DOCTYPE ONIXMessage [<!ENTITY secret SYSTEM "file://{secret}">]>\n<ONIXMessage'.encode(),
    )

    with pytest.raises(FileFormatError, match="cannot be read from line"):
        list(read_onix(io.BytesIO(message)))


def test_an_onix_file_is_read_from_a_path_its_name_or_an_upload(tmp_path):
    content = onix_message(onix_product(descriptive(title("Un"))))
    path = tmp_path / "feed.xml"
    path.write_bytes(content)
    upload = SimpleUploadedFile("feed.xml", content)

    for source in (path, str(path), upload):
        assert [row.title for row in read_onix(source)] == ["Un"]


# --- CSV: files written the way till software and spreadsheets write them ----------------


def read_csv_bytes(content: bytes) -> list[StockRow]:
    return list(read_csv(io.BytesIO(content)))


def test_a_semicolon_file_from_french_excel_is_read():
    content = (
        "Code barre;Titre;Auteur;Éditeur;Quantité;Prix TTC;État\r\n"
        "9782070360024;L'Étranger;Camus, Albert;Éditions Gallimard;3;8,50 €;Neuf\r\n"
        "9782253004226;Télérama hors-série;Collectif;Télérama;1;12,50 €;Occasion - très bon état\r\n"
    ).encode("cp1252")
    assert b"\x80" in content  # the euro sign as Windows-1252 writes it

    first, second = read_csv_bytes(content)

    assert (first.line, first.ean, first.title, first.publisher) == (
        2,
        "9782070360024",
        "L'Étranger",
        "Éditions Gallimard",
    )
    assert first.contributors == [ContributorRecord("Albert Camus", "author")]
    assert (first.quantity, first.price, first.condition) == ("3", "8,50 €", "Neuf")
    assert (second.line, second.title, second.condition) == (
        3,
        "Télérama hors-série",
        "Occasion - très bon état",
    )


@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
def test_commas_semicolons_and_tabs_are_recognised(delimiter):
    header = delimiter.join(["EAN", "Title", "Qty", "Price"])
    line = delimiter.join(["9782070360024", '"Un, deux; trois\tsoleil"', "2", '"12,50"'])

    [row] = read_csv_bytes(f"{header}\n{line}\n".encode())

    assert (row.ean, row.title, row.quantity, row.price, row.error) == (
        "9782070360024", "Un, deux; trois\tsoleil", "2", "12,50", "",
    )  # fmt: skip


def test_a_comma_in_a_header_name_does_not_hide_the_semicolons():
    [row] = read_csv_bytes("EAN;Titre;Prix, TTC\n9782070360024;L'Étranger;8,50\n".encode())

    assert (row.ean, row.title) == ("9782070360024", "L'Étranger")


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1252"])
def test_utf8_with_or_without_bom_and_windows_1252_are_read(encoding):
    content = 'EAN,Titre,Éditeur,Prix public\n9782070360024,Télérama,Éditions du Seuil,"12,50 €"\n'

    [row] = read_csv_bytes(content.encode(encoding))

    assert (row.ean, row.title, row.publisher, row.list_price) == (
        "9782070360024", "Télérama", "Éditions du Seuil", Decimal("12.50"),
    )  # fmt: skip


def test_blank_lines_are_skipped_and_lines_keep_their_number_in_the_file():
    content = (
        b"\n"  # line 1: blank lines before the header happen too
        b"EAN;Titre;Quantite\n"  # 2
        b"9782070360024;Un;1\n"  # 3
        b"\n"  # 4
        b" ; ;\n"  # 5
        b'9782253004226;"Deux\nsur deux lignes";2\n'  # 6-7
        b"9782070368228;Trois;3\n"  # 8
    )

    rows = read_csv_bytes(content)

    assert [(row.line, row.title) for row in rows] == [(3, "Un"), (6, "Deux\nsur deux lignes"), (8, "Trois")]


def test_a_line_with_more_cells_than_the_header_is_reported_with_its_ean():
    content = (
        b"EAN;Titre;Prix\n"
        b"9782070360024;Un;8,50\n"
        b"9782253004226;Deux; le retour;12,50;;\n"  # an unquoted separator in the title
        b"9782070368228;Trois;5;;\n"  # empty cells at the end are no problem
    )

    first, second, third = read_csv_bytes(content)

    assert first.error == third.error == ""
    assert (second.line, second.ean, second.title) == (3, "9782253004226", "")
    assert second.error.startswith("This line has 4 columns; the header has 3.")


def test_a_line_too_short_to_reach_the_ean_is_reported():
    [row] = read_csv_bytes(b"Titre;Auteur;EAN\nUn titre seul\n")

    assert (row.line, row.ean) == (2, "")
    assert row.error.startswith("The EAN should be in column 3, but this line stops before it.")


def test_a_short_line_gives_empty_cells_for_the_columns_it_lacks():
    [row] = read_csv_bytes(b"EAN;Quantite;Prix;Etat\n9782070360024;2\n")

    assert (row.quantity, row.price, row.condition, row.error) == ("2", "", "", "")


@pytest.mark.parametrize(
    ("header", "field"),
    [("Code barre", "ean"), ("Code à barres", "ean"), ("ISBN-13", "ean"), ("Gencod", "ean"),
     ("EAN 13", "ean"),
     ("Quantité", "quantity"), ("QTÉ", "quantity"), ("Stock disponible", "quantity"),
     ("Prix TTC", "price"), ("Prix de vente", "price"), ("PV TTC", "price"), ("Tarif", "price"),
     ("Prix public", "list_price"), ("Prix éditeur", "list_price"), ("RRP", "list_price"),
     ("Libellé", "title"), ("Désignation", "title"), ("Auteurs", "contributors"),
     ("Éditeur", "publisher"), ("Maison d'édition", "publisher"), ("État", "condition"),
     ("Neuf/Occasion", "condition")],
)  # fmt: skip
def test_french_and_english_header_names_are_recognised_whatever_their_accents_and_spaces(header, field):
    ean_column = "" if field == "ean" else "EAN;"
    ean_cell = "" if field == "ean" else "9782070360024;"

    [row] = read_csv_bytes(f" {ean_column}{header} \n{ean_cell}9.90\n".encode())

    expected = {"list_price": Decimal("9.90"), "contributors": [ContributorRecord("9.90", "author")]}
    assert getattr(row, field) == expected.get(field, "9.90")


def test_the_first_of_two_columns_for_the_same_field_wins_and_unknown_columns_are_ignored():
    [row] = read_csv_bytes(b"Rayon;ISBN;Prix;EAN;Prix TTC\nPolar;2070360024;8,50;9782070360024;9,00\n")

    assert (row.ean, row.price) == ("2070360024", "8,50")
    assert (row.quantity, row.condition, row.title) == (None, None, "")


def test_authors_are_split_on_semicolons_slashes_and_ampersands_but_not_on_commas():
    content = (
        "EAN;Auteur\n"
        '9782012101333;"Goscinny, René ; Uderzo / Hugo, Victor & Saint-Exupéry, Antoine de"\n'
        '9780743227445;"Stephen King, Peter Straub"\n'
    )

    asterix, talisman = read_csv_bytes(content.encode())

    assert [c.name for c in asterix.contributors] == [
        "René Goscinny",
        "Uderzo",
        "Victor Hugo",
        "Antoine de Saint-Exupéry",
    ]
    assert talisman.contributors == [ContributorRecord("Stephen King, Peter Straub", "author")]


def test_an_unreadable_publishers_price_is_left_empty_with_an_error():
    [row] = read_csv_bytes("EAN;Prix éditeur\n9782070360024;environ 12\n".encode())

    assert row.list_price is None
    assert row.error == "The publisher's price “environ 12” cannot be read: write it like 12,50."


def test_a_file_without_ean_column_is_refused_with_the_columns_found_and_the_names_accepted():
    with pytest.raises(FileFormatError) as refused:
        read_csv_bytes("Titre;Référence;Quantité\nL'Étranger;A12;3\n".encode())

    message = str(refused.value)
    assert "Columns found: “Titre”, “Référence”, “Quantité”." in message
    assert "EAN, EAN 13, Code EAN, ISBN, ISBN 13" in message


@pytest.mark.parametrize(
    ("content", "message"),
    [
        pytest.param(b"", "This file is empty", id="empty"),
        pytest.param(b"\r\n \r\n;;\r\n", "This file is empty", id="blank-lines-only"),
        pytest.param(b"EAN;Titre;Prix\r\n", "a header line but no book", id="header-only"),
        pytest.param(b"EAN;Titre\r\n\r\n;\r\n", "a header line but no book", id="header-and-blank-lines"),
        pytest.param(b"PK\x03\x04\x14\x00\x06\x00", "is a spreadsheet", id="xlsx"),
        pytest.param(b"EAN;Titre\n9782070360024;" + b"x" * 200_000 + b"\n", "from line 2 on", id="huge-cell"),
    ],
)  # fmt: skip
def test_a_file_that_cannot_be_used_is_refused_with_what_to_do(content, message):
    with pytest.raises(FileFormatError, match=message):
        read_csv_bytes(content)


def test_a_csv_file_is_read_from_a_path_its_name_or_an_upload_which_is_left_open(tmp_path):
    content = b"EAN;Titre\n9782070360024;Un\n"
    path = tmp_path / "stock.csv"
    path.write_bytes(content)
    upload = SimpleUploadedFile("stock.csv", content)

    for source in (path, str(path), upload):
        assert [row.title for row in read_csv(source)] == ["Un"]
    assert not upload.closed


def test_goodbooks_10k_is_read_with_its_first_isbn_column_as_ean():
    rows = list(read_csv(shared_file(GOODBOOKS_CSV)))

    assert len(rows) == 10_000
    assert all(row.title for row in rows)
    hunger_games = rows[0]
    assert (hunger_games.line, hunger_games.ean) == (2, "439023483")  # `isbn`, not `isbn13` (a float)
    assert hunger_games.title == "The Hunger Games (The Hunger Games, #1)"
    assert sum(1 for row in rows if not row.ean) == 700  # the planner refuses them
    assert all(row.error == "" for row in rows)


def test_dilicoms_flattened_csv_is_read():
    rows = list(read_csv(shared_file(DILICOM_CSV)))

    assert len(rows) == 105
    assert (rows[0].ean, rows[0].title, rows[0].quantity, rows[0].price) == (
        "9782017185550", "Corse Un Grand Week-end", None, None,
    )  # fmt: skip


# --- Prices as people type them -------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "amount"),
    [("12,50", "12.50"), ("12.50", "12.50"), ("12,5", "12.5"), ("12", "12"), ("12,50 €", "12.50"),
     ("€12.50", "12.50"), ("€ 12.50", "12.50"), ("12.50 EUR", "12.50"), ("12,50 euros", "12.50"),
     ("1 234,50", "1234.50"), ("1\u202f234,50", "1234.50"), ("1\u00a0234", "1234"), ("1.234,50", "1234.50"),
     ("1,234.50", "1234.50"), ("1,234,567.00", "1234567.00"), (" 0,99 ", "0.99")],
)  # fmt: skip
def test_prices_are_read_as_french_and_english_speakers_write_them(typed, amount):
    assert parse_price(typed) == Decimal(amount)


@pytest.mark.parametrize(
    "typed",
    [
        "",
        "abc",
        "1,234",
        "1.234",
        "12,505",
        "-3",
        "+3",
        "12 50",
        "12€50",
        ",50",
        "12,",
        "1.234.56",
        "1,234,56",
    ],
)
def test_ambiguous_or_unreadable_prices_give_none(typed):
    assert parse_price(typed) is None
