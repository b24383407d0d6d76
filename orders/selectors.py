"""Every read of orders that depends on who asks."""

from datetime import datetime

from django.db.models import QuerySet

from orders.models import Checkout, Order
from shops.hours import Schedule
from shops.selectors import shops_for_user


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
