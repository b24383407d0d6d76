"""What one customer may reserve and hold, so that nobody can empty a shop's shelves.

A reservation holds copies until the shop answers and then until collection: one
script reserving with made-up emails could otherwise hold a whole shop's stock. The
limits (settings, RESERVATION_*) are far above what a person reserves and far below what
hurts a shop:
- per checkout: copies of one book, different books;
- held at once (orders placed, accepted or ready) by one person — the same email, phone
  or account, any of them —, at one shop and across the network;
- held at once from one client address (several people may share one: a family, a
  mobile operator's NAT, so the address limits are higher), at one shop and across the
  network; and checkouts from one address per hour.
However many requests a client sends, it holds at most RESERVATION_MAX_HELD_PER_SHOP_PER_
ADDRESS copies of a shop.

`check_reservation_limits` runs inside the checkout's transaction, after
`lock_reservation_holders` has taken a transaction-level advisory lock per email, phone,
account and address: two checkouts of the same person count one after the other, so
they cannot both pass a limit. Those locks are taken before any listing's, in a fixed
order, by checkouts only: no lock cycle.
"""

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import connection
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from marketplace import rate_limits
from marketplace.locking import advisory_xact_lock
from orders.models import OPEN_STATUS_SQL, Checkout, Order, OrderLine

CHECKOUTS_WINDOW_SECONDS = 3600
# The count of reservations sent per client and minute, shared by the web checkout
# (reservation_request_count) and the API (orders.api.views.ReservationThrottle).
RESERVATION_REQUESTS_SCOPE = "reservations"


class ReservationLimitReached(Exception):
    """The checkout would go past a limit: nothing was reserved. `limit` names which
    (for the API), `retry_after` is set when waiting helps (seconds)."""

    def __init__(self, message: str, *, limit: str, retry_after: int | None = None):
        super().__init__(message)
        self.limit = limit
        self.retry_after = retry_after


@dataclass(frozen=True)
class Holder:
    """Who reserves: their details, and a keyed hash of their client address ("" when
    unknown: a reservation made by the system or a script on the server)."""

    email: str
    phone: str
    user_id: int | None
    client_hash: str


def client_hash(client_key: str) -> str:
    """The address as Checkout.client_hash keeps it (not the address itself)."""
    if not client_key:
        return ""
    return salted_hmac("orders.reservation-client", client_key, algorithm="sha256").hexdigest()


def max_copies_per_line() -> int:
    return settings.RESERVATION_MAX_COPIES_PER_LINE


def max_lines_per_checkout() -> int:
    return settings.RESERVATION_MAX_LINES_PER_CHECKOUT


def check_checkout_shape(*, lines, titles: dict[int, tuple[str, str]]) -> None:
    """Copies per line and lines per checkout. `titles`: listing id → (title, shop)."""
    if len(lines) > max_lines_per_checkout():
        raise ReservationLimitReached(
            _("One reservation can hold up to %(max)s different items; yours has %(count)s. Please reserve the "
              "others in a second reservation.") % {"max": max_lines_per_checkout(), "count": len(lines)},
            limit="lines_per_checkout",
        )  # fmt: skip
    for line in lines:
        if line.quantity > max_copies_per_line():
            title, shop = titles.get(line.listing_id, ("?", "?"))
            raise ReservationLimitReached(
                ngettext(
                    "You can reserve up to %(max)s copy of “%(title)s” at a time. For more, please ask "
                    "%(shop)s directly.",
                    "You can reserve up to %(max)s copies of “%(title)s” at a time. For more, please ask "
                    "%(shop)s directly.",
                    max_copies_per_line(),
                )
                % {"max": max_copies_per_line(), "title": title, "shop": shop},
                limit="copies_per_line",
            )


