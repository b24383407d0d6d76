"""Writes shared by every app: the email outbox."""

import logging
from datetime import timedelta
from smtplib import SMTPException

from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation

from marketplace.models import OutgoingEmail

logger = logging.getLogger(__name__)

# After this many failed attempts a message is marked failed and left for a human.
MAX_SEND_ATTEMPTS = 8
# A pending message nobody has touched for this long was lost by the broker (or
# enqueued while it was down): the sweep hands it to the queue again. Longer than the
# longest retry countdown of the task, so the sweep does not race normal retries.
REQUEUE_AFTER = timedelta(minutes=15)


def email_queue_on_commit(
    *, event_key: str, to: str, template: str, context: dict, language: str
) -> OutgoingEmail:
    """Record a message in the outbox and have it sent once the current transaction commits.

    `template` names three templates rendered in `language`: `<template>_subject.txt`,
    `<template>.txt` and `<template>.html`. `event_key` identifies the event being
    announced: queueing the same event twice returns the first message.

    Must run inside the transaction that makes the change the message reports.
    """
    with translation.override(language):
        subject = " ".join(render_to_string(f"{template}_subject.txt", context, using="text").split())
        body_text = render_to_string(f"{template}.txt", context, using="text").strip() + "\n"
        body_html = render_to_string(f"{template}.html", context)

    email, created = OutgoingEmail.objects.get_or_create(
        event_key=event_key,
        defaults={
            "to": to,
            "language": language,
            "subject": subject,
            "body_text": body_text,
            "body_html": body_html,
            "enqueued_at": timezone.now(),
        },
    )
    if created:
        _enqueue_on_commit(email.pk)
    return email


def _enqueue_on_commit(email_id: int) -> None:
    from marketplace.tasks import send_email

    # A named function rather than functools.partial: Django logs a failing robust
    # callback by its __qualname__, which partial objects lack. email_id is this call's
    # own argument, so there is no late-binding surprise.
    def enqueue_email():
        send_email.delay(email_id)

    # robust: if the broker is down, publishing fails after commit; the change is kept
    # and the periodic sweep enqueues the message again.
    transaction.on_commit(enqueue_email, robust=True)


def email_send(*, email_id: int) -> None:
    """Send one outbox message unless it has been sent already.

    Holds the row lock while talking to the SMTP server so that a duplicate delivery of
    the task skips the row instead of sending it a second time. Raises the delivery
    error (after recording it) so that the task retries with backoff.
    """
    error = None
    with transaction.atomic():
        email = (
            OutgoingEmail.objects.select_for_update(skip_locked=True)
            .filter(pk=email_id, status=OutgoingEmail.Status.PENDING)
            .first()
        )
        if email is None:
            return  # already sent or given up on, or another worker is sending it now

        message = EmailMultiAlternatives(subject=email.subject, body=email.body_text, to=[email.to])
        if email.body_html:
            message.attach_alternative(email.body_html, "text/html")

        email.attempts += 1
        try:
            message.send()
        except (SMTPException, OSError) as exc:
            error = exc
            email.last_error = f"{type(exc).__name__}: {exc}"[:2000]
            email.enqueued_at = timezone.now()  # the task's own retry takes it from here
            if email.attempts >= MAX_SEND_ATTEMPTS:
                email.status = OutgoingEmail.Status.FAILED
                logger.error("Giving up on email %s after %s attempts: %s", email.pk, email.attempts, exc)
        else:
            email.status = OutgoingEmail.Status.SENT
            email.sent_at = timezone.now()
            email.last_error = ""
        email.save(update_fields=["attempts", "status", "sent_at", "last_error", "enqueued_at"])

    if error is not None and email.status == OutgoingEmail.Status.PENDING:
        raise error


def emails_requeue_unsent(*, now=None) -> int:
    """Hand back to the queue the pending messages that nobody picked up.

    Safe to run twice at once: each run claims rows with SKIP LOCKED and stamps them,
    so a row is enqueued by one run only.
    """
    now = now or timezone.now()
    with transaction.atomic():
        stale = list(
            OutgoingEmail.objects.select_for_update(skip_locked=True)
            .filter(status=OutgoingEmail.Status.PENDING, enqueued_at__lt=now - REQUEUE_AFTER)
            .values_list("pk", flat=True)[:500]
        )
        OutgoingEmail.objects.filter(pk__in=stale).update(enqueued_at=now)
        for email_id in stale:
            _enqueue_on_commit(email_id)
    return len(stale)


def emails_send_again(*, email_ids) -> int:
    """Give failed messages a fresh set of attempts (after the SMTP problem is fixed)."""
    with transaction.atomic():
        failed = list(
            OutgoingEmail.objects.select_for_update()
            .filter(pk__in=list(email_ids), status=OutgoingEmail.Status.FAILED)
            .values_list("pk", flat=True)
        )
        OutgoingEmail.objects.filter(pk__in=failed).update(
            status=OutgoingEmail.Status.PENDING, attempts=0, enqueued_at=timezone.now()
        )
        for email_id in failed:
            _enqueue_on_commit(email_id)
    return len(failed)
