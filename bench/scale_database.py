"""The benchmark-scale database: made once by this script, and the only database the
full-scale benchmarks (search.py, throughput.py, dashboard.py) agree to run against.

    .venv/bin/python bench/scale_database.py create      # ~6-8 min on the 2-core machine
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/drive_solidaire_bench_scale \\
        .venv/bin/python bench/search.py --requests 400
    .venv/bin/python bench/scale_database.py drop

`create` refuses a name that is taken; it makes the database, marks it with a comment
(`COMMENT ON DATABASE`), migrates it, loads the French postcodes from ../shared/data and
generates 1,000,000 books, 5,000,000 listings, 3,000 shops (`generate_data --scale
bench`). A benchmark given any database without that mark refuses to start, so that it
can never read timings off, or write into, a database somebody uses. `drop` drops only a
marked database. Making it takes minutes, which is why these benchmarks share one instead
of making their own each run like the smaller ones (bench/own_database.py).
"""

import argparse
import os
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.marked_database import create_marked, drop_marked, mark_of
from bench.own_database import _connect, _with_database

DEFAULT_NAME = "drive_solidaire_bench_scale"
MARK = "drive-solidaire benchmark data, made by bench/scale_database.py"
ROOT = Path(__file__).resolve().parent.parent
POSTCODES = Path(os.environ.get("SHARED_DATA_DIR", ROOT.parent / "shared" / "data")) / (
    "laposte_hexasmal/laposte_hexasmal.csv"
)


class NotABenchmarkDatabase(SystemExit):
    pass


def _server() -> str:
    return os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")


def require_scale_database() -> str:
    """Refuse to go on unless DATABASE_URL names a database this script made. Returns its
    name. Called by the full-scale benchmarks before Django starts."""
    url = os.environ.get("DATABASE_URL")
    if not url:
        raise NotABenchmarkDatabase(
            "Set DATABASE_URL to the benchmark database (made by bench/scale_database.py create)."
        )
    from urllib.parse import urlsplit

    name = urlsplit(url).path.lstrip("/")
    admin = _connect(url, "postgres")
    try:
        mark = mark_of(admin, name)
    finally:
        admin.close()
    if mark != MARK:
        raise NotABenchmarkDatabase(
            f"Database {name!r} was not made by bench/scale_database.py: refusing to run a "
            "benchmark against it (make one with: .venv/bin/python bench/scale_database.py create)."
        )
    return name


def create(name: str) -> None:
    admin = _connect(_server(), "postgres")
    try:
        create_marked(admin, name, MARK)
    except Exception as error:
        raise SystemExit(f"Cannot create {name}: {error}") from None
    finally:
        admin.close()
    environment = dict(os.environ, DATABASE_URL=_with_database(_server(), name), DJANGO_DEBUG="true")
    manage = [sys.executable, str(ROOT / "manage.py")]
    for command in (
        ["migrate", "-v0"],
        ["import_postcodes", str(POSTCODES)],
        ["generate_data", "--scale", "bench"],
    ):
        print("$ manage.py", " ".join(command), flush=True)
        subprocess.run(manage + command, env=environment, check=True)
    print(f"Ready: DATABASE_URL={_with_database(_server(), name)}")


def drop(name: str) -> None:
    admin = _connect(_server(), "postgres")
    try:
        drop_marked(admin, name, MARK)
    finally:
        admin.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("action", choices=("create", "drop"))
    parser.add_argument("--name", default=DEFAULT_NAME)
    arguments = parser.parse_args()
    (create if arguments.action == "create" else drop)(arguments.name)


if __name__ == "__main__":
    main()
