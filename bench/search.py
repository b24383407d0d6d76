"""Benchmark: server time of the search page and the book page at full scale.

Targets, with 1,000,000 books and 5,000,000 listings: search p95 ≤ 50 ms, book page p95
≤ 30 ms, server time (issue 4); search p50 ≤ 10 ms and p95 ≤ 40 ms, ≤ 5 ms of CPU a
rendered page (issue 22).

    # once: a database with the benchmark scale (see docs/performance.md)
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/drive_solidaire_bench_scale \\
        .venv/bin/python bench/search.py --requests 400

"Server time" is the whole Django request, in-process: middleware, view, queries,
template. "CPU" is what the web process itself spent on it (`time.process_time()`:
Python, the ORM, psycopg2; PostgreSQL works in its own process), against issue 22's
target of ≤ 5 ms a rendered page; `--profile N` then prints where it goes (cProfile of
200 pages of each kind, N functions). The whole-page cache is off: every page is rendered (the page cache only
makes repeated addresses faster, see bench/throughput.py). The per-drive cache of the
shops around it stays on, as on a running site; --cold clears every cache before each
request instead.

Queries are what people type, drawn at random (seeded) from the catalogue: a title
word, two title words, an author's surname or full name, a whole title, an ISBN
with hyphens, a word with a typo; for a product of another kind (issue 18: a sixth of
the catalogue at bench scale), its brand or artist, a title word, its EAN, or its kind
narrowed by an age (board games and toys) or a format (records); each near a random
drive that has shops around it.
"""

import argparse
import bisect
import os
import random
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DJANGO_DEBUG", "false")
os.environ.setdefault("DJANGO_SECRET_KEY", "benchmark-only-" + "x" * 40)
os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "testserver,127.0.0.1")
os.environ.setdefault("DJANGO_SECURE_SSL_REDIRECT", "false")

import django

from bench.scale_database import require_scale_database

require_scale_database()

django.setup()

from django.core.cache import cache  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import DatabaseError, connection  # noqa: E402
from django.test import Client  # noqa: E402
from stdnum import isbn  # noqa: E402

from catalog.models import Book, Listing  # noqa: E402
from catalog.search import BookQuery, search_books  # noqa: E402
from marketplace import page_cache  # noqa: E402
from shops.models import Drive  # noqa: E402
from shops.selectors import shops_near  # noqa: E402


def busy_drives(rng: random.Random, count: int) -> list[Drive]:
    """Drives with at least one open shop within 30 km (a search anywhere else is trivial)."""
    drives = list(Drive.objects.filter(is_active=True).order_by("pk"))
    rng.shuffle(drives)
    chosen = []
    for drive in drives:
        if shops_near(latitude=drive.latitude, longitude=drive.longitude, radius_km=30):
            chosen.append(drive)
        if len(chosen) == count:
            break
    return chosen


def typo(word: str, rng: random.Random) -> str:
    position = rng.randrange(1, len(word) - 1)
    return word[:position] + word[position + 1 :]  # a letter missing


def product_query(product: Book, rng: random.Random) -> dict:
    """What people look for when they want a game, a toy or a record like `product`."""
    words = [w.strip(",:;.!?") for w in product.title.split() if len(w.strip(",:;.!?")) > 3] or [
        product.title
    ]
    maker = product.attributes.get("brand") or product.attributes.get("artist") or product.title
    choice = rng.randrange(5)
    if choice == 0:
        return {"q": maker}
    if choice == 1:
        return {"q": rng.choice(words)}
    if choice == 2:
        return {"q": product.ean}
    if product.kind_id == "record":
        return {"kind": "record", "a_format": product.attributes.get("format", "CD")}
    return {"kind": product.kind_id, "a_age-range": rng.randrange(3, 13)}


def as_query(params: dict, drive: Drive) -> BookQuery:
    """The search a page's parameters ask for, for search_books() alone."""
    filters = tuple(
        (name.removeprefix("a_"), "range" if name == "a_age-range" else "choice", value)
        for name, value in params.items()
        if name.startswith("a_")
    )
    return BookQuery(latitude=drive.latitude, longitude=drive.longitude, text=params.get("q", ""),
                     kind=params.get("kind", ""), attribute_filters=filters)  # fmt: skip


