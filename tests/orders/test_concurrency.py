"""Never an oversold copy: real concurrent transactions on PostgreSQL.

Each customer runs in a thread of their own, with their own database connection,
released together by a barrier. The control tests first show that this setup does
catch an oversell (or a deadlock) when the lock is left out; the others show that the
services never let one happen.
"""

import functools
import itertools
import threading
import time
import uuid
from collections import Counter
from decimal import Decimal

import pytest
from django.db import OperationalError, connection, transaction
from django.db.models import F, Sum

from catalog import stock
from catalog.models import Listing
from marketplace.locking import DEADLOCK_DETECTED, pgcode
from marketplace.models import OutgoingEmail
from orders import services
from orders.models import Checkout, Order, OrderLine, new_reference
from orders.services import (
    LineProblem,
    OrderStatusError,
    ReservationBusy,
    StockChanged,
    order_accept,
    order_cancel,
    order_collect,
    order_expire,
    order_mark_ready,
    order_refuse,
)
from tests.factories import ListingFactory, ShopFactory, reserve
from tests.race import at_once, held_in_another_transaction, outcomes

pytestmark = pytest.mark.django_db(transaction=True)

BUYERS = 50
COPIES = 5


def copies_promised(listing) -> int:
    """Copies the open orders hold on this listing, counted from their lines."""
    return (
        OrderLine.objects.filter(listing=listing, is_unavailable=False, order__status__in=Order.OPEN_STATUSES)
        .aggregate(copies=Sum("quantity"))
        .get("copies")
        or 0
    )


class Watcher:
    """Reads the listing again and again while the customers race, from a connection of
    its own: the copies held, as the listing and the order lines count them."""

    def __init__(self, listing):
        self.listing, self.seen, self.done = listing, [], threading.Event()
        self.thread = threading.Thread(target=self.watch)

    def watch(self):
        try:
            while not self.done.is_set():
                reserved = Listing.objects.values_list("reserved", flat=True).get(pk=self.listing.pk)
                self.seen.append((reserved, copies_promised(self.listing)))
                time.sleep(0.002)
        finally:
            connection.close()

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.done.set()
        self.thread.join()


# --- Many customers, few copies --------------------------------------------------------


def test_fifty_customers_for_five_copies_make_five_orders_and_never_more(mailoutbox):
    # given 5 copies and 50 customers who click "reserve" at the same moment
    listing = ListingFactory(quantity=COPIES)

    def customer(number):
        return lambda: reserve(listing, email=f"client{number}@example.fr")

    # when
    with Watcher(listing) as watcher:
        results = at_once(*[customer(number) for number in range(BUYERS)])

    # then 5 get the copies, the others are told the stock changed (or to try again)
    got = outcomes(results)
    assert got["ok"] == COPIES, got
    assert got["StockChanged"] + got["ReservationBusy"] == BUYERS - COPIES, got
    assert set(got) <= {"ok", "StockChanged", "ReservationBusy"}, got
    listing.refresh_from_db()
    assert (listing.quantity, listing.reserved) == (COPIES, COPIES)
    assert Order.objects.count() == COPIES
    assert copies_promised(listing) == COPIES
    # at no moment did anyone see more copies held than the shelf has
    assert watcher.seen
    assert max(max(reserved, promised) for reserved, promised in watcher.seen) <= COPIES
    # each customer who got a copy is told once, and the shop once per order
    assert OutgoingEmail.objects.count() == 2 * COPIES
    assert len(mailoutbox) == 2 * COPIES


def reserve_without_a_lock(listing_id: int, email: str) -> None:
    """What checkout_place would do without select_for_update: read what is left, build
    the order, then write the count it computed. The pause is the time it takes to
    build an order (templates, inserts), during which the others read the same count."""
    with transaction.atomic():
        listing = Listing.objects.select_related("book", "shop").get(pk=listing_id)
        if listing.available < 1:
            raise StockChanged([])
        time.sleep(0.1)
        checkout = Checkout.objects.create(key=uuid.uuid4().hex, fingerprint="-", email=email, language="fr")
        order = Order.objects.create(
            checkout=checkout, shop=listing.shop, reference=new_reference(), customer_name="Client",
            customer_email=email, customer_phone="+33612345678", language="fr",
        )  # fmt: skip
        OrderLine.objects.create(
            order=order, listing=listing, ean=listing.book.ean, title=listing.book.title,
            condition=listing.condition, unit_price=listing.price, quantity=1,
        )  # fmt: skip
        Listing.objects.filter(pk=listing_id).update(reserved=listing.reserved + 1)


