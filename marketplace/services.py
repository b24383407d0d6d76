"""Writes shared by every app: the email outbox.

A message is a row written in the transaction of the change it reports; after commit a
task is published to send it. Sending is idempotent: under the row's lock, only a
pending row is sent, and it is marked sent in the same transaction. Whatever hands the
task over again (the broker redelivering it, the sweep) can thus never send a message
twice. What remains is a worker dying between the SMTP server's "250 OK" and its commit,
or the database out of reach for seconds at that moment (docs/resilience.md); a stable
Message-ID lets mail systems recognise the copy.

The request only says what to send: the template, the language and the context
(marketplace/email_context.py keeps its rows by reference). The worker renders the
message under the row's lock, just before sending it, and keeps what it rendered in the
row (subject and bodies: what the admin and the demo's mailbox show). A checkout thus
renders no email: that was about a quarter of its CPU (docs/performance.md).

`enqueued_at` is when a worker should have the message at the latest: the commit, or,
after a failed attempt, the time its retry is due. A message still pending REQUEUE_AFTER
past that was lost (the broker was down at commit, restarted and forgot its queue, or
a worker died with it): the sweep, run every minute by beat, publishes it again.
"""

import json
import logging
import random
import threading
import time
from dataclasses import dataclass
from datetime import timedelta
from email.utils import parseaddr
from smtplib import SMTPException

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import DatabaseError, InterfaceError, OperationalError, connection, transaction
from django.db.models import F
from django.utils import timezone, translation
from kombu.exceptions import OperationalError as BrokerError

from marketplace import email_context
from marketplace.models import OutgoingEmail

logger = logging.getLogger(__name__)

# After this many failed attempts a message is marked failed and left for a human.
MAX_SEND_ATTEMPTS = 8
# Waits between attempts, in seconds: 30 s, 1, 2, 4, 8 min, then 10 min, each up to a
# quarter longer at random so that messages failing together do not retry together.
RETRY_FIRST_SECONDS = 30
RETRY_LONGEST_SECONDS = 600
# A healthy worker takes a message within a second of it being due: one still pending
# half a minute later was lost, and the sweep (every minute) hands it over 30 to 90 s
# after it was due. Handing it over again is harmless even when it was not lost (a long
# queue, no worker running): the task finds it sent, or locked by the worker sending
# it, and skips it in a millisecond.
REQUEUE_AFTER = timedelta(seconds=30)
# After the broker failed to take a message, this process leaves the next ones to the
# sweep for this long (seconds) rather than make each request wait for the broker's
# timeouts again: a broker that hangs instead of refusing costs seconds per message.
PUBLISH_PAUSE_AFTER_FAILURE = 10.0


class EmailNotSent(Exception):
    """The SMTP server did not take a message that is still to be sent: try again in
    `retry_in` seconds (the outbox row says when too, so that the sweep leaves it be)."""

    def __init__(self, *, email_id: int, retry_in: float):
        super().__init__(f"email {email_id} not sent; next attempt in {retry_in:.0f} s")
        self.email_id = email_id
        self.retry_in = retry_in


@dataclass(frozen=True)
class EmailToQueue:
    """One message to record in the outbox (see email_queue_on_commit)."""

    event_key: str
    to: str
    template: str
    context: dict
    language: str


def email_queue_on_commit(
    *, event_key: str, to: str, template: str, context: dict, language: str
) -> OutgoingEmail:
    """Record a message in the outbox and have it sent once the current transaction commits.

    `template` names three templates rendered in `language` by the worker:
    `<template>_subject.txt`, `<template>.txt` and `<template>.html`, with `context`
    (what email_context.freeze keeps). `event_key` identifies the event being announced:
    queueing the same event twice returns the first message.

    Must run inside the transaction that makes the change the message reports.
    """
    emails_queue_on_commit(
        [EmailToQueue(event_key=event_key, to=to, template=template, context=context, language=language)]
    )
    # Only the key is read back: reading the whole row would render it (OutgoingEmail.
    # from_db), which the request leaves to the worker.
    return OutgoingEmail.objects.only("pk", "event_key").get(event_key=event_key)


