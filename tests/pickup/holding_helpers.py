"""Orders at the counter, for the holding-period and action-link tests.

ready_order(listing) → an order reserved, accepted and marked ready through the services
action_links_in(text) → {"accept": path, "ready": path} from a shop's new-order email
"""

import re

from django.conf import settings

from marketplace.models import OutgoingEmail
from orders.models import Order
from orders.services import order_accept, order_mark_ready
from tests.factories import reserve

_ACTION_LINK = re.compile(r"https?://[^\s\"<>]+/shop-links/orders/\d+/(?P<action>[a-z]+)/[^\s\"<>]+/")


def placed_order(listing, quantity: int = 1, **customer) -> Order:
    return reserve((listing, quantity), **customer).orders.get()


def ready_order(listing, quantity: int = 1, **customer) -> Order:
    """Reserved, accepted and set aside: it has a pickup code and a deadline."""
    order = placed_order(listing, quantity, **customer)
    order_accept(order=order, by=None)
    return order_mark_ready(order=order, by=None)


def told_about(event) -> dict[str, OutgoingEmail]:
    """The messages announcing an order event, by who they are for ("customer", "shop")."""
    emails = OutgoingEmail.objects.filter(event_key__startswith=f"order-event:{event.pk}:")
    return {email.event_key.rsplit(":", 1)[1]: email for email in emails}


def reminders_of(order: Order) -> list[OutgoingEmail]:
    return list(OutgoingEmail.objects.filter(event_key=f"order:{order.pk}:reminder"))


def action_links_in(text: str) -> dict[str, str]:
    """The signed links of an email's body, as paths for the test client."""
    links = {}
    for match in _ACTION_LINK.finditer(text):
        links.setdefault(match["action"], match[0].removeprefix(settings.SITE_URL))
    return links
