from celery import shared_task

from privacy.retention import retention_apply


@shared_task
def apply_retention_periods() -> dict[str, int]:
    return retention_apply()
