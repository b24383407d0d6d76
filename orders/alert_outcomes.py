"""Whether a "tell me when it is here" email was followed by a reservation: the person
reserved the product within ALERT_TO_ORDER_DAYS of the email, with the same email address.

The dashboards count it from the orders while both sides still carry the address; the
retention job and erasure empty addresses, so they first write the answer down on the
alert (`led_to_reservation`), and the figure stays what it was."""

from datetime import timedelta

from django.db.models import Exists, OuterRef, Q, QuerySet

from catalog.models import StockAlert
from orders.models import Order

ALERT_TO_ORDER_DAYS = 14


def reserved_after_alert() -> Exists:
    """For a StockAlert row (OuterRef): an order of the product by the same address within
    the days after the email."""
    return Exists(
        Order.objects.filter(
            customer_email__iexact=OuterRef("email"),
            lines__ean=OuterRef("book__ean"),
            placed_at__gte=OuterRef("sent_at"),
            placed_at__lt=OuterRef("sent_at") + timedelta(days=ALERT_TO_ORDER_DAYS),
        )
    )


def alert_led_to_reservation() -> Q:
    """The alerts (sent ones) that led to a reservation: written down, or still to be read
    from the orders."""
    return Q(led_to_reservation=True) | Q(led_to_reservation__isnull=True, sent_at__isnull=False) & Q(
        reserved_after_alert()
    )


def alerts_outcome_freeze(*, alerts: QuerySet[StockAlert]) -> int:
    """Write down the outcome of the sent `alerts` that do not have it yet. Read first, then
    written in two statements: an UPDATE cannot join the alert's product for the orders."""
    outcomes = dict(
        alerts.filter(sent_at__isnull=False, led_to_reservation__isnull=True, anonymised_at__isnull=True)
        .annotate(led=reserved_after_alert())
        .values_list("pk", "led")
    )
    for led in (True, False):
        StockAlert.objects.filter(pk__in=[pk for pk, value in outcomes.items() if value is led]).update(
            led_to_reservation=led
        )
    return len(outcomes)