def test_control_without_the_lock_the_same_race_promises_copies_that_do_not_exist():
    """The race is real: read-then-write without a lock oversells, and the counts above
    see it. (The check constraint does not: each writer stores a count it read, never
    above the quantity; the order lines tell the truth.)"""
    listing = ListingFactory(quantity=COPIES)

    results = at_once(
        *[
            lambda number=number: reserve_without_a_lock(listing.pk, f"c{number}@example.fr")
            for number in range(BUYERS)
        ]
    )

    assert set(outcomes(results)) <= {"ok", "StockChanged"}, outcomes(results)
    listing.refresh_from_db()
    assert copies_promised(listing) > listing.quantity  # oversold
    assert listing.reserved < copies_promised(listing)  # lost updates


def test_control_without_the_lock_only_the_check_constraint_stops_the_oversell(monkeypatch):
    """The real reservation with its check under the lock switched off (the copies held
    on the strength of the first, unlocked read, which may already be stale): the
    database's check constraint is the last line of defence, and the customers get a
    crash instead of "the stock changed". (The first few customers past that read wait
    for one another before writing, so that the race shows in every run.)"""
    one_too_many = threading.Barrier(COPIES + 1, timeout=30)
    arrivals = itertools.count()

    def hold_together(wanted, *, today):  # what the read saw is taken as still true: no check
        if next(arrivals) <= COPIES:
            one_too_many.wait()
        for listing_id, (copies, _price) in wanted.items():
            Listing.objects.filter(pk=listing_id).update(reserved=F("reserved") + copies)
        return set(wanted)

    monkeypatch.setattr(stock, "stock_hold_if_left", hold_together)
    listing = ListingFactory(quantity=COPIES)

    def customer(n):  # each their own email and phone: nobody queues behind another (orders/limits.py)
        return lambda: reserve(listing, email=f"c{n}@example.fr", phone=f"+336123{n:05d}")

    results = at_once(*[customer(n) for n in range(BUYERS)])

    got = outcomes(results)
    assert got["ok"] == COPIES, got
    assert got["IntegrityError"] > 0, got  # listing_reserved_within_stock
    listing.refresh_from_db()
    assert listing.reserved == COPIES


def test_customers_asking_for_several_copies_never_get_more_than_the_shelf_has():
    listing = ListingFactory(quantity=7)

    results = at_once(
        *[
            lambda number=number: reserve((listing, 1 + number % 3), email=f"c{number}@example.fr")
            for number in range(20)
        ]
    )

    got = outcomes(results)
    assert set(got) <= {"ok", "StockChanged", "ReservationBusy"}, got
    listing.refresh_from_db()
    assert listing.reserved == copies_promised(listing) <= 7
    assert listing.reserved >= 5  # a request for 1 or 2 copies fits until 5 or 6 are held


# --- Lock order ------------------------------------------------------------------------


def test_control_locking_in_the_carts_order_would_deadlock():
    """Two customers whose carts hold the same two books in opposite orders, each
    locking the books one after the other in the order of their cart: PostgreSQL finds
    the deadlock and kills one of them."""
    first, second = ListingFactory(quantity=10), ListingFactory(quantity=10)
    both_hold_one = threading.Barrier(2)

    def lock_in_cart_order(cart):
        with transaction.atomic():
            Listing.objects.select_for_update().get(pk=cart[0].pk)
            both_hold_one.wait(timeout=10)
            Listing.objects.select_for_update().get(pk=cart[1].pk)

    results = at_once(
        lambda: lock_in_cart_order([first, second]), lambda: lock_in_cart_order([second, first])
    )

    deadlocked = [result for result in results if isinstance(result, OperationalError)]
    assert len(deadlocked) == 1, results
    assert pgcode(deadlocked[0]) == DEADLOCK_DETECTED


