import logging

from celery import shared_task

from marketplace import health, login_guard, services

logger = logging.getLogger(__name__)


@shared_task(bind=True, acks_late=True, max_retries=services.MAX_SEND_ATTEMPTS)
def send_email(self, email_id: int) -> None:
    try:
        services.email_send(email_id=email_id)
    except services.EmailNotSent as not_sent:
        if self.request.is_eager:
            # In-process mode (no broker): do not block the request with retries; the
            # message stays pending in the outbox.
            logger.warning("Email %s could not be sent: %s", email_id, not_sent.__cause__)
            return
        # When the outbox row says: the sweep leaves the message to this retry until then.
        raise self.retry(exc=not_sent.__cause__, countdown=not_sent.retry_in) from not_sent


@shared_task
def requeue_unsent_emails() -> int:
    return services.emails_requeue_unsent()


@shared_task
def forget_old_login_failures() -> int:
    return login_guard.login_failures_forget_expired()


# From beat, every minute: /healthz reports the worker down when this has not run lately.
@shared_task
def record_worker_heartbeat() -> None:
    health.heartbeat_record()
