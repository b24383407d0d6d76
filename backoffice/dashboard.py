"""The chain's back-office dashboard: figures about a set of shops over whole weeks.

Pure reads (selectors). Every figure is computed by PostgreSQL in a fixed number of
queries, whatever the number of shops or orders: GROUP BY for the counts, one
subquery per column for the per-shop table, percentile_cont for the medians. Listings
are not counted here: their counts per shop and status are kept by triggers
(backoffice.models.ListingCount), the same numbers as a count, read in a few ms.

Weeks are Paris weeks (settings.TIME_ZONE), Monday to Sunday. An order counts in the
week it was placed (reservations), or in the week its ending event happened (collected,
expired, not answered in time — a late answer of the shop): the "sales kept local" of a
week are what customers paid for in the shops that week.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db.models import (
    Aggregate,
    Count,
    DateField,
    DecimalField,
    DurationField,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce, TruncWeek
from django.utils import timezone

from backoffice.models import ListingCount
from catalog.models import Listing, ProductKind, StockAlert
from marketplace.bilingual import in_page_language
from orders.alert_outcomes import alert_led_to_reservation
from orders.models import Checkout, Order, OrderEvent, OrderLine
from shops.models import Drive, Shop

FULL_WEEKS_SHOWN = 12  # before the current week
ZERO = Decimal("0.00")
MONEY = DecimalField(max_digits=14, decimal_places=2)
ENDINGS = [Order.Status.COLLECTED, Order.Status.EXPIRED, Order.Status.UNANSWERED]
SHOP_FIGURES = ["published_listings", "reservations", "collected", "expired", "collected_value", "unanswered"]


@dataclass(frozen=True)
class Period:
    """Whole weeks in Paris time, from the Monday `first_monday`, `weeks` of them."""

    first_monday: date
    weeks: int

    @classmethod
    def recent(cls, *, full_weeks: int = FULL_WEEKS_SHOWN, today: date | None = None) -> "Period":
        """The last `full_weeks` whole weeks and the current one (so far)."""
        today = today or timezone.localdate(timezone=timezone.get_default_timezone())
        this_monday = today - timedelta(days=today.weekday())
        return cls(first_monday=this_monday - timedelta(weeks=full_weeks), weeks=full_weeks + 1)

    @property
    def mondays(self) -> list[date]:
        return [self.first_monday + timedelta(weeks=number) for number in range(self.weeks)]

    @property
    def last_day(self) -> date:
        return self.first_monday + timedelta(weeks=self.weeks, days=-1)

    @property
    def starts_at(self) -> datetime:
        return datetime.combine(self.first_monday, time.min, tzinfo=timezone.get_default_timezone())

    @property
    def ends_at(self) -> datetime:
        """The first instant after the period (midnight of the following Monday)."""
        return datetime.combine(
            self.last_day + timedelta(days=1), time.min, tzinfo=timezone.get_default_timezone()
        )


@dataclass(frozen=True)
class StatusCount:
    status: str
    label: str
    count: int


def no_show_rate(*, collected: int, expired: int) -> float | None:
    """Share of the orders that ended in the period which nobody came to collect;
    None when none ended (no rate rather than a misleading 0 %)."""
    ended = collected + expired
    return expired / ended if ended else None


@dataclass(frozen=True)
class Week:
    monday: date
    reservations: int  # orders placed that week
    collected: int  # orders collected that week
    expired: int  # orders nobody came for, expired that week
    collected_value: Decimal  # "sales kept local": what the collected orders were paid
    unanswered: int = 0  # late answers: orders the shop let pass their answer deadline that week

    @property
    def no_show_rate(self) -> float | None:
        return no_show_rate(collected=self.collected, expired=self.expired)


@dataclass(frozen=True)
class KindSales:
    """The "sales kept local" of one kind of product over the period."""

    kind: str  # its code
    name: str  # in the page's language
    items: int  # copies and pieces collected
    value: Decimal


@dataclass(frozen=True)
class SecondChances:
    """When the shelf said no (issue 20), over the period: what came of it."""

    reserved_elsewhere: int  # orders of these shops not served, then reserved at another shop from their page
    ordered_for_customers: int  # books these shops were asked to order from their distributor
    alerts_sent: int  # "tell me when it is here" emails, for these shops' listings
    alerts_reserved: int  # of those, how many led their reader to reserve the book within ALERT_TO_ORDER_DAYS
    # (orders/alert_outcomes.py)
    alerts_waiting: int  # now: alerts waiting for their product around these shops' drives


@dataclass(frozen=True)
class Dashboard:
    period: Period
    shops_by_status: list[StatusCount]
    listings_by_status: list[StatusCount]
    weeks: list[Week]
    median_time_to_accept: timedelta | None  # placed → accepted, orders placed in the period
    median_time_to_ready: timedelta | None  # placed → ready, orders placed in the period
    sales_by_kind: list[KindSales] = ()
    second_chances: SecondChances | None = None

    @property
    def reservations(self) -> int:
        return sum(week.reservations for week in self.weeks)

    @property
    def collected(self) -> int:
        return sum(week.collected for week in self.weeks)

    @property
    def expired(self) -> int:
        return sum(week.expired for week in self.weeks)

    @property
    def collected_value(self) -> Decimal:
        return sum((week.collected_value for week in self.weeks), start=ZERO)

    @property
    def unanswered(self) -> int:
        return sum(week.unanswered for week in self.weeks)

    @property
    def no_show_rate(self) -> float | None:
        return no_show_rate(collected=self.collected, expired=self.expired)


@dataclass(frozen=True)
class ShopFigures:
    """One row of the per-shop table (and of its CSV export), over the period."""

    shop_id: int
    trade_name: str
    town: str
    status: str
    published_listings: int  # now, not over the period
    reservations: int
    collected: int
    expired: int
    collected_value: Decimal
    unanswered: int

    @property
    def status_label(self) -> str:
        return Shop.Status(self.status).label

    @property
    def no_show_rate(self) -> float | None:
        return no_show_rate(collected=self.collected, expired=self.expired)


class Median(Aggregate):
    """PostgreSQL's percentile_cont(0.5): the middle value (the mean of the two middle
    ones for an even count); NULLs are left out."""

    function = "PERCENTILE_CONT"
    template = "%(function)s(0.5) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = DurationField()


# --- The dashboard of a set of shops ---------------------------------------------------


def dashboard_for_shops(*, shops: QuerySet[Shop], period: Period) -> Dashboard:
    """Every figure of the dashboard for `shops` (any queryset of shops: a drive's, a
    person's, the whole network) over `period`. Ten queries."""
    return Dashboard(
        period=period,
        shops_by_status=shops_by_status(shops=shops),
        listings_by_status=listings_by_status(shops=shops),
        weeks=weekly_activity(shops=shops, period=period),
        sales_by_kind=sales_by_kind(shops=shops, period=period),
        second_chances=second_chances(shops=shops, period=period),
        **median_times(shops=shops, period=period),
    )


def second_chances(*, shops: QuerySet[Shop], period: Period) -> SecondChances:
    """What came of the shelves' "no" for `shops` over `period`. Four queries."""
    ids = _ids(shops)
    in_period = {"created_at__gte": period.starts_at, "created_at__lt": period.ends_at}
    reserved_elsewhere = (
        Checkout.objects.filter(instead_of__shop__in=ids, **in_period).values("instead_of").distinct().count()
    )
    ordered = Order.objects.filter(
        shop__in=ids, from_distributor=True, placed_at__gte=period.starts_at, placed_at__lt=period.ends_at
    ).count()
    sent = StockAlert.objects.filter(
        listing__shop__in=ids, sent_at__gte=period.starts_at, sent_at__lt=period.ends_at
    ).aggregate(sent=Count("pk"), reserved=Count("pk", filter=alert_led_to_reservation()))
    waiting = StockAlert.objects.filter(
        status=StockAlert.Status.ACTIVE, drive__in=Drive.objects.filter(shops__in=ids).values("pk")
    ).count()
    return SecondChances(
        reserved_elsewhere=reserved_elsewhere,
        ordered_for_customers=ordered,
        alerts_sent=sent["sent"],
        alerts_reserved=sent["reserved"],
        alerts_waiting=waiting,
    )


def alerts_waiting_by_drive(*, limit: int = 20) -> list[tuple[Drive, int]]:
    """The drives where most alerts wait for their product, with how many (head office)."""
    counts = (
        StockAlert.objects.filter(status=StockAlert.Status.ACTIVE)
        .values("drive")
        .annotate(count=Count("pk"))
        .order_by("-count", "drive")[:limit]
    )
    drives = Drive.objects.in_bulk([row["drive"] for row in counts])
    return [(drives[row["drive"]], row["count"]) for row in counts]


def shops_by_status(*, shops: QuerySet[Shop]) -> list[StatusCount]:
    """How many shops in each status (every status listed, zeros included)."""
    counts = dict(
        Shop.objects.filter(pk__in=_ids(shops)).values_list("status").annotate(count=Count("pk")).order_by()
    )
    return [StatusCount(status, label, counts.get(status, 0)) for status, label in Shop.Status.choices]


def listings_by_status(*, shops: QuerySet[Shop]) -> list[StatusCount]:
    """How many listings of these shops in each status, today (zeros included): the sum
    of their counts (ListingCount), not a count of the listings (5,000,000 of them)."""
    counts = dict(
        ListingCount.objects.filter(shop__in=_ids(shops))
        .values_list("status")
        .annotate(count=Sum("listings"))
        .order_by()
    )
    return [StatusCount(status, label, counts.get(status, 0)) for status, label in Listing.Status.choices]


def weekly_activity(*, shops: QuerySet[Shop], period: Period) -> list[Week]:
    """Each week of `period`: orders placed, collected and expired, and the value of the
    collected ones. Two queries: one over orders, one over their ending events."""
    placed = dict(
        _orders_placed_in(period)
        .filter(shop__in=_ids(shops))
        .annotate(monday=_week_of("placed_at"))
        .values_list("monday")
        .annotate(count=Count("pk"))
        .order_by()
    )
    # The ending events joined to their orders' lines: each order counted once (DISTINCT)
    # however many lines it has; the value only from the lines the shop could serve.
    ended = {
        row["monday"]: row
        for row in _endings_in(period)
        .filter(order__shop__in=_ids(shops))
        .annotate(monday=_week_of("created_at"))
        .values("monday")
        .annotate(
            collected=Count("order", distinct=True, filter=Q(to_status=Order.Status.COLLECTED)),
            expired=Count("order", distinct=True, filter=Q(to_status=Order.Status.EXPIRED)),
            unanswered=Count("order", distinct=True, filter=Q(to_status=Order.Status.UNANSWERED)),
            value=Sum(
                _line_value("order__lines__"),
                filter=Q(to_status=Order.Status.COLLECTED, order__lines__is_unavailable=False),
                default=ZERO,
            ),
        )
        .order_by()
    }
    weeks = []
    for monday in period.mondays:
        endings = ended.get(monday, {})
        weeks.append(
            Week(
                monday=monday,
                reservations=placed.get(monday, 0),
                collected=endings.get("collected", 0),
                expired=endings.get("expired", 0),
                collected_value=endings.get("value", ZERO),
                unanswered=endings.get("unanswered", 0),
            )
        )
    return weeks


def sales_by_kind(*, shops: QuerySet[Shop], period: Period) -> list[KindSales]:
    """The sales kept local over `period` by kind of product (books, board games…), from
    the lines the shops could serve of the orders collected in it; every kind listed, in
    the kinds' order, zeros included. One query (a subquery per figure and kind: a few
    kinds, each over the period's collected lines)."""
    lines = (
        OrderLine.objects.filter(
            order__shop__in=_ids(shops),
            order__in=_endings_in(period).filter(to_status=Order.Status.COLLECTED).values("order"),
            is_unavailable=False,
            listing__book__kind=OuterRef("code"),
        )
        .values("listing__book__kind")
        .order_by()
    )
    rows = ProductKind.objects.annotate(
        items=Coalesce(Subquery(lines.annotate(items=Sum("quantity")).values("items")), 0),
        value=Coalesce(Subquery(lines.annotate(value=Sum(_line_value())).values("value")), Value(ZERO),
                       output_field=MONEY),
    ).values_list("code", "name_fr", "name_en", "items", "value")  # fmt: skip
    return [
        KindSales(kind=code, name=in_page_language(name_fr, name_en), items=items, value=value)
        for code, name_fr, name_en, items, value in rows
    ]


def median_times(*, shops: QuerySet[Shop], period: Period) -> dict[str, timedelta | None]:
    """Median time from placed to accepted, and from placed to ready, of the orders
    placed in `period` (those that got there; None when none did)."""
    accepted_at = (
        OrderEvent.objects.filter(order=OuterRef("pk"), to_status=Order.Status.ACCEPTED, line__isnull=True)
        .order_by("created_at")
        .values("created_at")[:1]
    )
    return (
        _orders_placed_in(period)
        .filter(shop__in=_ids(shops))
        .aggregate(
            median_time_to_accept=Median(Subquery(accepted_at) - F("placed_at")),
            median_time_to_ready=Median(F("ready_at") - F("placed_at")),
        )
    )


def shop_figures(*, shops: QuerySet[Shop], period: Period) -> list[ShopFigures]:
    """One row per shop of `shops`, by name: its status, published listings (its count,
    ListingCount), and its orders over `period`. One query (a correlated subquery per
    column)."""
    placed = _orders_placed_in(period).filter(shop=OuterRef("pk"))
    endings = _endings_in(period).filter(order__shop=OuterRef("pk"))
    collected_lines = OrderLine.objects.filter(
        order__shop=OuterRef("pk"),
        order__in=_endings_in(period).filter(to_status=Order.Status.COLLECTED).values("order"),
        is_unavailable=False,
    )
    rows = (
        Shop.objects.filter(pk__in=_ids(shops))
        .annotate(
            published_listings=Coalesce(
                Subquery(
                    ListingCount.objects.filter(shop=OuterRef("pk"), status=Listing.Status.PUBLISHED).values(
                        "listings"
                    )
                ),
                0,
            ),
            reservations=_count(placed, by="shop"),
            collected=_count(endings.filter(to_status=Order.Status.COLLECTED), by="order__shop"),
            expired=_count(endings.filter(to_status=Order.Status.EXPIRED), by="order__shop"),
            unanswered=_count(endings.filter(to_status=Order.Status.UNANSWERED), by="order__shop"),
            collected_value=Coalesce(
                Subquery(
                    collected_lines.values("order__shop").annotate(value=Sum(_line_value())).values("value")
                ),
                Value(ZERO),
                output_field=MONEY,
            ),
        )
        .order_by("trade_name", "pk")
        .values_list("pk", "trade_name", "town", "status", *SHOP_FIGURES)
    )
    return [ShopFigures(*row) for row in rows]


# --- Building blocks ---------------------------------------------------------------------


def _ids(shops: QuerySet[Shop]) -> QuerySet:
    # A subquery of ids: the caller's queryset may join (a drive's staff reach a shop
    # through each of their drives) and repeat a shop; IN (…) counts it once.
    return shops.values("pk")


def _orders_placed_in(period: Period) -> QuerySet[Order]:
    return Order.objects.filter(placed_at__gte=period.starts_at, placed_at__lt=period.ends_at)


def _endings_in(period: Period) -> QuerySet[OrderEvent]:
    """The events that ended orders (collected, expired, not answered in time) in `period`. Events about a
    line carry the order's status unchanged: they are left out."""
    return OrderEvent.objects.filter(
        to_status__in=ENDINGS,
        line__isnull=True,
        created_at__gte=period.starts_at,
        created_at__lt=period.ends_at,
    )


def _week_of(field: str) -> TruncWeek:
    """The Monday (Paris time) of the week `field` falls in."""
    return TruncWeek(field, tzinfo=timezone.get_default_timezone(), output_field=DateField())


def _line_value(prefix: str = ""):
    return F(f"{prefix}unit_price") * F(f"{prefix}quantity")


def _count(queryset: QuerySet, *, by: str) -> Coalesce:
    """COUNT(*) of `queryset` (already filtered on OuterRef), as a scalar subquery."""
    subquery = Subquery(queryset.values(by).annotate(count=Count("pk")).values("count"))
    return Coalesce(subquery, 0)
