"""Every read of orders that depends on who asks."""

from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Case, F, Q, QuerySet, Value, When
from django.utils import timezone

from orders.models import OPEN, Checkout, Order
from shops.hours import Schedule
from shops.selectors import shops_for_user, user_sees_all_shops


def orders_for_user(user) -> QuerySet[Order]:
    """The orders a member of the shops' staff may see and handle: those of their shops
    (all of them for the chain's staff)."""
    return Order.objects.filter(shop__in=shops_for_user(user))


def orders_for_shop(shop) -> QuerySet[Order]:
    """The orders a shop's API key may see and handle."""
    return Order.objects.filter(shop=shop)


def orders_of_customer(user) -> QuerySet[Order]:
    """A customer's own orders ("my orders"), newest first."""
    if not user.is_authenticated:
        return Order.objects.none()
    return Order.objects.filter(customer=user).select_related("shop").order_by("-placed_at")


def order_by_token(token: str) -> Order | None:
    """The order behind the link in the customer's emails (the token is the key)."""
    # The shop's hours and closures: the page says when the books will be ready.
    return (
        Order.objects.select_related("shop", "checkout__drive")
        .prefetch_related("lines", "events", "shop__opening_periods", "shop__closures")
        .filter(token=token)
        .first()
    )


def checkout_placed_elsewhere(*, order: Order, key: str) -> Checkout | None:
    """The checkout a button of `order`'s page placed under `key`, if it did."""
    return Checkout.objects.filter(instead_of=order, key=key).first()


def checkout_by_token(token: str) -> Checkout | None:
    return Checkout.objects.filter(token=token).first()


def new_orders_count_for_user(user) -> int:
    """Orders waiting for the shop to accept or refuse them (the admin menu's badge)."""
    return orders_for_user(user).filter(status=Order.Status.PLACED).count()


def new_orders_count(request) -> int:
    """new_orders_count_for_user, once per request: the back office's header and its home
    page's menu both show it."""
    if not hasattr(request, "_new_orders_count"):
        request._new_orders_count = new_orders_count_for_user(request.user)
    return request._new_orders_count


def order_ready_by(order: Order) -> datetime | None:
    """When the shop should have a placed or accepted order ready, from its preparation
    time and opening hours (Europe/Paris). None once it is ready or closed, or when the
    shop has no opening hours to count on. Reads the shop's prefetched hours and closures
    (`order_by_token`)."""
    if order.status not in (Order.Status.PLACED, Order.Status.ACCEPTED) or order.from_distributor:
        return None  # a book ordered from the distributor is ready when it comes (expected_on)
    return Schedule.for_shop(order.shop).ready_by(order.placed_at, order.shop.preparation_time)


# --- Who may read the customer's details ---------------------------------------------------


def customer_details_visible(*, sees_all_shops: bool) -> Q:
    """The orders whose customer's details — name, email, phone and account — may be
    shown on the shops' side. The one place that decides it: the bookseller space (list,
    search, order page, today's work), the counter, the signed links' pages and the
    shops' API all go through here.

    Shops, their drives' staff and a shop's API key: while the order is open, then
    settings.SHOPS_SEE_CUSTOMER_DETAILS_DAYS after it closed (`closed_at`). Head office
    (`sees_all_shops`): until the details are erased. Nobody once they are
    (`anonymised_at`)."""
    # Why: personal data is shown only to those who need it, for as long as they need it
    # (GDPR art. 5(1)(c) and (e), data minimisation and storage limitation). A shop needs
    # its customer to serve the order, and for a short after-sales time (a question, a
    # book left behind); after that the reference is enough for its books. Head office
    # settles disputes until the retention job erases the details (privacy/), so it keeps
    # them until then. A closed order without `closed_at` (inserted closed, never moved)
    # counts as closed long ago: when unsure, the details stay hidden.
    not_erased = Q(anonymised_at__isnull=True)
    if sees_all_shops:
        return not_erased
    closed_recently = Q(
        closed_at__gt=timezone.now() - timedelta(days=settings.SHOPS_SEE_CUSTOMER_DETAILS_DAYS)
    )
    return not_erased & (OPEN | closed_recently)


def customer_details_visible_to(user) -> Q:
    """`customer_details_visible` for a person of the shops' side (a bookseller, a
    drive's staff, head office)."""
    return customer_details_visible(sees_all_shops=user_sees_all_shops(user))


def with_visible_customer_details(orders: QuerySet[Order], *, visible: Q) -> QuerySet[Order]:
    """`orders`, each with what its reader may see of the customer (`visible`: one of
    the two functions above): `customer_details_visible` (a boolean, for pages and
    serializers), and `visible_customer_name` and `visible_customer_email`, empty when
    hidden (to search and sort by: a search by a name must not find the orders whose
    customer it may not show, nor the list's order betray their names)."""

    def if_visible(value, *, otherwise):
        # A CASE, not the bare condition: its NULLs (an order closed without `closed_at`)
        # come out as "hidden", never as NULL.
        return Case(When(visible, then=value), default=otherwise)

    return orders.annotate(
        customer_details_visible=if_visible(Value(True), otherwise=Value(False)),
        visible_customer_name=if_visible(F("customer_name"), otherwise=Value("")),
        visible_customer_email=if_visible(F("customer_email"), otherwise=Value("")),
    )


def user_may_see_customer_details(user, order: Order) -> bool:
    """Whether `user` may see `order`'s customer's details: one of their shops' orders,
    within `customer_details_visible_to(user)`."""
    return orders_for_user(user).filter(customer_details_visible_to(user), pk=order.pk).exists()
