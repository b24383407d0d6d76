"""Benchmark: requests per second of the search and book pages under gunicorn,
against a bare Django view (a small JSON answer) in the same run.

Target (issue 4): each page at ≥ 60 % of the bare view's throughput.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/drive_solidaire_bench_scale \\
        .venv/bin/python bench/throughput.py --rounds 3 --seconds 10

Starts gunicorn (sync workers, as in production) with production settings and the
Redis cache, then loads it with wrk (Debian package) from the same machine: the two
share the 2 cores, so absolute numbers are modest; the ratios are what matter. The
clients send what browsers send (Accept-Encoding: gzip…), unless --accept-encoding.

Two loads per page: one address requested again and again ("hot": what a popular
search or book costs, served from the page cache), and a rotation through 300
different addresses ("mix"), which the 30-second page cache only partly absorbs.
The five loads run in turn, `--rounds` times; each page's share is taken against the
bare view of the same round, and the median share is reported with its range.
"""

import argparse
import os
import random
import shutil
import signal
import statistics
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from wrk_load import wrk  # noqa: E402

PORT = 8123


def server_environment() -> dict:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": os.environ.get("DJANGO_SECRET_KEY", "benchmark-only-" + "x" * 40),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DJANGO_SECURE_SSL_REDIRECT": "false",
        "CACHE_URL": os.environ.get("CACHE_URL", "redis://127.0.0.1:6379/3"),
    }


def start_gunicorn(workers: int) -> subprocess.Popen:
    process = subprocess.Popen(
        [str(ROOT / ".venv/bin/gunicorn"), "config.wsgi", "--bind", f"127.0.0.1:{PORT}", "--workers", str(workers),
         "--access-logfile", "/dev/null", "--error-logfile", "-", "--log-level", "warning"],
        cwd=ROOT, env=server_environment(), start_new_session=True,
    )  # fmt: skip
    for _ in range(100):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{PORT}/ping", timeout=1)
            return process
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise SystemExit("gunicorn did not start")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=10, help="per load and round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument(
        "--accept-encoding",
        default="gzip, deflate, br, zstd",
        help="what the clients accept (default: what Chromium and Firefox send; 'identity' for no compression)",
    )
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is needed: apt-get install wrk")

    os.environ.update(server_environment())
    import django
    from scale_database import require_scale_database

    require_scale_database()
    django.setup()
    from django.core.cache import cache
    from search import books_with_offers_near, busy_drives, collect_static_files, prewarm_database, queries

    collect_static_files()
    prewarm_database()

    rng = random.Random(11)
    drives = busy_drives(rng, 30)
    # queries() gives each search's parameters (words, or a kind and an age for other kinds)
    search_paths = [f"/search/?{urllib.parse.urlencode({'drive': rng.choice(drives).slug, **params})}"
                    for params, _other_kind in queries(rng, 300)]  # fmt: skip
    book_paths = [f"/books/{ean}/?drive={slug}" for slug, ean in books_with_offers_near(rng, drives, 300)]

    loads = {
        "bare view (/ping)": ["/ping"],
        "search page, hot": search_paths[:1],
        "search page, mix of 300": search_paths,
        "book page, hot": book_paths[:1],
        "book page, mix of 300": book_paths,
    }
    rates = {name: [] for name in loads}
    cpu_per_request = {name: [] for name in loads}
    server = start_gunicorn(args.workers)
    try:
        options = {"connections": args.connections, "accept_encoding": args.accept_encoding}
        wrk(["/ping"], port=PORT, seconds=3, **options)  # warm-up
        # Rounds of every load in turn: the machine is shared and its speed drifts by tens
        # of per cent within minutes; a page is compared with the bare view of its own round.
        for _ in range(args.rounds):
            for name, paths in loads.items():
                cache.clear()  # each round's mix starts from an empty page cache, like the first
                rate, cpu, _timeouts = wrk(paths, port=PORT, seconds=args.seconds, **options)
                rates[name].append(rate)
                cpu_per_request[name].append(cpu)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=20)

    print(
        f"gunicorn {args.workers} sync workers, wrk 2 threads × {args.connections} connections, "
        f"{args.rounds} rounds of {args.seconds} s per load, Accept-Encoding: {args.accept_encoding}"
    )
    print(
        "share: the page's rate / the bare view's rate of the same round (median, and range over the rounds)"
    )
    print("CPU: the whole machine's working time per request (gunicorn, Redis, PostgreSQL, wrk), median")
    for name in loads:
        shares = sorted(
            100 * rate / ping for rate, ping in zip(rates[name], rates["bare view (/ping)"], strict=True)
        )
        print(
            f"{name:<24} {statistics.median(rates[name]):6.0f} req/s   share {statistics.median(shares):3.0f} % "
            f"({min(shares):.0f}–{max(shares):.0f})   CPU {statistics.median(cpu_per_request[name]):5.2f} ms/request"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
