"""Another shop nearby: when a shop cannot serve a customer, the same items at the other
shops around the customer's drive, and a reservation there in one click.

A line is "not served" when its shop marked it unavailable, refused the order, let the
answer deadline pass, cancelled it (a shop or the chain's staff; not the customer, who
changed their mind), or when the order expired uncollected. For those lines the
customer's order page and email list the same product (same EAN) at other reservable
shops within the search's default radius of the drive the customer was shopping around,
nearest first; each offer has a button that places an ordinary checkout
(orders.services.checkout_place: stock checked under lock, idempotent, the reservation
limits) with the details the customer already gave. The bookseller about to refuse a
line sees the same list, to say so in the reason.
"""

from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.urls import reverse
from django.utils import translation

from catalog.models import Listing
from catalog.selectors import Offer, offers_of_books_near
from orders.models import Order, OrderEvent, OrderLine
from shops.geo import DEFAULT_RADIUS_KM
from shops.models import Drive
from shops.selectors import shops_near

# Offers shown per line: the nearest few, enough to choose, short enough for an email.
OFFERS_PER_LINE = 3

# Endings where the shop (or the chain) did not serve the whole order.
_WHOLE_ORDER_NOT_SERVED = {Order.Status.REFUSED, Order.Status.EXPIRED, Order.Status.UNANSWERED}


@dataclass
class LineElsewhere:
    """One line the shop does not serve, and where else around the drive it is in stock."""

    line: OrderLine
    offers: list[Offer]


@dataclass(frozen=True)
class EmailOffer:
    """An offer as an email shows it (plain values: emails keep JSON, see email_context)."""

    title: str
    shop_name: str
    town: str
    distance_km: float
    price: Decimal
    condition: str
    reserve_url: str


def customer_drive(order: Order) -> Drive | None:
    """The drive the customer was shopping around when they reserved (else the shop's
    first drive): where to look for the same items elsewhere."""
    if order.checkout.drive_id:
        return order.checkout.drive
    return order.shop.drives.order_by("pk").first()


def lines_not_served(order: Order) -> list[OrderLine]:
    """The lines of `order` its shop will not hand over, from its prefetched lines and
    events: all of them once the order ended without the shop serving it, else those it
    marked unavailable."""
    lines = list(order.lines.all())
    if order.status in _WHOLE_ORDER_NOT_SERVED or (
        order.status == Order.Status.CANCELLED and _cancelled_by_someone_else(order)
    ):
        return lines
    if order.status == Order.Status.COLLECTED:
        return []
    return [line for line in lines if line.is_unavailable]


def _cancelled_by_someone_else(order: Order) -> bool:
    cancelled = [event for event in order.events.all() if event.to_status == Order.Status.CANCELLED]
    return bool(cancelled) and cancelled[-1].actor_kind != OrderEvent.Actor.CUSTOMER


def elsewhere_for_lines(
    order: Order, lines: list[OrderLine], *, with_opening_hours: bool = False
) -> list[LineElsewhere]:
    """For each of `lines`, the offers of the same product at other shops around the
    customer's drive (nearest first, OFFERS_PER_LINE at most); lines without any are left
    out. Two queries (the lines' products, their offers), plus two for opening hours."""
    if not lines:
        return []
    drive = customer_drive(order)  # no query: order_by_token reads the checkout's drive
    if drive is None:
        return []
    nearby = [
        shop
        for shop in shops_near(
            latitude=drive.latitude, longitude=drive.longitude, radius_km=DEFAULT_RADIUS_KM
        )
        if shop.id != order.shop_id
    ]
    if not nearby:
        return []
    book_of = dict(
        Listing.objects.filter(pk__in=[line.listing_id for line in lines]).values_list("pk", "book_id")
    )
    offers = offers_of_books_near(
        book_ids=sorted(set(book_of.values())), shops=nearby, with_opening_hours=with_opening_hours
    )
    found = []
    for line in lines:
        line_offers = offers.get(book_of.get(line.listing_id), [])
        if line_offers:
            found.append(LineElsewhere(line=line, offers=line_offers[:OFFERS_PER_LINE]))
    return found


@dataclass
class OrderElsewhere:
    """What the customer's order page says of other shops: the orders already placed
    elsewhere instead of this one, and the lines still to find, with their offers."""

    replacements: list[Order]
    lines: list[LineElsewhere]


def elsewhere_for_order(order: Order, *, with_opening_hours: bool = False) -> OrderElsewhere:
    """For the order page: nothing (and no query) while the shop serves every line; else
    the orders placed elsewhere from this page, and the lines not served that are not
    reserved elsewhere yet, with their offers."""
    not_served = lines_not_served(order)
    if not not_served:
        return OrderElsewhere(replacements=[], lines=[])
    replacements = list(
        Order.objects.filter(checkout__instead_of=order).select_related("shop").prefetch_related("lines")
        .order_by("placed_at")
    )  # fmt: skip
    reserved = {
        line.ean
        for other in replacements
        if other.is_open
        for line in other.lines.all()
        if not line.is_unavailable
    }
    to_find = [line for line in not_served if line.ean not in reserved]
    return OrderElsewhere(
        replacements=replacements,
        lines=elsewhere_for_lines(order, to_find, with_opening_hours=with_opening_hours),
    )


def offer_elsewhere(order: Order, listing_id: int) -> tuple[OrderLine, Offer] | None:
    """The line of `order` that the listing would replace, and its offer, if the listing
    is one of the alternatives the order page shows (else None: gone, sold out, or not an
    alternative of this order)."""
    for found in elsewhere_for_order(order, with_opening_hours=True).lines:
        for offer in found.offers:
            if offer.listing.pk == listing_id:
                return found.line, offer
    return None


def copies_elsewhere(line: OrderLine, offer: Offer) -> int:
    """The copies a reservation at the other shop takes: the line's, or what is left there."""
    return max(1, min(line.quantity, offer.listing.available))


def email_offers(order: Order, lines: list[OrderLine]) -> list[EmailOffer]:
    """The alternatives an email about `order` lists for `lines`, with absolute links to
    reserve each (the page asks for one confirmation: a link must never reserve)."""
    offers = []
    with translation.override(order.language):
        for found in elsewhere_for_lines(order, lines):
            for offer in found.offers:
                path = reverse("order_elsewhere", args=[order.token, offer.listing.pk])
                offers.append(
                    EmailOffer(
                        title=found.line.title,
                        shop_name=offer.shop.trade_name,
                        town=offer.shop.town,
                        distance_km=round(offer.shop.distance_km, 1),
                        price=offer.listing.price,
                        condition=str(offer.listing.get_condition_display()),
                        reserve_url=f"{settings.SITE_URL}{path}",
                    )
                )
    return offers
