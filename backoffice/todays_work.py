"""A bookseller's work of the day, for the back office's home page (issue 19): the orders
to accept before their deadline, the orders set aside and waiting for their customer, the
stock files in progress, the listings held by moderation, and a stock not updated for a
while. Pure reads, a fixed number of queries whatever the shop's size.

Only for the shops the person works in (memberships): head office and drive staff have
their own queues and the dashboard."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count, Max, Q, Window
from django.utils import timezone

from catalog.models import Listing, StockImport
from orders.models import Order
from orders.selectors import customer_details_visible, with_visible_customer_details
from shops.models import Shop

SHOWN = 8  # orders listed per block; the rest are counted, one click away
STALE_STOCK = timedelta(days=14)  # a till's stock changes every day: two weeks is a forgotten sync
IMPORTS_UNDER_WAY = [StockImport.Status.PREVIEWING, StockImport.Status.PREVIEWED, StockImport.Status.APPLYING]


@dataclass(frozen=True)
class StaleStock:
    shop: Shop
    last_change: datetime | None  # None: nothing listed yet


@dataclass(frozen=True)
class TodaysWork:
    to_accept: list[Order]  # the oldest deadline first
    to_accept_count: int
    waiting: list[Order]  # set aside, the nearest pickup deadline first
    waiting_count: int
    imports: list[StockImport]
    held_listings: int  # waiting for the moderators
    rejected_listings: int  # to correct and send back
    stale_stock: list[StaleStock]

    @property
    def is_empty(self) -> bool:
        return not (self.to_accept_count or self.waiting_count or self.imports or self.held_listings
                    or self.rejected_listings or self.stale_stock)  # fmt: skip


def todays_work(*, user, now: datetime | None = None) -> TodaysWork | None:
    """The work waiting in `user`'s own shops, or None when they work in none."""
    shops = Shop.objects.filter(memberships__user=user, status=Shop.Status.APPROVED)
    shop_ids = list(shops.values_list("pk", flat=True))
    if not shop_ids:
        return None
    now = now or timezone.now()
    # Their own shops' orders: they see the customers as a shop's people do.
    orders = with_visible_customer_details(
        Order.objects.filter(shop_id__in=shop_ids), visible=customer_details_visible(sees_all_shops=False)
    ).select_related("shop")
    # Each block's first orders and how many there are in all, in one query (a window count).
    to_accept = _first_and_total(orders.filter(status=Order.Status.PLACED).order_by("answer_by", "placed_at"))
    waiting = _first_and_total(orders.filter(status=Order.Status.READY).order_by("collect_by", "ready_at"))
    listings = Listing.objects.filter(shop_id__in=shop_ids).aggregate(
        held=Count("pk", filter=Q(status=Listing.Status.PENDING)),
        rejected=Count("pk", filter=Q(status=Listing.Status.REJECTED)),
    )
    stale = [
        StaleStock(shop=shop, last_change=shop.last_change)
        for shop in Shop.objects.filter(pk__in=shop_ids).annotate(last_change=Max("listings__updated_at"))
        if shop.last_change is None or shop.last_change < now - STALE_STOCK
    ]
    return TodaysWork(
        to_accept=to_accept[0],
        to_accept_count=to_accept[1],
        waiting=waiting[0],
        waiting_count=waiting[1],
        imports=list(
            StockImport.objects.filter(shop_id__in=shop_ids, status__in=IMPORTS_UNDER_WAY).order_by(
                "-created_at"
            )
        ),
        held_listings=listings["held"],
        rejected_listings=listings["rejected"],
        stale_stock=stale,
    )


def _first_and_total(orders) -> tuple[list[Order], int]:
    first = list(orders.annotate(total=Window(Count("pk")))[:SHOWN])
    return first, first[0].total if first else 0
