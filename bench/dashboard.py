"""How long the back office's dashboard takes to compute at benchmark scale.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/drive_solidaire_bench_scale \\
        .venv/bin/python bench/dashboard.py --repeat 5

Times the figures of the network page (every shop), of the busiest drive's page, and of
one shop's report, on the data of `manage.py generate_data --scale bench` (1M books, 5M
listings, 3,000 shops). No target in the issue: the figures tell whether the pages need
a cache.
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

from django.db.models import Count  # noqa: E402

from backoffice.dashboard import Period, dashboard_for_shops, shop_figures  # noqa: E402
from shops.models import Drive, Shop  # noqa: E402


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
        function()  # warm the OS cache and the plans
        durations = timed(function, options.repeat)
        print(f"  {name:<32} {statistics.median(durations):8.1f} {max(durations):8.1f}")


if __name__ == "__main__":
    main()
