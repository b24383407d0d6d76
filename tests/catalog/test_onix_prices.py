"""ONIX feeds as the catalogue's reference: publishers' prices for France over time,
digital products refused from a shop's stock, and what the reader finds out about
the file (its date, its encoding). No database: readers only read."""

import csv
import io
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import translation

from catalog.imports.onix import read_onix
from catalog.imports.records import FileFacts, PriceRecord, StockRow
from tests.conftest import SHARED_DATA_DIR, require

DILICOM_ONIX = SHARED_DATA_DIR / "onix_samples" / "Sample_ONIX_3.0.xml"
DILICOM_CSV = SHARED_DATA_DIR / "french_books_prix_unique" / "books_from_dilicom_onix.csv"

OFFICIAL_NAMESPACE = "http://ns.editeur.org/onix/3.0/reference"
DILICOMS_NAMESPACE = "http://www.editeur.org/onix/3.0/reference"
NAMESPACES = [
    pytest.param(None, id="no-namespace"),
    pytest.param(OFFICIAL_NAMESPACE, id="official-namespace"),
    pytest.param(DILICOMS_NAMESPACE, id="dilicoms-namespace"),
]

DIGITAL_PRODUCT = (
    "This is a digital product (ebook or download): only printed books can be offered in a bookshop's stock."
)


@pytest.fixture(autouse=True)
def _messages_in_english():
    with translation.override("en"):
        yield


def shared_file(path: Path) -> Path:
    require(path.name, path.is_file(), f"expected at {path} (set SHARED_DATA_DIR)")
    return path


# --- ONIX messages built in the tests ----------------------------------------------------


def onix_message(*products: str, namespace: str | None = None, sent: str | None = "20250610") -> bytes:
    xmlns = f' xmlns="{namespace}"' if namespace else ""
    sent_date_time = f"<SentDateTime>{sent}</SentDateTime>" if sent is not None else ""
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<ONIXMessage release="3.0"{xmlns}>\n'
        f"<Header><Sender><SenderName>Éditeur</SenderName></Sender>{sent_date_time}</Header>\n"
        + "\n".join(products)
        + "\n</ONIXMessage>\n"
    ).encode()


def onix_product(
    *blocks: str, form: str = "BC", details: str = "", notification: str = "03", title: str = "L’Étranger"
) -> str:
    form_details = "".join(f"<ProductFormDetail>{detail}</ProductFormDetail>" for detail in details.split())
    return (
        f"<Product><RecordReference>test</RecordReference><NotificationType>{notification}</NotificationType>"
        "<ProductIdentifier><ProductIDType>15</ProductIDType><IDValue>9782070360024</IDValue></ProductIdentifier>"
        "<DescriptiveDetail><ProductComposition>00</ProductComposition>"
        f"<ProductForm>{form}</ProductForm>{form_details}"
        "<TitleDetail><TitleType>01</TitleType><TitleElement><TitleElementLevel>01</TitleElementLevel>"
        f"<TitleText>{title}</TitleText></TitleElement></TitleDetail></DescriptiveDetail>"
        f"{''.join(blocks)}</Product>"
    )


def supply(*prices: str) -> str:
    return f"<ProductSupply><SupplyDetail>{''.join(prices)}</SupplyDetail></ProductSupply>"


def price(
    amount: str,
    *dates: str,
    price_type: str = "04",
    currency: str = "EUR",
    countries: str = "FR",
) -> str:
    return (
        f"<Price><PriceType>{price_type}</PriceType><PriceAmount>{amount}</PriceAmount>"
        f"<CurrencyCode>{currency}</CurrencyCode>"
        f"<Territory><CountriesIncluded>{countries}</CountriesIncluded></Territory>{''.join(dates)}</Price>"
    )


def from_date(when: str, date_format: str = "") -> str:
    return price_date("14", when, date_format)


def until_date(when: str, date_format: str = "") -> str:
    return price_date("15", when, date_format)


def price_date(role: str, when: str, date_format: str = "", *, as_element: bool = False) -> str:
    """The format as the `dateformat` attribute (ONIX 3.0), or as the <DateFormat> element
    (deprecated, but Dilicom's feed uses it)."""
    if date_format and as_element:
        return (
            f"<PriceDate><PriceDateRole>{role}</PriceDateRole><DateFormat>{date_format}</DateFormat>"
            f"<Date>{when}</Date></PriceDate>"
        )
    attribute = f' dateformat="{date_format}"' if date_format else ""
    return f"<PriceDate><PriceDateRole>{role}</PriceDateRole><Date{attribute}>{when}</Date></PriceDate>"


