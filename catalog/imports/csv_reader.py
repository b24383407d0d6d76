"""Reading a stock CSV file, the way French till software and spreadsheets export it.

French Excel writes ';' and Windows-1252 ("CSV"), UTF-8 with a BOM ("CSV UTF-8") or
UTF-16 with tabs ("Unicode text"); LibreOffice and most till software write UTF-8, with
or without a BOM, and ',' or tabs; old till software still writes DOS (code page 850) or
Mac Roman. Columns are recognised by their name, in French or English, whatever their
position; columns we do not know are ignored.

The encoding is decided from what the file shows (_encoding): its byte order mark, the
NUL bytes of UTF-16, whether it is valid UTF-8, and which code page makes its header
line one we recognise. charset-normalizer is not used: it guesses from the statistics
of the text, and on French stock files it guessed wrong where it matters. It read
Windows-1252 files as Windows-1250 ("À la recherche" became "Ŕ la recherche"), small
DOS 850 and Mac Roman files as Windows-1250 too (a Mac header became "QuantitŽ"), and a
UTF-8 file with one Windows-1252 line as Windows-1250 whole, garbling every other line
("QuantitĂ©"): the accident this reader must prevent. A file like that is UTF-8 with
one line refused, which no detector of a whole file's encoding can answer.
"""

import codecs
import csv
import difflib
import io
import itertools
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import IO, NamedTuple

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from catalog.imports.records import ContributorRecord, FileFacts, FileFormatError, StockRow
from marketplace.text import comparison_key

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
    "contributors": ("Auteur", "Auteurs", "Author", "Authors"),
    "publisher": ("Éditeur", "Éditeurs", "Éditions", "Publisher", "Maison d'édition"),
    "condition": ("État", "Condition", "State", "Neuf/Occasion"),
    # Not "Type", "Genre" or "Catégorie": bookshops' files use them for a book's genre.
    "kind": ("Type de produit", "Type d'article", "Sorte de produit", "Kind", "Product kind", "Kind of product"),
    "reference": ("Référence", "Réf.", "Réf", "Référence interne", "Code article", "Reference", "SKU"),
}  # fmt: skip
# What each column holds, for the preview's list of the columns recognised.
COLUMN_LABELS = {
    "ean": gettext_lazy("EAN / ISBN"), "quantity": gettext_lazy("quantity"), "price": gettext_lazy("price"),
    "list_price": gettext_lazy("publisher's price"), "title": gettext_lazy("title"),
    "contributors": gettext_lazy("authors"), "publisher": gettext_lazy("publisher"),
    "condition": gettext_lazy("condition"), "kind": gettext_lazy("kind of product"),
    "reference": gettext_lazy("shop's reference"),
}  # fmt: skip
# An unknown header this close to a name we accept (difflib's ratio, on _header_key)
# was probably meant as it: "Prx", "QuantitŽ" (a Mac file read as Windows-1252).
LOOKALIKE_RATIO = 0.8

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

# Code pages of old till software and their names, in order of preference on a tie:
# Windows (French Excel), DOS, Mac.
SINGLE_BYTE_ENCODINGS = {"cp1252": "Windows-1252", "cp850": "DOS 850", "mac_roman": "Mac Roman"}
# Beyond ASCII, the text of a stock file is accented letters (Latin-1 and Latin Extended-A:
# "é", "Œ", "ñ") and French typography. The right code page turns every such byte into one
# of these, so no wrong one turns more: they make symbols of some (the "é" of a DOS file
# read as Windows-1252 is a low quotation mark, "Quantit" followed by a comma-like sign).
TYPOGRAPHY = frozenset("«»\u2018’“”–—…€°\u00a0")
ASCII_BYTES = bytes(range(128))
UNDEFINED_BYTES = {
    codec: frozenset(byte for byte in range(256) if bytes([byte]).decode(codec, "replace") == "\ufffd")
    for codec in SINGLE_BYTE_ENCODINGS
}
TEXT_BYTES = {
    codec: frozenset(
        byte
        for byte, char in ((byte, bytes([byte]).decode(codec, "replace")) for byte in range(128, 256))
        if (char.isalpha() and "\u00c0" <= char <= "\u017f") or char in TYPOGRAPHY
    )
    for codec in SINGLE_BYTE_ENCODINGS
}
UTF16_SAMPLE = 4096
REPLACEMENT_CHARACTER = "\ufffd".encode()
# What no row may carry on: NUL (PostgreSQL refuses it), U+FFFD (characters another
# program could not read, or that UTF-16 could not decode) and lone surrogates (bytes that
# were not UTF-8, kept by "surrogateescape").
UNREADABLE = re.compile("[\x00\ufffd\udc80-\udcff]")
UNDECODED = re.compile("[\udc80-\udcff]")
SURROGATE = re.compile("[\ud800-\udfff]")


