"""A listing's stock: the copies on the shelf (`quantity`) and those held for customers'
orders (`reserved`, never above `quantity`: a check constraint). Orders move stock only
through this module (hold, release, hand over); besides it, only the bookseller's own
counts set `quantity` (a listing's edit, catalog/services.py, and the stock imports),
never below what is held. It is also the one definition of what a customer can reserve.

The lock order, for every writer: listings in primary-key order, one statement, after
the rows that reference them (order lines) are written. FOR NO KEY UPDATE, not FOR
UPDATE: the order lines just written hold KEY SHARE locks on these rows (their foreign
key), which FOR UPDATE would wait for, and two checkouts of the same book would
deadlock. Each update below goes through the listings in the same order.
"""

from collections.abc import Iterable, Mapping

from django.db.models import F, QuerySet
from django.db.models.functions import Now

from catalog.models import Listing
from shops.selectors import open_shops, reservable_shops

# A copy is left to reserve (catalog.models.IN_STOCK, which the partial indexes the
# search and book pages read are built on), as SQL for the search's hand-written query
# (alias `listing`).
IN_STOCK_SQL = "listing.status = 'published' AND listing.quantity > listing.reserved"


def listings_offered() -> QuerySet[Listing]:
    """Published listings of approved shops, including shops away on holiday (their
    Reserve page says when they are back)."""
    return Listing.objects.filter(status=Listing.Status.PUBLISHED, shop__in=open_shops()).select_related(
        "book", "shop"
    )


def listings_reservable() -> QuerySet[Listing]:
    """Listings a customer can put in a reservation: published, in an approved shop that
    is not away on holiday (whether a copy is left is `Listing.available`)."""
    return Listing.objects.filter(
        status=Listing.Status.PUBLISHED, shop__in=reservable_shops()
    ).select_related("book", "shop")


def listings_read(ids: Iterable[int], *, lock: bool = False) -> dict[int, Listing]:
    """The listings (with book and shop) by id; with `lock`, locked in the stated order."""
    listings = Listing.objects.select_related("book", "shop").filter(pk__in=sorted(ids)).order_by("pk")
    if lock:
        listings = listings.select_for_update(of=("self",), no_key=True)
    return {listing.pk: listing for listing in listings}


def stock_hold(copies: Mapping[int, int]) -> None:
    """Hold copies for an order: {listing id: copies}. The caller has checked, under the
    lock (`listings_read(lock=True)`), that they are left; the constraint is the guard."""
    for listing_id in sorted(copies):
        Listing.objects.filter(pk=listing_id).update(reserved=F("reserved") + copies[listing_id])


def stock_release(copies: Mapping[int, int]) -> None:
    """Put held copies back on sale: {listing id: copies}."""
    for listing_id in sorted(copies):
        Listing.objects.filter(pk=listing_id).update(reserved=F("reserved") - copies[listing_id])


def stock_hand_over(copies: Mapping[int, int]) -> None:
    """The copies left the shop with the customer: no longer held, no longer in stock."""
    for listing_id in sorted(copies):
        Listing.objects.filter(pk=listing_id).update(
            reserved=F("reserved") - copies[listing_id], quantity=F("quantity") - copies[listing_id]
        )


def listings_set_out_of_stock(*, listings: QuerySet[Listing]) -> int:
    """Nothing left to reserve; copies held for customers' orders stay on the shelf."""
    return listings.exclude(quantity=F("reserved")).update(quantity=F("reserved"), updated_at=Now())
