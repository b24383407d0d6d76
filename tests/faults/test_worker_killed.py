"""A worker killed with SIGKILL in the middle of sending: another one takes over, and
every message goes out once."""

import pytest
import redis
from django.utils import timezone

from marketplace import services
from marketplace.models import OutgoingEmail
from marketplace.tasks import send_email
from tests.faults.customers import all_emails_sent, delivery_problems, queue_messages
from tests.faults.processes import publishing_to
from tests.test_celery_worker import wait_until

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

MESSAGES = 20


def test_a_worker_killed_while_sending_leaves_no_message_unsent_or_sent_twice(
    broker_url, smtp_sink, new_worker
):
    # given a slow SMTP server, and a worker sending a batch of messages through it
    smtp_sink.delay = 0.3
    with publishing_to(broker_url) as queue:
        first = new_worker(broker_url=broker_url, queue=queue, EMAIL_URL=smtp_sink.url)
        queue_messages(MESSAGES)
        assert wait_until(lambda: len(smtp_sink.copies()) >= 5, timeout=30), first.log.read_text()

        # when it is killed while the server takes a message in (held there until then)
        smtp_sink.holding.set()
        assert smtp_sink.held.wait(timeout=5)
        first.kill()
        smtp_sink.holding.clear()
        smtp_sink.released.set()

        # then the message it was sending stays pending, and a new worker sends the others
        new_worker(broker_url=broker_url, queue=queue, EMAIL_URL=smtp_sink.url)
        client = redis.Redis.from_url(broker_url)
        pending = OutgoingEmail.objects.filter(status=OutgoingEmail.Status.PENDING)
        # The last message's SMTP copy arrives a moment before its worker commits it as
        # sent: wait for that commit too (on a loaded machine, two were seen pending).
        assert wait_until(
            lambda: (
                client.llen(queue) == 0 and len(smtp_sink.copies()) == MESSAGES - 1 and pending.count() == 1
            ),
            timeout=40,
        ), (smtp_sink.copies(), list(pending))
        orphan = OutgoingEmail.objects.get(status=OutgoingEmail.Status.PENDING)
        assert orphan.attempts == 0  # its attempt was rolled back with the worker's transaction

        # and the sweep, a minute later, hands it over again: it goes out once
        assert services.emails_requeue_unsent(now=timezone.now() + services.REQUEUE_AFTER) == 1
        assert wait_until(all_emails_sent, timeout=30)

        # even when the broker delivers every task once more (the killed worker's, after
        # its visibility timeout)
        for email_id in OutgoingEmail.objects.values_list("pk", flat=True):
            send_email.delay(email_id)
        # every task run to its end: the first sends, the sweep's, the duplicates
        assert wait_until(lambda: first.log.read_text().count("succeeded in") == 2 * MESSAGES, timeout=30)
    assert len(smtp_sink.copies()) == MESSAGES
    assert delivery_problems(smtp_sink) == []