def emails_queue_on_commit(emails: list[EmailToQueue]) -> list[int]:
    """email_queue_on_commit for several messages in one statement (a checkout tells the
    customer and each shop): INSERT … ON CONFLICT DO NOTHING, the events told already
    left as they were. Returns the ids of the messages it recorded."""
    if not emails:
        return []
    rows = []
    for email in emails:
        with translation.override(email.language):  # lazy translations in the context, in its language
            frozen = email_context.freeze(email.context)
        rows.append([email.event_key, email.to, email.language, email.template, json.dumps(frozen)])
    placeholders = ", ".join(
        ["(%s, %s, %s, %s, %s::jsonb, '', '', '', 'pending', 0, '', now(), now())"] * len(rows)
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"""INSERT INTO {OutgoingEmail._meta.db_table}
                   (event_key, "to", language, template, context, subject, body_text, body_html, status,
                    attempts, last_error, created_at, enqueued_at)
               VALUES {placeholders}
               ON CONFLICT (event_key) DO NOTHING
               RETURNING id""",
            [value for row in rows for value in row],
        )
        created = [email_id for (email_id,) in cursor.fetchall()]
    for email_id in created:  # one task each, as when they were queued one by one
        _enqueue_on_commit(email_id)
    return created


def _enqueue_on_commit(*email_ids: int, sweeping: bool = False) -> None:
    if not email_ids:
        return

    # A named function rather than functools.partial: Django logs a failing robust
    # callback by its __qualname__, which partial objects lack. email_ids is this call's
    # own argument, so there is no late-binding surprise.
    def enqueue_emails():
        for email_id in email_ids:
            if not _publish(email_id, despite_pause=sweeping):
                break  # the broker is down: the others wait in the outbox as well

    # robust: whatever goes wrong when publishing, the change is committed already and
    # the message waits in the outbox for the sweep.
    transaction.on_commit(enqueue_emails, robust=True)


# Broker URL → when publishing to it last failed in this process (monotonic seconds).
_publish_failed_at: dict[str, float] = {}
# An outage's start and end are told once, whatever the threads publishing at that moment.
_outage_told = threading.Lock()


def _publish(email_id: int, *, despite_pause: bool = False) -> bool:
    """Hand a message to the broker; if it is down, leave the message to the sweep and
    say so (False). A request never waits long for the broker: its timeouts
    (CELERY_BROKER_TRANSPORT_OPTIONS), once per PUBLISH_PAUSE_AFTER_FAILURE and process.
    The sweep, which runs in the background to find out when it is back, tries
    `despite_pause`. An outage is logged when it begins and when it ends."""
    from marketplace.tasks import send_email

    if send_email.app.conf.task_always_eager:  # sent in-process: there is no broker
        send_email.delay(email_id)
        return True
    broker = send_email.app.conf.broker_url
    failed_at = _publish_failed_at.get(broker)
    if (
        not despite_pause
        and failed_at is not None
        and time.monotonic() - failed_at < PUBLISH_PAUSE_AFTER_FAILURE
    ):
        return False
    try:
        # No retry: each one waits for the broker's timeout again, and the sweep retries.
        send_email.apply_async((email_id,), retry_policy={"max_retries": 0})
    except BrokerError as error:
        with _outage_told:
            began = broker not in _publish_failed_at
            _publish_failed_at[broker] = time.monotonic()
        if began:
            logger.error(
                "Emails: the broker cannot be reached (%s); messages wait in the outbox, and the "
                "sweep hands them over once it is back.",
                error,
            )
        return False
    if failed_at is not None:
        with _outage_told:
            ended = _publish_failed_at.pop(broker, None) is not None
        if ended:
            logger.warning("Emails: the broker takes messages again.")
    return True


