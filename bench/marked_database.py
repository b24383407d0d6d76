"""Databases a benchmark script made and marked (`COMMENT ON DATABASE`), so that it
only ever reads from, writes to or drops its own. Given an autocommit connection to the
server's `postgres` database; psycopg2 and the standard library only (the peer
comparison runs it from another virtualenv)."""


def mark_of(admin, name: str) -> str | None:
    """The comment on database `name` (None if it has none or does not exist)."""
    cursor = admin.cursor()
    cursor.execute("SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s", [name])
    row = cursor.fetchone()
    return row[0] if row else None


def exists(admin, name: str) -> bool:
    cursor = admin.cursor()
    cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
    return cursor.fetchone() is not None


def create_marked(admin, name: str, mark: str) -> None:
    """Create `name` and mark it; fails (psycopg2 DuplicateDatabase) if the name is taken."""
    cursor = admin.cursor()
    cursor.execute(f'CREATE DATABASE "{name}"')
    cursor.execute(f'COMMENT ON DATABASE "{name}" IS %s', [mark])


def drop_marked(admin, name: str, mark: str) -> None:
    """Drop `name` if it bears `mark`; refuse (SystemExit) any other database."""
    if mark_of(admin, name) != mark:
        raise SystemExit(f"Database {name!r} was not made by this script: refusing to drop it.")
    admin.cursor().execute(f'DROP DATABASE "{name}" WITH (FORCE)')
    print(f"Dropped {name}.")
