"""Reading an ONIX 3.0 message (reference tags) into StockRow records.

ONIX is the book trade's XML catalogue format. French feeds (Dilicom's FEL, publishers'
and distributors' exports) come with the official namespace, with a non-standard one
or with none, so elements are recognised by their local name only.

Files can hold hundreds of thousands of products: the message is streamed and every
<Product> is forgotten as soon as its row has been produced.

Prices: a feed can give a book's publisher price for France over time (a price rise
announced ahead, with <PriceDate> from/until dates); all of them are read, and the list
price is the one in force today.

Security: defusedxml is not installed, so the standard library parses the file. Its
expat parser never fetches external entities or DTDs (a reference to one is an
"undefined entity" error), and expat >= 2.4 caps the expansion of internal entities
("billion laughs").
"""

import calendar
import codecs
import html
import os
import re
import sys
import xml.etree.ElementTree as ET
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import IO
from xml.etree.ElementTree import Element

from django.utils import timezone
from django.utils.translation import gettext as _

from catalog.imports.records import (
    MAX_PAGES,
    ContributorRecord,
    FileFacts,
    FileFormatError,
    PriceRecord,
    StockRow,
)

ROOT_TAG = "ONIXMessage"
SHORT_TAGS_ROOT_TAG = "ONIXmessage"
DELETION_NOTICE = "05"  # NotificationType (codelist 1)

ISBN_13, GTIN_13 = "15", "03"  # ProductIDType (codelist 5)
CONTRIBUTOR_ROLES = {  # ContributorRole (codelist 17) -> catalog.models.ContributorRole
    "A01": "author",
    "B06": "translator",
    "A12": "illustrator",
    "B01": "editor",
    "B11": "editor",
    "A15": "preface",
    "A24": "preface",
}
BOOK_FORMATS = {"BB": "hardback", "BC": "paperback", "BH": "board_book", "BE": "spiral"}  # ProductForm (150)
# Products that are not objects on a shelf (ProductForm, codelist 150): digital content delivered
# electronically (EA), by download and online (EB), online only (EC), by download only (ED);
# audio downloadable (AJ), downloadable and online (AN), online only (AO); digital product
# licences not encoded or sent by e-mail (LA, LC). LB, a licence key printed on a card, is a
# physical object and is left out.
DIGITAL_FORMS = {"EA", "EB", "EC", "ED", "AJ", "AN", "AO", "LA", "LC"}
UNDEFINED_FORM = "00"
# ProductFormDetail (codelist 175): E1xx and E2xx describe e-publications (E101 EPUB, E107 PDF,
# E200 reflowable...). They tell a digital product when its ProductForm is missing or undefined.
EPUBLICATION_DETAIL = re.compile(r"E[12]\d\d")
POCKET_FORM_DETAILS = {"B104", "B105"}  # A- and B-format paperbacks (codelist 175): "livres de poche"
PAGE_EXTENT_TYPES = ("00", "05", "07", "11")  # main content, total numbered, absolute total, content (23)
PAGES_UNIT = "03"  # ExtentUnit (codelist 24)
CLIL_SCHEME = "29"  # SubjectSchemeIdentifier (codelist 26)
# Fixed retail price (the French "prix unique"), then RRP incl. tax, then RRP excl. tax (codelist 58).
PRICE_TYPES = ("04", "02", "01")
# Date formats (codelist 55) and the number of digits each one has.
DATE_FORMAT_DIGITS = {"00": 8, "01": 6, "05": 4}
# Periods (codelist 55) and the format of each of their two halves: YYYYMMDDYYYYMMDD,
# YYYYMMYYYYMM, YYYYYYYY.
PERIOD_FORMATS = {"06": "00", "07": "01", "11": "05"}
DATE_TIME_FORMATS = ("13", "14")  # YYYYMMDDThhmm, YYYYMMDDThhmmss (codelist 55)
# ONIX's dates with a time (formats 13 and 14, the header's SentDateTime), with an optional
# time zone (Z, +hhmm); ISO 8601's hyphens and colons are tolerated. Only the date is kept.
DATE_TIME = re.compile(r"(\d{4})-?(\d{2})-?(\d{2})(?:T\d{2}:?\d{2}(?::?\d{2})?)?(?:Z|[+-]\d{2}(?::?\d{2})?)?")
# PriceDateRole (codelist 173): the price applies from, until, or from... until (both inclusive).
PRICE_FROM, PRICE_UNTIL, PRICE_PERIOD = "14", "15", "24"