def queries(rng: random.Random, count: int) -> list[tuple[dict, bool]]:
    """What people type, built from random books (and products) of the catalogue: the
    search page's parameters, and whether they look for another kind than books."""
    top = Book.objects.order_by("-id").values_list("id", flat=True).first()
    picked = []
    while len(picked) < count:
        book = Book.objects.filter(id__gte=rng.randrange(1, top)).order_by("id").first()
        if book is None:
            continue
        if book.kind_id != "book":
            picked.append((product_query(book, rng), True))
            continue
        words = [w.strip(",:;.!?") for w in book.title.split() if len(w.strip(",:;.!?")) > 3]
        authors = [c["name"] for c in book.contributors] or ["Dumas"]
        kind = rng.randrange(7)
        if kind == 0 and words:
            picked.append(({"q": rng.choice(words)}, False))
        elif kind == 1 and len(words) >= 2:
            picked.append(({"q": " ".join(rng.sample(words, 2))}, False))
        elif kind == 2:
            picked.append(({"q": rng.choice(authors).split()[-1]}, False))
        elif kind == 3:
            picked.append(({"q": rng.choice(authors)}, False))
        elif kind == 4:
            picked.append(({"q": book.title}, False))
        elif kind == 5:
            picked.append(({"q": isbn.format(book.ean)}, False))
        elif words and len(max(words, key=len)) >= 6:
            picked.append(({"q": typo(max(words, key=len), rng)}, False))
    return picked


def books_with_offers_near(rng: random.Random, drives: list[Drive], count: int) -> list[tuple[str, str]]:
    """(drive, EAN) pairs: near a random drive, a random shop's first listing in stock at or
    after a random id (else its first one). The shop's listings are read once, in id
    order: asking PostgreSQL for "the first after that id" walks the whole table for a
    shop whose listings all come before it (minutes for the 400 pairs)."""
    pairs, offers_of_shop = [], {}
    for _ in range(count * 3):
        drive = rng.choice(drives)
        shops = shops_near(latitude=drive.latitude, longitude=drive.longitude, radius_km=30)
        shop = rng.choice(shops)
        if shop.id not in offers_of_shop:
            offers_of_shop[shop.id] = list(
                Listing.objects.filter(shop_id=shop.id, status="published", quantity__gt=0)
                .order_by("id")
                .values_list("id", "book__ean")
            )
        offers = offers_of_shop[shop.id]
        start = rng.randrange(1, 5_000_000)
        if offers:
            index = bisect.bisect_left(offers, (start, ""))
            pairs.append((drive.slug, offers[index if index < len(offers) else 0][1]))
        if len(pairs) == count:
            break
    return pairs


def percentiles(timings: list[float]) -> str:
    timings = sorted(timings)

    def at(share):
        return timings[min(len(timings) - 1, int(share * len(timings)))] * 1000

    return (
        f"n={len(timings)}  p50 {at(0.50):6.1f} ms  p95 {at(0.95):6.1f} ms  p99 {at(0.99):6.1f} ms  "
        f"max {max(timings) * 1000:6.1f} ms  mean {statistics.mean(timings) * 1000:6.1f} ms"
    )


def timed_pages(client: Client, urls: list[str], *, cold: bool) -> tuple[list[float], list[float]]:
    """Each page's server time (wall clock) and the CPU this process spent on it (Python:
    middleware, view, ORM, template; PostgreSQL's own work is in another process)."""
    timings, cpu = [], []
    for url in urls:
        if cold:
            cache.clear()  # nothing cached: not the drive, not the shops around it
        started, cpu_started = time.perf_counter(), time.process_time()
        response = client.get(url)
        cpu.append(time.process_time() - cpu_started)
        timings.append(time.perf_counter() - started)
        assert response.status_code == 200, (url, response.status_code)
    return timings, cpu


def profile(client: Client, urls: list[str], label: str, lines: int) -> None:
    """cProfile of these pages (times under the profiler are ~2× real): where their Python goes."""
    import cProfile
    import pstats

    profiler = cProfile.Profile()
    profiler.enable()
    for url in urls:
        client.get(url)
    profiler.disable()
    print(f"--- profile of {len(urls)} {label}, by own time then cumulative")
    stats = pstats.Stats(profiler).strip_dirs()
    stats.sort_stats("tottime").print_stats(lines)
    stats.sort_stats("cumulative").print_stats(lines)


