"""Benchmark: concurrent checkouts — reservations per second, latency, oversold copies.

Targets (issue 22, on the 2-core machine, 2 workers, the messages left to a worker as in
production): ≥ 150 reservations/s across many titles, ≥ 60/s on one hot title, p95 ≤
150 ms, never an oversold copy (issue 5 asked ≥ 300/s: the way there is 4 cores).

    .venv/bin/python bench/reservations.py --workers 2 --emails queued --seconds 15 --runs 3

The script creates its own database (drive_solidaire_bench_reservations_<pid>) on the
PostgreSQL of DATABASE_URL (or 127.0.0.1:5432, user postgres), migrates it, makes shops,
books and listings, and drops it at the end, also on an error, Ctrl-C or SIGTERM: it
never touches a database it did not create. Then for each scenario it starts
`--workers` processes (each with its own database connection) that call
`orders.services.checkout_place` in a loop for `--seconds`, all at once:

- many titles: each checkout asks for 1 copy of 1–3 random listings among
  `--titles` (plenty of stock), spread over `--shops` shops (one order per shop);
- hot title: everybody wants the same listing (100,000 copies: it never runs out);
- hot title, 200 copies: the same with 200 copies, to watch exhaustion (after the
  200th, every checkout gets StockChanged).

A reservation is one successful checkout. Latency is the wall-clock time of the
checkout_place call: the transaction (locks, orders, lines, events, outbox rows,
commit), then what runs after commit. Emails: the outbox rows are written and their
templates rendered inside the transaction, as in production. Without a broker the
send task runs in-process after commit (`--emails inprocess`, the default: one more
short transaction per message), with Django's dummy email backend: no SMTP is ever
timed. `--emails queued` leaves the messages to a worker instead, as production
does with Redis (there the web process only publishes the task).

After each run, the database is checked: oversold copies = Σ max(0, reserved - quantity)
and Σ max(0, copies held by open order lines - quantity) over listings,
and the number of listings whose `reserved` differs from the copies their open order
lines hold (all must be 0).

On a shared machine the throughput depends on what the neighbours run; the CPU time
each checkout costs (the worker process, plus its PostgreSQL backend read from /proc)
depends much less on them, so each run also prints it, and the most this machine
could do if the benchmark had it to itself (CPUs / CPU per checkout).
"""

import argparse
import contextlib
import itertools
import logging
import multiprocessing
import os
import random
import statistics
import sys
import time
import uuid
from collections import Counter
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
# Production-like: no DEBUG (Django would keep every query in memory), no SMTP (the
# dummy backend: sending an email costs nothing but its outbox transaction), and no
# broker, so that tasks run in-process and never reach somebody else's Redis worker.
os.environ["DJANGO_DEBUG"] = "false"
os.environ.setdefault("DJANGO_SECRET_KEY", "benchmark-only-" + "x" * 40)
os.environ["EMAIL_URL"] = "dummymail://"
os.environ.pop("CELERY_BROKER_URL", None)

from bench.cpu import backend_cpu
from bench.own_database import own_database

# The database is created before Django reads DATABASE_URL; the workers are forked from
# this process and never drop it (they leave with os._exit).
_OWN_DATABASE = contextlib.ExitStack()
if __name__ == "__main__":
    _OWN_DATABASE.enter_context(own_database("drive_solidaire_bench_reservations"))

import django  # noqa: E402

django.setup()

# Celery logs every in-process task at INFO: a line per email on the terminal is not
# what a reservation costs.
logging.getLogger("celery").setLevel(logging.WARNING)

from django.core.management import call_command  # noqa: E402
from django.db import connection, connections  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from stdnum import ean as stdnum_ean  # noqa: E402
from stdnum import luhn  # noqa: E402

from catalog.models import Book, Listing  # noqa: E402
from marketplace.tasks import send_email  # noqa: E402
from orders import services  # noqa: E402
from orders.services import CartLine, CustomerDetails, ReservationBusy, StockChanged  # noqa: E402
from shops.models import Shop  # noqa: E402

BENCH_EAN_PREFIX = "9798"
HOT_QUANTITY = 100_000
SCARCE_QUANTITY = 200
PLENTY = 1_000_000


def siret(number: int) -> str:
    siren_base = f"{40000000 + number:08d}"
    siren = siren_base + luhn.calc_check_digit(siren_base)
    establishment = f"{siren}{number % 10000:04d}"
    return establishment + luhn.calc_check_digit(establishment)


def book_ean(number: int) -> str:
    body = f"{BENCH_EAN_PREFIX}{number:08d}"
    return body + stdnum_ean.calc_check_digit(body)