# The XML declaration, at the very start of the file (after a byte order mark).
XML_DECLARATION = re.compile(rb"""<\?xml[^>]*?\sencoding\s*=\s*["']([A-Za-z][A-Za-z0-9._-]*)["']""")
DECLARATION_BYTES = 200
# Encoding names as people know them, by Python's name for the codec.
ENCODING_NAMES = {
    "utf-8": "UTF-8",
    "utf-16": "UTF-16",
    "utf-16-le": "UTF-16",
    "utf-16-be": "UTF-16",
    "cp1252": "Windows-1252",
    "iso8859-1": "ISO-8859-1",
    "iso8859-15": "ISO-8859-15",
    "ascii": "ASCII",
    "mac-roman": "Mac Roman",
}

LINE_BREAK = re.compile(r"<br\s*/?>", re.IGNORECASE)
BLOCK_END = re.compile(r"</(?:p|div|li)\s*>", re.IGNORECASE)
# A tag starts with a letter: "5 < 6" in the text is not a tag.
TAG = re.compile(r"</?[a-zA-Z][^>]*>")
BLANK_LINES = re.compile(r"\n{3,}")
RELEASE_IN_NAMESPACE = re.compile(r"/onix/(\d[\d.]*)/")


def read_onix(
    source: str | os.PathLike[str] | IO[bytes], facts: FileFacts | None = None, *, today: date | None = None
) -> Iterator[StockRow]:
    """Yield one StockRow per <Product>, its `line` being the product's position (from 1).

    `source` is a path or a binary file object, read from its current position.
    Raises FileFormatError when the file is not an ONIX 3.0 message with reference
    tags, or when its XML is broken: that can happen after some rows have been
    yielded, so callers must read the whole file before acting on it.

    `facts`, when given, is filled as the file is read: its encoding, the header's
    date (sent_on) and the position of the last product read (last_line).
    `today` is the day list prices are chosen for (the local date when not given).
    """
    facts = facts if facts is not None else FileFacts()
    today = today or timezone.localdate()
    depth = 0
    root: Element | None = None
    products = 0
    with _stream(source) as stream:
        try:
            for event, element in ET.iterparse(stream, events=("start", "end")):
                if event == "start":
                    namespace, element.tag = _split_tag(element.tag)
                    depth += 1
                    if depth == 1:
                        facts.encoding = _encoding_name(stream.head)
                        _check_root(element, namespace)
                        root = element
                    continue
                depth -= 1
                if depth == 1 and element.tag == "Header":
                    facts.sent_on = _date_time(_text(element, "SentDateTime"))
                elif depth == 1 and element.tag == "Product":
                    products += 1
                    facts.last_line = products
                    yield _product_row(element, line=products, today=today)
                    root.clear()  # forget the products read: memory stays flat however long the feed
        except ET.ParseError as error:
            facts.encoding = facts.encoding or _encoding_name(stream.head)
            line = error.position[0]
            raise FileFormatError(
                _(
                    "This file is damaged or is not an ONIX file: it cannot be read from line %(line)s on. "
                    "Export it again from your software, or ask your distributor for a new copy."
                )
                % {"line": line}
            ) from error
    if products == 0:
        raise FileFormatError(
            _("This ONIX file contains no book. Check that you chose the right file and import it again.")
        )


class _Head:
    """A binary stream that keeps its first bytes, where the XML declaration is."""

    def __init__(self, stream: IO[bytes]):
        self.stream = stream
        self.head = b""

    def read(self, size: int = -1) -> bytes:
        data = self.stream.read(size)
        if len(self.head) < DECLARATION_BYTES:
            self.head += data[: DECLARATION_BYTES - len(self.head)]
        return data


