from celery import shared_task

from orders import answer_jobs, distributor_jobs


# Both run every few minutes from beat (settings.CELERY_BEAT_SCHEDULE) and are safe to
# run twice at once: a late or duplicated run finds nothing left to do.
@shared_task
def remind_shops_to_answer() -> int:
    return answer_jobs.orders_remind_shops_to_answer()


@shared_task
def cancel_unanswered_orders() -> int:
    return answer_jobs.orders_cancel_unanswered()


@shared_task
def remind_shops_of_late_books() -> int:
    return distributor_jobs.orders_remind_shops_of_late_books()


@shared_task
def cancel_orders_of_books_never_in() -> int:
    return distributor_jobs.orders_cancel_books_never_in()
