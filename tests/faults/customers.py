"""Customers reserving through the whole HTTP stack (Django's test client: every
middleware, sessions, the page cache, the throttles, the views), several at once; the
messages of a batch; and what must hold once they are done."""

import itertools
import re
import threading
import time
import uuid
from dataclasses import dataclass

from django.db import connection, transaction
from django.db.models import Sum
from django.test import Client
from django.urls import reverse
from django.utils import translation

from catalog.models import Listing
from marketplace.cache import RETRY_EVERY
from marketplace.models import OutgoingEmail
from marketplace.services import _message_id, email_queue_on_commit
from orders.models import Order, OrderLine

API_RESERVATIONS = "/api/v1/reservations/"
FORM_TOKEN = re.compile(r'name="token" value="([^"]+)"')


@dataclass(frozen=True)
class Answer:
    at: float  # monotonic time the request was sent
    request: str
    status: int
    seconds: float
    page_cache: str


@dataclass(frozen=True)
class Offer:
    """What a customer needs to know of a listing: its page, and how to ask for it."""

    listing_id: int
    book_page: str
    add_page: str

    @classmethod
    def of(cls, listing: Listing, *, drive_slug: str) -> "Offer":
        with translation.override("en"):
            book_page = reverse("book", args=[listing.book.ean]) + f"?drive={drive_slug}"
            return cls(listing.pk, book_page, reverse("cart_add", args=[listing.pk]))