def test_carts_holding_the_same_books_in_opposite_orders_never_deadlock(monkeypatch):
    # a long lock timeout: any ReservationBusy below would come from a deadlock
    monkeypatch.setattr(services, "LOCK_TIMEOUT", "30s")
    first = ListingFactory(quantity=20, shop=ShopFactory())
    second = ListingFactory(quantity=20, shop=ShopFactory())

    def customer(number):
        cart = [first, second] if number % 2 else [second, first]
        return lambda: reserve(*cart, email=f"c{number}@example.fr")

    results = at_once(*[customer(number) for number in range(30)])

    got = outcomes(results)
    assert got == Counter({"ok": 20, "StockChanged": 10}), got
    for listing in (first, second):
        listing.refresh_from_db()
        assert listing.reserved == copies_promised(listing) == 20
    assert Order.objects.count() == 40  # one per shop and checkout


# --- Waiting for a lock ----------------------------------------------------------------


def test_a_customer_kept_waiting_longer_than_the_lock_timeout_is_asked_to_try_again(monkeypatch):
    monkeypatch.setattr(services, "LOCK_TIMEOUT", "200ms")
    listing = ListingFactory(quantity=5)

    # someone holds the listing
    with (
        held_in_another_transaction(lambda: Listing.objects.select_for_update().get(pk=listing.pk)),
        pytest.raises(ReservationBusy),
    ):
        reserve(listing, key="patient-customer")

    # nothing was kept of the attempt, and the same request goes through afterwards
    listing.refresh_from_db()
    assert listing.reserved == 0
    assert not Checkout.objects.exists()
    assert not OutgoingEmail.objects.exists()
    checkout = reserve(listing, key="patient-customer")
    assert checkout.orders.count() == 1
    listing.refresh_from_db()
    assert listing.reserved == 1


def waiting_for_a_lock() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()"
        )
        return cursor.fetchone()[0]


@pytest.mark.parametrize(
    ("change", "kind"),
    [
        ({"price": Decimal("19.00")}, LineProblem.Kind.PRICE),
        ({"quantity": 1}, LineProblem.Kind.GONE),  # the bookseller sold the other copies
        ({"status": Listing.Status.HIDDEN}, LineProblem.Kind.GONE),
    ],
    ids=["repriced", "sold-at-the-counter", "withdrawn"],
)
def test_a_change_committed_while_the_checkout_waits_for_the_lock_is_seen(change, kind):
    """The checkout reads the listing, writes the order, then waits for the lock while
    the bookseller's change commits: it checks again under the lock and reserves nothing."""
    listing = ListingFactory(quantity=3, price=Decimal("20.00"), book__list_price=Decimal("20.00"))
    reserve(listing, email="first@example.fr")  # one copy already held
    results = []

    def customer_reserves_two_copies():
        try:
            results.append(reserve((listing, 2)))
        except Exception as error:
            results.append(error)
        finally:
            connection.close()

    # the bookseller's change, not yet committed
    with held_in_another_transaction(
        lambda: Listing.objects.filter(pk=listing.pk).update(**change)
    ) as commit:
        customer = threading.Thread(target=customer_reserves_two_copies)
        customer.start()
        deadline = time.monotonic() + 20
        while not waiting_for_a_lock() and time.monotonic() < deadline:
            time.sleep(0.01)
        assert waiting_for_a_lock(), "the checkout never waited for the bookseller's lock"
        commit()
        customer.join()

    [result] = results
    assert isinstance(result, StockChanged), result
    assert [problem.kind for problem in result.problems] == [kind]
    listing.refresh_from_db()
    assert listing.reserved == copies_promised(listing) == 1
    assert Order.objects.count() == 1


# --- Double submit ---------------------------------------------------------------------


def test_the_same_request_sent_twice_at_once_reserves_once():
    listing = ListingFactory(quantity=20)

    for attempt in range(5):  # the two requests overlap differently each time
        key = f"double-click-{attempt}"
        results = at_once(*[lambda key=key: reserve((listing, 2), key=key)] * 2)

        assert outcomes(results) == Counter({"ok": 2}), results
        assert results[0].pk == results[1].pk

    listing.refresh_from_db()
    assert listing.reserved == copies_promised(listing) == 2 * 5
    assert Checkout.objects.count() == Order.objects.count() == 5
    assert OutgoingEmail.objects.filter(event_key__endswith="customer-placed").count() == 5


