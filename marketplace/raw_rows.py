"""Model instances from the columns of a hand-written SELECT.

On the busiest reads (a checkout's listings, a book page's book and offers), Django
building the SQL of a query cost more Python than PostgreSQL took to answer it (issue 22).
Those queries are written once per process instead; this reads their rows back into the
same model instances the ORM would give, values converted as it would convert them
(JSON, phone numbers…), fields left out deferred as with `.only()`.
"""

from django.db import connection


class ModelColumns:
    """The columns of `model` (all concrete fields, or those named in `only`) under the
    table alias `alias`, as `sql` for a SELECT list, and `instance()` to read them back."""

    def __init__(self, model, alias: str, *, only: set[str] | None = None):
        # In the model's field order: the order Model.from_db reads a partial row in.
        fields = [field for field in model._meta.concrete_fields if only is None or field.attname in only]
        self.model = model
        self.attnames = [field.attname for field in fields]
        self.width = len(fields)
        self.sql = ", ".join(f'{alias}."{field.column}"' for field in fields)
        self._converted = [
            (index, field) for index, field in enumerate(fields) if hasattr(field, "from_db_value")
        ]

    def instance(self, row, start: int = 0):
        """The instance whose columns start at `row[start]`."""
        values = list(row[start : start + self.width])
        for index, field in self._converted:
            values[index] = field.from_db_value(values[index], None, connection)
        return self.model.from_db(connection.alias, self.attnames, values)
