"""Every write about reservations: placing them, and each move of an order's life.

Locking rules, so that two transactions never wait on each other in a circle:
- placing a checkout locks the listings it reserves, in primary-key order, and nothing
  else (the orders it creates are new rows), at the very end: it reads them without a
  lock, writes the orders, then locks and checks again;
- a move of an existing order locks the order first, then its listings in primary-key
  order.
Locks are held for milliseconds; a wait longer than LOCK_TIMEOUT ends the transaction
with ReservationBusy ("busy, try again") rather than queueing customers behind a hot
title.
"""

import hashlib
import json
from collections import defaultdict
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import OperationalError, connection, transaction
from django.db.models import prefetch_related_objects
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from catalog import stock
from catalog.models import Book, Listing
from marketplace.locking import lock_timeout, lock_wait_failed
from marketplace.services import EmailToQueue, email_queue_on_commit, emails_queue_on_commit
from orders.answer_deadline import answer_deadline, search_again_url
from orders.elsewhere import email_offers
from orders.limits import (
    Holder,
    check_checkout_shape,
    check_reservation_limits,
    client_hash,
    lock_reservation_holders,
    max_copies_per_line,
)
from orders.models import Checkout, Order, OrderEvent, OrderLine, new_reference
from orders.pickup_codes import new_pickup_code
from shops.hours import Schedule
from shops.models import Shop

# PostgreSQL's lock_timeout: how long a reservation may wait for a listing another
# customer is reserving right now. Each reservation holds its locks for milliseconds,
# so reaching this means the title is mobbed or the database is in trouble.
LOCK_TIMEOUT = "3s"


class ReservationError(Exception):
    """A checkout that cannot go through as asked; nothing was reserved."""


class ReservationBusy(ReservationError):
    def __init__(self):
        super().__init__(_("Many people are reserving right now. Please try again in a moment."))


class IdempotencyConflict(ReservationError):
    def __init__(self):
        super().__init__(_("This request key was already used for a different reservation."))


class EmptyReservation(ReservationError):
    def __init__(self):
        super().__init__(_("Your reservation is empty."))


@dataclass(frozen=True)
class CartLine:
    """Copies of one listing the customer asks for, and the price they were shown."""

    listing_id: int
    quantity: int
    seen_price: Decimal | None = None


@dataclass(frozen=True)
class CustomerDetails:
    name: str
    email: str
    phone: str  # E.164, normalized by the form or serializer
    language: str
    user: object = None  # the customer's account, if they have one


@dataclass(frozen=True)
class LineProblem:
    """Why one line of the cart cannot be reserved as it stands."""

    class Kind:
        GONE = "gone"  # no longer offered (withdrawn, shop closed)
        AWAY = "away"  # the shop is on holiday: back after `away_until`
        SHORT = "short"  # fewer copies left than asked
        PRICE = "price"  # the price changed since the customer saw it

    kind: str
    listing_id: int
    title: str
    shop_name: str
    asked: int
    available: int
    seen_price: Decimal | None = None
    price: Decimal | None = None
    away_until: date | None = None

    @property
    def message(self) -> str:
        if self.kind == self.Kind.AWAY:
            return _(
                "%(shop)s is away until %(date)s and takes no reservations until then (“%(title)s”)."
            ) % {
                "shop": self.shop_name,
                "date": date_format(self.away_until, "DATE_FORMAT"),
                "title": self.title,
            }
        if self.kind == self.Kind.GONE:
            return _("“%(title)s” is no longer offered by %(shop)s.") % {
                "title": self.title,
                "shop": self.shop_name,
            }
        if self.kind == self.Kind.SHORT:
            return _("%(shop)s has %(available)s copies of “%(title)s” left (you asked for %(asked)s).") % {
                "shop": self.shop_name,
                "available": self.available,
                "title": self.title,
                "asked": self.asked,
            }
        return _("The price of “%(title)s” at %(shop)s changed from %(old)s € to %(new)s €.") % {
            "title": self.title,
            "shop": self.shop_name,
            "old": self.seen_price,
            "new": self.price,
        }


class StockChanged(ReservationError):
    """Some lines changed since the cart was filled. Nothing was reserved: the customer
    sees exactly which lines and confirms the rest."""

    def __init__(self, problems: list[LineProblem]):
        self.problems = problems
        super().__init__(" ".join(problem.message for problem in problems))


