"""Suspending a shop, and with it, if the chain decides so, cancelling its open orders.

Composed here, one floor above shops: shops/services.py suspends the shop and knows
nothing of orders; this module adds the cancellation in the same transaction.
"""

from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

from orders.models import Order, OrderEvent
from orders.services import order_cancel
from shops import services as shop_services
from shops.models import Shop


def shop_suspend(*, shop: Shop, by, reason: str, cancel_open_orders: bool = False) -> Shop:
    """Suspend the shop (shop_services.shop_suspend). Its open orders (placed, accepted,
    ready) are honoured by default: the shop still serves them. With `cancel_open_orders`,
    each is cancelled in the same transaction, as Drive Solidaire's decision: the copies
    go back in stock and the customer is told why, in their language.

    A checkout running meanwhile cannot slip an order past this: the shop row is locked
    first, inserting an order takes a key-share lock on it, which waits for this
    transaction, and the checkout then re-reads the shop's status under its listing locks
    and refuses the books (orders/services.py, _reserve). A shop already suspended is
    left as it is, its orders too."""
    with transaction.atomic():
        status = Shop.objects.select_for_update().values_list("status", flat=True).get(pk=shop.pk)
        shop = shop_services.shop_suspend(shop=shop, by=by, reason=reason)
        if cancel_open_orders and status != Shop.Status.SUSPENDED:
            _cancel_open_orders(shop, by=by)
    return shop


def _cancel_open_orders(shop: Shop, *, by) -> None:
    for order in Order.objects.filter(shop=shop, status__in=Order.OPEN_STATUSES).order_by("pk"):
        with translation.override(order.language):
            note = _(
                "%(shop)s no longer takes reservations on Drive Solidaire, so we have cancelled "
                "this one. We are sorry."
            ) % {"shop": shop.trade_name}
        order_cancel(order=order, by=by, actor_kind=OrderEvent.Actor.SYSTEM, note=note)
