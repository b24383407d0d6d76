"""The life of an order: every allowed move through its service, every other one refused,
and what each move does to the stock and the history."""

import itertools
import uuid

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from catalog.models import Listing
from marketplace.models import OutgoingEmail
from orders.models import Order, OrderEvent
from orders.services import (
    OrderStatusError,
    distributor_order_place,
    order_accept,
    order_cancel,
    order_collect,
    order_expire,
    order_line_mark_unavailable,
    order_mark_ordered,
    order_mark_ready,
    order_mark_unanswered,
    order_refuse,
)
from shops.models import Shop
from tests.factories import ListingFactory, MembershipFactory, customer_details, reserve

pytestmark = pytest.mark.django_db

Status = Order.Status

# The life the issue describes, written out here rather than read from the model: if
# ALLOWED_TRANSITIONS changes, this test says so.
THE_LIFE_OF_AN_ORDER = {
    Status.PLACED: {Status.ACCEPTED, Status.REFUSED, Status.CANCELLED, Status.UNANSWERED},
    Status.ACCEPTED: {Status.ORDERED, Status.READY, Status.CANCELLED},
    # Only an order the shop gets from its distributor ("order it for me") is ever "ordered".
    Status.ORDERED: {Status.READY, Status.CANCELLED},
    Status.READY: {Status.COLLECTED, Status.CANCELLED, Status.EXPIRED},
    Status.COLLECTED: set(),
    Status.REFUSED: set(),
    Status.CANCELLED: set(),
    Status.EXPIRED: set(),
    Status.UNANSWERED: set(),
}
# Nothing moves an order back to "placed": there is no service for it.
TARGETS = [status for status in Status if status != Status.PLACED]
ALLOWED = [(start, to) for start, targets in THE_LIFE_OF_AN_ORDER.items() for to in sorted(targets)]
REFUSED = [
    (start, to)
    for start, to in itertools.product(Status, TARGETS)
    if start != to and to not in THE_LIFE_OF_AN_ORDER[start]
]
# The services' way to each status, and the moves that bring a new order to it.
WAY_TO = {
    Status.PLACED: [],
    Status.ACCEPTED: [Status.ACCEPTED],
    Status.ORDERED: [Status.ACCEPTED, Status.ORDERED],
    Status.READY: [Status.ACCEPTED, Status.READY],
    Status.COLLECTED: [Status.ACCEPTED, Status.READY, Status.COLLECTED],
    Status.REFUSED: [Status.REFUSED],
    Status.CANCELLED: [Status.CANCELLED],
    Status.EXPIRED: [Status.ACCEPTED, Status.READY, Status.EXPIRED],
    Status.UNANSWERED: [Status.UNANSWERED],
}
# Who makes each move (OrderEvent.actor_kind), and whether a person is recorded.
ACTOR = {
    Status.ACCEPTED: OrderEvent.Actor.SHOP,
    Status.ORDERED: OrderEvent.Actor.SHOP,
    Status.REFUSED: OrderEvent.Actor.SHOP,
    Status.READY: OrderEvent.Actor.SHOP,
    Status.COLLECTED: OrderEvent.Actor.SHOP,
    Status.CANCELLED: OrderEvent.Actor.CUSTOMER,
    Status.EXPIRED: OrderEvent.Actor.SYSTEM,
    Status.UNANSWERED: OrderEvent.Actor.SYSTEM,
}


@pytest.fixture
def bookseller(shop_a):
    """The shop's owner, with no usable password: hashing one costs a second per test."""
    user = get_user_model().objects.create(email="yann@librairie-alpha.fr", password="!")
    return MembershipFactory(shop=shop_a, user=user).user


def move(order: Order, to: str, *, by=None) -> Order:
    """Move `order` to `to` through the service that makes that move."""
    services = {
        Status.ACCEPTED: lambda: order_accept(order=order, by=by),
        Status.ORDERED: lambda: order_mark_ordered(order=order, by=by),
        Status.REFUSED: lambda: order_refuse(order=order, by=by, reason="Le livre est abîmé."),
        Status.READY: lambda: order_mark_ready(order=order, by=by),
        Status.COLLECTED: lambda: order_collect(order=order, by=by),
        Status.CANCELLED: lambda: order_cancel(order=order),
        Status.EXPIRED: lambda: order_expire(order=order),
        Status.UNANSWERED: lambda: order_mark_unanswered(order=order),
    }
    return services[to]()