# --- A customer and the shop at the same moment ----------------------------------------

Status = Order.Status
MOVES = {
    "accept": lambda order, shop_user: order_accept(order=order, by=shop_user),
    "refuse": lambda order, shop_user: order_refuse(order=order, by=shop_user, reason="Plus en rayon"),
    "ready": lambda order, shop_user: order_mark_ready(order=order, by=shop_user),
    "collect": lambda order, shop_user: order_collect(order=order, by=shop_user),
    "cancel": lambda order, shop_user: order_cancel(order=order),
    "expire": lambda order, shop_user: order_expire(order=order),
}
# How many messages each ending sends: the customer, and the shop when it did not act.
PEOPLE_TOLD = {Status.CANCELLED: 2, Status.EXPIRED: 2, Status.REFUSED: 1, Status.COLLECTED: 0}
TARGET = {
    "accept": Status.ACCEPTED,
    "refuse": Status.REFUSED,
    "ready": Status.READY,
    "collect": Status.COLLECTED,
    "cancel": Status.CANCELLED,
    "expire": Status.EXPIRED,
}


@pytest.mark.parametrize(
    ("moves_before", "rival"),
    [
        ((), "accept"),
        ((), "refuse"),
        ((), "cancel"),  # the customer's double click
        (("accept",), "ready"),
        (("accept", "ready"), "collect"),
        (("accept", "ready"), "expire"),
    ],
    ids=["accept", "refuse", "cancel-twice", "ready", "collect", "expire"],
)
def test_a_cancel_racing_another_move_ends_in_one_consistent_state(moves_before, rival):
    shop = ShopFactory()
    listing = ListingFactory(shop=shop, quantity=10)
    reserve(listing, email="someone.else@example.fr")  # a copy held by another order throughout

    for _attempt in range(4):  # the two moves interleave differently each time
        order = reserve((listing, 2)).orders.get()
        for move in moves_before:
            MOVES[move](order, None)
        quantity_before = Listing.objects.get(pk=listing.pk).quantity

        # when the customer cancels while the shop (or the system) makes its move
        cancel, other = at_once(
            functools.partial(order_cancel, order=order), functools.partial(MOVES[rival], order, None)
        )

        # then each got a result or was told the move is no longer possible, nothing else
        for result in (cancel, other):
            assert isinstance(result, Order | OrderStatusError), result
        order.refresh_from_db()
        assert not order.is_open  # a cancel always ends the order, whoever came first
        assert order.status in {Status.CANCELLED, TARGET[rival]}
        if isinstance(other, OrderStatusError):
            assert order.status == Status.CANCELLED
        if isinstance(cancel, OrderStatusError):
            assert order.status == TARGET[rival]
        # the history says it once
        [end] = order.events.filter(to_status__in=Order.RELEASING_STOCK | {Status.COLLECTED})
        assert end.to_status == order.status
        # the copies went back on sale (or out with the customer) exactly once
        listing.refresh_from_db()
        assert listing.reserved == copies_promised(listing) == 1  # the other order's copy
        expected_quantity = quantity_before - 2 if order.status == Status.COLLECTED else quantity_before
        assert listing.quantity == expected_quantity
        # and the people concerned are told once
        told = OutgoingEmail.objects.filter(event_key__startswith=f"order-event:{end.pk}:")
        assert told.count() == PEOPLE_TOLD[end.to_status]


def test_two_bookseller_tabs_accepting_at_once_record_one_acceptance():
    listing = ListingFactory(quantity=3)
    order = reserve(listing).orders.get()

    results = at_once(lambda: order_accept(order=order, by=None), lambda: order_accept(order=order, by=None))

    assert all(isinstance(result, Order) for result in results), results
    [accepted] = order.events.filter(to_status=Status.ACCEPTED)
    assert OutgoingEmail.objects.filter(event_key__startswith=f"order-event:{accepted.pk}:").count() == 1
    assert OutgoingEmail.objects.count() == 3  # placed (customer, shop), accepted (customer)
