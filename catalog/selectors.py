"""Reads about books and listings."""

import functools
import uuid
from dataclasses import dataclass

from django.db import connection
from django.db.models import Func, IntegerField, QuerySet, Sum

from catalog.models import Book, Listing, ProductKind, StockSyncPage, StockSyncSession
from catalog.stock import IN_STOCK_SQL
from marketplace.raw_rows import ModelColumns
from shops.hours import Schedule, schedule_columns_sql
from shops.models import Shop
from shops.selectors import NearbyShop, shops_for_user


def listings_for_user(user) -> QuerySet[Listing]:
    """The listings `user` may see and manage: those of their shops (all of them for
    the chain's staff). Same rule as shops_for_user, which it builds on."""
    return Listing.objects.filter(shop__in=shops_for_user(user))


def with_book_details(listings: QuerySet[Listing]) -> QuerySet[Listing]:
    """Listings with their book and shop, in one query."""
    return listings.select_related("book", "shop")


def book_by_ean(ean: str) -> Book | None:
    """The book (or product) with this EAN, for its public page and the public API.
    Its search columns are left out (deferred): they are the largest, and no page shows them."""
    sql, columns = _book_by_ean_query()
    with connection.cursor() as cursor:
        cursor.execute(sql, [ean])
        row = cursor.fetchone()
    return columns.instance(row) if row else None


@functools.cache
def _book_by_ean_query() -> tuple[str, ModelColumns]:
    """book_by_ean's statement, written once per process (its ORM query took more Python
    than PostgreSQL took to answer it: a book page's busiest read, issue 22)."""
    searched = {"search_vector", "shop_ids"}
    columns = ModelColumns(
        Book, "book", only={field.attname for field in Book._meta.concrete_fields} - searched
    )
    return f"SELECT {columns.sql} FROM {Book._meta.db_table} book WHERE book.ean = %s", columns


def own_product(*, shop, reference: str) -> Book | None:
    """The shop's own product (without a barcode) it calls `reference`, if it has one."""
    return Book.objects.filter(owner_shop=shop, own_reference=reference).first() if reference else None


@dataclass
class Offer:
    """A nearby shop's offer of a book, for the book page."""

    listing: Listing
    shop: NearbyShop

    @property
    def is_last_copy(self) -> bool:
        return self.listing.available == 1

    @property
    def shop_with_hours(self) -> Shop:
        """The shop with what the opening hours tags read (hours, closures, holiday,
        preparation time) loaded, from `offers_near(with_opening_hours=True)`; its other
        fields are not."""
        return self.listing.shop


def offers_near(*, book: Book, shops: list[NearbyShop], with_opening_hours: bool = False) -> list[Offer]:
    """The book's offers (published, in stock) in these shops, nearest shop first, then
    cheapest. `with_opening_hours` also reads what "open now" and "ready by" read of their
    shops (`Offer.shop_with_hours`), in the same statement."""
    return offers_of_books_near(book_ids=[book.pk], shops=shops, with_opening_hours=with_opening_hours).get(
        book.pk, []
    )


def offers_of_books_near(
    *, book_ids: list[int], shops: list[NearbyShop], with_opening_hours: bool = False
) -> dict[int, list[Offer]]:
    """`offers_near` for several books at once, by book id (books without an offer are
    left out): one statement for one book or thirty, with or without the hours."""
    by_id = {shop.id: shop for shop in shops}
    if not book_ids or not by_id:
        return {}
    sql, listing_columns, shop_columns = _offers_query(with_opening_hours)
    with connection.cursor() as cursor:
        cursor.execute(sql, [list(book_ids), list(by_id)])
        rows = cursor.fetchall()
    offers: dict[int, list[Offer]] = {}
    for row in rows:
        listing = listing_columns.instance(row)
        if with_opening_hours:
            listing.shop = shop = shop_columns.instance(row, listing_columns.width)
            periods, closures = row[-2:]
            shop.schedule = Schedule.from_json(shop, periods=periods, closures=closures)
        offers.setdefault(listing.book_id, []).append(Offer(listing=listing, shop=by_id[listing.shop_id]))
    for book_offers in offers.values():
        book_offers.sort(key=lambda offer: (offer.shop.distance_km, offer.listing.price))
    return offers


