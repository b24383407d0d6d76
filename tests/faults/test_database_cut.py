"""PostgreSQL connections cut (pg_terminate_backend: a failover, a restart, a proxy
dropping them): the request cut off fails alone and leaves nothing half written; the
next requests and tasks are served on fresh connections."""

import json
import threading
import urllib.error
import urllib.request
import uuid

import pytest
from django.db import connection
from django.utils import timezone

from catalog.models import Listing
from marketplace import services
from marketplace.models import OutgoingEmail
from orders.models import Checkout, Order, OrderLine
from tests.factories import ListingFactory
from tests.faults.customers import (
    API_RESERVATIONS,
    all_emails_sent,
    delivery_problems,
    queue_messages,
    stock_mismatches,
)
from tests.faults.processes import publishing_to
from tests.race import held_in_another_transaction
from tests.test_celery_worker import test_database_url, wait_until

pytestmark = pytest.mark.django_db(transaction=True)


def reserve_over_http(base_url: str, listing: Listing, key: str) -> int:
    body = {"customer": {"name": "Annick Le Goff", "email": "annick@example.fr", "phone": "06 12 34 56 78"},
            "accept_terms": True, "lines": [{"listing": listing.pk, "quantity": 1}]}  # fmt: skip
    request = urllib.request.Request(
        base_url + API_RESERVATIONS,
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json", "Idempotency-Key": key, "Accept-Language": "en"},
    )
    try:
        with urllib.request.urlopen(request, timeout=15) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def backends_waiting_for_a_lock() -> dict[int, str]:
    """{process id: the statement waiting}"""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid, query FROM pg_stat_activity"
            " WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        return dict(cursor.fetchall())


def terminate(pids) -> None:
    with connection.cursor() as cursor:
        for pid in pids:
            cursor.execute("SELECT pg_terminate_backend(%s)", [pid])


def test_a_reservation_whose_connection_is_cut_fails_alone_and_leaves_nothing_half_written(live_server):
    listing = ListingFactory(quantity=10)
    key = str(uuid.uuid4())
    answers = {}

    def lock_the_listing():  # as another customer's reservation does, at its end
        Listing.objects.select_for_update(no_key=True).get(pk=listing.pk)

    # given a reservation that has written its order, lines and emails, and waits for the
    # listing's lock (held by another customer's transaction) before it commits
    with held_in_another_transaction(lock_the_listing):
        customer = threading.Thread(
            target=lambda: answers.update(cut=reserve_over_http(live_server.url, listing, key))
        )
        customer.start()
        assert wait_until(backends_waiting_for_a_lock, timeout=3)
        waiting = backends_waiting_for_a_lock()
        # its last statement: locking the listings (and holding the copies), after every
        # write (the text is cut at 1 KB)
        assert [
            "FOR NO KEY UPDATE" in statement and "catalog_listing" in statement
            for statement in waiting.values()
        ] == [True], waiting

        # when its database connection is cut
        terminate(waiting)
        customer.join(timeout=15)

    # then that request alone fails, and nothing of it was kept
    assert 500 <= answers["cut"] < 600
    assert (Checkout.objects.count(), Order.objects.count(), OrderLine.objects.count()) == (0, 0, 0)
    assert not OutgoingEmail.objects.exists()
    listing.refresh_from_db()
    assert listing.reserved == 0

    # and the customer's retry (same key), and the next customers, are served
    assert reserve_over_http(live_server.url, listing, key) == 201
    assert [reserve_over_http(live_server.url, listing, str(uuid.uuid4())) for _ in range(3)] == [201] * 3
    assert Order.objects.count() == 4
    assert stock_mismatches() == {}


def worker_backends() -> list[int]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'fault-worker'"
        )
        return [pid for (pid,) in cursor.fetchall()]


@pytest.mark.worker
def test_a_worker_whose_connection_is_cut_while_it_sends_records_the_message_sent_once(
    broker_url, smtp_sink, new_worker
):
    # given a slow SMTP server, and a worker (its connections named) sending through it
    smtp_sink.delay = 1.0
    with publishing_to(broker_url) as queue:
        worker = new_worker(
            broker_url=broker_url, queue=queue, EMAIL_URL=smtp_sink.url,
            DATABASE_URL=test_database_url() + "?application_name=fault-worker",
        )  # fmt: skip
        queue_messages(1)

        # when its connection (holding the message's lock) is cut while the server takes the message in
        assert smtp_sink.receiving.wait(timeout=30), worker.log.read_text()
        terminate(worker_backends())

        # then the message is recorded as sent all the same, on a new connection
        assert wait_until(all_emails_sent, timeout=30), worker.log.read_text()
        assert "was sent as the database connection was lost" in worker.log.read_text()
        assert services.emails_requeue_unsent(now=timezone.now() + services.REQUEUE_AFTER) == 0

        # and the worker goes on sending
        smtp_sink.delay = 0
        queue_messages(3, event="after-the-cut")
        assert wait_until(all_emails_sent, timeout=30)
    assert len(smtp_sink.copies()) == 4
    assert delivery_problems(smtp_sink) == []
