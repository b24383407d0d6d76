"""Moderation of listings: the automatic rules that hold a listing for a moderator
instead of publishing it, and the moves people may make afterwards.

A listing of an approved shop goes online at once unless one of these rules flags
it; the chain's moderators (drive staff, head office) then publish or reject it from
the "Listings to moderate" queue, where reported listings wait too. A rejected listing
goes back to the queue when its bookseller resubmits it. The decisions themselves are
catalog/moderation_services.py.
"""

from decimal import Decimal

from django.utils import timezone

from catalog.models import Listing
from catalog.pricing import new_book_price_range

# Few independent bookshops hold more than this many copies of one title.
SUSPICIOUS_QUANTITY = 500


def flags_for(
    *, book, condition: str, price: Decimal, quantity: int, price_review_by=None, now=None
) -> list[str]:
    """The rules `price` and `quantity` trip for a listing of `book` (its reference price,
    not a shop's claim). A new copy priced outside the fixed book price law stays on sale
    only until `price_review_by`, when the publisher's price changed under it
    (catalog/price_changes.py). The price rules are the book rules: a product of another
    kind is priced freely (its list_price is the brand's recommended price, shown only).
    The rules of its kind (required attributes, e.g. "a toy needs an age range") hold a
    product that lacks what they ask."""
    flags = []
    if not book.title.strip():
        flags.append(Listing.Flag.MISSING_TITLE)
    if quantity > SUSPICIOUS_QUANTITY:
        flags.append(Listing.Flag.SUSPICIOUS_QUANTITY)
    if book.lacks_required_details:
        flags.append(Listing.Flag.MISSING_DETAILS)
    if not book.follows_book_rules:
        return flags
    if condition == Listing.Condition.NEW and book.list_price is None:
        flags.append(Listing.Flag.UNKNOWN_LIST_PRICE)
    if condition != Listing.Condition.NEW and book.list_price is not None and price > book.list_price:
        flags.append(Listing.Flag.USED_ABOVE_NEW_PRICE)
    if (
        condition == Listing.Condition.NEW
        and book.list_price is not None
        and price not in new_book_price_range(book.list_price)
        and (price_review_by is None or price_review_by <= (now or timezone.now()))
    ):
        flags.append(Listing.Flag.PRICE_OUTSIDE_LOI_LANG)
    return flags


def status_after_change(
    *, current: str, shop_is_approved: bool, old_flags: list, new_flags: list, awaits_a_person: bool = False
) -> str:
    """Where a listing stands after it was created or its stock/price changed.

    New flags send a published listing to moderation; a listing held only by
    automatic rules goes online again once none applies. Hidden, rejected and draft
    listings stay as they are: those were decisions of a person. So does a pending
    listing that `awaits_a_person` (resubmitted after a rejection): a moderator
    rejected it, a moderator puts it back online, even when no rule applies any more.
    """
    if current is None:  # a new listing
        if new_flags:
            return Listing.Status.PENDING
        return Listing.Status.PUBLISHED if shop_is_approved else Listing.Status.DRAFT
    if current == Listing.Status.PUBLISHED and set(new_flags) - set(old_flags):
        return Listing.Status.PENDING
    if (
        current == Listing.Status.PENDING
        and old_flags
        and not new_flags
        and shop_is_approved
        and not awaits_a_person
    ):
        return Listing.Status.PUBLISHED
    return current
