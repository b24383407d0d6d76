"""Product identifiers: every product is identified by its EAN-13.

A book's ISBN-13 *is* its EAN-13 (prefixes 978 and 979, "Bookland"); an ISBN-10 is
converted to its 978 ISBN-13. Other products (toys, games) also carry an EAN-13, so
the catalogue keys on the EAN and only the book rules below are ISBN-specific.
"""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from stdnum import ean as stdnum_ean
from stdnum import exceptions as stdnum_errors
from stdnum import isbn as stdnum_isbn

BOOK_PREFIXES = ("978", "979")


def normalize_book_ean(value: str) -> str:
    """The 13 digits of a book's EAN from what people type or scan: ISBN-13 or ISBN-10,
    with or without hyphens or spaces. Raises ValidationError with a message saying
    what is wrong."""
    if len(value) == 13 and value.isdigit() and value.startswith(BOOK_PREFIXES) and _ean_checks(value):
        return value  # the usual case, as scanned: skip the general parsing (imports call this 100,000 times)
    compact = stdnum_isbn.compact(value or "")
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
    if not compact.startswith(BOOK_PREFIXES):
        raise ValidationError(
            _("“%(value)s” is an EAN, but not a book's: a book's starts with 978 or 979."),
            code="ean_not_a_book",
            params={"value": value.strip()},
        )
    return compact


def format_isbn(ean: str) -> str:
    """The ISBN with its hyphens, as printed on books (978-2-07-036822-8)."""
    try:
        return stdnum_isbn.format(ean)
    except stdnum_errors.ValidationError:
        return ean


def _is_isbn10(candidate: str) -> bool:
    try:
        stdnum_isbn.validate(candidate)
    except stdnum_errors.ValidationError:
        return False
    return True


def _ean_checks(digits: str) -> bool:
    """EAN-13 check digit: weights 1 and 3 alternately, total a multiple of 10."""
    return (sum(map(int, digits[0::2])) + 3 * sum(map(int, digits[1::2]))) % 10 == 0