def read_csv(
    source: str | os.PathLike[str] | IO[bytes], facts: FileFacts | None = None
) -> Iterator[StockRow]:
    """Yield one StockRow per non-empty line after the header.

    `line` is the line's physical number in the file (the header's is 1); a quoted
    cell spanning several lines counts them all. Quantity, price and condition are
    the raw text of their cell, None when the file has no such column. A line that
    cannot be read safely (a NUL character, bytes not in the file's encoding) comes
    with an error, alone: the others are read.
    `source` is a path or a binary file object, read from its current position and
    left open; it is read twice (once to tell its encoding), so a stream that cannot
    seek is first copied into memory.
    `facts`, when given, is filled as the file is read: its encoding, the columns
    recognised and ignored, warnings for the bookseller, the last line read.
    Raises FileFormatError when the file cannot be used as a whole, possibly after
    some rows have been yielded: callers must read the whole file before acting on it.
    """
    facts = facts if facts is not None else FileFacts()
    with _binary(source) as raw:
        stream = raw if raw.seekable() else io.BytesIO(raw.read())
        _refuse_spreadsheet(stream)
        encoding = _encoding(stream)
        facts.encoding = encoding.name
        text = io.TextIOWrapper(stream, encoding=encoding.codec, errors=encoding.errors, newline="")
        try:
            yield from _rows(text, facts, suspect=encoding.suspect)
        finally:
            text.detach()  # closing the caller's file is the caller's business


def shown_text(text: str) -> str:
    """`text` fit to be shown and stored: NUL characters removed (PostgreSQL refuses them)
    and bytes that did not decode (lone surrogates, which cannot be encoded) as "�"."""
    if "\x00" not in text and (text.isascii() or SURROGATE.search(text) is None):
        return text
    return SURROGATE.sub("\ufffd", text.replace("\x00", ""))


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


class _Encoding(NamedTuple):
    codec: str  # Python's name for it
    name: str  # as people know it (FileFacts.encoding)
    # The file may hold what no row may carry on (UNREADABLE): rows are checked only then,
    # so that the usual file is read at full speed.
    suspect: bool
    # Bytes that do not decode: kept as lone surrogates, so that only their line is refused.
    # UTF-16's cannot be (surrogateescape takes bytes above 127 only): they become U+FFFD.
    errors: str = "surrogateescape"


def _encoding(stream: IO[bytes]) -> _Encoding:
    """The file's encoding, from evidence, in this order: a byte order mark; the NUL bytes
    of UTF-16; UTF-8 when the whole file is valid UTF-8; else _weigh's choice. Reads the
    stream (the whole of it, unless it is UTF-16), then rewinds it."""
    start = stream.tell()
    head = stream.read(CHUNK_SIZE)
    try:
        if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            return _Encoding("utf-16", "UTF-16", suspect=True, errors="replace")
        if head.startswith(codecs.BOM_UTF8):
            valid, suspect = _scan_utf8(head, stream)
            return _Encoding("utf-8-sig", "UTF-8", suspect=suspect or not valid)
        if codec := _utf16_without_bom(head):
            return _Encoding(codec, "UTF-16", suspect=True, errors="replace")
        valid, suspect = _scan_utf8(head, stream)
        if valid:
            return _Encoding("utf-8", "UTF-8", suspect=suspect)
        stream.seek(start)
        return _weigh(stream.read())
    finally:
        stream.seek(start)


