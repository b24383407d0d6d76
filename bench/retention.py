"""Benchmark: the nightly retention job (issue 21) on a year of orders.

    .venv/bin/python bench/retention.py [--orders 100000] [--recent 100000]

Creates its own database (drive_solidaire_bench_retention_<pid>) on the PostgreSQL of
DATABASE_URL (or 127.0.0.1:5432, user postgres), migrates it, and drops it at the end,
also on an error, Ctrl-C or SIGTERM. It writes `--orders` orders closed past their
period and `--recent` closed recently (each with its checkout, a line, two events and
three emails sent), then times on the real PostgreSQL:

1. the first night after a deploy: the whole backlog anonymised (rows per second);
2. an ordinary night with nothing left to do (what every later night costs, whatever
   the size of the tables: the partial index keeps it small);
3. two runs at once on a fresh backlog (the job is safe twice: they share the work).

Results go to stdout; copy them to docs/performance.md with the machine and its load.
"""

import argparse
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.own_database import django_on_own_database, own_database  # noqa: E402

BATCH = 5_000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=100_000, help="closed orders past their period")
    parser.add_argument("--recent", type=int, default=100_000, help="closed orders still within it")
    options = parser.parse_args()
    with own_database("drive_solidaire_bench_retention") as database:
        return _measure(options, database=database)


def _measure(options, *, database: str) -> int:
    django_on_own_database(database)
    from django.conf import settings
    from django.utils import timezone

    from privacy.retention import retention_apply

    now = timezone.now()
    period = timedelta(days=settings.RETENTION_CLOSED_ORDERS_DAYS)
    started = time.perf_counter()
    _orders(options.orders, closed_at=now - period - timedelta(days=2), first=0)
    _orders(options.recent, closed_at=now - timedelta(days=10), first=options.orders)
    print(
        f"written {options.orders:,} + {options.recent:,} closed orders: {time.perf_counter() - started:.0f} s"
    )

    began = time.perf_counter()
    done = retention_apply(now=now)
    backlog = time.perf_counter() - began
    print(
        f"\n1. First night, backlog: {done['orders']:,} orders, {done['checkouts']:,} checkouts, "
        f"{done['emails']:,} emails in {backlog:.1f} s ({done['orders'] / backlog:,.0f} orders/s with the rest)"
    )
    nights = []
    for _ in range(5):
        began = time.perf_counter()
        retention_apply(now=now)
        nights.append(time.perf_counter() - began)
    print(f"2. A night with nothing left: {min(nights) * 1000:.0f}–{max(nights) * 1000:.0f} ms (5 runs)")

    _orders(options.orders, closed_at=now - period - timedelta(days=2), first=options.orders + options.recent)
    results = []
    began = time.perf_counter()
    runs = [threading.Thread(target=lambda: results.append(_run_in_thread(now))) for _ in range(2)]
    for run in runs:
        run.start()
    for run in runs:
        run.join()
    both = time.perf_counter() - began
    shared = [result["orders"] for result in results]
    print(
        f"3. Two runs at once on {options.orders:,} orders: {both:.1f} s, orders anonymised by each: {shared}"
    )
    return 0


def _run_in_thread(now):
    from django.db import connection

    from privacy.retention import retention_apply

    try:
        return retention_apply(now=now)
    finally:
        connection.close()


def _orders(count: int, *, closed_at, first: int) -> None:
    """`count` closed orders of invented customers, written in bulk, each with a checkout,
    a line, two events and three emails sent."""
    from decimal import Decimal

    from marketplace.models import OutgoingEmail
    from orders.models import Checkout, Order, OrderEvent, OrderLine
    from tests.factories import ListingFactory

    listing = ListingFactory()
    for start in range(first, first + count, BATCH):
        numbers = range(start, min(start + BATCH, first + count))
        checkouts = Checkout.objects.bulk_create(
            Checkout(key=f"k{n}", fingerprint="f", email=f"c{n}@example.fr", language="fr", client_hash="h")
            for n in numbers
        )
        Checkout.objects.filter(pk__in=[checkout.pk for checkout in checkouts]).update(created_at=closed_at)
        orders = Order.objects.bulk_create(
            Order(checkout=checkout, shop_id=listing.shop_id, reference=f"R{n:010d}", status="collected",
                  customer_name=f"Client {n}", customer_email=f"c{n}@example.fr", customer_phone="+33612345678",
                  language="fr", closed_at=closed_at)
            for n, checkout in zip(numbers, checkouts, strict=True)
        )  # fmt: skip
        OrderLine.objects.bulk_create(
            OrderLine(order=order, listing=listing, ean=listing.book.ean, title="Livre", condition="new",
                      unit_price=Decimal("12.50"), quantity=1)
            for order in orders
        )  # fmt: skip
        OrderEvent.objects.bulk_create(
            OrderEvent(order=order, from_status=before, to_status=after, actor_kind="shop", note="Merci !")
            for order in orders
            for before, after in (("placed", "accepted"), ("ready", "collected"))
        )
        emails = OutgoingEmail.objects.bulk_create(
            OutgoingEmail(event_key=f"bench:{order.pk}:{kind}", to=order.customer_email, language="fr",
                          template="emails/orders/customer_placed", subject="Votre commande",
                          body_text=f"Bonjour {order.customer_name}", status="sent", sent_at=closed_at)
            for order in orders
            for kind in ("placed", "ready", "collected")
        )  # fmt: skip
        OutgoingEmail.objects.filter(pk__in=[email.pk for email in emails]).update(created_at=closed_at)


if __name__ == "__main__":
    sys.exit(main())