def read_one(*blocks: str, today: date, namespace: str | None = None, **product) -> StockRow:
    [row] = read_onix(
        io.BytesIO(onix_message(onix_product(*blocks, **product), namespace=namespace)), today=today
    )
    return row


# A price rise announced ahead: 7.50 until 30 June 2025, 7.90 from 1 July 2025 (given first).
PRICE_RISE = supply(
    price("7.90", price_date("14", "20250701", "00", as_element=True)),
    price("7.50", from_date("20240115", "00"), until_date("20250630")),
)
BEFORE_THE_RISE = PriceRecord(Decimal("7.50"), date(2024, 1, 15), date(2025, 6, 30))
AFTER_THE_RISE = PriceRecord(Decimal("7.90"), date(2025, 7, 1), None)


# --- Prices over time --------------------------------------------------------------------


@pytest.mark.parametrize("namespace", NAMESPACES)
def test_a_price_rise_announced_ahead_keeps_todays_price_and_the_new_one_with_their_dates(namespace):
    row = read_one(PRICE_RISE, today=date(2025, 6, 15), namespace=namespace)

    assert row.prices == [BEFORE_THE_RISE, AFTER_THE_RISE]
    assert row.list_price == Decimal("7.50")
    assert (row.digital, row.error) == (False, "")


@pytest.mark.parametrize(
    ("today", "list_price"),
    [
        pytest.param(date(2025, 6, 30), Decimal("7.50"), id="last-day-of-the-old-price"),
        pytest.param(date(2025, 7, 1), Decimal("7.90"), id="first-day-of-the-new-price"),
        pytest.param(date(2031, 1, 1), Decimal("7.90"), id="years-later"),
        pytest.param(date(2024, 1, 14), None, id="before-any-price"),
    ],
)
def test_the_list_price_is_the_price_in_force_on_the_day(today, list_price):
    row = read_one(PRICE_RISE, today=today)

    assert row.list_price == list_price
    assert row.prices == [BEFORE_THE_RISE, AFTER_THE_RISE]  # whatever the day


def test_among_prices_in_force_the_latest_started_wins_and_an_undated_one_comes_first():
    row = read_one(
        supply(price("9.00", from_date("20250301")), price("8.00"), price("8.50", from_date("20240901"))),
        today=date(2025, 6, 15),
    )

    assert row.prices == [
        PriceRecord(Decimal("8.00")),
        PriceRecord(Decimal("8.50"), date(2024, 9, 1)),
        PriceRecord(Decimal("9.00"), date(2025, 3, 1)),
    ]
    assert row.list_price == Decimal("9.00")


@pytest.mark.parametrize("namespace", NAMESPACES)
def test_a_single_undated_price_is_the_price_today(namespace):
    row = read_one(supply(price("12.00")), today=date(2025, 6, 15), namespace=namespace)

    assert row.prices == [PriceRecord(Decimal("12.00"), None, None)]
    assert row.list_price == Decimal("12.00")


def test_without_a_day_given_the_price_is_chosen_for_today():
    [row] = read_onix(io.BytesIO(onix_message(onix_product(supply(price("12.00", from_date("20000101")))))))

    assert row.list_price == Decimal("12.00")


def test_prices_only_announced_for_later_give_no_list_price_yet():
    row = read_one(supply(price("15.00", from_date("20260101"))), today=date(2025, 6, 15))

    assert row.prices == [PriceRecord(Decimal("15.00"), date(2026, 1, 1), None)]
    assert row.list_price is None


def test_a_price_that_has_ended_is_kept_but_is_not_todays():
    row = read_one(supply(price("6.00", until_date("20241231"))), today=date(2025, 6, 15))

    assert row.prices == [PriceRecord(Decimal("6.00"), None, date(2024, 12, 31))]
    assert row.list_price is None


def test_prices_for_other_countries_or_in_other_currencies_are_ignored():
    row = read_one(
        supply(
            price("9.20", from_date("20240101"), countries="BE LU"),
            price("12.90", currency="CHF", countries="CH"),
            price("6.99", currency="GBP", countries="FR"),
            price("8.50", from_date("20240101"), countries="DE AT FR"),
            price("8.90", from_date("20250701"), countries="FR"),
        ),
        today=date(2025, 6, 15),
    )

    assert row.prices == [
        PriceRecord(Decimal("8.50"), date(2024, 1, 1)),
        PriceRecord(Decimal("8.90"), date(2025, 7, 1)),
    ]
    assert row.list_price == Decimal("8.50")


