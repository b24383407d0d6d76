import logging
import random
from smtplib import SMTPException

from celery import shared_task

from marketplace import accounts, login_guard, services

logger = logging.getLogger(__name__)

RETRY_BASE_SECONDS = 30
RETRY_MAX_SECONDS = 600


@shared_task(bind=True, acks_late=True, max_retries=services.MAX_SEND_ATTEMPTS)
def send_email(self, email_id: int) -> None:
    try:
        services.email_send(email_id=email_id)
    except (SMTPException, OSError) as exc:
        if self.request.is_eager:
            # In-process mode (no broker): do not block the request with retries; the
            # message stays pending in the outbox.
            logger.warning("Email %s could not be sent: %s", email_id, exc)
            return
        countdown = min(RETRY_BASE_SECONDS * 2**self.request.retries, RETRY_MAX_SECONDS)
        raise self.retry(exc=exc, countdown=countdown + random.uniform(0, countdown / 4)) from exc


@shared_task
def requeue_unsent_emails() -> int:
    return services.emails_requeue_unsent()


@shared_task
def delete_unconfirmed_accounts() -> int:
    return accounts.accounts_delete_unconfirmed()


@shared_task
def forget_old_login_failures() -> int:
    return login_guard.login_failures_forget_expired()