def order_in(status: str, listing: Listing, *, copies: int = 2, by=None, distributor: bool = False) -> Order:
    """An order of `copies` of the listing brought to `status` by the services; one the
    shop gets from its distributor (of the listing's book, holding no copy) when asked or
    when `status` is one only such orders reach."""
    if distributor or status == Status.ORDERED:
        Shop.objects.filter(pk=listing.shop_id).update(takes_orders=True)
        order = distributor_order_place(
            key=uuid.uuid4().hex, shop_id=listing.shop_id, book_id=listing.book_id, quantity=copies,
            customer=customer_details(), client="",
        ).orders.get()  # fmt: skip
    else:
        order = reserve((listing, copies)).orders.get()
    for step in WAY_TO[status]:
        order = move(order, step, by=by)
    order.refresh_from_db()
    assert order.status == status
    return order


def stock(listing: Listing) -> tuple[int, int]:
    listing.refresh_from_db()
    return listing.quantity, listing.reserved


def test_the_model_declares_the_life_of_an_order():
    assert Order.ALLOWED_TRANSITIONS == THE_LIFE_OF_AN_ORDER
    assert len(ALLOWED) == 12
    assert len(REFUSED) == 52


# --- Allowed moves ---------------------------------------------------------------------


@pytest.mark.parametrize(("start", "to"), ALLOWED, ids=[f"{a}-to-{b}" for a, b in ALLOWED])
def test_each_allowed_move_goes_through_its_service_and_is_recorded_once(start, to, shop_a, bookseller):
    # given an order holding 2 of the 5 copies
    listing = ListingFactory(shop=shop_a, quantity=5)
    order = order_in(start, listing, by=bookseller, distributor=Status.ORDERED in (start, to))
    events_before = set(order.events.values_list("pk", flat=True))
    before = timezone.now()

    # when
    moved = move(order, to, by=bookseller)

    # then
    order.refresh_from_db()
    assert moved.status == order.status == to
    [event] = order.events.exclude(pk__in=events_before)
    assert (event.from_status, event.to_status, event.line) == (start, to, None)
    assert event.actor_kind == ACTOR[to]
    assert event.actor == (bookseller if ACTOR[to] == OrderEvent.Actor.SHOP else None)
    assert before <= event.created_at <= timezone.now()


@pytest.mark.parametrize(
    ("to", "expected_stock"),
    [
        (Status.ACCEPTED, (5, 2)),
        (Status.READY, (5, 2)),
        (Status.REFUSED, (5, 0)),  # back on sale
        (Status.CANCELLED, (5, 0)),
        (Status.EXPIRED, (5, 0)),
        (Status.UNANSWERED, (5, 0)),
        (Status.COLLECTED, (3, 0)),  # the copies left the shop with the customer
    ],
)
def test_what_each_move_does_to_the_stock(to, expected_stock, shop_a, bookseller):
    listing = ListingFactory(shop=shop_a, quantity=5)
    order = order_in(Status.PLACED, listing, copies=2, by=bookseller)
    assert stock(listing) == (5, 2)

    for step in WAY_TO[to]:
        order = move(order, step, by=bookseller)

    assert stock(listing) == expected_stock


def test_a_checkout_over_several_books_releases_each_of_them(shop_a):
    first, second = ListingFactory(shop=shop_a, quantity=4), ListingFactory(shop=shop_a, quantity=2)
    order = reserve((first, 3), (second, 2)).orders.get()
    assert (stock(first), stock(second)) == ((4, 3), (2, 2))

    order_cancel(order=order)

    assert (stock(first), stock(second)) == ((4, 0), (2, 0))


def test_a_cancel_by_the_chains_staff_is_recorded_as_theirs(shop_a):
    staff = get_user_model().objects.create(email="equipe@drive.example", is_staff=True, password="!")
    order = order_in(Status.ACCEPTED, ListingFactory(shop=shop_a))

    order_cancel(order=order, by=staff, actor_kind=OrderEvent.Actor.SYSTEM, note="Boutique fermée")

    event = order.events.get(to_status=Status.CANCELLED)
    assert (event.actor, event.actor_kind, event.note) == (staff, OrderEvent.Actor.SYSTEM, "Boutique fermée")


