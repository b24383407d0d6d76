"""Reading a stock CSV file, the way French till software and spreadsheets export it.

French Excel writes ';' and Windows-1252; LibreOffice and most till software write
UTF-8, with or without a BOM, and ',' or tabs. Columns are recognised by their name,
in French or English, whatever their position; columns we do not know are ignored.
"""

import codecs
import csv
import io
import itertools
import os
import re
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import IO

from django.utils.translation import gettext as _

from catalog.imports.records import ContributorRecord, FileFormatError, StockRow

# Accepted header names per StockRow field, as people write them; compared after
# _header_key (lower case, no accents, letters and digits only). The first column
# that matches a field wins; a second one is ignored.
COLUMN_NAMES = {
    "ean": (
        "EAN", "EAN 13", "Code EAN", "ISBN", "ISBN 13", "ISBN 10", "Code ISBN", "EAN/ISBN", "ISBN/EAN",
        "Gencod", "Gencode", "Code barre", "Code barres", "Code à barres", "Référence EAN", "Réf. EAN",
        "Code article EAN", "GTIN", "GTIN 13", "Barcode",
    ),
    "quantity": (
        "Quantité", "Qté", "Qty", "Quantity", "Stock", "Stock disponible", "Disponible", "Qté stock",
        "Quantité en stock", "En stock", "Stock réel", "Nb exemplaires", "Nombre d'exemplaires",
        "Exemplaires",
    ),
    "price": (
        "Prix", "Prix TTC", "Prix vente", "Prix de vente", "Prix vente TTC", "Prix de vente TTC", "PV TTC",
        "PV", "Price", "Prix vendu", "Tarif", "Tarif TTC", "Selling price",
    ),
    "list_price": (
        "Prix public", "Prix public TTC", "PP TTC", "Prix éditeur", "Prix catalogue", "Prix unique",
        "List price", "RRP",
    ),
    "title": ("Titre", "Title", "Libellé", "Désignation", "Intitulé"),
    "author": ("Auteur", "Auteurs", "Author", "Authors"),
    "publisher": ("Éditeur", "Éditeurs", "Éditions", "Publisher", "Maison d'édition"),
    "condition": ("État", "Condition", "State", "Neuf/Occasion"),
}  # fmt: skip

DELIMITERS = (";", ",", "\t")  # on a tie, the first wins: ';' is French Excel's
QUOTED = re.compile(r'"[^"]*"')
SPREADSHEET_SIGNATURES = (b"PK\x03\x04", b"\xd0\xcf\x11\xe0")  # .xlsx/.ods (zip), .xls (OLE)
AUTHOR_SEPARATORS = re.compile(r"\s*;\s*|\s+/\s+|\s+&\s+")
SEPARATOR_OR_COMMA = re.compile(r"[;/&,]")
INITIALS = re.compile(r"(?:\w\.-?)+")  # "R.", "J.K.", "J.-M."
NAME_PARTICLES = {"de", "d'", "du", "des", "le", "la", "van", "von", "der", "den", "da", "di", "del", "dos"}
CURRENCY = re.compile(r"^(?:€|eur(?:os?)?)\s*|\s*(?:€|eur(?:os?)?)$", re.IGNORECASE)
PRICE = re.compile(
    r"""(?P<units> \d{1,3} (?P<group>[ .,]) \d{3} (?:(?P=group)\d{3})*  # 1 234 / 1.234 / 1,234,567
                 | \d+ )
        (?: (?P<decimal>[.,]) (?P<cents>\d{1,2}) )?""",
    re.VERBOSE,
)
SIMPLE_PRICE = re.compile(r"\d{1,6}(?:[.,]\d{1,2})?")
CHUNK_SIZE = 1 << 16


def read_csv(source: str | os.PathLike[str] | IO[bytes]) -> Iterator[StockRow]:
    """Yield one StockRow per non-empty line after the header.

    `line` is the line's physical number in the file (the header's is 1); a quoted
    cell spanning several lines counts them all. Quantity, price and condition are
    the raw text of their cell, None when the file has no such column.
    `source` is a path or a binary file object, read from its current position and
    left open; it is read twice (once to tell its encoding), so a stream that cannot
    seek is first copied into memory.
    Raises FileFormatError when the file cannot be used as a whole, possibly after
    some rows have been yielded: callers must read the whole file before acting on it.
    """
    with _binary(source) as raw:
        stream = raw if raw.seekable() else io.BytesIO(raw.read())
        _refuse_spreadsheet(stream)
        text = io.TextIOWrapper(stream, encoding=_encoding(stream), errors="replace", newline="")
        try:
            yield from _rows(text)
        finally:
            text.detach()  # closing the caller's file is the caller's business


