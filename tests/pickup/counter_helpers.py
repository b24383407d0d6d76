"""Orders waiting at a counter, and the counter's pages, for the pickup tests.

order = ready_order(shop, by=owner, listings=[(listing, 2)])
look_up(client, "ACDEFGHJ", shop=shop)           # type a code and press "Find the order"
hand_over(client, order, code=order.pickup_code, shop=shop)
"""

from urllib.parse import urlencode

from django.urls import reverse
from django.utils import translation

from orders.models import Order
from orders.services import order_accept, order_mark_ready
from tests.factories import ListingFactory, reserve


def en(name: str, *args) -> str:
    with translation.override("en"):
        return reverse(name, args=args)


def placed_order(shop, *listings_and_quantities, language: str = "en") -> Order:
    items = listings_and_quantities or (ListingFactory(shop=shop),)
    return reserve(*items, language=language).orders.get()


def ready_order(shop, *listings_and_quantities, by, language: str = "en") -> Order:
    """An order placed, accepted and set aside at `shop`'s counter, through the services."""
    return set_aside(placed_order(shop, *listings_and_quantities, language=language), by=by)


def set_aside(order: Order, *, by) -> Order:
    """Accept the order if needed and mark it ready: it gets its pickup code."""
    if order.status == Order.Status.PLACED:
        order_accept(order=order, by=by)
    order_mark_ready(order=order, by=by)
    order.refresh_from_db()
    return order


def counter_url(*, code: str | None = None, shop=None) -> str:
    """The English counter page, with a code typed (or scanned) and a shop chosen."""
    params = {}
    if shop is not None:
        params["shop"] = shop.pk
    if code is not None:
        params["code"] = code
    return en("counter") + (f"?{urlencode(params)}" if params else "")


def look_up(client, code: str, *, shop=None):
    """Type `code` at the counter (of `shop`, else the one the session remembers) and press
    "Find the order": a POST, which counts as an attempt."""
    data = {"code": code}
    if shop is not None:
        data["shop"] = shop.pk
    return client.post(en("counter"), data)


def hand_over(client, order: Order, *, code: str, shop):
    """Press "Hand over" (the form the counter shows), following the redirect."""
    return client.post(
        en("counter_hand_over"), {"order": order.pk, "code": code, "shop": shop.pk}, follow=True
    )
