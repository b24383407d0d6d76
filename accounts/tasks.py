from celery import shared_task

from accounts import services


@shared_task
def delete_unconfirmed_accounts() -> int:
    return services.accounts_delete_unconfirmed()