def test_only_the_preferred_price_type_is_collected_the_fixed_price_first():
    row = read_one(
        supply(
            price("14.00", price_type="02"),
            price("13.27", price_type="01"),
            price("15.00", from_date("20260101")),
        ),
        today=date(2025, 6, 15),
    )

    # The recommended price (02) is not a fallback for a fixed price (04) not yet in force.
    assert row.prices == [PriceRecord(Decimal("15.00"), date(2026, 1, 1))]
    assert row.list_price is None
    assert read_one(
        supply(price("13.27", price_type="01"), price("14.00", price_type="02")), today=date(2025, 6, 15)
    ).prices == [PriceRecord(Decimal("14.00"))]


def test_the_same_price_from_two_suppliers_is_one_price():
    row = read_one(supply(price("10.00")) + supply(price("10.00")), today=date(2025, 6, 15))

    assert row.prices == [PriceRecord(Decimal("10.00"))]


@pytest.mark.parametrize(
    ("dates", "effective"),
    [
        pytest.param([from_date("20250301", "00")], (date(2025, 3, 1), None), id="from-yyyymmdd"),
        pytest.param([from_date("202503", "01")], (date(2025, 3, 1), None), id="from-yyyymm"),
        pytest.param([until_date("202502", "01")], (None, date(2025, 2, 28)), id="until-a-month-means-its-end"),
        pytest.param([until_date("2024", "05")], (None, date(2024, 12, 31)), id="until-a-year-means-its-end"),
        pytest.param([from_date("20250301T0000+0100", "13")], (date(2025, 3, 1), None), id="from-date-time"),
        pytest.param([price_date("24", "2025030120250831", "06")], (date(2025, 3, 1), date(2025, 8, 31)),
                     id="period-yyyymmdd"),
        pytest.param([price_date("24", "202503202508")], (date(2025, 3, 1), date(2025, 8, 31)),
                     id="period-yyyymm-by-its-length"),
        pytest.param([price_date("99", "20250301")], (None, None), id="unknown-role-ignored"),
    ],
)  # fmt: skip
def test_price_dates_are_read_in_the_formats_onix_allows(dates, effective):
    row = read_one(supply(price("10.00", *dates)), today=date(2025, 6, 15))

    assert row.prices == [PriceRecord(Decimal("10.00"), *effective)]


@pytest.mark.parametrize(
    "dates",
    [
        pytest.param([from_date("20251301")], id="no-13th-month"),
        pytest.param([from_date("1er juillet 2025")], id="words"),
        pytest.param([from_date("2025", "00")], id="not-its-format"),
        pytest.param([price_date("24", "2025030120250831", "02")], id="period-in-weeks"),
    ],
)
def test_a_price_whose_dates_cannot_be_read_is_left_out(dates):
    # When it applies is unknown: taking it as undated could show a price not in force.
    row = read_one(supply(price("10.00", *dates), price("9.00")), today=date(2025, 6, 15))

    assert row.prices == [PriceRecord(Decimal("9.00"))]
    assert row.list_price == Decimal("9.00")


# --- Digital products ---------------------------------------------------------------------


@pytest.mark.parametrize("namespace", NAMESPACES)
def test_an_epub_is_read_as_a_digital_product_that_a_shop_cannot_stock(namespace):
    row = read_one(
        supply(price("12.99")),
        form="ED",  # digital download
        details="E101",  # EPUB
        today=date(2025, 6, 15),
        namespace=namespace,
    )

    assert row.digital is True
    assert row.error == DIGITAL_PRODUCT
    assert (row.ean, row.title, row.list_price) == ("9782070360024", "L’Étranger", Decimal("12.99"))


@pytest.mark.parametrize(
    ("form", "digital"),
    [("EA", True), ("EB", True), ("EC", True), ("ED", True), ("AJ", True), ("AN", True), ("AO", True),
     ("LA", True), ("LC", True), ("BC", False), ("BB", False), ("AC", False), ("DB", False), ("LB", False)],
)  # fmt: skip
def test_digital_product_forms_are_the_ones_delivered_electronically(form, digital):
    row = read_one(form=form, today=date(2025, 6, 15))

    assert row.digital is digital
    assert row.error == (DIGITAL_PRODUCT if digital else "")


def test_an_e_publication_detail_tells_a_digital_product_whose_form_is_undefined():
    products = [onix_product(form="00", details="E101"), onix_product(form="BC", details="B104 E101")]

    rows = list(read_onix(io.BytesIO(onix_message(*products)), today=date(2025, 6, 15)))

    assert [row.digital for row in rows] == [True, False]