@contextmanager
def _stream(source: str | os.PathLike[str] | IO[bytes]) -> Iterator[_Head]:
    if hasattr(source, "read"):
        yield _Head(source)  # the caller's: left open
    else:
        with open(source, "rb") as stream:
            yield _Head(stream)


def _encoding_name(head: bytes) -> str:
    """The encoding the file declares, as people know it; UTF-8, XML's default, when it
    declares none."""
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE, b"<\x00?\x00", b"\x00<\x00?")):
        return "UTF-16"
    declaration = XML_DECLARATION.match(head.removeprefix(codecs.BOM_UTF8))
    if declaration is None:
        return "UTF-8"
    declared = declaration.group(1).decode("ascii")
    try:
        return ENCODING_NAMES.get(codecs.lookup(declared).name, declared.upper())
    except LookupError:
        return declared.upper()


def _split_tag(tag: str) -> tuple[str, str]:
    """'{namespace}Product' -> ('namespace', 'Product')."""
    namespace, _brace, local_name = tag[1:].rpartition("}") if tag.startswith("{") else ("", "", tag)
    return namespace, local_name


def _check_root(root: Element, namespace: str) -> None:
    if root.tag == SHORT_TAGS_ROOT_TAG:
        raise FileFormatError(
            _(
                "This ONIX file is written with short tags, which cannot be imported. "
                "Ask your distributor or your software for an ONIX 3.0 export with reference tags."
            )
        )
    if root.tag != ROOT_TAG:
        raise FileFormatError(
            _(
                "This file is not an ONIX 3.0 file. Ask your distributor or your software for an "
                "ONIX 3.0 export, or import your stock as a CSV file."
            )
        )
    in_namespace = RELEASE_IN_NAMESPACE.search(namespace)
    release = root.get("release") or (in_namespace.group(1) if in_namespace else "")
    if release and not release.startswith("3"):
        raise FileFormatError(
            _(
                "This file is in ONIX %(release)s, an older version that cannot be imported. "
                "Ask your distributor or your software for an ONIX 3.0 export."
            )
            % {"release": release}
        )


def _product_row(product: Element, *, line: int, today: date) -> StockRow:
    descriptive = _child(product, "DescriptiveDetail")
    publishing = _child(product, "PublishingDetail")
    identifier = _preferred(product.findall("ProductIdentifier"), "ProductIDType", (ISBN_13, GTIN_13))
    ean = _text(identifier, "IDValue")
    title, subtitle = _title(descriptive)
    stock = product.find("ProductSupply/SupplyDetail/Stock/OnHand")
    prices = _prices(product)
    digital = _is_digital(descriptive)
    return StockRow(
        line=line,
        ean=ean,
        kind="book",  # ONIX describes books: a shop that may not list books is told so
        quantity=_text(stock) if stock is not None else None,
        title=title,
        subtitle=subtitle,
        contributors=_contributors(descriptive),
        publisher=_publisher(publishing),
        imprint=_text(publishing, "Imprint/ImprintName"),
        publication_date=_publication_date(publishing),
        language=_language(descriptive),
        page_count=_page_count(descriptive),
        format=_book_format(descriptive),
        description=_description(product),
        clil_code=_clil_code(descriptive),
        list_price=_price_in_force(prices, today),
        prices=prices,
        digital=digital,
        error=_product_error(product, has_ean=bool(ean), digital=digital),
    )


def _product_error(product: Element, *, has_ean: bool, digital: bool) -> str:
    problems = []
    if _text(product, "NotificationType") == DELETION_NOTICE:
        problems.append(_("This book is marked as deleted in the ONIX file: it is not imported."))
    if digital:
        problems.append(
            _(
                "This is a digital product (ebook or download): only printed books can be offered "
                "in a bookshop's stock."
            )
        )
    if not has_ean:
        problems.append(
            _(
                "This book has no EAN (ISBN-13) in the ONIX file, so it cannot be imported. "
                "Add it by hand, or ask your distributor for a corrected file."
            )
        )
    return " ".join(problems)


