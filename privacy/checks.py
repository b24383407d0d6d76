"""Settings the register cannot work with: a period shorter than what depends on it."""

from django.conf import settings
from django.core.checks import Error, register

from orders.alert_outcomes import ALERT_TO_ORDER_DAYS
from privacy.register import REGISTER


@register()
def retention_periods_check(app_configs, **kwargs):
    errors = []
    for entry in REGISTER:
        if entry.period_setting and getattr(settings, entry.period_setting) < 1:
            errors.append(Error(f"{entry.period_setting} must be at least 1 day.", id="privacy.E001"))
    # An alert's outcome is written down when its two weeks are over; an order or an alert
    # anonymised before then would lose it (orders/alert_outcomes.py).
    for name in ("RETENTION_CLOSED_ORDERS_DAYS", "RETENTION_STOCK_ALERTS_DAYS"):
        if getattr(settings, name) < ALERT_TO_ORDER_DAYS:
            errors.append(
                Error(f"{name} must be at least {ALERT_TO_ORDER_DAYS} days (the dashboards' alert outcomes).",
                      id="privacy.E002")
            )  # fmt: skip
    return errors
