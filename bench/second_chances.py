"""Benchmark: when the shelf says no (issue 20), at the benchmark scale.

    .venv/bin/python bench/second_chances.py [--refusals 200] [--alerts 20000] [--lines 5000] [--seed 7]

Creates its own database (drive_solidaire_bench_chances_<pid>) on the PostgreSQL of
DATABASE_URL (or 127.0.0.1:5432, user postgres), migrates it, fills it with
`generate_data --scale bench` (1,500 drives, 3,000 shops, 1,000,000 books, 5,000,000
listings, 200,000 other products: about 7 minutes), and drops it at the end, also on an
error, Ctrl-C or SIGTERM. Then, on the real PostgreSQL:

1. **Another shop nearby**: `--refusals` reservations of one copy each, of listings
   drawn at random, each placed around a drive of its shop and refused by the shop.
   Timed: finding the other shops that have the book (`elsewhere_for_lines`, what the
   refusal's email and the order page run), and the whole refusal (`order_refuse`: the
   order's lock, the stock, the events, the email with its alternatives).
2. **Stock alerts**: a stock file of `--lines` books of the catalogue that its shop does
   not list is applied twice, for two shops of the same drive, once with no alert
   waiting and once after `--alerts` confirmed alerts were left on random books around
   random drives (a tenth of them on the second file's books, near that shop's drive).
   Reported: the apply's time both ways (the trigger's cost), the products it queued,
   and the job that sends them (`alerts_send`): alerts matched and its time.

Results go to stdout; copy them to docs/performance.md with the machine and its load.
"""

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.own_database import django_on_own_database, own_database  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--refusals", type=int, default=200)
    parser.add_argument("--alerts", type=int, default=20_000)
    parser.add_argument("--lines", type=int, default=5_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--scale", default="bench", help="generate_data's scale (demo for a quick try)")
    options = parser.parse_args()
    with own_database("drive_solidaire_bench_chances") as database:
        return _measure(options, database=database)


def _measure(options, *, database: str) -> int:
    django_on_own_database(database)
    from django.core.management import call_command
    from django.db import connection

    # In production a worker renders and sends each email after the commit; here (no
    # broker) it would happen inside the timed steps: the rows are written to the outbox
    # (the real cost of a request or a job), the sending is left out.
    from marketplace.tasks import send_email

    send_email.delay = lambda *args, **kwargs: None
    started = time.perf_counter()
    # The generated drives and shops sit in real communes: La Poste's file (the repo's data
    # directory's sibling, or SHARED_DATA_DIR), as bench/search.py's commands load it.
    shared = Path(os.environ.get("SHARED_DATA_DIR", ROOT.parent / "shared" / "data"))
    call_command("import_postcodes", str(shared / "laposte_hexasmal" / "laposte_hexasmal.csv"), verbosity=0)
    extra = {"drives": 30} if options.scale == "demo" else {}  # the demo's own drives are not seeded here
    call_command("generate_data", scale=options.scale, allow_without_debug=True, verbosity=0, **extra)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    print(f"generate_data --scale {options.scale}: {time.perf_counter() - started:.0f} s", flush=True)
    rng = random.Random(options.seed)
    _refusals(options, rng)
    _alerts(options, rng)
    return 0


def _ms(seconds: list[float]) -> str:
    ordered = sorted(seconds)
    p95 = ordered[max(0, round(0.95 * len(ordered)) - 1)]
    return f"p50 {statistics.median(ordered) * 1000:.1f} ms, p95 {p95 * 1000:.1f} ms, max {ordered[-1] * 1000:.1f} ms"


def _refusals(options, rng: random.Random) -> None:
    from catalog.models import Listing
    from orders.elsewhere import elsewhere_for_lines
    from orders.services import CartLine, checkout_place, order_refuse
    from tests.factories import customer_details

    # Random ids rather than ORDER BY random() over 5,000,000 listings.
    last = Listing.objects.order_by("-pk").values_list("pk", flat=True).first()
    drawn = rng.sample(range(1, last + 1), min(last, options.refusals * 5))
    ids = list(
        Listing.objects.filter(pk__in=drawn, status="published", quantity__gt=0, shop__drives__isnull=False,
                               book__kind="book")
        .values_list("pk", flat=True)
        .distinct()[: options.refusals]
    )  # fmt: skip
    finding, refusing, offers = [], [], []
    for number, listing_id in enumerate(ids):
        listing = Listing.objects.select_related("shop").get(pk=listing_id)
        drive = listing.shop.drives.order_by("pk").first()
        customer = customer_details(email=f"bench{number}@example.fr", phone=f"+336{number:08d}")
        order = checkout_place(
            key=f"bench-{number}",
            lines=[CartLine(listing_id, 1)],
            customer=customer,
            client="",
            drive_id=drive.pk,
        ).orders.get()
        lines = list(order.lines.all())
        began = time.perf_counter()
        found = elsewhere_for_lines(order, lines)
        finding.append(time.perf_counter() - began)
        offers.append(sum(len(item.offers) for item in found))
        began = time.perf_counter()
        order_refuse(order=order, by=None, reason="Abîmé.")
        refusing.append(time.perf_counter() - began)
    with_offers = sum(1 for count in offers if count)
    print(
        f"\n1. Another shop nearby, {len(ids)} refusals: {with_offers} found the book elsewhere "
        f"({statistics.mean(offers):.1f} offers shown on average, at most 3)\n"
        f"   finding the alternatives: {_ms(finding)}\n"
        f"   the whole refusal (with its email): {_ms(refusing)}",
        flush=True,
    )


def _alerts(options, rng: random.Random) -> None:
    from datetime import timedelta

    from django.db import connection
    from django.db.models import Count
    from django.utils import timezone

    from catalog.alerts import alerts_send
    from catalog.imports.apply import stock_import_apply
    from catalog.imports.csv_reader import read_csv
    from catalog.models import Book, Listing, StockAlert, StockAlertCheck
    from shops.models import Drive, Shop

    # Two shops that list books; the alerts "nearby" are around the second one's drive.
    first, second = list(
        Shop.objects.filter(status="approved", drives__isnull=False, listings__book__kind_id="book")
        .distinct()
        .order_by("pk")[:2]
    )
    drive = second.drives.order_by("pk").first()
    held = set(Book.objects.filter(listings__shop__in=[first, second]).values_list("pk", flat=True))
    books = list(
        Book.objects.filter(kind_id="book", list_price__isnull=False, owner_shop__isnull=True)
        .exclude(pk__in=held)
        .values_list("pk", "ean", "list_price")
        .order_by("?")[: 2 * options.lines]
    )
    first_file, second_file = books[: options.lines], books[options.lines :]

    # Alerts: a tenth on the second file's books around its drive, the rest anywhere.
    drive_ids = list(Drive.objects.values_list("pk", flat=True))
    every_book = list(Book.objects.values_list("pk", flat=True).order_by("?")[: options.alerts])
    near = options.alerts // 10
    expires = timezone.now() + timedelta(days=180)
    StockAlert.objects.bulk_create(
        [
            StockAlert(book_id=book_id, drive_id=drive.pk, email=f"near{number}@example.fr", language="fr",
                       status=StockAlert.Status.ACTIVE, expires_at=expires)
            for number, (book_id, _ean, _price) in enumerate(rng.sample(second_file, min(near, len(second_file))))
        ]
        + [
            StockAlert(book_id=book_id, drive_id=rng.choice(drive_ids), email=f"far{number}@example.fr",
                       language="fr", status=StockAlert.Status.ACTIVE, expires_at=expires)
            for number, book_id in enumerate(every_book[: options.alerts - near])
        ],
        batch_size=5_000,
        ignore_conflicts=True,
    )  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE catalog_stockalert")
    waiting = StockAlert.objects.filter(status=StockAlert.Status.ACTIVE).count()

    def apply(shop, lines) -> float:
        with tempfile.NamedTemporaryFile("w", suffix=".csv", encoding="utf-8", delete=False) as handle:
            handle.write("Code EAN;Quantité;Prix TTC\n")
            for _book_id, ean, price in lines:  # new books at the publisher's price (loi Lang)
                handle.write(f"{ean};2;{str(price).replace('.', ',')}\n")
        began = time.perf_counter()
        with open(handle.name, "rb") as stream:
            plan = stock_import_apply(shop=shop, rows=read_csv(stream), full_sync=False, source="stock_file")
        elapsed = time.perf_counter() - began
        os.unlink(handle.name)
        return elapsed, plan.counts

    # The first file's books have no alert: the trigger only probes (EXISTS, an index).
    StockAlert.objects.filter(book_id__in=[book_id for book_id, _ean, _price in first_file]).delete()
    without, applied_without = apply(first, first_file)
    queued_without = StockAlertCheck.objects.count()
    second_ids = [book_id for book_id, _ean, _price in second_file]
    waiting_on_second = StockAlert.objects.filter(
        book_id__in=second_ids, status=StockAlert.Status.ACTIVE
    ).count()
    with_alerts, applied_with = apply(second, second_file)
    print(
        f"   (alerts waiting on the second file's books: {waiting_on_second}; its listings on sale after it: "
        f"{Listing.objects.filter(shop=second, book_id__in=second_ids, status='published').count()}; "
        f"shop {second.pk} {second.status}, its listings by status: "
        f"{dict(Listing.objects.filter(shop=second).values_list('status').annotate(n=Count('pk')))})"
    )
    queued = StockAlertCheck.objects.count() - queued_without
    began = time.perf_counter()
    result = alerts_send()
    sending = time.perf_counter() - began
    print(
        f"\n2. Stock alerts: {waiting} waiting; two files of {options.lines} catalogue books for two shops, "
        f"the second at {drive.name}\n"
        f"   apply, no alert on its books: {without:.2f} s ({queued_without} products queued; {applied_without})\n"
        f"   apply, {near} alerts on its books nearby: {with_alerts:.2f} s ({queued} products queued; "
        f"{applied_with})\n"
        f"   alerts_send: {result.checks} products checked, {result.sent} alerts matched and emailed, "
        f"{sending:.2f} s ({sending / max(result.checks, 1) * 1000:.1f} ms a product)",
        flush=True,
    )


if __name__ == "__main__":
    sys.exit(main())
