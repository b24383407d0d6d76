from collections import Counter
from datetime import timedelta
from smtplib import SMTPServerDisconnected

import pytest
from django.core import mail
from django.db import transaction
from django.utils import timezone

from marketplace import services
from marketplace.models import OutgoingEmail
from tests.race import at_once, outcomes

pytestmark = pytest.mark.django_db


def queue(event_key="test:1", to="reader@example.org"):
    return services.email_queue_on_commit(
        event_key=event_key,
        to=to,
        template="emails/password_reset",
        context={"link": "https://example.org/reset/"},
        language="en",
    )


@pytest.fixture
def failing_smtp(monkeypatch):
    def send(self, messages):
        raise SMTPServerDisconnected("Connection unexpectedly closed")

    monkeypatch.setattr("django.core.mail.backends.locmem.EmailBackend.send_messages", send)


def test_a_message_leaves_only_after_the_transaction_commits(django_capture_on_commit_callbacks, mailoutbox):
    with django_capture_on_commit_callbacks() as callbacks:
        email = queue()
        assert mailoutbox == []

    assert len(callbacks) == 1
    callbacks[0]()
    email.refresh_from_db()
    assert email.status == OutgoingEmail.Status.SENT
    assert [message.to for message in mailoutbox] == [["reader@example.org"]]
    assert mailoutbox[0].subject == "Choose a new password for Drive Solidaire"
    assert "https://example.org/reset/" in mailoutbox[0].alternatives[0][0]


def test_a_rolled_back_change_sends_nothing(capture_on_commit, mailoutbox):
    def change_that_fails():
        with transaction.atomic():
            queue()
            raise RuntimeError("the change failed")

    with capture_on_commit(), pytest.raises(RuntimeError):
        change_that_fails()

    assert not OutgoingEmail.objects.exists()
    assert mailoutbox == []


def test_announcing_the_same_event_twice_makes_one_message(capture_on_commit, mailoutbox):
    with capture_on_commit():
        first = queue(event_key="shop-status-change:7")
        second = queue(event_key="shop-status-change:7")

    assert first.pk == second.pk
    assert len(mailoutbox) == 1


def test_sending_is_idempotent(capture_on_commit, mailoutbox):
    with capture_on_commit():
        email = queue()

    services.email_send(email_id=email.pk)
    services.email_send(email_id=email.pk)

    assert len(mailoutbox) == 1


@pytest.mark.django_db(transaction=True)
def test_two_workers_given_the_same_message_send_it_once():
    # given a message delivered twice by the broker, to two workers at once
    email = OutgoingEmail.objects.create(
        event_key="dup", to="a@example.org", language="en", subject="S", body_text="B"
    )
    mail.outbox = []

    def worker():
        services.email_send(email_id=email.pk)

    assert outcomes(at_once(worker, worker)) == Counter({"ok": 2})

    # then the row lock lets one of them send it
    assert len(mail.outbox) == 1
    email.refresh_from_db()
    assert (email.status, email.attempts) == (OutgoingEmail.Status.SENT, 1)


def test_a_delivery_failure_is_recorded_and_retried(capture_on_commit, failing_smtp):
    with capture_on_commit():
        email = queue()  # the in-process task logs the failure and leaves the row pending

    with pytest.raises(services.EmailNotSent) as not_sent:
        services.email_send(email_id=email.pk)

    assert isinstance(not_sent.value.__cause__, SMTPServerDisconnected)
    email.refresh_from_db()
    assert email.status == OutgoingEmail.Status.PENDING
    assert email.attempts == 2
    assert "Connection unexpectedly closed" in email.last_error


def test_a_failed_message_is_due_again_when_its_retry_is(failing_smtp):
    email = OutgoingEmail.objects.create(
        event_key="x", to="a@example.org", language="en", subject="S", body_text="B", attempts=4,
        enqueued_at=timezone.now(),
    )  # fmt: skip

    with pytest.raises(services.EmailNotSent) as not_sent:
        services.email_send(email_id=email.pk)

    # the fifth attempt failed: the next one in 8 minutes, up to a quarter more
    assert 480 <= not_sent.value.retry_in <= 600
    email.refresh_from_db()
    due_in = (email.enqueued_at - timezone.now()).total_seconds()
    assert not_sent.value.retry_in - 5 < due_in <= not_sent.value.retry_in