# --- Finding things in a product -----------------------------------------------------


def _child(parent: Element, path: str) -> Element:
    """The element at `path`, or an empty one, so that optional blocks read as empty."""
    found = parent.find(path)
    return found if found is not None else Element(path)


def _text(element: Element | None, path: str = ".") -> str:
    """Text of a leaf element, whitespace collapsed; "" when it is missing."""
    found = element.find(path) if element is not None else None
    if found is None or found.text is None:
        return ""
    return " ".join(found.text.split())


def _preferred(candidates: Sequence[Element], code_path: str, codes: Sequence[str]) -> Element | None:
    """The first candidate whose code is `codes[0]`, else `codes[1]`..., else None."""
    for code in codes:
        for candidate in candidates:
            if _text(candidate, code_path) == code:
                return candidate
    return None


# --- Metadata ------------------------------------------------------------------------


def _title(descriptive: Element) -> tuple[str, str]:
    # Direct children only: a TitleDetail inside <Collection> is the series' title.
    distinctive = _preferred(descriptive.findall("TitleDetail"), "TitleType", ("01",))
    if distinctive is None:
        return "", ""
    element = _preferred(distinctive.findall("TitleElement"), "TitleElementLevel", ("01",))
    if element is None:
        return "", ""
    title = _text(element, "TitleText") or " ".join(
        part for part in (_text(element, "TitlePrefix"), _text(element, "TitleWithoutPrefix")) if part
    )
    return title, _text(element, "Subtitle")


def _contributors(descriptive: Element) -> list[ContributorRecord]:
    contributors = sorted(descriptive.findall("Contributor"), key=_sequence_number)
    records = []
    for contributor in contributors:
        name = _contributor_name(contributor)
        if name:
            role = CONTRIBUTOR_ROLES.get(_text(contributor, "ContributorRole"), "other")
            records.append(ContributorRecord(name=name, role=role))
    return records


def _sequence_number(contributor: Element) -> int:
    # Contributors without a number keep their order, after the numbered ones (sort is stable).
    number = _text(contributor, "SequenceNumber")
    return int(number) if number.isdigit() else sys.maxsize


def _contributor_name(contributor: Element) -> str:
    if name := _text(contributor, "PersonName"):
        return name
    if key_names := _text(contributor, "KeyNames"):
        before_key = (_text(contributor, "NamesBeforeKey"), _text(contributor, "PrefixToKey"))
        return " ".join(part for part in (*before_key, key_names) if part)
    if inverted := _text(contributor, "PersonNameInverted"):
        key_names, _comma, before_key = inverted.partition(",")
        return f"{before_key.strip()} {key_names.strip()}".strip()
    return _text(contributor, "CorporateName")


def _publisher(publishing: Element) -> str:
    publishers = publishing.findall("Publisher")
    publisher = _preferred(publishers, "PublishingRole", ("01",))
    if publisher is None and publishers:
        publisher = publishers[0]
    return _text(publisher, "PublisherName")


def _publication_date(publishing: Element) -> date | None:
    publishing_date = _preferred(publishing.findall("PublishingDate"), "PublishingDateRole", ("01", "11"))
    if publishing_date is None:
        return None
    return _parse_date(*_date_and_format(publishing_date))


def _date_and_format(composite: Element) -> tuple[str, str]:
    """The text of a date composite's <Date> and its format (codelist 55): the `dateformat`
    attribute, else the <DateFormat> element (deprecated), else "" (not stated)."""
    date_element = composite.find("Date")
    if date_element is None:
        return "", ""
    return _text(date_element), date_element.get("dateformat") or _text(composite, "DateFormat")


