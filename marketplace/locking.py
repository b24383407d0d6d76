"""Queueing the requests of one person, one client or one shop behind each other.

PostgreSQL's transaction-level advisory locks, named by a text key: the first
transaction to ask for a key holds it until it commits or rolls back, the others wait.
Read-then-write counts (attempts in the last minutes, copies held, reports sent) are
made race-free by counting under the lock of whoever they count. Keys name what they
queue ("login:address:…", "reservation-holder:email:…"); a transaction taking several
takes them in one fixed order, so that two never wait for each other.
"""

from django.db import connection


def advisory_xact_lock(key: str) -> None:
    """Wait for `key` until the current transaction ends (call inside transaction.atomic)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", [key])