# --- Refused moves ---------------------------------------------------------------------


@pytest.mark.parametrize(("start", "to"), REFUSED, ids=[f"{a}-to-{b}" for a, b in REFUSED])
def test_every_other_move_is_refused_and_changes_nothing(start, to, shop_a, bookseller):
    # given
    listing = ListingFactory(shop=shop_a, quantity=5)
    order = order_in(start, listing, by=bookseller)
    stock_before = stock(listing)
    events_before, emails_before = OrderEvent.objects.count(), OutgoingEmail.objects.count()

    # when / then
    with pytest.raises(OrderStatusError) as refused:
        move(order, to, by=bookseller)
    assert order.reference in str(refused.value)

    order.refresh_from_db()
    assert order.status == start
    assert stock(listing) == stock_before
    assert OrderEvent.objects.count() == events_before
    assert OutgoingEmail.objects.count() == emails_before


def test_a_stale_copy_of_the_order_cannot_sneak_a_move_through(shop_a, bookseller):
    """The services re-read the order under lock: an object loaded before a cancel does
    not let the shop accept the cancelled order."""
    listing = ListingFactory(shop=shop_a)
    order = order_in(Status.PLACED, listing)
    stale = Order.objects.get(pk=order.pk)
    order_cancel(order=order)

    with pytest.raises(OrderStatusError):
        order_accept(order=stale, by=bookseller)
    assert stock(listing) == (3, 0)


@pytest.mark.parametrize("reason", ["", "   \n "])
def test_a_refusal_needs_a_reason(reason, shop_a, bookseller):
    listing = ListingFactory(shop=shop_a)
    order = order_in(Status.PLACED, listing)

    with pytest.raises(OrderStatusError):
        order_refuse(order=order, by=bookseller, reason=reason)

    order.refresh_from_db()
    assert order.status == Status.PLACED
    assert order.events.count() == 1  # placed
    assert stock(listing) == (3, 2)


def test_the_refusal_reason_is_kept_for_the_customer(shop_a, bookseller):
    order = order_in(Status.PLACED, ListingFactory(shop=shop_a))

    order_refuse(order=order, by=bookseller, reason="  Vendu au comptoir ce matin.  ")

    order.refresh_from_db()
    assert order.refusal_reason == "Vendu au comptoir ce matin."
    assert order.events.get(to_status=Status.REFUSED).note == "Vendu au comptoir ce matin."


# --- Moving to where the order already is ----------------------------------------------


@pytest.mark.parametrize("status", TARGETS)
def test_moving_to_the_current_status_is_a_quiet_no_op(status, shop_a, bookseller):
    listing = ListingFactory(shop=shop_a, quantity=5)
    order = order_in(status, listing, by=bookseller)
    stock_before, updated_at = stock(listing), order.updated_at
    events_before, emails_before = OrderEvent.objects.count(), OutgoingEmail.objects.count()

    again = move(order, status, by=bookseller)

    order.refresh_from_db()
    assert again.status == order.status == status
    assert order.updated_at == updated_at
    assert stock(listing) == stock_before  # nothing released or handed over twice
    assert OrderEvent.objects.count() == events_before
    assert OutgoingEmail.objects.count() == emails_before


# --- Lines the shop cannot serve -------------------------------------------------------


@pytest.mark.parametrize("status", [Status.PLACED, Status.ACCEPTED])
def test_a_line_marked_unavailable_goes_back_on_sale_and_the_order_goes_on(status, shop_a, bookseller):
    # given an order of two books
    damaged, fine = ListingFactory(shop=shop_a, quantity=3), ListingFactory(shop=shop_a, quantity=3)
    order = reserve((damaged, 2), fine).orders.get()
    for step in WAY_TO[status]:
        order = move(order, step, by=bookseller)
    line = order.lines.get(listing=damaged)

    # when
    order_line_mark_unavailable(line=line, by=bookseller, reason=" Couverture déchirée ")

    # then
    line.refresh_from_db()
    order.refresh_from_db()
    assert (line.is_unavailable, line.unavailable_reason) == (True, "Couverture déchirée")
    assert order.status == status
    assert stock(damaged) == (3, 0)
    assert stock(fine) == (3, 1)
    event = order.events.last()
    assert (event.line, event.from_status, event.to_status) == (line, status, status)
    assert (event.actor_kind, event.actor, event.note) == (
        OrderEvent.Actor.SHOP,
        bookseller,
        "Couverture déchirée",
    )


