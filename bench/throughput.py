"""Benchmark: requests per second of the search and book pages under gunicorn,
against a bare Django view (a small JSON answer) in the same run.

Target (issue 4): each page at ≥ 60 % of the bare view's throughput.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/drive_solidaire_gen \\
        .venv/bin/python bench/throughput.py --seconds 15

Starts gunicorn (sync workers, as in production) with production settings and the
Redis cache, then loads it with wrk (Debian package) from the same machine: the two
share the 2 cores, so absolute numbers are modest; the ratios are what matter.

Two loads per page: one address requested again and again ("hot": what a popular
search or book costs, served from the page cache), and a rotation through 300
different addresses ("mix"), which the 30-second page cache only partly absorbs.
"""

import argparse
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

PORT = 8123
ROTATE = """
paths = {}
for line in io.lines(os.getenv("WRK_PATHS")) do paths[#paths + 1] = line end
counter = 0
request = function()
  counter = counter + 1
  return wrk.format("GET", paths[(counter % #paths) + 1])
end
"""


def server_environment() -> dict:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "marketplace.settings",
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": os.environ.get("DJANGO_SECRET_KEY", "benchmark-only-" + "x" * 40),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DJANGO_SECURE_SSL_REDIRECT": "false",
        "CACHE_URL": os.environ.get("CACHE_URL", "redis://127.0.0.1:6379/3"),
    }


def start_gunicorn(workers: int) -> subprocess.Popen:
    process = subprocess.Popen(
        [str(ROOT / ".venv/bin/gunicorn"), "marketplace.wsgi", "--bind", f"127.0.0.1:{PORT}", "--workers", str(workers),
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


def wrk(paths: list[str], seconds: int, connections: int, accept_encoding: str) -> float:
    with tempfile.TemporaryDirectory() as directory:
        listing, script = Path(directory) / "paths.txt", Path(directory) / "rotate.lua"
        listing.write_text("\n".join(paths) + "\n")
        script.write_text(ROTATE)
        result = subprocess.run(
            ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "-s", str(script),
             "-H", f"Accept-Encoding: {accept_encoding}", f"http://127.0.0.1:{PORT}"],
            env={**os.environ, "WRK_PATHS": str(listing)}, capture_output=True, text=True, check=True,
        )  # fmt: skip
    if "Non-2xx" in result.stdout:
        raise SystemExit(f"errors during the load:\n{result.stdout}")
    return float(re.search(r"Requests/sec:\s+([\d.]+)", result.stdout).group(1))


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=15)
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

    django.setup()
    from search import books_with_offers_near, busy_drives, collect_static_files, queries  # bench/search.py

    collect_static_files()

    rng = random.Random(11)
    drives = busy_drives(rng, 30)
    search_paths = [f"/search/?drive={rng.choice(drives).slug}&q={urllib.parse.quote(text)}"
                    for text in queries(rng, 300)]  # fmt: skip
    book_paths = [f"/books/{ean}/?drive={slug}" for slug, ean in books_with_offers_near(rng, drives, 300)]

    server = start_gunicorn(args.workers)
    try:
        load = {
            "seconds": args.seconds,
            "connections": args.connections,
            "accept_encoding": args.accept_encoding,
        }
        wrk(["/ping"], **{**load, "seconds": 3})  # warm-up
        results = {"bare view (/ping)": wrk(["/ping"], **load)}
        for name, paths in (("search page", search_paths), ("book page", book_paths)):
            results[f"{name}, hot"] = wrk(paths[:1], **load)
            results[f"{name}, mix of 300"] = wrk(paths, **load)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=20)

    reference = results["bare view (/ping)"]
    print(
        f"gunicorn {args.workers} sync workers, wrk 2 threads × {args.connections} connections, {args.seconds} s each, "
        f"Accept-Encoding: {args.accept_encoding}"
    )
    for name, rate in results.items():
        print(f"{name:<28} {rate:8.0f} req/s   {100 * rate / reference:5.0f} % of the bare view")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