def _parse_date(text: str, date_format: str, *, last_day: bool = False) -> date | None:
    """YYYYMMDD, YYYYMM (first of the month) or YYYY (1 January); the last day of the
    month or year instead with `last_day` (the end of a period). Without a stated format,
    the number of digits tells which one it is. A date with a time (YYYYMMDDThhmm...)
    gives its date."""
    if date_format in DATE_TIME_FORMATS or (not date_format and "T" in text):
        return _date_time(text)
    digits = DATE_FORMAT_DIGITS.get(date_format) if date_format else len(text)
    if digits not in DATE_FORMAT_DIGITS.values() or len(text) != digits or not text.isdigit():
        return None
    year = int(text[:4])
    month = int(text[4:6]) if digits >= 6 else (12 if last_day else 1)
    try:
        day = int(text[6:8]) if digits == 8 else (calendar.monthrange(year, month)[1] if last_day else 1)
        return date(year, month, day)
    except ValueError:  # also raised by monthrange for month 13
        return None


def _date_time(text: str) -> date | None:
    """The date of YYYYMMDD, YYYYMMDDThhmm or YYYYMMDDThhmmss, with an optional time zone
    (the date as written: a feed's day is the sender's)."""
    found = DATE_TIME.fullmatch(text)
    if found is None:
        return None
    try:
        return date(*(int(part) for part in found.groups()))
    except ValueError:
        return None


def _page_count(descriptive: Element) -> int | None:
    extents = descriptive.findall("Extent")
    in_pages = [extent for extent in extents if _text(extent, "ExtentUnit") == PAGES_UNIT]
    extent = _preferred(in_pages, "ExtentType", PAGE_EXTENT_TYPES)
    try:
        pages = int(_text(extent, "ExtentValue"))
    except ValueError:
        return None
    return pages if 0 < pages <= MAX_PAGES else None  # "99999999999": a typing error, not a book


def _language(descriptive: Element) -> str:
    language = _preferred(descriptive.findall("Language"), "LanguageRole", ("01",))  # 01 = of the text
    return _text(language, "LanguageCode").lower()


def _book_format(descriptive: Element) -> str:
    form = _text(descriptive, "ProductForm")
    if not form:
        return ""
    details = {_text(detail) for detail in descriptive.findall("ProductFormDetail")}
    if form == "BC" and details & POCKET_FORM_DETAILS:
        return "pocket"
    if form.startswith("A"):
        return "audio"
    return BOOK_FORMATS.get(form, "other")


def _is_digital(descriptive: Element) -> bool:
    form = _text(descriptive, "ProductForm")
    if form in DIGITAL_FORMS:
        return True
    return form in ("", UNDEFINED_FORM) and any(
        EPUBLICATION_DETAIL.fullmatch(_text(detail)) for detail in descriptive.findall("ProductFormDetail")
    )


def _clil_code(descriptive: Element) -> str:
    clil_subjects = [
        subject
        for subject in descriptive.findall("Subject")
        if _text(subject, "SubjectSchemeIdentifier") == CLIL_SCHEME
    ]
    for subject in clil_subjects:
        if subject.find("MainSubject") is not None:
            return _text(subject, "SubjectCode")
    return _text(clil_subjects[0], "SubjectCode") if clil_subjects else ""


# --- Description ---------------------------------------------------------------------


def _description(product: Element) -> str:
    # 03 = description, 02 = short description (TextType, codelist 153).
    text_content = _preferred(product.findall("CollateralDetail/TextContent"), "TextType", ("03", "02"))
    text = text_content.find("Text") if text_content is not None else None
    return _plain_text(_markup(text)) if text is not None else ""


def _markup(element: Element) -> str:
    """The element's content as HTML. XHTML (textformat 05) arrives as child elements;
    HTML sent as text arrives escaped, once or twice, and is rebuilt by _plain_text."""
    parts = [element.text or ""]
    for child in element:
        parts += [f"<{child.tag}>", _markup(child), f"</{child.tag}>", child.tail or ""]
    return "".join(parts)


def _plain_text(markup: str) -> str:
    text = markup
    # Feeds escape HTML one or more times ("&amp;eacute;"): undo until nothing changes.
    while (unescaped := html.unescape(text)) != text:
        text = unescaped
    text = LINE_BREAK.sub("\n", text)
    text = BLOCK_END.sub("\n\n", text)
    text = TAG.sub("", text).replace("\u00ad", "")  # soft hyphens only matter to typesetters
    lines = (" ".join(line.split()) for line in text.split("\n"))
    return BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()


