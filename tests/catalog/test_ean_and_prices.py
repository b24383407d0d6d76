from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from catalog.ean import format_isbn, normalize_book_ean
from catalog.pricing import check_listing_price, new_book_price_range


@pytest.mark.parametrize(
    ("typed", "ean"),
    [
        ("9782070368228", "9782070368228"),
        ("978-2-07-036822-8", "9782070368228"),
        (" 978 2 07 036822 8 ", "9782070368228"),
        ("207036822X", "9782070368228"),  # ISBN-10 (ending in X) → 978 ISBN-13
        ("2-07-036822-X", "9782070368228"),
        ("020161622X", "9780201616224"),
        ("0-201-61622-x", "9780201616224"),  # lower-case x
        ("9791032305690", "9791032305690"),  # 979 prefix (French publishers since 2020)
    ],
)
def test_isbns_are_accepted_however_they_are_written(typed, ean):
    assert normalize_book_ean(typed) == ean


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("9782070368229", "ean_checksum"),
        ("2070368228", "ean_checksum"),  # ISBN-10 with a wrong check digit
        ("97820703682", "ean_length"),
        ("", "ean_empty"),
        ("3017620422003", "ean_not_a_book"),  # a jar of spread, not a book
        ("978207036822A", "ean_invalid"),
    ],
)
def test_bad_isbns_are_refused_with_a_reason(typed, code):
    with pytest.raises(ValidationError) as error:
        normalize_book_ean(typed)

    assert error.value.code == code


def test_a_bad_check_digit_is_explained():
    with translation.override("en"):
        with pytest.raises(ValidationError) as error:
            normalize_book_ean("978-2-07-036822-9")
        message = error.value.messages[0]

    assert "its check digit does not match" in message


def test_isbns_are_shown_with_their_hyphens():
    assert format_isbn("9782070368228") == "978-2-07-036822-8"


# --- Loi Lang ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("price", "allowed"),
    [
        ("19.00", True),  # exactly 95 %
        ("18.99", False),  # 94.95 %
        ("20.00", True),  # the publisher's price
        ("20.01", False),  # above 100 %
        ("19.50", True),
    ],
)
def test_a_new_book_sells_between_95_and_100_percent_of_its_publishers_price(price, allowed):
    def check():
        check_listing_price(price=Decimal(price), is_new=True, list_price=Decimal("20.00"))

    if allowed:
        check()
    else:
        with pytest.raises(ValidationError):
            check()


def test_the_minimum_is_rounded_up_to_stay_at_95_percent_or_more():
    allowed = new_book_price_range(Decimal("10.95"))  # 95 % is 10.4025

    assert (allowed.minimum, allowed.maximum) == (Decimal("10.41"), Decimal("10.95"))
    assert Decimal("10.40") not in allowed


def test_the_refusal_states_the_allowed_range_in_the_users_language():
    with translation.override("en"), pytest.raises(ValidationError) as english:
        check_listing_price(price=Decimal("9.99"), is_new=True, list_price=Decimal("10.95"))
    with translation.override("fr"), pytest.raises(ValidationError) as french:
        check_listing_price(price=Decimal("9.99"), is_new=True, list_price=Decimal("10.95"))

    assert "between €10.41 and €10.95" in english.value.messages[0]
    assert "entre 10,41\u00a0€ et 10,95\u00a0€" in french.value.messages[0]


def test_used_books_are_priced_freely():
    check_listing_price(price=Decimal("1.00"), is_new=False, list_price=Decimal("20.00"))
    check_listing_price(price=Decimal("45.00"), is_new=False, list_price=Decimal("20.00"))


def test_no_price_is_zero_or_negative():
    with pytest.raises(ValidationError):
        check_listing_price(price=Decimal("0"), is_new=False, list_price=None)