def test_the_sweep_leaves_a_message_to_its_retry_and_takes_it_once_the_retry_is_late(capture_on_commit):
    retry_due = timezone.now() + timedelta(minutes=8)
    email = OutgoingEmail.objects.create(
        event_key="x", to="a@example.org", language="en", subject="S", body_text="B", attempts=5,
        enqueued_at=retry_due,
    )  # fmt: skip

    with capture_on_commit():
        on_time = services.emails_requeue_unsent(now=retry_due + services.REQUEUE_AFTER / 2)
        late = services.emails_requeue_unsent(now=retry_due + services.REQUEUE_AFTER * 2)

    assert (on_time, late) == (0, 1)
    email.refresh_from_db()
    assert email.status == OutgoingEmail.Status.SENT


def test_every_attempt_at_a_message_carries_the_same_message_id(capture_on_commit, mailoutbox):
    with capture_on_commit():
        email = queue()
    first = mailoutbox[0].message()["Message-ID"]
    OutgoingEmail.objects.filter(pk=email.pk).update(status=OutgoingEmail.Status.PENDING)

    services.email_send(email_id=email.pk)  # as a worker that died before recording it sent would

    assert mailoutbox[1].message()["Message-ID"] == first
    assert first.startswith(f"<outbox.{email.pk}.")
    assert first.endswith("@drive-solidaire.fr>")


def test_after_too_many_failures_the_message_is_left_for_a_human(failing_smtp):
    email = OutgoingEmail.objects.create(
        event_key="x", to="a@example.org", language="en", subject="S", body_text="B",
        attempts=services.MAX_SEND_ATTEMPTS - 1,
    )  # fmt: skip

    services.email_send(email_id=email.pk)  # no exception: nothing more to retry

    email.refresh_from_db()
    assert email.status == OutgoingEmail.Status.FAILED


def test_failed_messages_can_be_sent_again(capture_on_commit, mailoutbox):
    email = OutgoingEmail.objects.create(
        event_key="x", to="a@example.org", language="en", subject="S", body_text="B",
        status=OutgoingEmail.Status.FAILED, attempts=8,
    )  # fmt: skip

    with capture_on_commit():
        assert services.emails_send_again(email_ids=[email.pk]) == 1

    email.refresh_from_db()
    assert email.status == OutgoingEmail.Status.SENT
    assert len(mailoutbox) == 1


def test_the_sweep_resends_messages_the_broker_lost_and_only_those(capture_on_commit, mailoutbox):
    long_ago = timezone.now() - timedelta(hours=1)
    lost = OutgoingEmail.objects.create(
        event_key="lost",
        to="lost@example.org",
        language="en",
        subject="S",
        body_text="B",
        enqueued_at=long_ago,
    )
    OutgoingEmail.objects.create(
        event_key="recent", to="recent@example.org", language="en", subject="S", body_text="B",
        enqueued_at=timezone.now(),
    )  # fmt: skip
    OutgoingEmail.objects.create(
        event_key="sent", to="sent@example.org", language="en", subject="S", body_text="B",
        enqueued_at=long_ago, status=OutgoingEmail.Status.SENT,
    )  # fmt: skip

    with capture_on_commit():
        assert services.emails_requeue_unsent() == 1
    with capture_on_commit():
        assert services.emails_requeue_unsent() == 0  # running it again changes nothing

    assert [message.to for message in mailoutbox] == [["lost@example.org"]]
    lost.refresh_from_db()
    assert lost.status == OutgoingEmail.Status.SENT


def test_a_broker_outage_at_commit_loses_nothing(capture_on_commit, monkeypatch, mailoutbox):
    from kombu.exceptions import OperationalError

    def broker_down(*args, **kwargs):
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr("marketplace.tasks.send_email.delay", broker_down)
    with capture_on_commit():
        email = queue()  # the change commits; publishing the task fails and is logged

    assert mailoutbox == []
    email.refresh_from_db()
    assert email.status == OutgoingEmail.Status.PENDING

    monkeypatch.undo()
    with capture_on_commit():
        services.emails_requeue_unsent(now=timezone.now() + services.REQUEUE_AFTER * 2)
    assert len(mailoutbox) == 1