class OrderStatusError(Exception):
    """A move the order's life does not allow (the message says why, for people)."""


# An order's lines may be marked unavailable while the shop has not set them aside.
LINES_CAN_CHANGE = {Order.Status.PLACED, Order.Status.ACCEPTED, Order.Status.ORDERED}


# --- Placing ---------------------------------------------------------------------------


def checkout_place(
    *,
    key: str,
    lines: list[CartLine],
    customer: CustomerDetails,
    client: str,
    drive_id: int | None = None,
    instead_of: Order | None = None,
) -> Checkout:
    """Reserve the lines: one order per shop, all or nothing, once per `key`.

    `client`: who sent it (marketplace.client_address.client_key; "" only for the system:
    demo data, scripts), counted by the reservation limits (orders/limits.py). Required,
    so that no new caller forgets it and escapes the per-address limits. `drive_id`: the drive the
    customer was shopping around, if known. `instead_of`: the order whose shop did not
    serve what this checkout reserves elsewhere (orders/elsewhere.py).

    The same `key` with the same request returns the first checkout (a double click, a
    refresh, a network retry); with a different request it raises IdempotencyConflict.
    Raises StockChanged (nothing reserved) when a listing is gone, short or repriced,
    ReservationLimitReached when the customer would hold more than allowed, and
    ReservationBusy when the listings stay locked longer than LOCK_TIMEOUT.
    """
    lines = _merged(lines)
    if not lines:
        raise EmptyReservation
    fingerprint = _fingerprint(lines, customer)
    holder = _holder(customer, client)
    with _placing():
        checkout = _claim_checkout(
            key=key,
            fingerprint=fingerprint,
            customer=customer,
            holder=holder,
            drive_id=drive_id,
            instead_of_id=getattr(instead_of, "pk", None),
        )
        if checkout.orders_created:
            return checkout.instance
        _reserve(checkout.instance, lines, customer, holder=holder)
        return checkout.instance


def _holder(customer: CustomerDetails, client: str) -> Holder:
    """Who reserves, as the reservation limits count them (orders/limits.py)."""
    return Holder(
        email=customer.email,
        phone=str(customer.phone),
        user_id=getattr(customer.user, "pk", None),
        client_hash=client_hash(client),
    )


@contextmanager
def _placing():
    """The transaction of a placing service: listings and rows locked at most LOCK_TIMEOUT,
    a longer wait ends it with ReservationBusy ("busy, try again")."""
    try:
        with transaction.atomic():
            lock_timeout(LOCK_TIMEOUT)
            yield
    except OperationalError as error:
        if lock_wait_failed(error):
            raise ReservationBusy from error
        raise


@dataclass
class _Claim:
    instance: Checkout
    orders_created: bool


def _claim_checkout(
    *,
    key: str,
    fingerprint: str,
    customer: CustomerDetails,
    holder: Holder,
    drive_id: int | None,
    instead_of_id: int | None,
) -> _Claim:
    """Insert the checkout row, or find the one a previous request with this key made.

    INSERT … ON CONFLICT DO NOTHING waits for a concurrent request with the same key to
    commit or roll back: then either its checkout is visible here (a retry: return it),
    or it was rolled back and this request proceeds.
    """
    # The new row comes back whole (RETURNING), ready to use: no second read.
    columns = [field.column for field in Checkout._meta.concrete_fields]
    with connection.cursor() as cursor:
        cursor.execute(
            f"""INSERT INTO orders_checkout
                   (key, fingerprint, token, customer_id, email, language, client_hash, drive_id,
                    instead_of_id, created_at)
               VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, now())
               ON CONFLICT (key) DO NOTHING
               RETURNING {", ".join(columns)}""",
            [
                key,
                fingerprint,
                Checkout._meta.get_field("token").get_default(),
                getattr(customer.user, "pk", None),
                customer.email,
                customer.language,
                holder.client_hash,
                drive_id,
                instead_of_id,
            ],
        )
        row = cursor.fetchone()
    if row is not None:
        checkout = Checkout.from_db(
            connection.alias, [field.attname for field in Checkout._meta.concrete_fields], row
        )
        return _Claim(instance=checkout, orders_created=False)
    existing = Checkout.objects.get(key=key)
    if existing.fingerprint != fingerprint:
        raise IdempotencyConflict
    return _Claim(instance=existing, orders_created=True)