def reservation_request_count(client_key: str) -> None:
    """Count one reservation sent from `client_key` and refuse it past
    RESERVATION_REQUESTS_PER_ADDRESS_PER_MINUTE. Refused ones count too: nobody probes the
    limits, or where someone else reserved, at will."""
    sent = rate_limits.hit(
        scope=RESERVATION_REQUESTS_SCOPE,
        who=client_key,
        rate=rate_limits.Rate(settings.RESERVATION_REQUESTS_PER_ADDRESS_PER_MINUTE, 60),
    )
    if not sent.allowed:
        raise ReservationLimitReached(
            _("Many reservations were sent from your connection in the last minute. Please wait a minute, then "
              "confirm again."),
            limit="requests_per_minute",
            retry_after=sent.retry_after,
        )  # fmt: skip


def lock_reservation_holders(holder: Holder) -> None:
    """Queue behind the other checkouts of the same email, phone, account or address
    until this transaction ends (sorted: every checkout takes them in the same order)."""
    keys = sorted(
        key
        for key in (
            f"email:{holder.email.lower()}" if holder.email else "",
            f"phone:{holder.phone}" if holder.phone else "",
            f"account:{holder.user_id}" if holder.user_id else "",
            f"address:{holder.client_hash}" if holder.client_hash else "",
        )
        if key
    )
    advisory_xact_lock(*(f"reservation-holder:{key}" for key in keys))


def check_reservation_limits(*, holder: Holder, asked: dict, shops: dict) -> None:
    """Refuse (ReservationLimitReached) a checkout asking `asked` (shop id → copies) if the
    holder would then hold more than allowed. `shops`: shop id → shop (for messages).
    Call under lock_reservation_holders, before the new orders exist."""
    held = _held_and_recent(holder)
    _check_held(
        held=held.by_person,
        asked=asked,
        shops=shops,
        per_shop=settings.RESERVATION_MAX_HELD_PER_SHOP,
        in_network=settings.RESERVATION_MAX_HELD_IN_NETWORK,
        by_address=False,
    )
    if not holder.client_hash:
        return
    _check_recent_checkouts(held.recent_checkouts)
    _check_held(
        held=held.by_address,
        asked=asked,
        shops=shops,
        per_shop=settings.RESERVATION_MAX_HELD_PER_SHOP_PER_ADDRESS,
        in_network=settings.RESERVATION_MAX_HELD_IN_NETWORK_PER_ADDRESS,
        by_address=True,
    )


@dataclass(frozen=True)
class _Held:
    by_person: dict[int, int]  # shop id → copies held by the same email, phone or account
    by_address: dict[int, int]  # shop id → copies held from the same client address
    recent_checkouts: list  # when the address's latest checkouts with orders were made, newest first


def _held_and_recent(holder: Holder) -> _Held:
    """What the limits count, in one statement (a checkout's busiest path): three
    independent selects, each on its own partial index (one query ORing the person's
    columns with the address would lose them)."""
    most = settings.RESERVATION_MAX_CHECKOUTS_PER_ADDRESS_PER_HOUR
    with connection.cursor() as cursor:
        cursor.execute(
            _HELD_AND_RECENT,
            {
                "email": holder.email.lower(),
                "phone": holder.phone,
                "user_id": holder.user_id,
                "client_hash": holder.client_hash,
                "since": timezone.now() - timedelta(seconds=CHECKOUTS_WINDOW_SECONDS),
                "most": most,
            },
        )
        rows = cursor.fetchall()
    held = _Held(by_person={}, by_address={}, recent_checkouts=[])
    for who, shop_id, copies, created_at in rows:
        if who == "recent":
            held.recent_checkouts.append(created_at)
        else:
            (held.by_person if who == "person" else held.by_address)[shop_id] = copies
    held.recent_checkouts.sort(reverse=True)
    return held


