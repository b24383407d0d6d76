"""The broker (Redis) hung or restarting: checkouts commit and answer without waiting
for it, and every message goes out once when it is back (the outbox's sweep)."""

import logging
import time
import uuid

import pytest
import redis
from django.test import Client
from django.utils import timezone

from marketplace import services
from marketplace.models import OutgoingEmail
from tests.factories import BookFactory, DriveFactory, ListingFactory, ShopFactory
from tests.faults.customers import (
    API_RESERVATIONS,
    Crowd,
    Offer,
    all_emails_sent,
    delivery_problems,
    restarts_during,
    stock_mismatches,
)
from tests.faults.processes import publishing_to
from tests.test_celery_worker import wait_until

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

RESERVATIONS = 150
RESTARTS = 3


@pytest.fixture
def bookshop():
    DriveFactory(slug="lorient", latitude=47.754, longitude=-3.39)
    shops = [ShopFactory(latitude=47.75, longitude=-3.37), ShopFactory(latitude=47.76, longitude=-3.36)]
    listings = [
        ListingFactory(shop=shop, book=BookFactory(), quantity=10_000) for shop in shops for _ in range(2)
    ]
    return [Offer.of(listing, drive_slug="lorient") for listing in listings]


def pending() -> int:
    return OutgoingEmail.objects.filter(status=OutgoingEmail.Status.PENDING).count()


def drained(broker, queue: str) -> bool:
    """The worker took every task the broker holds, and no message was sent for a second."""
    before = pending()
    time.sleep(1)
    return redis.Redis.from_url(broker.url).llen(queue) == 0 and pending() == before


def sweep_a_minute_later() -> int:
    """What beat's sweep does once the messages lost are a minute overdue."""
    return services.emails_requeue_unsent(now=timezone.now() + services.REQUEUE_AFTER)


def test_a_reservation_answers_within_seconds_while_the_broker_hangs_and_is_mailed_once_after(
    new_redis, bookshop, smtp_sink, new_worker, caplog
):
    broker = new_redis()
    with caplog.at_level(logging.WARNING), publishing_to(broker.url) as queue:
        new_worker(broker_url=broker.url, queue=queue, EMAIL_URL=smtp_sink.url)
        client = Client(raise_request_exception=False)

        def reserve(offer):
            started = time.monotonic()
            response = client.post(
                API_RESERVATIONS,
                {"customer": {"name": "Annick Le Goff", "email": "annick@example.fr", "phone": "06 12 34 56 78"},
                 "accept_terms": True, "lines": [{"listing": offer.listing_id, "quantity": 1}]},
                content_type="application/json", HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4()),
            )  # fmt: skip
            return response.status_code, time.monotonic() - started

        assert reserve(bookshop[0])[0] == 201  # the broker's connections are open
        assert wait_until(all_emails_sent, timeout=30)

        # when the broker hangs (connections open, nothing answers) during two reservations
        broker.freeze()
        first, second = reserve(bookshop[1]), reserve(bookshop[2])
        broker.thaw()

        # then both are placed: the first waits for the broker's timeouts once, the second not at all
        assert (first[0], second[0]) == (201, 201)
        assert first[1] < 3, first
        assert second[1] < 0.5, second
        print(f"\nWith the broker hung, reservations answered in {first[1]:.2f} s, then {second[1]:.2f} s")
        assert pending() == 4
        assert caplog.text.count("Emails: the broker cannot be reached") == 1

        # and their messages go out once the sweep finds them overdue
        assert sweep_a_minute_later() == 4
        assert wait_until(all_emails_sent, timeout=40)
    assert delivery_problems(smtp_sink) == []
    assert len(smtp_sink.copies()) == 6


def test_reservations_never_fail_and_mail_once_while_the_broker_restarts_three_times(
    new_redis, bookshop, smtp_sink, new_worker, monkeypatch, caplog
):
    # given a broker without snapshots (a restart empties its queues) and a worker on it
    broker = new_redis()
    # and requests that try it again a second after it failed, so that each restart is
    # met by publishing: to a broker down, then to one up before the worker is back on it
    monkeypatch.setattr(services, "PUBLISH_PAUSE_AFTER_FAILURE", 1.0)
    outages = []

    restart_three_times = restarts_during(RESERVATIONS, broker, times=RESTARTS, outages=outages)

    started = time.monotonic()
    with caplog.at_level(logging.WARNING), publishing_to(broker.url) as queue:
        new_worker(broker_url=broker.url, queue=queue, EMAIL_URL=smtp_sink.url)

        # when customers reserve while the broker restarts three times
        crowd = Crowd(offers=bookshop, reservations=RESERVATIONS)
        crowd.run(while_running=restart_three_times)
        placed_in = time.monotonic() - started

        # then every reservation is placed, none waits long
        assert crowd.errors() == []
        assert crowd.placed == RESERVATIONS
        assert len(outages) == RESTARTS
        slowest = max(answer.seconds for answer in crowd.answers)
        assert slowest < 3, slowest

        # and once the worker has taken what reached it, the sweep hands over the rest
        assert wait_until(lambda: drained(broker, queue), timeout=40)
        lost = pending()
        assert sweep_a_minute_later() == lost
        assert wait_until(all_emails_sent, timeout=40), pending()
        assert sweep_a_minute_later() == 0  # nothing stuck
    # each outage told once when it began, once when it ended (restarts close together
    # make one), not once per request
    outages_told = caplog.text.count("Emails: the broker cannot be reached")
    assert 1 <= outages_told <= RESTARTS
    # An outage's end is told by the first publish that works after it: the sweep's, if no
    # request came between a restart and the next one (two outages then told as one).
    assert 1 <= caplog.text.count("Emails: the broker takes messages again") <= outages_told
    assert len(smtp_sink.copies()) == crowd.emails_expected
    assert delivery_problems(smtp_sink) == []
    assert stock_mismatches() == {}
    print(
        f"\n{len(crowd.answers)} requests ({crowd.placed} reservations) in {placed_in:.1f} s, "
        f"{len(crowd.errors())} 5xx, slowest {slowest:.2f} s; {crowd.emails_expected} emails, {lost} of them "
        f"lost with the broker and handed over again by the sweep; {len(smtp_sink.copies())} accepted, each once; "
        f"all sent after {time.monotonic() - started:.1f} s"
    )
