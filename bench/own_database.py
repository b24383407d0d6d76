"""A benchmark's own database: created for the run, dropped after it, whatever happens.

A benchmark never touches a database it did not create: the name carries the process
id, and a name already taken is refused. SIGTERM (a timeout, kill) ends the run through
the same clean-up as Ctrl-C.
"""

import os
import signal
import sys
from contextlib import contextmanager
from urllib.parse import urlsplit, urlunsplit

import psycopg2


class DatabaseTaken(SystemExit):
    """A database of that name exists already: it is not this run's. Ends the benchmark
    with that message (status 1), as scale_database.NotABenchmarkDatabase does."""


@contextmanager
def own_database(prefix: str):
    """Create `<prefix>_<pid>` on DATABASE_URL's server, point DATABASE_URL at it for the
    run, and drop it afterwards. Yields its name."""
    server = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
    name = f"{prefix}_{os.getpid()}"
    admin = _connect(server, "postgres")
    try:
        admin.cursor().execute(f'CREATE DATABASE "{name}"')
    except psycopg2.errors.DuplicateDatabase:
        admin.close()
        raise DatabaseTaken(
            f"Database {name} exists already and is not this run's: refusing to touch it."
        ) from None
    previous_handler = signal.signal(signal.SIGTERM, _interrupt)
    try:
        os.environ["DATABASE_URL"] = _with_database(server, name)
        yield name
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)  # a second one must not stop the clean-up
        if "django.db" in sys.modules:
            from django.db import connections

            connections.close_all()
        admin.cursor().execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()
        signal.signal(signal.SIGTERM, previous_handler)


def _interrupt(signum, frame):
    raise KeyboardInterrupt


def _connect(url: str, database: str):
    parts = urlsplit(url)
    connection = psycopg2.connect(
        host=parts.hostname, port=parts.port or 5432, user=parts.username or "postgres",
        password=parts.password or None, dbname=database,
    )  # fmt: skip
    connection.autocommit = True
    return connection


def _with_database(url: str, database: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{database}", parts.query, parts.fragment))


def django_on_own_database(database: str) -> None:
    """Start Django production-like on the run's own database, and migrate it: no DEBUG
    (Django would keep every query in memory), no SMTP, no broker (tasks run in-process
    after commit). Refuses a database that is not `database`."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ["DJANGO_DEBUG"] = "false"
    os.environ.setdefault("DJANGO_SECRET_KEY", "benchmark-only-" + "x" * 40)
    os.environ["EMAIL_URL"] = "dummymail://"
    os.environ.pop("CELERY_BROKER_URL", None)
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    if connection.settings_dict["NAME"] != database:
        raise SystemExit(
            f"Django would use {connection.settings_dict['NAME']!r}, not {database!r}: refusing."
        )
    call_command("migrate", verbosity=0)