def make_catalogue(*, shops: int, titles: int) -> dict:
    """The bench's shops and listings, in its own database."""
    wanted = titles + 2
    if not Listing.objects.filter(book__ean__startswith=BENCH_EAN_PREFIX).exists():
        made = []
        for number in range(shops):
            shop = Shop(
                trade_name=f"Librairie du banc {number}", legal_name=f"SARL Banc {number}",
                siret=siret(number), address="1 rue du Test", postcode="56100", town="Lorient",
                latitude=47.75, longitude=-3.37, phone="+33297000000", email=f"banc{number}@example.org",
                contact_first_name="Banc", contact_last_name="Essai", contact_email=f"banc{number}@example.org",
                status=Shop.Status.APPROVED,
            )  # fmt: skip
            shop.save()
            made.append(shop)
        books = Book.objects.bulk_create(
            Book(ean=book_ean(number), title=f"Titre du banc numéro {number}", publisher="Éditions du Banc",
                 list_price=Decimal("12.50"), source=Book.Source.ONIX)
            for number in range(wanted)
        )  # fmt: skip
        Listing.objects.bulk_create(
            Listing(shop=made[number % shops], book=book, price=Decimal("12.50"), quantity=PLENTY,
                    status=Listing.Status.PUBLISHED)
            for number, book in enumerate(books)
        )  # fmt: skip
    listing_ids = list(
        Listing.objects.filter(book__ean__startswith=BENCH_EAN_PREFIX)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    return {"many": listing_ids[:titles], "hot": listing_ids[titles], "scarce": listing_ids[titles + 1]}


def empty_orders() -> None:
    with connection.cursor() as cursor:
        # CASCADE: the tables that refer to orders (used action links, counter attempts)
        # are emptied with them; this database is the benchmark's own (created for the run).
        cursor.execute(
            "TRUNCATE orders_orderevent, orders_orderline, orders_order, orders_checkout, "
            "marketplace_outgoingemail CASCADE"
        )


def reset(catalogue: dict) -> None:
    """Every run starts from the same state: no order, no message, stock as made."""
    empty_orders()
    Listing.objects.filter(pk__in=catalogue["many"]).update(quantity=PLENTY, reserved=0)
    Listing.objects.filter(pk=catalogue["hot"]).update(quantity=HOT_QUANTITY, reserved=0)
    Listing.objects.filter(pk=catalogue["scarce"]).update(quantity=SCARCE_QUANTITY, reserved=0)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE catalog_listing")
        cursor.execute("ANALYZE orders_checkout, orders_order, orders_orderline, orders_orderevent")


def cart(rng: random.Random, scenario: str, catalogue: dict) -> list[CartLine]:
    if scenario == "many":
        return [
            CartLine(listing_id=pk, quantity=1) for pk in rng.sample(catalogue["many"], rng.randint(1, 3))
        ]
    return [CartLine(listing_id=catalogue[scenario], quantity=1)]


def worker(
    number: int, scenario: str, catalogue: dict, start_at: float, seconds: float, seed: int, emails: str
):
    """One customer after another, as fast as the server answers, from its own connection."""
    if emails == "queued":
        send_email.delay = lambda *args, **kwargs: None
    rng = random.Random(seed * 1000 + number)
    connection.ensure_connection()
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        backend = cursor.fetchone()[0]
    latencies, outcomes = [], Counter()
    ok_latencies = []
    other_errors = []
    time.sleep(max(0.0, start_at - time.time()))
    cpu_before = time.process_time(), backend_cpu(backend)
    end = start_at + seconds
    customers = (customer_and_address(number, checkout) for checkout in itertools.count())
    while time.time() < end:
        lines = cart(rng, scenario, catalogue)
        customer, client = next(customers)
        started = time.perf_counter()
        try:
            services.checkout_place(key=uuid.uuid4().hex, lines=lines, customer=customer, client=client)
            outcome = "ok"
        except StockChanged:
            outcome = "StockChanged"
        except ReservationBusy:
            outcome = "ReservationBusy"
        except Exception as error:  # counted and shown: the bench goes on
            outcome = type(error).__name__
            other_errors.append(repr(error)[:300])
        elapsed = time.perf_counter() - started
        latencies.append(elapsed)
        if outcome == "ok":
            ok_latencies.append(elapsed)
        outcomes[outcome] += 1
    cpu = (time.process_time() - cpu_before[0], backend_cpu(backend) - cpu_before[1])
    connection.close()
    return latencies, ok_latencies, outcomes, other_errors[:3], cpu


def check_stock() -> dict:
    """Oversold copies and listings whose `reserved` disagrees with the open orders."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            WITH held AS (
                SELECT line.listing_id, SUM(line.quantity) AS copies
                FROM orders_orderline line JOIN orders_order o ON o.id = line.order_id
                WHERE o.status IN ('placed', 'accepted', 'ready') AND NOT line.is_unavailable
                GROUP BY line.listing_id
            )
            SELECT COALESCE(SUM(GREATEST(l.reserved - l.quantity, 0)), 0),
                   COALESCE(SUM(GREATEST(COALESCE(held.copies, 0) - l.quantity, 0)), 0),
                   COUNT(*) FILTER (WHERE l.reserved <> COALESCE(held.copies, 0))
            FROM catalog_listing l LEFT JOIN held ON held.listing_id = l.id
            """
        )
        reserved_over, held_over, mismatches = cursor.fetchone()
    return {"oversold": int(reserved_over) + int(held_over), "mismatches": int(mismatches)}


