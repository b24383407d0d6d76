"""Product identifiers: every product is identified by its EAN-13 (GTIN-13).

A book's ISBN-13 *is* its EAN-13 (prefixes 978 and 979, "Bookland"); an ISBN-10 is
converted to its 978 ISBN-13. Other products (toys, games, records) carry an EAN-13 too,
or a 12-digit UPC-A (an EAN-13 with a leading 0), so the catalogue keys on the EAN and
only the book rules are ISBN-specific. Prefix 2 is GS1's "restricted circulation": codes
a shop prints for its own goods, which we also give to products without a barcode
(`own_product_ean`), never to a product of the shared catalogue.
"""

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from stdnum import ean as stdnum_ean
from stdnum import exceptions as stdnum_errors
from stdnum import isbn as stdnum_isbn

BOOK_PREFIXES = ("978", "979")
IN_STORE_PREFIX = "2"
# Our own in-store codes: 29, then a number from the database's sequence, then the check digit.
OWN_PRODUCT_PREFIX = "29"
# 979-0 is sheet music's (ISMN), not a book's: scores wait with the other kinds of products.
SHEET_MUSIC_PREFIX = "9790"
# Spreadsheets read an EAN as a number: they write it with ".0" after it ("9782070368228.0",
# "9782070368228,0" in French), or, in cells too narrow for it, in scientific notation,
# keeping 6 to 12 of its 13 digits ("9.78207E+12", "9,78207036823E+12").
SPREADSHEET_WHOLE_NUMBER = re.compile(r"(\d+)[.,]0+")
SCIENTIFIC_NOTATION = re.compile(r"(\d)(?:[.,](\d+))?[eE]\+?(\d+)")


def normalize_book_ean(value: str) -> str:
    """The 13 digits of a book's EAN from what people type or scan: ISBN-13 or ISBN-10,
    with or without hyphens or spaces, or as a spreadsheet wrote it ("9782070368228.0").
    Raises ValidationError with a message saying what is wrong."""
    if (
        len(value) == 13
        and value.isdigit()
        and value.startswith(BOOK_PREFIXES)
        and not value.startswith(SHEET_MUSIC_PREFIX)
        and _ean_checks(value)
    ):
        return value  # the usual case, as scanned: skip the general parsing (imports call this 100,000 times)
    value = _undo_spreadsheet_number(value or "")
    compact = stdnum_isbn.compact(value)
    if not compact:
        raise ValidationError(_("Enter an ISBN or EAN."), code="ean_empty")
    if 7 <= len(compact) <= 9 and _is_isbn10(compact.zfill(10)):
        # Spreadsheets drop the leading zeros of English-language ISBN-10s (0-439-...):
        # put them back when the check digit then matches.
        compact = compact.zfill(10)
    try:
        if len(compact) == 10:
            return stdnum_isbn.to_isbn13(stdnum_isbn.validate(compact))
        if len(compact) != 13:
            raise ValidationError(
                _("An ISBN has 10 or 13 characters; “%(value)s” has %(count)s."),
                code="ean_length",
                params={"value": value.strip(), "count": len(compact)},
            )
        stdnum_ean.validate(compact)
    except stdnum_errors.InvalidChecksum as exc:
        raise ValidationError(
            _("“%(value)s” is not a valid ISBN: its check digit does not match. Check for a typing error."),
            code="ean_checksum",
            params={"value": value.strip()},
        ) from exc
    except stdnum_errors.ValidationError as exc:
        raise ValidationError(
            _("“%(value)s” is not a valid ISBN or EAN."), code="ean_invalid", params={"value": value.strip()}
        ) from exc
    if compact.startswith(SHEET_MUSIC_PREFIX):
        raise ValidationError(
            _(
                "“%(value)s” is sheet music (ISMN, 979-0…), not a book. If the shop may list sheet music, "
                "give its kind of product."
            ),
            code="ean_sheet_music",
            params={"value": value.strip()},
        )
    if not compact.startswith(BOOK_PREFIXES):
        raise ValidationError(
            _(
                "“%(value)s” is an EAN, but not a book's (a book's starts with 978 or 979). If it is another kind "
                "of product (a board game, a toy…), give its kind."
            ),
            code="ean_not_a_book",
            params={"value": value.strip()},
        )
    return compact