# --- Prices ---------------------------------------------------------------------------


def _prices(product: Element) -> list[PriceRecord]:
    """The publisher's prices in euros for France, of one type: the fixed price (prix unique,
    loi Lang) when the feed gives it, else the recommended price; each with the dates it
    applies between. Sorted by start date, undated first."""
    for_france = []
    for supply in product.findall("ProductSupply"):
        market = supply.find("Market/Territory")
        for price in supply.findall("SupplyDetail/Price"):
            # A price without its own territory applies to the whole market (ONIX 3.0, P.26).
            territory = price.find("Territory")
            if _text(price, "CurrencyCode") == "EUR" and _covers_france(
                territory if territory is not None else market
            ):
                for_france.append(price)
    chosen = _preferred(for_france, "PriceType", PRICE_TYPES)
    if chosen is None:
        return []
    price_type = _text(chosen, "PriceType")
    records = [
        record
        for price in for_france
        if _text(price, "PriceType") == price_type and (record := _price_record(price)) is not None
    ]
    # The same price from two suppliers is one price.
    return sorted(dict.fromkeys(records), key=_start)


def _price_record(price: Element) -> PriceRecord | None:
    """None when the amount or a date cannot be read: when such a price applies is unknown."""
    try:
        amount = Decimal(_text(price, "PriceAmount"))
    except InvalidOperation:
        return None
    if not amount.is_finite():
        return None
    effective_from = effective_until = None
    for price_date in price.findall("PriceDate"):
        role = _text(price_date, "PriceDateRole")
        text, date_format = _date_and_format(price_date)
        if role == PRICE_FROM:
            effective_from = _parse_date(text, date_format)
            readable = effective_from is not None
        elif role == PRICE_UNTIL:
            effective_until = _parse_date(text, date_format, last_day=True)
            readable = effective_until is not None
        elif role == PRICE_PERIOD:
            effective_from, effective_until = _parse_period(text, date_format)
            readable = effective_from is not None and effective_until is not None
        else:
            continue  # a role this reader does not know does not restrict the price
        if not readable:
            return None
    return PriceRecord(amount, effective_from, effective_until)


def _parse_period(text: str, date_format: str) -> tuple[date | None, date | None]:
    """YYYYMMDDYYYYMMDD, YYYYMMYYYYMM or YYYYYYYY: both ends inclusive."""
    if date_format:
        half_format = PERIOD_FORMATS.get(date_format)
        if half_format is None:
            return None, None
    else:
        half_format = ""  # each half's digits tell its format
    half = len(text) // 2
    start, end = text[:half], text[half:]
    if len(start) != len(end):
        return None, None
    return _parse_date(start, half_format), _parse_date(end, half_format, last_day=True)


def _start(record: PriceRecord) -> tuple[bool, date]:
    return record.effective_from is not None, record.effective_from or date.min


def _price_in_force(records: list[PriceRecord], today: date) -> Decimal | None:
    """The price that applies today: of those whose dates include today (a missing date
    does not restrict), the one that started last. None when none applies yet or still."""
    in_force = [
        record
        for record in records
        if (record.effective_from is None or record.effective_from <= today)
        and (record.effective_until is None or today <= record.effective_until)
    ]
    latest = max(in_force, key=_start, default=None)  # the first of equals: records are sorted stably
    return latest.amount if latest is not None else None


def _covers_france(territory: Element | None) -> bool:
    if territory is None:  # neither the price nor its market is restricted
        return True
    included = _text(territory, "CountriesIncluded").split()
    regions = _text(territory, "RegionsIncluded").split()
    excluded = _text(territory, "CountriesExcluded").split()
    # ECZ is the eurozone (codelist 49).
    return "FR" in included or (bool({"WORLD", "ECZ"} & set(regions)) and "FR" not in excluded)