def test_a_deleted_digital_product_gives_both_reasons():
    row = read_one(form="EB", notification="05", today=date(2025, 6, 15))

    assert row.digital is True
    assert row.error == (
        "This book is marked as deleted in the ONIX file: it is not imported. " + DIGITAL_PRODUCT
    )


# --- What the reader finds out about the file -------------------------------------------


@pytest.mark.parametrize(
    ("sent", "sent_on"),
    [
        pytest.param("20250610", date(2025, 6, 10), id="yyyymmdd"),
        pytest.param("20250610T2330", date(2025, 6, 10), id="yyyymmddThhmm"),
        pytest.param("20250610T233005", date(2025, 6, 10), id="yyyymmddThhmmss"),
        pytest.param("20250610T233005Z", date(2025, 6, 10), id="utc"),
        pytest.param("20250610T2330+0200", date(2025, 6, 10), id="time-zone"),
        pytest.param("2025-06-10T23:30:05+02:00", date(2025, 6, 10), id="iso-8601"),
        pytest.param("20250631", None, id="no-31-june"),
        pytest.param("10/06/2025", None, id="french-way"),
        pytest.param(None, None, id="no-sent-date-time"),
    ],
)
def test_the_headers_sent_date_time_gives_the_feeds_date(sent, sent_on):
    facts = FileFacts()

    list(read_onix(io.BytesIO(onix_message(onix_product(), sent=sent)), facts))

    assert facts.sent_on == sent_on


def test_facts_follow_the_products_as_they_are_read():
    facts = FileFacts()
    rows = read_onix(io.BytesIO(onix_message(onix_product(), onix_product(), onix_product())), facts)

    assert facts.last_line == 0
    next(rows)
    assert (facts.encoding, facts.sent_on, facts.last_line) == ("UTF-8", date(2025, 6, 10), 1)
    list(rows)
    assert facts.last_line == 3


@pytest.mark.parametrize(
    ("declaration", "codec", "encoding"),
    [
        pytest.param('<?xml version="1.0" encoding="UTF-8"?>', "utf-8", "UTF-8", id="utf-8"),
        pytest.param("<?xml version='1.0' encoding='iso-8859-1'?>", "latin-1", "ISO-8859-1", id="latin-1"),
        pytest.param('<?xml version="1.0" encoding="windows-1252"?>', "cp1252", "Windows-1252", id="windows-1252"),
        pytest.param('<?xml version="1.0" encoding="UTF-16"?>', "utf-16", "UTF-16", id="utf-16-with-bom"),
        pytest.param('<?xml version="1.0"?>', "utf-8", "UTF-8", id="declared-without-encoding"),
        pytest.param("", "utf-8", "UTF-8", id="no-declaration"),
    ],
)  # fmt: skip
def test_the_encoding_is_the_one_the_file_declares(declaration, codec, encoding):
    message = onix_message(onix_product(title="Les Misérables")).decode()
    message = message.replace('<?xml version="1.0" encoding="UTF-8"?>', declaration)
    facts = FileFacts()

    [row] = read_onix(io.BytesIO(message.encode(codec)), facts)

    assert facts.encoding == encoding
    assert (row.title, row.digital) == ("Les Misérables", False)


# --- Dilicom's real feed ------------------------------------------------------------------


def test_every_product_of_dilicoms_real_feed_has_its_fixed_price_in_force():
    facts = FileFacts()
    rows = list(read_onix(shared_file(DILICOM_ONIX), facts))
    with open(shared_file(DILICOM_CSV), encoding="utf-8", newline="") as handle:
        expected = [(book["ean13"], Decimal(book["price_eur_fr_ttc"])) for book in csv.DictReader(handle)]

    assert len(rows) == 105
    assert [(row.ean, row.list_price) for row in rows] == expected
    # Its prices are undated: each one is in force, whatever the day.
    assert all(row.prices == [PriceRecord(row.list_price)] for row in rows)
    assert not any(row.digital for row in rows)
    assert [row.error for row in rows] == [""] * 105
    assert (facts.sent_on, facts.encoding, facts.last_line) == (date(2019, 3, 22), "UTF-8", 105)


def test_a_few_real_fixed_prices_of_dilicoms_feed():
    prices = {row.ean: row.list_price for row in read_onix(shared_file(DILICOM_ONIX))}

    assert prices["9782017185550"] == Decimal("10.95")  # Corse, Un Grand Week-end
    assert prices["9782017206033"] == Decimal("16.95")  # Guide du Routard Maroc 2023/24
    assert prices["9791030705065"] == Decimal("23.50")  # L'aube
    assert prices["9782916525884"] == Decimal("8.00")  # the cheapest
    assert prices["9782140327872"] == Decimal("54.00")  # the dearest
