"""Queueing the requests of one person, one client or one shop behind each other.

PostgreSQL's transaction-level advisory locks, named by a text key: the first
transaction to ask for a key holds it until it commits or rolls back, the others wait.
Read-then-write counts (attempts in the last minutes, copies held, reports sent) are
made race-free by counting under the lock of whoever they count. Keys name what they
queue ("login:address:…", "reservation-holder:email:…"); a transaction taking several
takes them in one fixed order, so that two never wait for each other.
"""

from django.db import connection


def advisory_xact_lock(*keys: str) -> None:
    """Wait for each of `keys`, in the order given, until the current transaction ends
    (call inside transaction.atomic). One statement, whatever the number of keys."""
    with connection.cursor() as cursor:
        cursor.execute(
            # The locks are taken row by row in the keys' order (WITH ORDINALITY).
            """SELECT pg_advisory_xact_lock(hashtextextended(key, 0))
               FROM unnest(%s::text[]) WITH ORDINALITY AS keys(key, position)
               ORDER BY position""",
            [list(keys)],
        )


# PostgreSQL's error codes for a transaction that waited too long for a lock, or that
# was chosen to end a deadlock.
LOCK_NOT_AVAILABLE = "55P03"
DEADLOCK_DETECTED = "40P01"


def lock_timeout(duration: str) -> None:
    """Wait at most `duration` ("3s", "200ms") for any lock until the transaction ends;
    past it the statement fails with LOCK_NOT_AVAILABLE (`lock_wait_failed`)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config('lock_timeout', %s, true)", [duration])


def pgcode(error: Exception) -> str | None:
    """PostgreSQL's code of a database error (Django keeps psycopg's error as the cause)."""
    return getattr(error.__cause__, "pgcode", None) or getattr(error, "pgcode", None)


def lock_wait_failed(error: Exception) -> bool:
    """Whether `error` ended a transaction that waited too long for a lock, or a deadlock."""
    return pgcode(error) in (LOCK_NOT_AVAILABLE, DEADLOCK_DETECTED)