def percentile(timings: list[float], share: float) -> float:
    if not timings:
        return float("nan")
    timings = sorted(timings)
    return timings[min(len(timings) - 1, int(share * len(timings)))] * 1000


def run(scenario: str, catalogue: dict, args, run_number: int) -> dict:
    reset(catalogue)
    connections.close_all()  # the children must not share the parent's connection
    context = multiprocessing.get_context("fork")
    start_at = time.time() + 1.0
    load_before = os.getloadavg()[0]
    with context.Pool(args.workers) as pool:
        results = pool.starmap(
            worker,
            [(n, scenario, catalogue, start_at, args.seconds, args.seed + run_number, args.emails)
             for n in range(args.workers)],
        )  # fmt: skip
    load_after = os.getloadavg()[0]
    latencies = [t for result in results for t in result[0]]
    ok_latencies = [t for result in results for t in result[1]]
    outcomes = sum((result[2] for result in results), Counter())
    errors = [e for result in results for e in result[3]]
    python_cpu = sum(result[4][0] for result in results)
    postgres_cpu = sum(result[4][1] for result in results)
    stock = check_stock()
    held_on_scarce = Listing.objects.get(pk=catalogue["scarce"]).reserved
    return {
        "scenario": scenario,
        "ok_per_s": outcomes["ok"] / args.seconds,
        "attempts_per_s": len(latencies) / args.seconds,
        "p50": percentile(latencies, 0.50),
        "p95": percentile(latencies, 0.95),
        "p99": percentile(latencies, 0.99),
        "ok_p95": percentile(ok_latencies, 0.95),
        "mean": statistics.mean(latencies) * 1000 if latencies else float("nan"),
        "outcomes": outcomes,
        "errors": errors,
        "load": (load_before, load_after),
        "scarce_reserved": held_on_scarce,
        # CPU per attempt: what a checkout costs, whatever else the machine is doing.
        "cpu_ms": (1000 * python_cpu / len(latencies), 1000 * postgres_cpu / len(latencies))
        if latencies
        else (0, 0),
        **stock,
    }


def customer_and_address(worker: int, checkout: int) -> tuple[CustomerDetails, str]:
    """Each checkout by another person from another address: every reservation limit is
    counted (orders/limits.py), as in production, and none is met. (One customer for the
    whole run, as this script had until 7 December, queued every checkout behind the
    previous one on that customer's lock, and counted all their orders so far in each.)"""
    customer = CustomerDetails(name="Client du banc", email=f"client{worker}-{checkout}@example.org",
                               phone=f"+336{worker:02d}{checkout:06d}", language="fr")  # fmt: skip
    return customer, f"10.{worker}.{checkout // 250 % 250}.{checkout % 250}"


def one_customer_alone(catalogue: dict, args) -> None:
    """What one checkout costs with nobody else around: queries (the first thing to look
    at when it is slow), time, and how long it holds the listings' row locks, which
    bounds a single title at 1 / (lock time) checkouts per second, whatever the CPUs."""
    reset(catalogue)
    customers = (customer_and_address(99, checkout) for checkout in itertools.count())
    for size in (1, 3):
        lines = [CartLine(listing_id=pk, quantity=1) for pk in catalogue["many"][1000 : 1000 + size]]
        customer, client = next(customers)
        with CaptureQueriesContext(connection) as captured:
            services.checkout_place(key=uuid.uuid4().hex, lines=lines, customer=customer, client=client)
        print(f"queries for a checkout of {size} line(s) in {size} shop(s): {len(captured)} "
              f"(incl. the in-process sending of {size + 1} emails)")  # fmt: skip

    # The lock is taken by the statement that locks catalog_listing rows (FOR ... UPDATE)
    # and released by the commit (a private hook of Django's connection: bench only).
    locked_at, held = [], []

    def note_lock(execute, sql, params, many, context):
        result = execute(sql, params, many, context)
        if "catalog_listing" in sql and " FOR " in sql and "UPDATE" in sql and not locked_at:
            locked_at.append(time.perf_counter())
        return result

    commit = connection._commit

    def timed_commit():
        result = commit()
        if locked_at:
            held.append(time.perf_counter() - locked_at.pop())
        return result

    if args.emails == "queued":
        send_email.delay = lambda *args, **kwargs: None
    rng = random.Random(args.seed)
    connection._commit = timed_commit
    try:
        for scenario in ("many", "hot"):
            held.clear()
            timings = []
            with connection.execute_wrapper(note_lock):
                for _ in range(100):
                    customer, client = next(customers)
                    started = time.perf_counter()
                    services.checkout_place(
                        key=uuid.uuid4().hex,
                        lines=cart(rng, scenario, catalogue),
                        customer=customer,
                        client=client,
                    )
                    timings.append(time.perf_counter() - started)
            print(f"alone, {LABELS[scenario]:<27} checkout p50 {percentile(timings, 0.5):5.1f} ms; listings locked "
                  f"p50 {percentile(held, 0.5):5.1f} ms, p95 {percentile(held, 0.95):5.1f} ms "
                  f"(one title: at most {1000 / percentile(held, 0.5):.0f} checkouts/s)")  # fmt: skip
    finally:
        connection._commit = commit
        if args.emails == "queued":
            del send_email.delay  # back to the task's own method