def _reserve(checkout: Checkout, lines: list[CartLine], customer: CustomerDetails, *, holder: Holder) -> None:
    """A constant number of statements whatever the lines and shops (issue 22): the
    listings read once, the limits in one query, the orders, lines, events and messages
    one insert each, the copies held by one conditional update."""
    # Read without locking, and write the orders, lines, events and emails first: the
    # listings are locked only by the last statement and until the commit, so that the
    # customers of a popular title queue for milliseconds, not for the whole checkout.
    listings = stock.listings_to_reserve(line.listing_id for line in lines)
    _check(lines, listings)
    check_checkout_shape(
        lines=lines,
        titles={pk: (listing.book.title, listing.shop.trade_name) for pk, listing in listings.items()},
    )

    by_shop = defaultdict(list)
    for line in lines:
        by_shop[listings[line.listing_id].shop].append(line)
    # The customer's other checkouts wait here until this one commits: each counts what
    # the previous ones hold (orders/limits.py).
    lock_reservation_holders(holder)
    check_reservation_limits(
        holder=holder,
        asked={shop.pk: sum(line.quantity for line in shop_lines) for shop, shop_lines in by_shop.items()},
        shops={shop.pk: shop for shop in by_shop},
    )
    shops = sorted(by_shop, key=lambda shop: shop.pk)
    orders = _create_orders(checkout, shops, customer, schedules={shop.pk: shop.schedule for shop in shops})
    OrderLine.objects.bulk_create(
        _order_line(order, line, listings[line.listing_id])
        for order in orders
        for line in by_shop[order.shop]
    )
    OrderEvent.objects.bulk_create(
        OrderEvent(order=order, to_status=Order.Status.PLACED, actor_kind=OrderEvent.Actor.CUSTOMER,
                   actor=customer.user)
        for order in orders
    )  # fmt: skip
    # Every message of the checkout in one statement, from the rows in hand.
    emails_queue_on_commit([*map(_shop_new_order_email, orders), _customer_placed_email(checkout, orders)])

    # Now lock, and hold the copies where the listings are still what was read and copied
    # into the lines (still offered, at that price, enough copies). If any is not,
    # StockChanged rolls it all back, saying what changed.
    _hold_or_say_what_changed(lines, listings)


def _order_line(order: Order, line: CartLine, listing: Listing) -> OrderLine:
    return OrderLine(order=order, listing=listing, ean=listing.book.ean, title=listing.book.title,
                     condition=listing.condition, unit_price=listing.price, quantity=line.quantity)  # fmt: skip


def _hold_or_say_what_changed(lines: list[CartLine], listings: dict[int, Listing]) -> None:
    held = _hold(lines, listings)
    if len(held) == len(lines):
        return
    # What the lines not held are now, under the lock (the hold's statement took it): only
    # those, since the others already count this checkout's copies as reserved.
    missing = [line for line in lines if line.listing_id not in held]
    locked = stock.listings_read([line.listing_id for line in missing], lock=True)
    _check([replace(line, seen_price=listings[line.listing_id].price) for line in missing], locked)
    # Nothing wrong with them now: they changed and changed back while the hold waited for
    # their lock (PostgreSQL checks again only the rows that passed at the statement's
    # start). Locked by this transaction now, they are held or truly gone.
    held = _hold(missing, listings)
    if len(held) < len(missing):
        raise StockChanged([_problem_gone(line, listings[line.listing_id]) for line in missing
                            if line.listing_id not in held])  # fmt: skip


def _hold(lines: list[CartLine], listings: dict[int, Listing]) -> set[int]:
    return stock.stock_hold_if_left(
        {line.listing_id: (line.quantity, listings[line.listing_id].price) for line in lines},
        today=timezone.localdate(),
    )


def _check(lines: list[CartLine], listings: dict[int, Listing]) -> None:
    problems = [problem for line in lines if (problem := _problem(line, listings.get(line.listing_id)))]
    if problems:
        raise StockChanged(problems)