class Crowd:
    """`size` customers, each in a thread of its own, placing `reservations` in all:
    one in three through the pages (book page, reserve, checkout), the others through
    the API (one shop, or two). Every answer is kept, with its time."""

    def __init__(self, *, offers: list[Offer], reservations: int, size: int = 3):
        self.offers = offers
        self.reservations = reservations
        self.size = size
        self.answers: list[Answer] = []
        self.placed = 0
        self.emails_expected = 0
        self.lock = threading.Lock()
        self._numbers = itertools.count()

    def run(self, *, while_running=None, timeout: float = 80) -> None:
        """Let the crowd reserve; `while_running(crowd)`, if given, runs alongside."""
        threads = [threading.Thread(target=self._customer) for _ in range(self.size)]
        if while_running is not None:
            threads.append(threading.Thread(target=while_running, args=(self,)))
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + timeout
        for thread in threads:
            thread.join(timeout=max(0, deadline - time.monotonic()))
        assert not any(thread.is_alive() for thread in threads), "a customer is still waiting"

    def wait_for(self, placed: int) -> None:
        while self.placed < placed:
            time.sleep(0.01)

    def errors(self) -> list[Answer]:
        return [answer for answer in self.answers if answer.status >= 500]

    def _customer(self) -> None:
        try:
            while (number := next(self._numbers)) < self.reservations:
                # Each reservation from an address of its own: the per-address limits are
                # not what is tested here.
                address = f"10.{number // 65536}.{number // 256 % 256}.{number % 256}"
                client = Client(raise_request_exception=False, REMOTE_ADDR=address)
                offer = self.offers[number % len(self.offers)]
                if number % 3 == 0:
                    placed, emails = self._through_pages(client, number, offer), 2
                else:
                    other = self.offers[(number + len(self.offers) // 2) % len(self.offers)]
                    offers = [offer] if number % 3 == 1 else [offer, other]
                    placed, emails = self._through_api(client, number, offers), 1 + len(offers)
                if placed:
                    with self.lock:
                        self.placed += 1
                        self.emails_expected += emails
        finally:
            connection.close()

    def _through_pages(self, client: Client, number: int, offer: Offer) -> bool:
        self._call(client, "get", "book page", offer.book_page)
        self._call(client, "post", "reserve", offer.add_page, {"quantity": 1})
        with translation.override("en"):
            checkout = reverse("checkout")
        form = self._call(client, "get", "checkout form", checkout)
        token = FORM_TOKEN.search(form.content.decode())
        if token is None:
            return False
        details = {"token": token.group(1), "name": "Annick Le Goff", "email": f"customer{number}@example.fr",
                   "phone": "06 12 34 56 78", "accept_terms": "on"}  # fmt: skip
        done = self._call(client, "post", "checkout", checkout, details)
        if done.status_code != 302:
            return False
        self._call(client, "get", "confirmation", done["Location"])
        return True

    def _through_api(self, client: Client, number: int, offers: list[Offer]) -> bool:
        payload = {
            "customer": {"name": "Annick Le Goff", "email": f"customer{number}@example.fr",
                         "phone": "06 12 34 56 78", "language": "en"},
            "accept_terms": True,
            "lines": [{"listing": offer.listing_id, "quantity": 1} for offer in offers],
        }  # fmt: skip
        answer = self._call(
            client, "post", "API reservation", API_RESERVATIONS, payload,
            content_type="application/json", HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4()), HTTP_ACCEPT_LANGUAGE="en",
        )  # fmt: skip
        return answer.status_code == 201

    def _call(self, client: Client, method: str, request: str, url: str, data=None, **extra):
        started = time.monotonic()
        response = getattr(client, method)(url, data, **extra)
        answer = Answer(started, request, response.status_code, time.monotonic() - started,
                        response.get("X-Page-Cache", ""))  # fmt: skip
        with self.lock:
            self.answers.append(answer)
        return response


def stock_mismatches() -> dict[int, tuple[int, int]]:
    """Listings whose `reserved` is not what their open orders hold: {id: (reserved, held)}."""
    held = dict(
        OrderLine.objects.filter(order__status__in=Order.OPEN_STATUSES, is_unavailable=False)
        .values_list("listing")
        .annotate(Sum("quantity"))
    )
    return {
        pk: (reserved, held.get(pk, 0))
        for pk, reserved in Listing.objects.values_list("pk", "reserved")
        if reserved != held.get(pk, 0)
    }


def delivery_problems(sink) -> list[str]:
    """What differs between the outbox and the SMTP server: a message not accepted, or
    accepted twice, or accepted and not recorded as sent."""
    sent = {_message_id(email) for email in OutgoingEmail.objects.filter(status=OutgoingEmail.Status.SENT)}
    copies = sink.copies()
    problems = [f"{message_id} accepted {count} times" for message_id, count in copies.items() if count > 1]
    problems += [f"{message_id} sent but never accepted" for message_id in sent - set(copies)]
    problems += [f"{message_id} accepted but not recorded as sent" for message_id in set(copies) - sent]
    return problems


def all_emails_sent() -> bool:
    return not OutgoingEmail.objects.exclude(status=OutgoingEmail.Status.SENT).exists()


def queue_messages(count: int, *, event: str = "test") -> None:
    """Put `count` messages in the outbox, each committed on its own (and so published)."""
    for number in range(count):
        with transaction.atomic():
            email_queue_on_commit(
                event_key=f"{event}:{number}",
                to=f"reader{number}@example.org",
                template="emails/password_reset",
                context={"link": "https://example.org/reset/"},
                language="en",
            )


def restarts_during(crowd_size: int, redis, *, times: int, outages: list[tuple[float, float]]):
    """What a Crowd runs beside its customers: `redis` restarted `times` times, evenly
    through the `crowd_size` reservations, each outage's (start, end) noted in `outages`."""

    def restart(crowd: "Crowd") -> None:
        for restart_number in range(1, times + 1):
            crowd.wait_for(crowd_size * restart_number // (times + 1))
            # Apart enough for every process to have found the service back in between
            # (the cache tries again at most every RETRY_EVERY): else two restarts are one
            # outage to it.
            if outages:
                time.sleep(max(0.0, outages[-1][1] + 2 * RETRY_EVERY - time.monotonic()))
            stopped = time.monotonic()
            redis.restart(down_for=1.0)
            outages.append((stopped, time.monotonic()))

    return restart