@pytest.mark.parametrize("status", [Status.PLACED, Status.ACCEPTED])
def test_the_last_line_marked_unavailable_refuses_the_order(status, shop_a, bookseller):
    """Also once accepted, although the shop cannot refuse an accepted order by itself:
    with no book left, the order cannot go on."""
    first, second = ListingFactory(shop=shop_a, quantity=3), ListingFactory(shop=shop_a, quantity=3)
    order = reserve(first, second).orders.get()
    for step in WAY_TO[status]:
        order = move(order, step, by=bookseller)
    first_line, second_line = order.lines.order_by("listing_id")

    order_line_mark_unavailable(line=first_line, by=bookseller)
    order_line_mark_unavailable(line=second_line, by=bookseller)

    order.refresh_from_db()
    assert order.status == Status.REFUSED
    assert order.refusal_reason
    assert stock(first) == stock(second) == (3, 0)
    assert [(e.from_status, e.to_status, e.line_id) for e in order.events.all()][-3:] == [
        (status, status, first_line.pk),
        (status, status, second_line.pk),
        (status, Status.REFUSED, None),
    ]


def test_marking_a_line_unavailable_twice_changes_nothing_the_second_time(shop_a, bookseller):
    damaged, fine = ListingFactory(shop=shop_a, quantity=3), ListingFactory(shop=shop_a, quantity=3)
    order = reserve((damaged, 2), fine).orders.get()
    line = order.lines.get(listing=damaged)
    order_line_mark_unavailable(line=line, by=bookseller)
    events, emails = OrderEvent.objects.count(), OutgoingEmail.objects.count()

    order_line_mark_unavailable(line=line, by=bookseller)

    assert stock(damaged) == (3, 0)  # not released twice
    assert (OrderEvent.objects.count(), OutgoingEmail.objects.count()) == (events, emails)


def test_copies_of_an_unavailable_line_are_not_released_again_by_a_cancel(shop_a, bookseller):
    damaged, fine = ListingFactory(shop=shop_a, quantity=3), ListingFactory(shop=shop_a, quantity=3)
    reserve(damaged, email="other@example.fr")  # another customer holds a copy of it too
    order = reserve(damaged, fine).orders.get()
    order_line_mark_unavailable(line=order.lines.get(listing=damaged), by=bookseller)
    assert stock(damaged) == (3, 1)

    order_cancel(order=order)

    assert stock(damaged) == (3, 1)  # the other customer's copy is still held
    assert stock(fine) == (3, 0)


def test_collecting_takes_only_the_served_lines_off_the_shelf(shop_a, bookseller):
    damaged, fine = ListingFactory(shop=shop_a, quantity=3), ListingFactory(shop=shop_a, quantity=3)
    order = reserve(damaged, (fine, 2)).orders.get()
    order_line_mark_unavailable(line=order.lines.get(listing=damaged), by=bookseller)

    for step in WAY_TO[Status.COLLECTED]:
        order = move(order, step, by=bookseller)

    assert stock(damaged) == (3, 0)  # still on the shelf, on sale again
    assert stock(fine) == (1, 0)


@pytest.mark.parametrize(
    "status", [Status.READY, Status.COLLECTED, Status.REFUSED, Status.CANCELLED, Status.EXPIRED]
)
def test_lines_can_no_longer_be_marked_unavailable_once_the_order_is_ready_or_closed(
    status, shop_a, bookseller
):
    listing = ListingFactory(shop=shop_a, quantity=5)
    order = order_in(status, listing, by=bookseller)
    stock_before, events = stock(listing), OrderEvent.objects.count()

    with pytest.raises(OrderStatusError):
        order_line_mark_unavailable(line=order.lines.get(), by=bookseller)

    assert not order.lines.get().is_unavailable
    assert stock(listing) == stock_before
    assert OrderEvent.objects.count() == events