def email_send(*, email_id: int) -> None:
    """Send one outbox message unless it has been sent already.

    Holds the row lock while talking to the SMTP server so that a duplicate delivery of
    the task skips the row instead of sending it a second time. When the SMTP server
    fails, records the error and when to try again, and raises EmailNotSent (from the
    delivery error) for the task to retry then. When the database connection is lost
    once the server has taken the message, records it sent on a new one.
    """
    error, sent = None, False
    try:
        with transaction.atomic():
            email = (
                OutgoingEmail.objects.select_for_update(skip_locked=True)
                .filter(pk=email_id, status=OutgoingEmail.Status.PENDING)
                .first()
            )
            if email is None:
                return  # already sent or given up on, or another worker is sending it now
            try:
                email_context.render(email)
            except DatabaseError:
                raise  # the database, not the message: the row stays pending for the sweep
            except Exception as exc:
                # A row deleted, a template or a tag failing: no attempt can do better. Left
                # for a human, like a message that failed, rather than retried for ever.
                email.status = OutgoingEmail.Status.FAILED
                email.last_error = f"Cannot be written: {type(exc).__name__}: {exc}"[:2000]
                email.save(update_fields=["status", "last_error"])
                logger.error("Email %s cannot be written: %s", email.pk, exc)
                return

            message = EmailMultiAlternatives(
                subject=email.subject,
                body=email.body_text,
                to=[email.to],
                headers={"Message-ID": _message_id(email)},
            )
            if email.body_html:
                message.attach_alternative(email.body_html, "text/html")

            email.attempts += 1
            try:
                message.send()
            except (SMTPException, OSError) as exc:
                error = exc
                email.last_error = f"{type(exc).__name__}: {exc}"[:2000]
                retry_in = _retry_delay(email.attempts)
                # When the task's retry is due: the sweep leaves the message to it until then.
                email.enqueued_at = timezone.now() + timedelta(seconds=retry_in)
                if email.attempts >= MAX_SEND_ATTEMPTS:
                    email.status = OutgoingEmail.Status.FAILED
                    logger.error("Giving up on email %s after %s attempts: %s", email.pk, email.attempts, exc)
            else:
                sent = True
                email.status = OutgoingEmail.Status.SENT
                email.sent_at = timezone.now()
                email.last_error = ""
            email.save(
                update_fields=[
                    "attempts", "status", "sent_at", "last_error", "enqueued_at", "subject", "body_text",
                    "body_html",
                ]
            )  # fmt: skip
    except (OperationalError, InterfaceError):
        if not sent:
            raise  # nothing went out: the row is as it was, the sweep hands it over again
        _record_sent_after_lost_connection(email_id)
        return

    if error is not None and email.status == OutgoingEmail.Status.PENDING:
        raise EmailNotSent(email_id=email.pk, retry_in=retry_in) from error


def _record_sent_after_lost_connection(email_id: int) -> None:
    """The SMTP server took the message, then the connection holding its row was cut (a
    failover, a restart, a proxy): its transaction is lost and the row still pending,
    which would have it sent again. Record it sent on a new connection, trying for a few
    seconds (a failover takes that long)."""
    for attempt in range(3):
        connection.close()
        try:
            OutgoingEmail.objects.filter(pk=email_id, status=OutgoingEmail.Status.PENDING).update(
                status=OutgoingEmail.Status.SENT,
                sent_at=timezone.now(),
                last_error="",
                attempts=F("attempts") + 1,
            )
        except (OperationalError, InterfaceError):
            if attempt == 2:
                logger.error("Email %s was sent but cannot be recorded so: it may be sent again.", email_id)
                raise
            time.sleep(1)
        else:
            logger.warning(
                "Email %s was sent as the database connection was lost: recorded on a new one.", email_id
            )
            return


def _retry_delay(attempts: int) -> float:
    """Seconds to wait after `attempts` failed attempts."""
    delay = min(RETRY_FIRST_SECONDS * 2 ** (attempts - 1), RETRY_LONGEST_SECONDS)
    return delay + random.uniform(0, delay / 4)


def _message_id(email: OutgoingEmail) -> str:
    """The same for every attempt at one message, whichever worker makes it: a copy
    sent twice (docs/resilience.md) can be recognised as one message."""
    domain = parseaddr(settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")[2] or "localhost"
    return f"<outbox.{email.pk}.{email.created_at:%Y%m%d%H%M%S}@{domain}>"


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
        _enqueue_on_commit(*stale, sweeping=True)
    return len(stale)


def emails_send_again(*, email_ids) -> int:
    """Give failed messages a fresh set of attempts (after the SMTP problem is fixed)."""
    with transaction.atomic():
        failed = list(
            OutgoingEmail.objects.select_for_update()
            # Not one whose recipient was erased (privacy/): nobody to send it to.
            .filter(pk__in=list(email_ids), status=OutgoingEmail.Status.FAILED, anonymised_at__isnull=True)
            .values_list("pk", flat=True)
        )
        OutgoingEmail.objects.filter(pk__in=failed).update(
            status=OutgoingEmail.Status.PENDING, attempts=0, enqueued_at=timezone.now()
        )
        _enqueue_on_commit(*failed)
    return len(failed)