LABELS = {"many": "many titles", "hot": "hot title (100,000 copies)", "scarce": "hot title, 200 copies"}
TARGETS = {"many": 150, "hot": 60}  # reservations/s, 2 workers on 2 cores (issue 22)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--workers", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--shops", type=int, default=50)
    parser.add_argument("--titles", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--emails", choices=["inprocess", "queued"], default="inprocess")
    parser.add_argument("--scenarios", default="many,hot,scarce")
    args = parser.parse_args()

    name = connection.settings_dict["NAME"]
    if not name.startswith("drive_solidaire_bench_reservations_"):
        raise SystemExit(f"Django would use {name!r}, not this run's own database: refusing.")
    call_command("migrate", verbosity=0)
    catalogue = make_catalogue(shops=args.shops, titles=args.titles)
    print(f"database {name}, PostgreSQL {connection.pg_version // 10000}; {args.shops} shops, "
          f"{args.titles} titles; {args.workers} workers × {args.seconds:g} s; emails {args.emails} "
          f"(dummy backend); {os.cpu_count()} CPUs; load average {os.getloadavg()[0]:.2f}")  # fmt: skip
    one_customer_alone(catalogue, args)

    header = (f"{'scenario':<28} {'run':>3} {'res/s':>7} {'tries/s':>7} {'p50':>6} {'p95':>6} {'p99':>6} "
              f"{'okp95':>6}  {'oversold':>8} {'mismatch':>8}  {'cpu/try py+pg':>13} "
              f"{f'{os.cpu_count()}cpu max/s':>10}  load  outcomes")  # fmt: skip
    print(header)
    verdict_ok = True
    for scenario in args.scenarios.split(","):
        for run_number in range(1, args.runs + 1):
            result = run(scenario, catalogue, args, run_number)
            outcomes = ", ".join(f"{kind} {count}" for kind, count in sorted(result["outcomes"].items()))
            # What the machine could do if the benchmark had it to itself: CPUs / CPU per try.
            ceiling = (os.cpu_count() or 1) * 1000 / max(sum(result["cpu_ms"]), 0.001)
            print(
                f"{LABELS[scenario]:<28} {run_number:>3} {result['ok_per_s']:7.1f} {result['attempts_per_s']:7.1f} "
                f"{result['p50']:6.1f} {result['p95']:6.1f} {result['p99']:6.1f} {result['ok_p95']:6.1f}  "
                f"{result['oversold']:>8} {result['mismatches']:>8}  "
                f"{result['cpu_ms'][0]:6.1f}+{result['cpu_ms'][1]:<5.1f} ms {ceiling:10.0f}  "
                f"{result['load'][0]:.1f}→{result['load'][1]:.1f}  {outcomes}",
                flush=True,
            )
            for error in result["errors"]:
                print(f"    unexpected: {error}")
            if scenario == "scarce":
                print(f"    copies held on the 200-copy listing: {result['scarce_reserved']}")
                verdict_ok &= result["outcomes"]["ok"] <= SCARCE_QUANTITY
            if scenario in TARGETS:
                verdict_ok &= result["ok_per_s"] >= TARGETS[scenario] and result["p95"] <= 150
            verdict_ok &= result["oversold"] == 0 and result["mismatches"] == 0 and not result["errors"]
    print("verdict:", "every target met" if verdict_ok else "a target is MISSED (see above)")
    return 0 if verdict_ok else 1


if __name__ == "__main__":
    with _OWN_DATABASE:
        status = main()
    raise SystemExit(status)
