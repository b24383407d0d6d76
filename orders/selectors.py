"""Every read of orders that depends on who asks."""

from django.db.models import QuerySet

from orders.models import Checkout, Order
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
        Order.objects.select_related("shop")
        .prefetch_related("lines", "events", "shop__opening_periods", "shop__closures")
        .filter(token=token)
        .first()
    )


def checkout_by_token(token: str) -> Checkout | None:
    return Checkout.objects.filter(token=token).first()


def new_orders_count_for_user(user) -> int:
    """Orders waiting for the shop to accept or refuse them (the admin menu's badge)."""
    return orders_for_user(user).filter(status=Order.Status.PLACED).count()