def _problem_gone(line: CartLine, listing: Listing) -> LineProblem:
    return LineProblem(
        LineProblem.Kind.GONE, listing.pk, listing.book.title, listing.shop.trade_name, line.quantity, 0
    )


def _problem(line: CartLine, listing: Listing | None) -> LineProblem | None:
    if listing is None:
        return LineProblem(LineProblem.Kind.GONE, line.listing_id, "?", "?", line.quantity, 0)
    details = {
        "listing_id": listing.pk,
        "title": listing.book.title,
        "shop_name": listing.shop.trade_name,
        "asked": line.quantity,
    }
    if listing.status != Listing.Status.PUBLISHED or listing.shop.status != Shop.Status.APPROVED:
        return LineProblem(LineProblem.Kind.GONE, available=0, **details)
    if listing.shop.is_on_holiday(timezone.localdate()):
        # Holiday mode: the shop's open orders stay, but it takes no new ones.
        return LineProblem(
            LineProblem.Kind.AWAY, available=0, away_until=listing.shop.holiday_ends_on, **details
        )
    if listing.available < line.quantity:
        kind = LineProblem.Kind.SHORT if listing.available > 0 else LineProblem.Kind.GONE
        return LineProblem(kind, available=listing.available, **details)
    if line.seen_price is not None and line.seen_price != listing.price:
        return LineProblem(
            LineProblem.Kind.PRICE,
            available=listing.available,
            seen_price=line.seen_price,
            price=listing.price,
            **details,
        )
    return None


# --- "Order it for me" ------------------------------------------------------------------


class DistributorOrderRefused(ReservationError):
    """The shop cannot be asked for this book (the message says why); nothing was placed."""


def distributor_order_problem(*, shop: Shop, book: Book) -> str | None:
    """Why `shop` cannot be asked to order `book` for a customer, in words (None: it can).
    A shop that does not take such orders never receives one."""
    if not shop.takes_orders:
        return _("%(shop)s does not order books for customers.") % {"shop": shop.trade_name}
    if shop.status != Shop.Status.APPROVED or shop.is_on_holiday(timezone.localdate()):
        return _("%(shop)s takes no orders at the moment.") % {"shop": shop.trade_name}
    if not book.follows_book_rules or book.is_own_product or not book.list_price:
        return _("Only books with a publisher’s price can be ordered for you.")
    if not shop.kinds.filter(product_kinds__code=book.kind_id).exists():
        return _("%(shop)s does not sell this kind of product.") % {"shop": shop.trade_name}
    return None


def distributor_order_place(
    *,
    key: str,
    shop_id: int,
    book_id: int,
    quantity: int,
    customer: CustomerDetails,
    client: str,
    drive_id: int | None = None,
) -> Checkout:
    """Ask a shop to order a book from its distributor for the customer ("order it for
    me"): one order of one line, holding no copy (the book is not in stock), paid in the
    shop at collection like any order. Once per `key`, like checkout_place; the
    reservation limits count its copies as held. Raises DistributorOrderRefused when the
    shop does not take such orders or not this book, ReservationLimitReached and
    ReservationBusy as checkout_place."""
    if not 1 <= quantity <= max_copies_per_line():
        raise DistributorOrderRefused(
            _("Choose a number of copies from 1 to %(max)s.") % {"max": max_copies_per_line()}
        )
    fingerprint = _fingerprint([CartLine(listing_id=-book_id, quantity=quantity)], customer)
    holder = _holder(customer, client)
    with _placing():
        claim = _claim_checkout(
            key=key,
            fingerprint=fingerprint,
            customer=customer,
            holder=holder,
            drive_id=drive_id,
            instead_of_id=None,
        )
        if claim.orders_created:
            return claim.instance
        # Locked against a change of the shop's settings meanwhile: a shop that has
        # just stopped taking orders never receives one.
        shop = Shop.objects.select_for_update(no_key=True).get(pk=shop_id)
        book = Book.objects.select_related("kind").get(pk=book_id)
        if (problem := distributor_order_problem(shop=shop, book=book)) is not None:
            raise DistributorOrderRefused(problem)
        lock_reservation_holders(holder)
        check_reservation_limits(holder=holder, asked={shop.pk: quantity}, shops={shop.pk: shop})
        prefetch_related_objects([shop], "opening_periods", "closures")
        [order] = _create_orders(claim.instance, [shop], customer, from_distributor=True)
        OrderLine.objects.create(
            order=order,
            listing=None,
            ean=book.ean,
            title=book.title,
            condition=Listing.Condition.NEW,
            unit_price=book.list_price,
            quantity=quantity,
        )
        OrderEvent.objects.create(
            order=order,
            to_status=Order.Status.PLACED,
            actor_kind=OrderEvent.Actor.CUSTOMER,
            actor=customer.user,
        )
        emails_queue_on_commit(
            [_shop_new_order_email(order), _customer_placed_email(claim.instance, [order])]
        )
        return claim.instance


