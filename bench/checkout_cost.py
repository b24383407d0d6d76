"""Benchmark: what one checkout costs, alone — time and SQL statements per call.

    .venv/bin/python bench/checkout_cost.py [--checkouts 400] [--lines 3] [--emails queued] [--profile FILE]

Creates its own database (bench_checkout_<pid>) on the PostgreSQL of DATABASE_URL (or
127.0.0.1:5432, user postgres), migrates it, makes one shop with 40 listings, then calls
`orders.services.checkout_place` `--checkouts` times in a row, each by another customer
from another client address (so that every reservation limit is counted, as in
production, and none is met), and drops the database. The first 50 calls warm up and are
left out. Prints the median and p95 time of a call, the CPU time of this process per call,
and the statements it sends. `--emails inprocess` (the default) sends the messages in the
call, after commit, as the demo does without a broker; `--emails queued` leaves them to a
worker, as production does: what the request itself costs. `--profile FILE` writes a
cProfile of the timed calls (read it with `python -m pstats FILE`).

Run it on two versions of the code against the same PostgreSQL, alternately, to compare
them (docs/performance.md).
"""

import argparse
import cProfile
import statistics
import sys
import time
import uuid
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.cpu import backend_cpu  # noqa: E402
from bench.own_database import django_on_own_database, own_database  # noqa: E402

WARM_UP = 50


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checkouts", type=int, default=400)
    parser.add_argument("--lines", type=int, default=3)
    parser.add_argument("--emails", choices=["inprocess", "queued"], default="inprocess")
    parser.add_argument("--profile", metavar="FILE", help="write a cProfile of the timed calls to FILE")
    options = parser.parse_args()

    with own_database("bench_checkout") as database:
        django_on_own_database(database)
        print(_measure(checkouts=options.checkouts, lines=options.lines, emails=options.emails,
                       profile=options.profile))  # fmt: skip
    return 0


def _measure(*, checkouts: int, lines: int, emails: str = "inprocess", profile: str | None = None) -> str:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from orders import services

    if emails == "queued":
        # Production hands each message to the broker after commit; a worker sends it.
        from marketplace.tasks import send_email

        send_email.delay = lambda *args, **kwargs: None
    listings = _shelf()
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (backend,) = cursor.fetchone()
    timings, cpu, statements = [], [], []
    backend_cpu_at_warm_up_end = 0.0
    profiler = cProfile.Profile() if profile else None
    for number in range(checkouts):
        cart = [
            services.CartLine(listing_id=listings[(number + line) % len(listings)].pk, quantity=1)
            for line in range(lines)
        ]
        customer = services.CustomerDetails(
            name="Client", email=f"client{number}@example.org", phone=f"+3361{number:07d}", language="fr"
        )
        if number == WARM_UP:
            backend_cpu_at_warm_up_end = backend_cpu(backend)
        timed = profiler is not None and number >= WARM_UP
        with CaptureQueriesContext(connection) as captured:
            started, started_cpu = time.perf_counter(), time.process_time()
            if timed:
                profiler.enable()
            services.checkout_place(
                key=uuid.uuid4().hex,
                lines=cart,
                customer=customer,
                client=f"198.51.{number % 250}.{number % 7}",
            )
            if timed:
                profiler.disable()
            timings.append((time.perf_counter() - started) * 1000)
            cpu.append((time.process_time() - started_cpu) * 1000)
        statements.append(len(captured))
    database_cpu = (backend_cpu(backend) - backend_cpu_at_warm_up_end) * 1000 / (checkouts - WARM_UP)
    if profiler is not None:
        profiler.dump_stats(profile)
    timings = sorted(timings[WARM_UP:])
    return (
        f"checkout of {lines} line(s), emails {emails}, {len(timings)} calls: median "
        f"{statistics.median(timings):.1f} ms, p95 {timings[int(len(timings) * 0.95)]:.1f} ms, "
        f"Python CPU median {statistics.median(cpu[WARM_UP:]):.1f} ms (mean {statistics.mean(cpu[WARM_UP:]):.1f}), "
        f"PostgreSQL CPU mean {database_cpu:.1f} ms, "
        f"{statistics.median(statements):.0f} SQL statements"
    )


def _shelf():
    from stdnum import ean

    from catalog.models import Book, Listing
    from shops.models import Shop

    shop = Shop.objects.create(
        trade_name="Librairie du Banc d'essai", legal_name="SARL Banc", siret="73282932000074", address="1 quai",
        postcode="56100", town="Lorient", latitude=47.75, longitude=-3.37, phone="+33297640000",
        email="banc@example.org", contact_first_name="A", contact_last_name="B", contact_email="a@example.org",
        status=Shop.Status.APPROVED,
    )  # fmt: skip
    listings = []
    for number in range(40):
        body = f"979108{number:06d}"
        book = Book.objects.create(
            ean=body + ean.calc_check_digit(body), title=f"Livre {number}", list_price=Decimal("10.00"),
            source=Book.Source.ONIX,
        )  # fmt: skip
        listings.append(
            Listing.objects.create(
                shop=shop,
                book=book,
                price=Decimal("10.00"),
                quantity=1_000_000,
                status=Listing.Status.PUBLISHED,
            )
        )
    return listings


if __name__ == "__main__":
    sys.exit(main())
