"""Reads about collection: whose counter, which order behind a code, when it will be ready."""

from datetime import datetime

from django.db.models import QuerySet

from orders.models import Order
from orders.selectors import customer_details_visible, with_visible_customer_details
from shops.models import Shop


def counter_shops_for_user(user) -> QuerySet[Shop]:
    """The shops whose counter `user` serves at: the shops they are a member of.

    Not `shops_for_user`: the chain's staff see every shop, but they hand nothing over;
    the counter is for the people in the shop.
    """
    if not user.is_authenticated or not user.is_active:
        return Shop.objects.none()
    return Shop.objects.filter(memberships__user=user).order_by("trade_name", "pk")


def order_for_code(*, shop: Shop, code: str) -> Order | None:
    """The order of `shop` with this (normalized) pickup code, in any status, with its
    lines and what the counter may see of its customer (the shop's people: the counter
    is theirs). Only ever within one shop: codes are unique per shop, not across shops."""
    if not code:
        return None
    orders = with_visible_customer_details(
        Order.objects.all(), visible=customer_details_visible(sees_all_shops=False)
    )
    return orders.select_related("shop").prefetch_related("lines").filter(shop=shop, pickup_code=code).first()


def collected_at(order: Order) -> datetime | None:
    """When the order was handed over (its "collected" event)."""
    return (
        order.events.filter(to_status=Order.Status.COLLECTED)
        .order_by("created_at")
        .values_list("created_at", flat=True)
        .first()
    )


def ready_order_by_token(token: str) -> Order | None:
    """The order behind a customer's link, if it waits at the counter (its QR code)."""
    return Order.objects.filter(token=token, status=Order.Status.READY).exclude(pickup_code="").first()