def _create_orders(
    checkout: Checkout,
    shops: list[Shop],
    customer: CustomerDetails,
    *,
    schedules: dict[int, Schedule] | None = None,
    from_distributor: bool = False,
) -> list[Order]:
    """One order per shop (in that order), inserted in one statement. `schedules`: the
    shops' (for their answer deadline), if the caller has them, else read."""
    now = timezone.now()
    orders = []
    for shop in shops:
        schedule = (schedules or {}).get(shop.pk)
        deadline = answer_deadline(shop, now, schedule=schedule)
        orders.append(
            Order(
                checkout=checkout,
                shop=shop,
                from_distributor=from_distributor,
                customer=customer.user,
                customer_name=customer.name,
                customer_email=customer.email,
                customer_phone=customer.phone,
                language=customer.language,
                answer_by=deadline.answer_by,
                answer_reminder_at=deadline.remind_at,
            )
        )
    waiting = orders
    for _attempt in range(5):
        references = set()
        for order in waiting:  # drawn again while two orders of this checkout draw the same
            while (reference := new_reference()) in references:
                pass
            references.add(reference)
            order.reference = reference
        waiting = _insert_unless_reference_taken(waiting)
        if not waiting:
            return orders
    raise RuntimeError("could not draw a free order reference")


def _insert_unless_reference_taken(orders: list[Order]) -> list[Order]:
    """INSERT … ON CONFLICT (reference) DO NOTHING RETURNING id, reference: the orders in
    one statement, where save() in a savepoint took three each. Returns the orders whose
    reference was taken (not inserted: drawn again)."""
    fields = [field for field in Order._meta.concrete_fields if not field.primary_key]
    values = [
        field.get_db_prep_save(field.pre_save(order, add=True), connection)
        for order in orders
        for field in fields
    ]
    columns = ", ".join(connection.ops.quote_name(field.column) for field in fields)
    row = f"({', '.join(['%s'] * len(fields))})"
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {Order._meta.db_table} ({columns}) VALUES {', '.join([row] * len(orders))} "
            "ON CONFLICT (reference) DO NOTHING RETURNING id, reference",
            values,
        )
        inserted = {reference: pk for pk, reference in cursor.fetchall()}
    taken = []
    for order in orders:
        if order.reference not in inserted:
            taken.append(order)
            continue
        order.pk = inserted[order.reference]
        order._state.adding = False
        order._state.db = connection.alias
    return taken


def _merged(lines: list[CartLine]) -> list[CartLine]:
    """One line per listing (the same listing twice adds up), in listing order."""
    merged: dict[int, CartLine] = {}
    for line in lines:
        if line.quantity <= 0:
            continue
        if line.listing_id in merged:
            previous = merged[line.listing_id]
            line = CartLine(line.listing_id, previous.quantity + line.quantity, previous.seen_price)
        merged[line.listing_id] = line
    return [merged[listing_id] for listing_id in sorted(merged)]


def _fingerprint(lines: list[CartLine], customer: CustomerDetails) -> str:
    asked = [[line.listing_id, line.quantity] for line in lines]
    raw = json.dumps([asked, customer.email.lower(), str(customer.phone)], separators=(",", ":"))
    return hashlib.sha256(raw.encode()).hexdigest()


# --- The order's life ------------------------------------------------------------------


def order_accept(*, order: Order, by, expected_on: date | None = None) -> Order:
    """The shop will prepare the order. For a book to order from the distributor, the
    shop says when it expects it (by default: in its usual number of days)."""
    fields = {}
    if order.from_distributor:
        fields["expected_on"] = _checked_expected_on(expected_on or usual_expected_on(order))
    return _move(order=order, move="accept", actor_kind=OrderEvent.Actor.SHOP, by=by, fields=fields)


