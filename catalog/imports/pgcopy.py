"""Writing many rows at once with PostgreSQL's COPY (10x faster than INSERTs at scale)."""

import csv
import io
from collections.abc import Iterable


def copy_rows(cursor, table: str, columns: tuple[str, ...], rows: Iterable[tuple], *, not_null=()) -> None:
    """COPY `rows` into `table` through psycopg2's `cursor`. None becomes NULL; in the
    `not_null` text columns an empty cell stays an empty string (CSV cannot tell them
    apart otherwise)."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    buffer.seek(0)
    force = f", FORCE_NOT_NULL ({', '.join(not_null)})" if not_null else ""
    cursor.copy_expert(f"COPY {table} ({', '.join(columns)}) FROM STDIN WITH (FORMAT csv{force})", buffer)