def _scan_utf8(head: bytes, rest: IO[bytes]) -> tuple[bool, bool]:
    """Whether `head` and what follows it are valid UTF-8, and whether they hold a NUL or
    a U+FFFD (then every row is checked)."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    suspect, tail, chunk = False, b"", head
    try:
        while chunk:
            decoder.decode(chunk)
            # U+FFFD takes 3 bytes: it may straddle two chunks.
            suspect = suspect or b"\0" in chunk or REPLACEMENT_CHARACTER in tail + chunk
            tail, chunk = chunk[-2:], rest.read(CHUNK_SIZE)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False, True
    return True, suspect


def _utf16_without_bom(head: bytes) -> str | None:
    """UTF-16 without its byte order mark: it puts a NUL byte beside each ASCII character,
    after it in little-endian ("E\0A\0N\0"), before it in big-endian, and a stock file is
    mostly ASCII (EANs, quantities, prices)."""
    pairs = min(len(head), UTF16_SAMPLE) // 2
    if pairs < 4:
        return None
    before, after = head[0 : 2 * pairs : 2].count(0), head[1 : 2 * pairs : 2].count(0)
    if after >= pairs * 0.6 and before <= pairs * 0.1:
        return "utf-16-le"
    if before >= pairs * 0.6 and after <= pairs * 0.1:
        return "utf-16-be"
    return None


def _weigh(data: bytes) -> _Encoding:
    """The encoding of a file that is not valid UTF-8 as a whole.

    Still UTF-8 when it has valid multi-byte sequences, at least a tenth as many as its
    bytes that do not decode: a line pasted from another program broke it, and only the
    lines that do not decode are refused. In French text written in a code page, a valid
    sequence comes by accident only ("É" then a non-breaking space), far more rarely.
    Else a code page that decodes every byte of the file: the one whose header line is
    recognised best, then the one that makes the most letters and typography of the
    file's bytes (TEXT_BYTES). UTF-8 is kept over it when the header reads better in
    UTF-8: the header, whose names we know, is the best evidence a file gives."""
    head = data[:CHUNK_SIZE]
    non_ascii = data.translate(None, ASCII_BYTES)
    byte_counts = {byte: non_ascii.count(byte) for byte in set(non_ascii)}
    # Per code page: fields recognised in the header, bytes of text, order of preference.
    scores = {
        codec: (
            _recognised_fields(head.decode(codec, "surrogateescape")),
            sum(count for byte, count in byte_counts.items() if byte in TEXT_BYTES[codec]),
            -preference,
        )
        for preference, codec in enumerate(SINGLE_BYTE_ENCODINGS)
        if not byte_counts.keys() & UNDEFINED_BYTES[codec]
    }
    codec = max(scores, key=scores.__getitem__)  # DOS 850 and Mac Roman decode any byte
    multibyte, undecoded = _utf8_sequences(data, ascii_bytes=len(data) - len(non_ascii))
    if multibyte:
        utf8_fields = _recognised_fields(head.decode("utf-8", "surrogateescape"))
        codec_fields = scores[codec][0]
        if utf8_fields > codec_fields or (utf8_fields == codec_fields and multibyte * 10 >= undecoded):
            return _Encoding("utf-8", "UTF-8", suspect=True)
    return _Encoding(codec, SINGLE_BYTE_ENCODINGS[codec], suspect=b"\0" in data)


def _utf8_sequences(data: bytes, *, ascii_bytes: int) -> tuple[int, int]:
    """How many valid multi-byte UTF-8 sequences `data` has, and how many bytes that do not
    decode as UTF-8."""
    decoded = data.decode("utf-8", "surrogateescape")  # a byte that does not decode: a surrogate
    undecoded = len(data) - len(decoded.encode("utf-8", "ignore"))
    return len(decoded) - ascii_bytes - undecoded, undecoded


def _recognised_fields(text: str) -> int:
    """How many fields the header line of `text` names."""
    _blank_lines, header_line = _header_line(io.StringIO(text, newline=""))
    if header_line is None:
        return 0
    header = next(csv.reader([header_line], delimiter=_delimiter(header_line)), [])
    return len({FIELD_BY_HEADER_KEY.get(_header_key(name)) for name in header} - {None})


# --- Lines to rows -------------------------------------------------------------------


def _rows(text: IO[str], facts: FileFacts, *, suspect: bool) -> Iterator[StockRow]:
    lines_before_header, header_line = _header_line(text)
    if header_line is None:
        raise FileFormatError(_("This file is empty. Export your stock again and import the new file."))
    delimiter = _delimiter(header_line)
    reader = csv.reader(itertools.chain([header_line], text), delimiter=delimiter)
    books = unreadable = 0
    try:
        header = [name.strip() for name in next(reader)]
        facts.last_line = lines_before_header + reader.line_num
        columns = _columns(header, facts)
        # The other columns may be a kind's attributes ("Marque", "Âge"): the planner knows.
        others = {index: name for index, name in enumerate(header) if name and index not in columns.values()}
        header_width = _width(header)
        lines_read = reader.line_num
        for cells in reader:
            # A row starts on the line after the previous row's last one (a quoted cell
            # may hold line breaks); blank lines are rows of their own for the reader.
            line = lines_before_header + lines_read + 1
            lines_read = reader.line_num
            facts.last_line = line
            cells = [cell.strip() for cell in cells]
            if any(cells):
                books += 1
                if suspect and (found := UNREADABLE.search("".join(cells))):
                    unreadable += 1
                    yield _unreadable_row(cells, columns, found[0], line=line)
                else:
                    yield _stock_row(cells, columns, others, line=line, header_width=header_width)
    except csv.Error as error:
        raise FileFormatError(
            _("This file cannot be read from line %(line)s on. Check that line, then import the file again.")
            % {"line": lines_before_header + reader.line_num}
        ) from error
    if books == 0:
        raise FileFormatError(
            _("This file has a header line but no book below it. Export your stock again and import it.")
        )
    if unreadable:
        facts.warnings.append(
            ngettext(
                "%(count)s line cannot be read safely and is refused: see the refused lines for why.",
                "%(count)s lines cannot be read safely and are refused: see the refused lines for why.",
                unreadable,
            )
            % {"count": unreadable}
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
    return comparison_key(name)


FIELD_BY_HEADER_KEY = {_header_key(name): field for field, names in COLUMN_NAMES.items() for name in names}
NAME_BY_HEADER_KEY = {_header_key(name): name for names in COLUMN_NAMES.values() for name in names}


def _columns(header: list[str], facts: FileFacts) -> dict[str, int]:
    """Position of each field's column, the first matching column winning; `facts` learns
    them, the columns ignored, and what the bookseller should know about them."""
    columns: dict[str, int] = {}
    ignored: list[str] = []
    for index, name in enumerate(header):
        field = FIELD_BY_HEADER_KEY.get(_header_key(name))
        if field is not None and field not in columns:
            columns[field] = index
        elif field is not None:
            facts.warnings.append(
                _("The columns “%(used)s” and “%(ignored)s” hold the same thing: only “%(used)s” is read.")
                % {"used": shown_text(header[columns[field]]), "ignored": shown_text(name)}
            )
            ignored.append(name)
        elif name:
            ignored.append(name)
    if "ean" not in columns:
        raise FileFormatError(
            _(
                "No column of this file holds the EAN (the barcode, or ISBN). Columns found: %(found)s. "
                "Name the EAN column one of: %(accepted)s, and import the file again."
            )
            % {
                "found": ", ".join(f"“{shown_text(name)}”" for name in header if name) or "—",
                "accepted": ", ".join(COLUMN_NAMES["ean"]),
            }
        )
    facts.columns = {field: shown_text(header[index]) for field, index in columns.items()}
    facts.ignored = [shown_text(name) for name in ignored]
    facts.warnings += _column_warnings(columns, ignored)
    return columns


def _column_warnings(columns: dict[str, int], ignored: list[str]) -> list[str]:
    """What the bookseller should know before applying: an unknown column that looks like
    one of ours, and the columns that matter but are missing."""
    warnings = []
    for name in ignored:
        close = difflib.get_close_matches(_header_key(name), FIELD_BY_HEADER_KEY, n=1, cutoff=LOOKALIKE_RATIO)
        if close and FIELD_BY_HEADER_KEY[close[0]] not in columns:
            warnings.append(
                _(
                    "The column “%(found)s” looks like “%(known)s” but was not recognised, so it is ignored. "
                    "If that is what it holds, name it “%(known)s” and import the file again."
                )
                % {"found": shown_text(name), "known": NAME_BY_HEADER_KEY[close[0]]}
            )
    if "quantity" not in columns:
        warnings.append(
            _(
                "No quantity column: every new listing will get 0 copies, and your listings already online "
                "keep their quantities."
            )
        )
    if "price" not in columns:
        warnings.append(
            _(
                "No price column: new books are offered at their publisher's price (the lines of books "
                "without one are refused), and your listings already online keep their prices."
            )
        )
    if "condition" not in columns:
        warnings.append(_("No condition column: every line counts as a new book."))
    return warnings


def _width(cells: list[str]) -> int:
    """Number of cells, not counting the empty ones at the end (spreadsheets add them)."""
    width = len(cells)
    while width and not cells[width - 1]:
        width -= 1
    return width


def _stock_row(
    cells: list[str], columns: dict[str, int], others: dict[int, str], *, line: int, header_width: int
) -> StockRow:
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
        contributors=_authors(cell("contributors") or ""),
        publisher=cell("publisher") or "",
        list_price=list_price,
        kind=cell("kind"),
        reference=cell("reference") or "",
        attributes={
            name: cells[index] for index, name in others.items() if index < len(cells) and cells[index]
        },
        error=_unreadable_list_price(raw_list_price) if raw_list_price and list_price is None else "",
    )


def _unreadable_row(cells: list[str], columns: dict[str, int], found: str, *, line: int) -> StockRow:
    """A line refused for what it holds (UNREADABLE), with its EAN as far as it can be shown."""
    ean_index = columns["ean"]
    ean = shown_text(cells[ean_index]) if ean_index < len(cells) else ""
    if found == "\x00":
        error = _(
            "This line contains a NUL character (an invisible character, not text), left by a faulty "
            "export or copy. Export the file again, or retype the line, then import the file again."
        )
    elif UNDECODED.fullmatch(found):
        error = _(
            "This line is not written in UTF-8 like the rest of the file (it was probably pasted from "
            "another program), so its accents cannot be read. Export the file again as “CSV UTF-8”, "
            "or retype the line, then import the file again."
        )
    else:
        error = _(
            "Some characters of this line cannot be read (they show as “�”). Correct them, or export "
            "the file again as “CSV UTF-8”, then import the file again."
        )
    return StockRow(line=line, ean=ean, error=error)


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