def prewarm_database() -> None:
    """Read the catalogue's tables and indexes (2.5 GB at the benchmark scale) into the
    operating system's cache, as a live site's traffic keeps them. The session machines
    reclaim memory left idle for a few minutes: after a test suite, a first run read from
    disk and measured p95 640 ms instead of ~30. pg_prewarm ships with PostgreSQL."""
    started = time.perf_counter()
    with connection.cursor() as cursor:
        try:
            cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_prewarm")
        except DatabaseError as error:  # a server without contrib: measure anyway, and say so
            print(f"pg_prewarm unavailable ({error}): the first requests may read from disk")
            return
        cursor.execute(
            """SELECT coalesce(sum(pg_prewarm(c.oid, 'read')), 0) * current_setting('block_size')::bigint
                 FROM pg_class AS c JOIN pg_namespace AS n ON n.oid = c.relnamespace
                WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'i')
                  AND (c.relname LIKE 'catalog\\_%' OR c.relname LIKE 'shops\\_%'
                       OR c.relname LIKE 'listing\\_%' OR c.relname LIKE 'book\\_%')"""
        )
        size = cursor.fetchone()[0]
    print(f"prewarmed {size / 2**30:.1f} GB of tables and indexes in {time.perf_counter() - started:.0f} s")


def collect_static_files() -> None:
    """Production settings serve static files from a manifest: build it, as a deployment would."""
    call_command("collectstatic", interactive=False, verbosity=0)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--cold", action="store_true", help="clear every cache before each request")
    parser.add_argument("--no-prewarm", action="store_true", help="measure whatever the OS has in memory")
    parser.add_argument("--profile", type=int, default=0, metavar="LINES",
                        help="after measuring, print a cProfile of each page's Python (LINES functions)")  # fmt: skip
    args = parser.parse_args()
    rng = random.Random(args.seed)
    collect_static_files()
    if not args.no_prewarm:
        prewarm_database()

    with connection.cursor() as cursor:
        cursor.execute("SELECT (SELECT count(*) FROM catalog_book), (SELECT count(*) FROM catalog_listing)")
        books, listings = cursor.fetchone()
    print(f"catalogue: {books:,} books, {listings:,} listings; PostgreSQL {connection.pg_version // 10000}")

    drives = busy_drives(rng, 60)
    drawn = queries(rng, args.requests)
    searches = [(rng.choice(drives), params) for params, _other_kind in drawn]
    search_urls = [f"/search/?{urlencode({'drive': drive.slug, **params})}" for drive, params in searches]
    for_products = [index for index, (_params, other_kind) in enumerate(drawn) if other_kind]
    book_urls = [
        f"/books/{ean}/?drive={slug}" for slug, ean in books_with_offers_near(rng, drives, args.requests)
    ]
    client = Client()

    # Every page is rendered: the whole-page cache is off (it only serves repeats of the
    # same address). What the site keeps per drive (the shops around it) stays cached, as
    # on a running site, unless --cold.
    page_cache._cacheable = lambda request: False
    timed_pages(client, search_urls[:40] + book_urls[:40], cold=args.cold)  # warm PostgreSQL and Python
    search, search_cpu = timed_pages(client, search_urls, cold=args.cold)
    book, book_cpu = timed_pages(client, book_urls, cold=args.cold)
    queries_only = []
    for drive, params in searches:
        started = time.perf_counter()
        search_books(as_query(params, drive))
        queries_only.append(time.perf_counter() - started)

    print(f"search page      {percentiles(search)}   (target p95 ≤ 50 ms)")
    print(f"  other kinds    {percentiles([search[index] for index in for_products])}"
          f"   ({len(for_products)} searches for games, toys, records)")  # fmt: skip
    print(f"  of which SQL   {percentiles(queries_only)}")
    print(f"book page        {percentiles(book)}   (target p95 ≤ 30 ms)")
    print("CPU of the web process per page (target ≤ 5 ms, issue 22):")
    print(f"  search page    {percentiles(search_cpu)}")
    print(f"  book page      {percentiles(book_cpu)}")
    worst = sorted(zip(search, search_urls, strict=True), reverse=True)[:5]
    print("slowest searches:", "; ".join(f"{t * 1000:.0f} ms {u}" for t, u in worst))
    if args.profile:
        profile(client, search_urls[:200], "search pages", args.profile)
        profile(client, book_urls[:200], "book pages", args.profile)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
