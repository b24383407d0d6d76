"""How long the back office's dashboard takes to compute at benchmark scale.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/drive_solidaire_bench_scale \\
        .venv/bin/python bench/dashboard.py --repeat 5

Times the figures of the network page (every shop), of the busiest drive's page, and of
one shop's report, on the data of `manage.py generate_data --scale bench` (1M books, 5M
listings, 3,000 shops); then each part of the network's figures on its own (what costs);
then checks that the listing counts the pages read (backoffice.models.ListingCount, kept
by triggers) equal a live count of the listings, whole network and shop by shop. Target
(issue 22): the network's figures and per-shop table in 200 ms each.
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django

from bench.scale_database import require_scale_database

require_scale_database()

django.setup()

from django.db import connection, transaction  # noqa: E402
from django.db.models import Count  # noqa: E402

from backoffice import dashboard  # noqa: E402
from backoffice.dashboard import Period, dashboard_for_shops, shop_figures  # noqa: E402
from catalog.models import Listing  # noqa: E402
from shops.models import Drive, Shop  # noqa: E402

TARGET_MS = 200


def timed(function, repeat: int) -> list[float]:
    durations = []
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        durations.append((time.perf_counter() - started) * 1000)
    return durations


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeat", type=int, default=5)
    options = parser.parse_args()

    period = Period.recent()
    busiest = Drive.objects.annotate(shop_count=Count("shops")).order_by("-shop_count", "pk").first()
    one_shop = Shop.objects.filter(drives=busiest).order_by("pk")[:1]
    scopes = [
        ("network: figures", lambda: dashboard_for_shops(shops=Shop.objects.all(), period=period)),
        ("network: per-shop table", lambda: shop_figures(shops=Shop.objects.all(), period=period)),
        (f"drive ({busiest.shops.count()} shops): figures",
         lambda: dashboard_for_shops(shops=busiest.shops.all(), period=period)),
        ("drive: per-shop table", lambda: shop_figures(shops=busiest.shops.all(), period=period)),
        ("one shop: figures", lambda: dashboard_for_shops(shops=one_shop, period=period)),
    ]  # fmt: skip
    print(f"{Shop.objects.count():,} shops; median and max of {options.repeat} runs (ms)")
    for name, function in scopes:
        _report(name, function, options.repeat, target=name.startswith("network"))

    network = Shop.objects.all()
    parts = [
        ("shops by status", lambda: dashboard.shops_by_status(shops=network)),
        ("listings by status", lambda: dashboard.listings_by_status(shops=network)),
        ("weeks (orders, endings)", lambda: dashboard.weekly_activity(shops=network, period=period)),
        ("sales by kind", lambda: dashboard.sales_by_kind(shops=network, period=period)),
        ("second chances", lambda: dashboard.second_chances(shops=network, period=period)),
        ("median times", lambda: dashboard.median_times(shops=network, period=period)),
        ("alerts waiting by drive", dashboard.alerts_waiting_by_drive),
    ]
    print("the network's figures, part by part:")
    for name, function in parts:
        _report(name, function, options.repeat)
    _check_counts()


def _report(name: str, function, repeat: int, *, target: bool = False) -> None:
    function()  # warm the OS cache and the plans
    durations = timed(function, repeat)
    median = statistics.median(durations)
    verdict = ("  within target" if median <= TARGET_MS else f"  over {TARGET_MS} ms") if target else ""
    print(f"  {name:<32} {median:8.1f} {max(durations):8.1f}{verdict}")


def _check_counts() -> None:
    """The counts the pages read against a live count of the 5 million listings (a few
    seconds): the network's listings by status, and each shop's published listings."""
    ListingCount = getattr(dashboard, "ListingCount", None)
    if ListingCount is None:  # code from before the counts were kept (a "before" measure)
        print("listing counts: not kept by this code (counted at each view)")
        return
    network = Shop.objects.all()
    started = time.perf_counter()
    with transaction.atomic():  # one snapshot for the count and the kept figures
        connection.cursor().execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        rows = Listing.objects.values_list("shop", "status").annotate(count=Count("pk")).order_by()
        live = {(shop, status): count for shop, status, count in rows}
        seconds = time.perf_counter() - started
        kept = {(row.shop_id, row.status): row.listings for row in ListingCount.objects.all()}
        by_status = {row.status: row.count for row in dashboard.listings_by_status(shops=network)}
        published = {
            row.shop_id: row.published_listings for row in shop_figures(shops=network, period=Period.recent())
        }
    live_by_status = dict.fromkeys(Listing.Status.values, 0)
    for (_shop, status), count in live.items():
        live_by_status[status] = live_by_status.get(status, 0) + count
    live_published = {shop.pk: live.get((shop.pk, Listing.Status.PUBLISHED), 0) for shop in network}
    differences = {key for key in kept.keys() | live.keys() if kept.get(key) != live.get(key)}
    equal = not differences and by_status == live_by_status and published == live_published
    print(
        f"listing counts: {'EQUAL to' if equal else 'DIFFERENT from'} a live count "
        f"({sum(live.values()):,} listings, {len(live):,} shop × status groups, counted in {seconds:.1f} s)"
    )
    if not equal:
        print(f"  differing (shop, status): {sorted(differences)[:20]}")
        raise SystemExit(1)


if __name__ == "__main__":
    main()