def parse_price(text: str) -> Decimal | None:
    """A price as French and English speakers write it, or None when it cannot be read.

    - "€" or "EUR"/"euros" before or after the amount, and spaces, are ignored;
      spaces (also non-breaking ones) may separate thousands: "1 234,50".
    - With one separator, "," or "." followed by 1 or 2 digits is the decimal mark:
      "12,50", "12.5".
    - With both, the last one is the decimal mark and the other separates
      thousands, in groups of three: "1.234,50", "1,234.50".
    - "1,234" and "1.234" are ambiguous (one euro or a thousand?), so they are
      refused, as are signs, more than two decimals and anything else.
    """
    if SIMPLE_PRICE.fullmatch(text):  # "12,50", "12.5", "8": most cells, quickly
        return Decimal(text.replace(",", "."))
    cleaned = CURRENCY.sub("", " ".join(text.split()))
    match = PRICE.fullmatch(cleaned)
    if match is None:
        return None
    group, decimal_mark = match["group"], match["decimal"]
    if group in {",", "."} and decimal_mark in {None, group}:
        return None
    units = match["units"].replace(group, "") if group else match["units"]
    return Decimal(f"{units}.{match['cents']}" if decimal_mark else units)


# --- Bytes to lines ------------------------------------------------------------------


@contextmanager
def _binary(source: str | os.PathLike[str] | IO[bytes]) -> Iterator[IO[bytes]]:
    if isinstance(source, str | os.PathLike):
        with open(source, "rb") as opened:
            yield opened
    else:
        yield source


def _refuse_spreadsheet(stream: IO[bytes]) -> None:
    start = stream.tell()
    head = stream.read(max(len(signature) for signature in SPREADSHEET_SIGNATURES))
    stream.seek(start)
    if head.startswith(SPREADSHEET_SIGNATURES):
        raise FileFormatError(
            _(
                "This file is a spreadsheet (Excel or LibreOffice), not a CSV file. Open it, "
                "save it as “CSV”, and import the CSV file."
            )
        )


def _encoding(stream: IO[bytes]) -> str:
    """UTF-8 (BOM or not) when every byte of the file is valid UTF-8, else Windows-1252,
    French Excel's. Reads the whole stream once, then rewinds it."""
    start = stream.tell()
    head = stream.read(len(codecs.BOM_UTF8))
    encoding = "utf-8-sig" if head == codecs.BOM_UTF8 or _is_utf8(head, stream) else "cp1252"
    stream.seek(start)
    return encoding


def _is_utf8(head: bytes, rest: IO[bytes]) -> bool:
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        decoder.decode(head)
        while chunk := rest.read(CHUNK_SIZE):
            decoder.decode(chunk)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


# --- Lines to rows -------------------------------------------------------------------


def _rows(text: IO[str]) -> Iterator[StockRow]:
    lines_before_header, header_line = _header_line(text)
    if header_line is None:
        raise FileFormatError(_("This file is empty. Export your stock again and import the new file."))
    delimiter = _delimiter(header_line)
    reader = csv.reader(itertools.chain([header_line], text), delimiter=delimiter)
    books = 0
    try:
        header = [name.strip() for name in next(reader)]
        columns = _columns(header)
        header_width = _width(header)
        lines_read = reader.line_num
        for cells in reader:
            # A row starts on the line after the previous row's last one (a quoted cell
            # may hold line breaks); blank lines are rows of their own for the reader.
            line = lines_before_header + lines_read + 1
            lines_read = reader.line_num
            cells = [cell.strip() for cell in cells]
            if any(cells):
                books += 1
                yield _stock_row(cells, columns, line=line, header_width=header_width)
    except csv.Error as error:
        raise FileFormatError(
            _("This file cannot be read from line %(line)s on. Check that line, then import the file again.")
            % {"line": lines_before_header + reader.line_num}
        ) from error
    if books == 0:
        raise FileFormatError(
            _("This file has a header line but no book below it. Export your stock again and import it.")
        )


def _header_line(text: IO[str]) -> tuple[int, str | None]:
    """The first line with something in it, and how many blank lines came before it."""
    for blank_lines, line in enumerate(text):
        if line.strip("".join(DELIMITERS) + " \r\n"):
            return blank_lines, line
    return 0, None


def _delimiter(header_line: str) -> str:
    """The separator that appears most often in the header, outside quotes.

    csv.Sniffer is not used: on a single line it prefers ',' whenever one appears,
    so "EAN;Titre;Prix, TTC" would be split on the comma."""
    unquoted = QUOTED.sub("", header_line)
    return max(DELIMITERS, key=unquoted.count)


