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

import functools
from collections.abc import Iterable, Mapping
from datetime import date
from decimal import Decimal

from django.db import connection
from django.db.models import F, QuerySet
from django.db.models.functions import Now

from catalog.models import Book, Listing
from marketplace.raw_rows import ModelColumns
from shops.hours import Schedule, schedule_columns_sql
from shops.models import Shop
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


def listings_to_reserve(ids: Iterable[int]) -> dict[int, Listing]:
    """The listings a checkout asks for, by id, with their book and shop, and each shop's
    Schedule (`listing.shop.schedule`, for the orders' answer deadline): one statement,
    no lock. The checkout checks them and copies them into its order lines; then
    stock_hold_if_left checks again, under the lock, while it holds the copies."""
    sql, listing_columns, book_columns, shop_columns = _to_reserve_query()
    with connection.cursor() as cursor:
        cursor.execute(sql, [sorted(ids)])
        rows = cursor.fetchall()
    listings = {}
    for row in rows:
        listing = listing_columns.instance(row)
        book = book_columns.instance(row, listing_columns.width)
        start = listing_columns.width + book_columns.width
        shop = shop_columns.instance(row, start)
        start += shop_columns.width
        shop.schedule = Schedule.from_json(shop, periods=row[start], closures=row[start + 1])
        listing.book, listing.shop = book, shop
        listings[listing.pk] = listing
    return listings


@functools.cache
def _to_reserve_query() -> tuple[str, ModelColumns, ModelColumns, ModelColumns]:
    """listings_to_reserve's statement, written once per process: Django's query
    building costs more than PostgreSQL's answer here, on the busiest path of the site."""
    listing, book, shop = (
        ModelColumns(Listing, "listing"),
        ModelColumns(Book, "book"),
        ModelColumns(Shop, "shop"),
    )
    sql = f"""
        SELECT {listing.sql}, {book.sql}, {shop.sql}, {schedule_columns_sql("shop")}
          FROM {Listing._meta.db_table} listing
          JOIN {Book._meta.db_table} book ON book.id = listing.book_id
          JOIN {Shop._meta.db_table} shop ON shop.id = listing.shop_id
         WHERE listing.id = ANY(%s)
         ORDER BY listing.id"""
    return sql, listing, book, shop


def stock_hold_if_left(wanted: Mapping[int, tuple[int, Decimal]], *, today: date) -> set[int]:
    """Hold copies for a checkout's orders in one statement: {listing id: (copies, price
    the customer was shown)}. Takes the listings' locks in the stated order, then adds to
    `reserved` only where the listing is still what the customer was shown: published,
    in an approved shop not away on `today`, at that price, with that many copies left.
    Returns the ids it held; the caller rolls everything back unless that is all of them.
    The check and the write are one step under the lock (no read between them), and the
    check constraint stays the last guard."""
    ids = sorted(wanted)
    with connection.cursor() as cursor:
        cursor.execute(
            _HOLD_IF_LEFT,
            {
                "ids": ids,
                "copies": [wanted[listing_id][0] for listing_id in ids],
                "prices": [wanted[listing_id][1] for listing_id in ids],
                "today": today,
            },
        )
        return {listing_id for (listing_id,) in cursor.fetchall()}


# The CTE `locked` takes the row locks in primary-key order (the lock order above): the
# UPDATE alone would lock rows in whatever order its plan meets them. Under READ
# COMMITTED, PostgreSQL checks the WHERE clause again on the latest version of a row that
# changed since the statement began, so the copies left are counted as they are now.
_HOLD_IF_LEFT = f"""
    WITH locked AS MATERIALIZED (
            SELECT id FROM {Listing._meta.db_table}
             WHERE id = ANY(%(ids)s) ORDER BY id FOR NO KEY UPDATE),
         wanted AS (
            SELECT * FROM unnest(%(ids)s::bigint[], %(copies)s::integer[], %(prices)s::numeric[])
                       AS wanted(id, copies, price))
    UPDATE {Listing._meta.db_table} listing
       SET reserved = listing.reserved + wanted.copies
      FROM wanted, locked
     WHERE listing.id = wanted.id AND locked.id = listing.id
       AND listing.status = '{Listing.Status.PUBLISHED}'
       AND listing.quantity - listing.reserved >= wanted.copies
       AND listing.price = wanted.price
       AND EXISTS (
            SELECT 1 FROM {Shop._meta.db_table} shop
             WHERE shop.id = listing.shop_id AND shop.status = '{Shop.Status.APPROVED}'
               AND NOT (shop.holiday_starts_on IS NOT NULL
                        AND %(today)s BETWEEN shop.holiday_starts_on AND shop.holiday_ends_on))
    RETURNING listing.id"""


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
