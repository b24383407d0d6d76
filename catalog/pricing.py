"""Prices, and the French fixed book price law.

Loi Lang (loi n° 81-766 du 10 août 1981): the publisher sets the price of a new book;
a shop may sell it at no less than 95 % and no more than 100 % of that price. Used
books are priced freely.
"""

from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal

from django.core.exceptions import ValidationError
from django.utils.formats import number_format
from django.utils.translation import gettext as _

CENT = Decimal("0.01")
LOI_LANG_MINIMUM_SHARE = Decimal("0.95")


def format_euros(amount: Decimal) -> str:
    """ "10,41 €" in French, "€10.41" in English."""
    return _("€%(amount)s") % {"amount": number_format(amount, decimal_pos=2, use_l10n=True)}


@dataclass(frozen=True)
class PriceRange:
    minimum: Decimal
    maximum: Decimal

    def __contains__(self, price: Decimal) -> bool:
        return self.minimum <= price <= self.maximum


def new_book_price_range(list_price: Decimal) -> PriceRange:
    """The prices allowed for a new book. The minimum is rounded up to the cent:
    95 % of 10.95 is 10.4025, and 10.40 would be below 95 %."""
    minimum = (list_price * LOI_LANG_MINIMUM_SHARE).quantize(CENT, rounding=ROUND_CEILING)
    return PriceRange(minimum=minimum, maximum=list_price)


def check_listing_price(*, price: Decimal, is_new: bool, list_price: Decimal | None) -> None:
    """Raise ValidationError (message for the bookseller) if the price is not allowed.

    A new book whose publisher's price is unknown cannot be checked here; the listing
    is then held for moderation (catalog.moderation)."""
    if price <= 0:
        raise ValidationError(_("The price must be above zero."), code="price_not_positive")
    if not is_new or list_price is None:
        return
    allowed = new_book_price_range(list_price)
    if price not in allowed:
        raise ValidationError(
            _(
                "A new book must be sold between %(minimum)s and %(maximum)s: 95 %% to 100 %% of its "
                "publisher's price (%(list_price)s), under the French fixed book price law (loi Lang)."
            )
            % {
                "minimum": format_euros(allowed.minimum),
                "maximum": format_euros(allowed.maximum),
                "list_price": format_euros(list_price),
            },
            code="price_outside_loi_lang",
        )