def order_mark_ordered(*, order: Order, by, expected_on: date | None = None) -> Order:
    """The shop has ordered the book from its distributor ("order it for me" only); the
    customer is told, with the date it is expected (the one given at acceptance unless
    the shop gives a new one)."""
    if not order.from_distributor:
        raise OrderStatusError(
            _("Order %(reference)s holds books of your stock: there is nothing to order.")
            % {"reference": order.reference}
        )
    fields = {"expected_on": _checked_expected_on(expected_on)} if expected_on else {}
    return _move(
        order=order, move="order_from_distributor", actor_kind=OrderEvent.Actor.SHOP, by=by, fields=fields
    )


# An expected date further than this is a typing mistake, not a distributor's delay.
LATEST_EXPECTED_DAYS = 180


def usual_expected_on(order: Order) -> date:
    """When the shop usually has a book it orders: today and its usual number of days."""
    return timezone.localdate() + timedelta(days=order.shop.order_days)


def _checked_expected_on(expected_on: date) -> date:
    today = timezone.localdate()
    if expected_on < today:
        raise OrderStatusError(_("The expected date is in the past: give the day you expect the book."))
    if expected_on > today + timedelta(days=LATEST_EXPECTED_DAYS):
        raise OrderStatusError(
            _("The expected date is more than %(days)s days away: check it.") % {"days": LATEST_EXPECTED_DAYS}
        )
    return expected_on


def order_refuse(*, order: Order, by, reason: str) -> Order:
    """The shop cannot serve the order: the customer is told why, the copies go back on sale."""
    reason = reason.strip()
    if not reason:
        raise OrderStatusError(_("Say why the order is refused: the customer will read it."))
    return _move(order=order, move="refuse", actor_kind=OrderEvent.Actor.SHOP, by=by, note=reason)


def order_mark_ready(*, order: Order, by) -> Order:
    """The books are set aside at the counter: the customer can come."""
    return _move(order=order, move="mark_ready", actor_kind=OrderEvent.Actor.SHOP, by=by)


def order_collect(*, order: Order, by) -> Order:
    """The customer paid and took the books: the copies leave the shop's stock."""
    return _move(order=order, move="collect", actor_kind=OrderEvent.Actor.SHOP, by=by)


def order_cancel(
    *, order: Order, by=None, actor_kind: str = OrderEvent.Actor.CUSTOMER, note: str = ""
) -> Order:
    """The customer (or the chain's staff) calls the reservation off before collection."""
    return _move(order=order, move="cancel", actor_kind=actor_kind, by=by, note=note)


def order_expire(*, order: Order) -> Order:
    """Nobody came before the deadline: the copies go back on sale."""
    return _move(order=order, move="expire", actor_kind=OrderEvent.Actor.SYSTEM, by=None)


def order_mark_unanswered(*, order: Order) -> Order:
    """The shop did not accept or refuse the order by its answer deadline: the copies go
    back on sale, the customer is told where else to find the books, the shop that the
    order is closed (orders/answer_deadline.py)."""
    return _move(order=order, move="mark_unanswered", actor_kind=OrderEvent.Actor.SYSTEM, by=None)


def order_line_mark_unavailable(*, line: OrderLine, by, reason: str = "") -> OrderLine:
    """The shop cannot serve this line; the order goes on with the others. When no line
    is left, the order is refused."""
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=line.order_id)
        line = OrderLine.objects.select_for_update().get(pk=line.pk, order=order)
        if line.is_unavailable:
            return line
        if order.status not in LINES_CAN_CHANGE:
            raise OrderStatusError(
                _("Order %(reference)s is %(status)s: its lines can no longer change.")
                % {"reference": order.reference, "status": order.get_status_display().lower()}
            )
        line.is_unavailable = True
        line.unavailable_reason = reason.strip()
        line.save(update_fields=["is_unavailable", "unavailable_reason"])
        stock.stock_release(_copies([line]))
        event = OrderEvent.objects.create(
            order=order,
            from_status=order.status,
            to_status=order.status,
            line=line,
            actor_kind=OrderEvent.Actor.SHOP,
            actor=by,
            note=line.unavailable_reason,
        )
        if order.lines.filter(is_unavailable=False).exists():
            order.save(update_fields=["updated_at"])
            _queue_customer_email(
                order,
                event=event,
                template="emails/orders/customer_line_unavailable",
                extra={"elsewhere": email_offers(order, [line])},
            )
        else:
            # Nothing left to serve (Order.MOVES, "refuse_unservable").
            _move(
                order=order,
                move="refuse_unservable",
                actor_kind=OrderEvent.Actor.SHOP,
                by=by,
                note=_("None of the items can be served."),
            )
    return line


