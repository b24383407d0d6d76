"""What a reader extracts from one line of a stock file, before any validation."""

import json
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import NamedTuple

from catalog.models import Book


class FileFormatError(Exception):
    """The whole file cannot be read (not CSV/ONIX, no EAN column, broken XML...).

    The message is for the bookseller, in their language (use gettext)."""


@dataclass(slots=True)
class FileFacts:
    """What reading a file found out about it, for the preview (StockImport.file_facts).

    Readers fill it as they go; `as_json()` is what is stored."""

    encoding: str = ""  # as people know it: "UTF-8", "UTF-16", "Windows-1252"...
    columns: dict[str, str] = field(default_factory=dict)  # StockRow field -> the header as written
    ignored: list[str] = field(default_factory=list)  # headers of columns no field uses
    # Sentences for the bookseller, in their language, to read before applying.
    warnings: list[str] = field(default_factory=list)
    sent_on: date | None = None  # ONIX: the header's SentDateTime (a feed's date)
    last_line: int = 0  # the last line (or product) read: fatal errors name it

    def as_json(self) -> dict:
        return {
            "encoding": self.encoding,
            "columns": self.columns,
            "ignored": self.ignored,
            "warnings": self.warnings,
        }


class PriceRecord(NamedTuple):
    """A publisher's price for France, in euros incl. tax, and the dates it applies between
    (None: the feed does not say)."""

    amount: Decimal
    effective_from: date | None = None
    effective_until: date | None = None


class ContributorRecord(NamedTuple):  # a tuple: files bring 100,000 of them
    name: str
    # One of catalog.models.ContributorRole values: "author", "translator",
    # "illustrator", "editor", "preface", "other".
    role: str


@dataclass(slots=True)
class StockRow:
    """One line of a CSV file or one <Product> of an ONIX file.

    Stock fields are the raw text found in the file (the planner parses and judges
    them); None means the file has no such column. Metadata is already typed.
    """

    line: int  # CSV: physical line number (header = 1); ONIX: position of the <Product>, from 1
    ean: str  # identifier as written (EAN-13, ISBN-13 or ISBN-10, maybe with hyphens or spaces)
    quantity: str | None = None  # copies in stock
    price: str | None = None  # the shop's selling price, incl. tax ("12,50", "12.50 €")
    condition: str | None = None  # "neuf", "occasion", "new", "used - good"...
    title: str = ""
    subtitle: str = ""
    contributors: list[ContributorRecord] = field(default_factory=list)
    publisher: str = ""
    imprint: str = ""
    publication_date: date | None = None
    language: str = ""  # ISO 639-2/B as in ONIX ("fre", "eng"), lower case
    page_count: int | None = None
    format: str = ""  # one of catalog.models.Book.Format values, or "" if unknown
    description: str = ""  # plain text (HTML removed)
    clil_code: str = ""  # main CLIL subject code (ONIX subject scheme 29)
    list_price: Decimal | None = None  # publisher's fixed price incl. tax, EUR (prix unique), in force today
    # ONIX: every dated publisher's price for France the product gives (list_price is the
    # one in force today among them); empty for CSV files.
    prices: list[PriceRecord] = field(default_factory=list)
    digital: bool = False  # ONIX: a digital product (ebook, downloadable audio), not shop stock
    # The kind of product as written (code or name: "board-game", "Jeu de société"); None
    # when the file has no such column: the shop's usual kind (catalog/product_kinds.py).
    kind: str | None = None
    # For a product without a barcode (empty EAN): the shop's own reference for it.
    reference: str = ""
    # The kind's attributes, as written: {column name or attribute code: text}. Only the
    # cells of columns the reader does not know otherwise ("Marque", "Âge", "age-range").
    attributes: dict[str, str] = field(default_factory=dict)
    # A problem with this line that the reader already knows (wrong number of
    # columns, ONIX deletion notice...): the planner refuses the line with it.
    error: str = ""


# The book fields a row carries into the shared catalogue, in this order (the publisher's
# price aside: it goes to dated prices or to the shop's claim, catalog/reference.py).
BOOK_FIELDS = ("title", "subtitle", "contributors", "publisher", "imprint", "publication_date", "language",
               "page_count", "format", "description", "clil_code")  # fmt: skip
# Those that are text: COPY keeps their empty cells as "" (not NULL).
BOOK_TEXT_FIELDS = (
    "title",
    "subtitle",
    "publisher",
    "imprint",
    "language",
    "format",
    "description",
    "clil_code",
)
MAX_PAGES = 100_000  # more is a typing error, not a book
BOOK_NULLABLE_FIELDS = ("publication_date", "page_count")


def book_field_is_blank_sql(name: str, table: str = "") -> str:
    """SQL that is true when the book field `name` of `table` (or unqualified) is empty."""
    column = f"{table}.{name}" if table else name
    if name in BOOK_NULLABLE_FIELDS:
        return f"{column} IS NULL"
    return f"{column} = '[]'::jsonb" if name == "contributors" else f"{column} = ''"


_BOOK_FORMATS = frozenset(Book.Format.values)  # a set once: Choices.values builds a list at each call
# One encoder for all rows: json.dumps with options builds a new one at each call.
to_json = json.JSONEncoder(ensure_ascii=False).encode


def book_metadata(row: StockRow) -> tuple:
    """BOOK_FIELDS of a row as the catalogue stores them (and COPY takes them): cut to the
    columns' lengths, nonsense dropped. Stock files and feeds alike."""
    return (
        row.title[:500],
        row.subtitle[:500],
        to_json([{"name": c.name[:300], "role": c.role} for c in row.contributors]),
        (row.publisher or row.imprint)[:200],
        row.imprint[:200],
        row.publication_date,
        row.language[:3],
        row.page_count if row.page_count and 0 < row.page_count <= MAX_PAGES else None,
        row.format if row.format in _BOOK_FORMATS else "",
        row.description,
        row.clil_code if len(row.clil_code) == 4 and row.clil_code.isdigit() else "",
    )


def book_metadata_offered(row: StockRow) -> int:
    """Which BOOK_FIELDS book_metadata(row) gives a value for (bit i: field i), by the same
    tests but without building them: a shop's file of 100,000 books the catalogue knows
    seldom fills a blank, and asking costs less than writing out every line's metadata."""
    page_count = row.page_count
    given = (
        row.title,
        row.subtitle,
        row.contributors,
        row.publisher or row.imprint,
        row.imprint,
        row.publication_date is not None,
        row.language,
        page_count and 0 < page_count <= MAX_PAGES,
        row.format and row.format in _BOOK_FORMATS,
        row.description,
        len(row.clil_code) == 4 and row.clil_code.isdigit(),
    )
    mask = 0
    for index, value in enumerate(given):
        if value:
            mask |= 1 << index
    return mask