# Copies held: lines still served, of open orders (the partial indexes' condition, as
# written there). A checkout's own row exists already, without orders yet: not counted.
_HELD_AND_RECENT = f"""
    SELECT 'person', ord.shop_id, sum(line.quantity), NULL::timestamptz
      FROM {OrderLine._meta.db_table} line JOIN {Order._meta.db_table} ord ON ord.id = line.order_id
     WHERE ord.status IN ({OPEN_STATUS_SQL}) AND NOT line.is_unavailable
       AND (lower(ord.customer_email) = %(email)s OR ord.customer_phone = %(phone)s
            OR ord.customer_id = %(user_id)s)
     GROUP BY ord.shop_id
    UNION ALL
    SELECT 'address', ord.shop_id, sum(line.quantity), NULL
      FROM {OrderLine._meta.db_table} line JOIN {Order._meta.db_table} ord ON ord.id = line.order_id
      JOIN {Checkout._meta.db_table} checkout ON checkout.id = ord.checkout_id
     WHERE %(client_hash)s <> '' AND checkout.client_hash = %(client_hash)s
       AND ord.status IN ({OPEN_STATUS_SQL}) AND NOT line.is_unavailable
     GROUP BY ord.shop_id
    UNION ALL
    (SELECT 'recent', NULL, NULL, checkout.created_at
       FROM {Checkout._meta.db_table} checkout
      WHERE %(client_hash)s <> '' AND checkout.client_hash = %(client_hash)s
        AND checkout.created_at >= %(since)s
        AND EXISTS (SELECT 1 FROM {Order._meta.db_table} ord WHERE ord.checkout_id = checkout.id)
      ORDER BY checkout.created_at DESC
      LIMIT %(most)s)"""


def _check_held(*, held, asked, shops, per_shop: int, in_network: int, by_address: bool) -> None:
    for shop_id, copies in sorted(asked.items()):
        if held.get(shop_id, 0) + copies > per_shop:
            raise ReservationLimitReached(
                _held_message(by_address=by_address, where=shops[shop_id].trade_name, most=per_shop),
                limit="held_per_shop_per_address" if by_address else "held_per_shop",
            )
    if sum(held.values()) + sum(asked.values()) > in_network:
        raise ReservationLimitReached(
            _held_message(by_address=by_address, where=None, most=in_network),
            limit="held_in_network_per_address" if by_address else "held_in_network",
        )


def _held_message(*, by_address: bool, where: str | None, most: int) -> str:
    # No count of what is already held: whoever types someone else's email or phone
    # must not learn where and how much that person reserved.
    values = {"shop": where, "max": most}
    if by_address and where:
        return (
            _(
                "Many books are already reserved at %(shop)s from your internet connection. Please try again once "
                "some are collected, or contact the shop."
            )
            % values
        )
    if by_address:
        return (
            _(
                "Many books are already reserved on Drive Solidaire from your internet connection. Please try again "
                "once some are collected."
            )
            % values
        )
    if where:
        return (
            _(
                "At %(shop)s, one person can hold up to %(max)s items at a time, counting the orders already made "
                "with the same email, phone or account. Collect or cancel an order there, or reserve fewer items."
            )
            % values
        )
    return (
        _(
            "On Drive Solidaire, one person can hold up to %(max)s items at a time, counting the orders already "
            "made with the same email, phone or account. Collect or cancel an order, or reserve fewer items."
        )
        % values
    )


def _check_recent_checkouts(newest: list) -> None:
    """`newest`: when the address's latest checkouts were made, newest first (at most
    the hourly limit of them)."""
    most = settings.RESERVATION_MAX_CHECKOUTS_PER_ADDRESS_PER_HOUR
    now = timezone.now()
    window = timedelta(seconds=CHECKOUTS_WINDOW_SECONDS)
    if len(newest) < most:
        return
    # Possible again once the oldest of the last `most` checkouts leaves the hour.
    wait = max(60, int((newest[-1] + window - now).total_seconds()))
    minutes = (wait + 59) // 60
    raise ReservationLimitReached(
        ngettext(
            "You have made many reservations in the last hour. Please try again in %(minutes)s minute.",
            "You have made many reservations in the last hour. Please try again in %(minutes)s minutes.",
            minutes,
        )
        % {"minutes": minutes},
        limit="checkouts_per_hour",
        retry_after=wait,
    )