def _move(
    *, order: Order, move: str, actor_kind: str, by, note: str = "", fields: dict | None = None
) -> Order:
    """Lock the order and make the move (quietly nothing if it is there already), record
    the event, put copies back on sale or hand them over, and queue the emails."""
    with transaction.atomic():
        locked = Order.objects.select_for_update(of=("self",)).select_related("shop").get(pk=order.pk)
        event = Order.MOVES.move(
            locked,
            move,
            refused=_refused,
            also_set=lambda order: _also_set(order, note=note, fields=fields or {}),
            record=lambda previous: OrderEvent.objects.create(
                order=locked, from_status=previous, to_status=locked.status, actor_kind=actor_kind, actor=by,
                note=note,
            ),
        )  # fmt: skip
        if event is None:
            return locked
        to = locked.status
        held = list(locked.lines.filter(is_unavailable=False).order_by("listing_id"))
        if to in Order.RELEASING_STOCK:
            stock.stock_release(_copies(held))
        elif to == Order.Status.COLLECTED:
            stock.stock_hand_over(_copies(held))

        if to in CUSTOMER_TEMPLATES:
            extra = {"search_again": search_again_url(locked)} if to == Order.Status.UNANSWERED else {}
            if to in NOT_SERVED and not (
                to == Order.Status.CANCELLED and actor_kind == OrderEvent.Actor.CUSTOMER
            ):
                extra["elsewhere"] = email_offers(locked, list(locked.lines.all()))
            _queue_customer_email(locked, event=event, template=CUSTOMER_TEMPLATES[to], extra=extra)
        if to in SHOP_TEMPLATES:
            _queue_shop_email(locked, event=event, template=SHOP_TEMPLATES[to])
    return locked


def _also_set(order: Order, *, note: str, fields: dict) -> list[str]:
    """What a move sets besides the status (the order's status is already the new one):
    `fields` the service gives, and what the status itself implies."""
    for name, value in fields.items():
        setattr(order, name, value)
    return list(fields) + _set_by_status(order, note=note)


def _set_by_status(order: Order, *, note: str) -> list[str]:
    if order.status == Order.Status.REFUSED:
        order.refusal_reason = note
        return ["refusal_reason"]
    if order.status == Order.Status.READY:
        _set_aside(order)
        return ["pickup_code", "ready_at", "collect_by"]
    return []


def _refused(order: Order, move) -> OrderStatusError:
    return OrderStatusError(
        _("Order %(reference)s is %(current)s: it cannot become “%(target)s”.")
        % {
            "reference": order.reference,
            "current": order.get_status_display().lower(),
            "target": Order.Status(move.target).label.lower(),
        }
    )


def _set_aside(order: Order) -> None:
    """The books wait at the counter: a pickup code, and a deadline from the shop's
    holding period and opening hours (closing time of the last day)."""
    order.ready_at = timezone.now()
    order.collect_by = Schedule.for_shop(order.shop).collection_deadline(
        order.ready_at, order.shop.holding_days
    )
    order.pickup_code = _free_pickup_code(order.shop_id)


def _free_pickup_code(shop_id: int) -> str:
    # 25⁸ codes: a draw already used in this shop is astronomically rare; the unique
    # constraint (shop, pickup_code) is the guarantee, this loop the courtesy.
    while True:
        code = new_pickup_code()
        if not Order.objects.filter(shop_id=shop_id, pickup_code=code).exists():
            return code