def normalize_product_ean(value: str, *, book_rules: bool) -> str:
    """The 13 digits of a product's EAN from what people type or scan, for a product of a
    kind with the book rules (an ISBN, see normalize_book_ean) or without (any EAN-13, or
    a UPC-A). Raises ValidationError with a message saying what is wrong."""
    if book_rules:
        return normalize_book_ean(value)
    value = _undo_spreadsheet_number(value or "")
    compact = re.sub(r"[\s\-.]", "", value)
    if not compact:
        raise ValidationError(_("Enter an EAN (the barcode's 13 digits)."), code="ean_empty")
    if not compact.isdigit() or len(compact) not in (12, 13):
        raise ValidationError(
            _("An EAN has 13 digits (12 for an American UPC); “%(value)s” is not one."),
            code="ean_length",
            params={"value": value.strip()},
        )
    compact = compact.zfill(13)  # a UPC-A is the EAN-13 with a leading 0
    if not _ean_checks(compact):
        raise ValidationError(
            _("“%(value)s” is not a valid EAN: its check digit does not match. Check for a typing error."),
            code="ean_checksum",
            params={"value": value.strip()},
        )
    if compact.startswith(IN_STORE_PREFIX):
        raise ValidationError(
            _(
                "“%(value)s” is an in-store code (it starts with 2), not a product's barcode. For a product "
                "without a barcode, leave the EAN empty and give your own reference."
            ),
            code="ean_in_store",
            params={"value": value.strip()},
        )
    return compact


def normalize_any_ean(value: str) -> str:
    """The 13 digits of any product's EAN, for looking a product up whatever its kind: an
    ISBN as a book's (ISBN-10s converted), any other EAN-13 or UPC-A as it is."""
    try:
        return normalize_book_ean(value)
    except ValidationError as error:
        if error.code not in ("ean_not_a_book", "ean_sheet_music"):
            raise
    return normalize_product_ean(value, book_rules=False)


def own_product_ean(number: int) -> str:
    """The in-store EAN of the shop's own product number `number` (from a sequence)."""
    body = f"{OWN_PRODUCT_PREFIX}{number:010d}"
    if len(body) != 12:
        raise ValueError("no in-store code left")  # ten thousand million products later
    check = (10 - (sum(map(int, body[0::2])) + 3 * sum(map(int, body[1::2]))) % 10) % 10
    return body + str(check)


def format_isbn(ean: str) -> str:
    """The ISBN with its hyphens, as printed on books (978-2-07-036822-8)."""
    try:
        return stdnum_isbn.format(ean)
    except stdnum_errors.ValidationError:
        return ean


def _undo_spreadsheet_number(value: str) -> str:
    """The EAN a spreadsheet wrote as a whole number ("9782070368228.0"), or in scientific
    notation with all its 13 digits ("9.782070368228E+12"). Raises ValidationError when the
    notation lost digits: they cannot be guessed."""
    stripped = value.strip()
    if whole := SPREADSHEET_WHOLE_NUMBER.fullmatch(stripped):
        return whole[1]
    scientific = SCIENTIFIC_NOTATION.fullmatch(stripped)
    if scientific is None:
        return value
    first, decimals, exponent = scientific[1], scientific[2] or "", int(scientific[3])
    if len(decimals) == exponent:
        return first + decimals
    raise ValidationError(
        _(
            "“%(value)s” is an EAN that the spreadsheet turned into a number, losing its last digits. "
            "Format the EAN column as Text in the spreadsheet, type or paste the EANs again if needed, "
            "and export the file again."
        ),
        code="ean_spreadsheet_number",
        params={"value": stripped},
    )


def _is_isbn10(candidate: str) -> bool:
    try:
        stdnum_isbn.validate(candidate)
    except stdnum_errors.ValidationError:
        return False
    return True


def _ean_checks(digits: str) -> bool:
    """EAN-13 check digit: weights 1 and 3 alternately, total a multiple of 10."""
    return (sum(map(int, digits[0::2])) + 3 * sum(map(int, digits[1::2]))) % 10 == 0
