"""The API's rate limits count the real client, atomically: a forged X-Forwarded-For does
not make a new client, and requests sent together never pass the limit."""

import functools
import uuid

import pytest
from django.test import Client

from orders.api.views import ReservationThrottle
from tests.race import at_once

RESERVATIONS = "/api/v1/reservations/"


def reserve_nothing(client: Client, **headers) -> int:
    """A reservation the throttle sees (an empty body: 400 once past it)."""
    return client.post(
        RESERVATIONS, {}, content_type="application/json", HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4()), **headers
    ).status_code


@pytest.mark.django_db
def test_a_forged_forwarded_address_is_still_the_same_client(monkeypatch, settings):
    monkeypatch.setattr(ReservationThrottle, "rate", "3/min")
    settings.TRUSTED_PROXIES = ""  # gunicorn reached directly
    client = Client(REMOTE_ADDR="203.0.113.50")

    statuses = [reserve_nothing(client, HTTP_X_FORWARDED_FOR=f"192.0.2.{number}") for number in range(5)]

    assert statuses == [400, 400, 400, 429, 429]


@pytest.mark.django_db
def test_behind_the_trusted_proxy_each_client_counts_apart(monkeypatch, settings):
    monkeypatch.setattr(ReservationThrottle, "rate", "1/min")
    settings.TRUSTED_PROXIES = "172.28.0.2/32"
    proxy = Client(REMOTE_ADDR="172.28.0.2")

    first = [reserve_nothing(proxy, HTTP_X_FORWARDED_FOR="198.51.100.1") for _ in range(2)]
    second = reserve_nothing(proxy, HTTP_X_FORWARDED_FOR="198.51.100.2")

    assert (first, second) == ([400, 429], 400)


@pytest.mark.django_db(transaction=True)
def test_requests_sent_together_never_pass_the_limit(monkeypatch):
    monkeypatch.setattr(ReservationThrottle, "rate", "20/min")

    statuses = at_once(*[functools.partial(reserve_nothing, Client(REMOTE_ADDR="203.0.113.51"))] * 40)

    assert statuses.count(429) == 20, statuses
    assert statuses.count(400) == 20
