"""Automatic rules that hold a listing for a moderator instead of publishing it.

A listing of an approved shop goes online at once unless one of these rules flags
it; the chain's moderators then look at it (moderation screens: later issue).
"""

from decimal import Decimal

from catalog.models import Listing

# Few independent bookshops hold more than this many copies of one title.
SUSPICIOUS_QUANTITY = 500


def flags_for(*, book, condition: str, price: Decimal, quantity: int) -> list[str]:
    flags = []
    if not book.title.strip():
        flags.append(Listing.Flag.MISSING_TITLE)
    if quantity > SUSPICIOUS_QUANTITY:
        flags.append(Listing.Flag.SUSPICIOUS_QUANTITY)
    if condition == Listing.Condition.NEW and book.list_price is None:
        flags.append(Listing.Flag.UNKNOWN_LIST_PRICE)
    if condition != Listing.Condition.NEW and book.list_price is not None and price > book.list_price:
        flags.append(Listing.Flag.USED_ABOVE_NEW_PRICE)
    return flags


def status_after_change(*, current: str, shop_is_approved: bool, old_flags: list, new_flags: list) -> str:
    """Where a listing stands after it was created or its stock/price changed.

    New flags send a published listing to moderation; a listing held only by
    automatic rules goes online again once none applies. Hidden, rejected and draft
    listings stay as they are: those were decisions of a person.
    """
    if current is None:  # a new listing
        if new_flags:
            return Listing.Status.PENDING
        return Listing.Status.PUBLISHED if shop_is_approved else Listing.Status.DRAFT
    if current == Listing.Status.PUBLISHED and set(new_flags) - set(old_flags):
        return Listing.Status.PENDING
    if current == Listing.Status.PENDING and old_flags and not new_flags and shop_is_approved:
        return Listing.Status.PUBLISHED
    return current
