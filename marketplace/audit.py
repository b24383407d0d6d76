"""The audit trail: database triggers that record every status change of shops, listings
and orders in `marketplace.AuditEntry`, whoever makes it.

Why triggers rather than a line in each service: bulk updates (`queryset.update()`, the
stock imports' `UPDATE … FROM`, a fix typed in psql) never pass through a service, and
the chain must be able to trust that the trail is complete. The triggers are declared
on the models (django-pgtrigger) and installed by migrations.

Who and where: django-pghistory's middleware (and `pghistory.context(job=…)` in jobs) prefixes
every write with `set_config('pghistory.context_metadata', …)`, local to the
transaction; the triggers copy it into the entry (`user` → actor, `url`, `job`).
"""

import pgtrigger

AUDIT_TABLE = "marketplace_auditentry"

# The context pghistory attaches to the transaction, or an empty object.
_CONTEXT = (
    "COALESCE(NULLIF(current_setting('pghistory.context_metadata', true), '')::jsonb, jsonb_build_object())"
)


def _insert_entry(*, kind: str, shop_column: str | None, field: str, before: str) -> str:
    shop = f"NEW.{shop_column}" if shop_column else "NULL"
    return f"""
        INSERT INTO {AUDIT_TABLE} (happened_at, kind, object_id, shop_id, field, before, after, actor_id, context)
        VALUES (now(), '{kind}', NEW.id, {shop}, '{field}', {before},
                COALESCE(NEW.{field}::text, ''), (_context ->> 'user')::bigint, _context);"""


def audit_triggers(*, kind: str, fields: tuple[str, ...], shop_column: str | None, on_insert: bool) -> list:
    """Triggers recording changes of `fields` of a model (one entry per changed field),
    and its creation when `on_insert` (listings are created by the hundred thousand by
    imports: their creation is not an audited decision, their status changes are).

    `shop_column` is the column naming the shop the row belongs to (`id` for a shop):
    the drive staff see the entries of their drives' shops only; None when it belongs to
    no shop (head office only)."""
    update_sql = "".join(
        f"""
        IF OLD.{field} IS DISTINCT FROM NEW.{field} THEN{
            _insert_entry(
                kind=kind, shop_column=shop_column, field=field, before=f"COALESCE(OLD.{field}::text, '')"
            )
        }
        END IF;"""
        for field in fields
    )
    declare = [("_context", "jsonb")]
    triggers = [
        pgtrigger.Trigger(
            name=f"audit_{kind}_update",
            when=pgtrigger.After,
            operation=pgtrigger.Update,
            condition=pgtrigger.AnyChange(*fields),
            declare=declare,
            func=f"_context := {_CONTEXT};{update_sql}\nRETURN NULL;",
        )
    ]
    if on_insert:
        # A creation is recorded once, as its first status (fields[0]), not as every
        # field going from nothing to its default.
        insert_sql = _insert_entry(kind=kind, shop_column=shop_column, field=fields[0], before="''")
        triggers.append(
            pgtrigger.Trigger(
                name=f"audit_{kind}_insert",
                when=pgtrigger.After,
                operation=pgtrigger.Insert,
                declare=declare,
                func=f"_context := {_CONTEXT};{insert_sql}\nRETURN NULL;",
            )
        )
    return triggers


def stamp_status_changed_at() -> pgtrigger.Trigger:
    """Keep `status_changed_at` true for every way the status changes (bulk ones too):
    moderation queues sort and filter on how long a row has waited."""
    return pgtrigger.Trigger(
        name="stamp_status_changed_at",
        when=pgtrigger.Before,
        operation=pgtrigger.Update,
        condition=pgtrigger.AnyChange("status"),
        func="NEW.status_changed_at := now();\nRETURN NEW;",
    )
