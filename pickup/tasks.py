from celery import shared_task

from pickup import holding


# Both run every few minutes from beat (settings.CELERY_BEAT_SCHEDULE) and are safe to
# run twice at once: a late or duplicated run finds nothing left to do.
@shared_task
def remind_uncollected_orders() -> int:
    return holding.orders_remind_before_deadline()


@shared_task
def expire_uncollected_orders() -> int:
    return holding.orders_expire_past_deadline()