def _header_key(name: str) -> str:
    """'Quantité', 'QUANTITE' and 'quantité ' all give 'quantite'."""
    without_accents = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return "".join(char for char in without_accents.lower() if char.isalnum())


FIELD_BY_HEADER_KEY = {_header_key(name): field for field, names in COLUMN_NAMES.items() for name in names}


def _columns(header: list[str]) -> dict[str, int]:
    """Position of each field's column, the first matching column winning."""
    columns: dict[str, int] = {}
    for index, name in enumerate(header):
        field = FIELD_BY_HEADER_KEY.get(_header_key(name))
        if field is not None:
            columns.setdefault(field, index)
    if "ean" not in columns:
        raise FileFormatError(
            _(
                "No column of this file holds the EAN (the barcode, or ISBN). Columns found: %(found)s. "
                "Name the EAN column one of: %(accepted)s, and import the file again."
            )
            % {
                "found": ", ".join(f"“{name}”" for name in header if name) or "—",
                "accepted": ", ".join(COLUMN_NAMES["ean"]),
            }
        )
    return columns


def _width(cells: list[str]) -> int:
    """Number of cells, not counting the empty ones at the end (spreadsheets add them)."""
    width = len(cells)
    while width and not cells[width - 1]:
        width -= 1
    return width


def _stock_row(cells: list[str], columns: dict[str, int], *, line: int, header_width: int) -> StockRow:
    ean_index = columns["ean"]
    ean = cells[ean_index] if ean_index < len(cells) else ""
    width = _width(cells)
    if width > header_width:
        return StockRow(line=line, ean=ean, error=_too_many_cells(width, header_width))
    if ean_index >= len(cells):
        return StockRow(
            line=line,
            ean="",
            error=_(
                "The EAN should be in column %(column)s, but this line stops before it. "
                "Complete the line and import the file again."
            )
            % {"column": ean_index + 1},
        )

    def cell(field: str) -> str | None:
        index = columns.get(field)
        if index is None:
            return None
        return cells[index] if index < len(cells) else ""

    raw_list_price = cell("list_price") or ""
    list_price = parse_price(raw_list_price) if raw_list_price else None
    return StockRow(
        line=line,
        ean=ean,
        quantity=cell("quantity"),
        price=cell("price"),
        condition=cell("condition"),
        title=cell("title") or "",
        contributors=_authors(cell("author") or ""),
        publisher=cell("publisher") or "",
        list_price=list_price,
        error=_unreadable_list_price(raw_list_price) if raw_list_price and list_price is None else "",
    )


def _too_many_cells(found: int, expected: int) -> str:
    return _(
        "This line has %(found)s columns; the header has %(expected)s. A title or a price probably "
        "contains the column separator: put that cell between quotes, or remove the separator."
    ) % {"found": found, "expected": expected}


def _unreadable_list_price(text: str) -> str:
    return _("The publisher's price “%(price)s” cannot be read: write it like 12,50.") % {"price": text}


# --- Authors -------------------------------------------------------------------------


def _authors(text: str) -> list[ContributorRecord]:
    """'Goscinny ; Uderzo', 'Goscinny / Uderzo' or 'Goscinny & Uderzo': two authors.
    Commas do not separate authors: they turn names round ('Hugo, Victor')."""
    if not text:
        return []
    if not SEPARATOR_OR_COMMA.search(text):  # one author, written plainly: most cells
        return [ContributorRecord(" ".join(text.split()), "author")]
    names = (" ".join(name.split()) for name in AUTHOR_SEPARATORS.split(text))
    return [ContributorRecord(name=_in_natural_order(name), role="author") for name in names if name]


def _in_natural_order(name: str) -> str:
    """'Hugo, Victor' -> 'Victor Hugo', 'Tolkien, J. R. R.' -> 'J. R. R. Tolkien',
    'Saint-Exupéry, Antoine de' -> 'Antoine de Saint-Exupéry'.

    Only a one-word surname (after particles) followed by one first name (then initials
    or particles) is turned round: 'Stephen King, Peter Straub' is a list of authors
    that was not split (goodbooks-10k has 1,544 of them), and turning it round would
    garble it, so it is kept as written."""
    if name.count(",") != 1:
        return name
    surname, first_names = (part.split() for part in name.split(","))
    if not surname or not first_names:
        return name
    if not all(_is_particle(word) for word in surname[:-1]):
        return name
    if not all(_is_particle(word) or INITIALS.fullmatch(word) for word in first_names[1:]):
        return name
    return " ".join(first_names + surname)


def _is_particle(word: str) -> bool:
    return word.lower() in NAME_PARTICLES