CUSTOMER_TEMPLATES = {
    Order.Status.ACCEPTED: "emails/orders/customer_accepted",
    Order.Status.ORDERED: "emails/orders/customer_ordered",
    Order.Status.REFUSED: "emails/orders/customer_refused",
    Order.Status.READY: "emails/orders/customer_ready",
    Order.Status.CANCELLED: "emails/orders/customer_cancelled",
    Order.Status.EXPIRED: "emails/orders/customer_expired",
    Order.Status.UNANSWERED: "emails/orders/customer_unanswered",
}
# Endings where the customer's email lists the same items at other shops nearby
# (orders/elsewhere.py); a cancellation only when the customer did not make it.
NOT_SERVED = {Order.Status.REFUSED, Order.Status.CANCELLED, Order.Status.EXPIRED, Order.Status.UNANSWERED}
# The shop hears about the moves it did not make itself.
SHOP_TEMPLATES = {
    Order.Status.CANCELLED: "emails/orders/shop_cancelled",
    Order.Status.EXPIRED: "emails/orders/shop_expired",
    Order.Status.UNANSWERED: "emails/orders/shop_unanswered",
}


def _copies(lines: list[OrderLine]) -> dict[int, int]:
    """The copies these lines hold, by listing (what catalog/stock.py counts in)."""
    copies = defaultdict(int)
    for line in lines:
        if line.listing_id is not None:  # a book ordered from the distributor holds no copy
            copies[line.listing_id] += line.quantity
    return copies


# --- Emails ----------------------------------------------------------------------------


def _absolute(path: str) -> str:
    return f"{settings.SITE_URL}{path}"


def _customer_placed_email(checkout: Checkout, orders: list[Order]) -> EmailToQueue:
    """The customer's confirmation of a checkout: its orders, each with its link."""
    with translation.override(checkout.language):
        links = {order.pk: _absolute(order.customer_url()) for order in orders}
    return EmailToQueue(
        event_key=f"checkout:{checkout.pk}:customer-placed",
        to=checkout.email,
        template="emails/orders/customer_placed",
        context={"checkout": checkout, "orders": [(order, links[order.pk]) for order in orders],
                 "customer_name": orders[0].customer_name},
        language=checkout.language,
    )  # fmt: skip


def _queue_customer_email(
    order: Order, *, event: OrderEvent, template: str, extra: dict | None = None
) -> None:
    order_email_customer_on_commit(
        order=order, template=template, event_key=f"order-event:{event.pk}:customer", event=event, extra=extra
    )


def order_email_customer_on_commit(
    *, order: Order, template: str, event_key: str, event: OrderEvent | None = None, extra: dict | None = None
) -> None:
    """Queue an email about `order` to its customer, in their language, with the link to
    the order page and its lines (`_order_context`); sent once per `event_key`, after
    the current transaction commits."""
    with translation.override(order.language):
        link = _absolute(order.customer_url())
    email_queue_on_commit(
        event_key=event_key,
        to=order.customer_email,
        template=template,
        context=_order_context(order, event=event, link=link, **(extra or {})),
        language=order.language,
    )


def _shop_new_order_email(order: Order) -> EmailToQueue:
    return _shop_email(
        order=order, template="emails/orders/shop_new_order", event_key=f"order:{order.pk}:shop-new"
    )


def _queue_shop_email(order: Order, *, event: OrderEvent, template: str) -> None:
    order_email_shop_on_commit(
        order=order, template=template, event_key=f"order-event:{event.pk}:shop", event=event
    )


def order_email_shop_on_commit(
    *, order: Order, template: str, event_key: str, event: OrderEvent | None = None
) -> None:
    """Queue an email about `order` to its shop, in the shop's language, with the link to
    the order in the bookseller space; sent once per `event_key`, after commit."""
    emails_queue_on_commit([_shop_email(order=order, template=template, event_key=event_key, event=event)])


def _shop_email(
    *, order: Order, template: str, event_key: str, event: OrderEvent | None = None
) -> EmailToQueue:
    shop = order.shop
    with translation.override(shop.language):
        link = _absolute(reverse("admin:orders_order_change", args=[order.pk]))
    return EmailToQueue(
        event_key=event_key,
        to=shop.email,
        template=template,
        context=_order_context(order, event=event, link=link),
        language=shop.language,
    )


def _order_context(order: Order, **extra) -> dict:
    """What an order's emails show: the order and its lines (both read by the worker)."""
    return {"order": order, "lines": order.lines, **extra}