@functools.cache
def _offers_query(with_opening_hours: bool) -> tuple[str, ModelColumns, ModelColumns]:
    """offers_of_books_near's statement, written once per process: for one book page,
    building the same query and its two prefetches through the ORM cost more Python
    than PostgreSQL took to answer them (issue 22). What an offer reads of its listing,
    and of its shop for "open now" and "ready by" (shops/templatetags/opening_hours.py,
    which also reads the schedule set above)."""
    listing = ModelColumns(
        Listing, "listing", only={"id", "book_id", "shop_id", "condition", "price", "quantity", "reserved"}
    )
    shop = ModelColumns(
        Shop, "shop", only={"id", "preparation_hours", "holiday_starts_on", "holiday_ends_on"}
    )
    columns = listing.sql
    joined = ""
    if with_opening_hours:
        columns += f", {shop.sql}, {schedule_columns_sql('shop')}"
        joined = f"JOIN {Shop._meta.db_table} shop ON shop.id = listing.shop_id"
    sql = f"""
        SELECT {columns}
          FROM {Listing._meta.db_table} listing {joined}
         WHERE {IN_STOCK_SQL} AND listing.book_id = ANY(%s) AND listing.shop_id = ANY(%s)
         ORDER BY listing.updated_at DESC"""  # Listing's own order: two offers equally near and dear stay put
    return sql, listing, shop


@dataclass(frozen=True)
class OrderingShop:
    """A shop near the drive that orders books for customers ("order it for me")."""

    shop: NearbyShop
    order_days: int  # its usual time to get one


def shops_ordering(*, book: Book, shops: list[NearbyShop]) -> list[OrderingShop]:
    """Which of these shops would order `book` from their distributor for a customer,
    nearest first: shops that take such orders and sell its kind; none for a product
    other than a book with a publisher's price (orders.services.distributor_order_problem
    says the same to the service). One query."""
    if not book.follows_book_rules or book.is_own_product or not book.list_price:
        return []
    return shops_ordering_kind(kind=book.kind_id, shops=shops)


def shops_ordering_kind(*, kind: str, shops: list[NearbyShop]) -> list[OrderingShop]:
    """Which of these shops order products of `kind` for customers, nearest first. One query."""
    if not shops:
        return []
    with connection.cursor() as cursor:
        cursor.execute(_ORDERING_SHOPS, [[shop.id for shop in shops], kind])
        days = dict(cursor.fetchall())
    return [OrderingShop(shop=shop, order_days=days[shop.id]) for shop in shops if shop.id in days]


# shops_ordering_kind's statement, written by hand: every search that finds nothing in
# stock asks it, and the ORM's four joins and DISTINCT cost ~0.6 ms of Python (issue 22).
# A shop sells a kind of product when one of its kinds of shop does.
_ORDERING_SHOPS = f"""
    SELECT shop.id, shop.order_days
      FROM {Shop._meta.db_table} shop
     WHERE shop.id = ANY(%s) AND shop.takes_orders
       AND EXISTS (SELECT FROM {Shop.kinds.through._meta.db_table} shop_kind
                     JOIN {ProductKind.shop_kinds.through._meta.db_table} sold
                       ON sold.shopkind_id = shop_kind.shopkind_id
                     JOIN {ProductKind._meta.db_table} product_kind ON product_kind.id = sold.productkind_id
                    WHERE shop_kind.shop_id = shop.id AND product_kind.code = %s)"""


# --- Stock sync sessions (catalog/stock_sync.py) -------------------------------------------


class _ItemCount(Func):
    """How many items a page holds, counted by PostgreSQL: 5,000 of them need not be read."""

    function = "jsonb_array_length"
    output_field = IntegerField()


def stock_sync_session_for_shop(*, shop: Shop, session_id: str) -> StockSyncSession | None:
    """The shop's sync session with this id; another shop's is None, as if it did not exist."""
    try:
        pk = uuid.UUID(session_id)
    except ValueError:
        return None
    return StockSyncSession.objects.filter(shop=shop, pk=pk).first()


def stock_sync_pages(*, session: StockSyncSession) -> list[dict]:
    """The pages a session received, in order: number, item count, when."""
    return list(
        StockSyncPage.objects.filter(session=session)
        .order_by("number")
        .values("number", "received_at", item_count=_ItemCount("items"))
    )


def stock_sync_item_count(*, session: StockSyncSession, except_page: int | None = None) -> int:
    pages = StockSyncPage.objects.filter(session=session).exclude(number=except_page)
    return pages.aggregate(items=Sum(_ItemCount("items")))["items"] or 0
