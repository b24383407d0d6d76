"""What an email shows: its context, kept in the outbox row until the worker renders it.

The request that makes a change only says what to send (template, language, and the
context as `freeze` keeps it); the worker renders it just before sending (`thaw`, then
the templates). Rows of the database are kept by reference (model and primary key) and
read again by the worker, in one query per model: the email shows them as they are
when it is sent, a few milliseconds later in the usual case. A row's reverse foreign
key (`order.lines`) is kept as such and read by the worker too. Everything else is kept
as JSON can hold it: strings, numbers, booleans, dates and times, decimals; lists,
tuples, dicts and dataclasses of them. Lazy translations are translated in the email's
language when frozen. Anything else is refused at once (TypeError), in the request
that queues the email and in the tests, rather than in the worker hours later.
"""

import dataclasses
import datetime
from decimal import Decimal

from django.apps import apps
from django.db import models
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.functional import Promise

_MODEL, _DECIMAL, _DATETIME, _DATE = "__model__", "__decimal__", "__datetime__", "__date__"
_RELATED = "__related__"  # a row's reverse foreign key, e.g. an order's lines


class RowGone(Exception):
    """A row the email refers to no longer exists: the email cannot be rendered."""


def render(email) -> None:
    """Fill an outbox message's subject and bodies from its template and context, in its
    language (once: a message rendered already, or written before the worker rendered
    messages, is kept as it is). Raises RowGone when a row it shows was deleted, or what
    the templates raise."""
    if email.subject or not email.template:
        return
    context = thaw(email.context)
    with translation.override(email.language):
        subject = render_to_string(f"{email.template}_subject.txt", context, using="text")
        email.subject = " ".join(subject.split())[:255]
        email.body_text = render_to_string(f"{email.template}.txt", context, using="text").strip() + "\n"
        email.body_html = render_to_string(f"{email.template}.html", context)


def freeze(value):
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, Promise):
        return str(value)
    if isinstance(value, models.Model):
        return _row(value._meta.label_lower, value.pk)
    if isinstance(value, models.Manager) and hasattr(value, "instance") and hasattr(value, "field"):
        # `order.lines`: kept as "the lines of that order", read by the worker (no query here).
        instance = value.instance
        return {
            _RELATED: value.field.remote_field.get_accessor_name(),
            **_row(instance._meta.label_lower, instance.pk),
        }
    if isinstance(value, models.QuerySet):
        return [_row(value.model._meta.label_lower, pk) for pk in value.values_list("pk", flat=True)]
    if isinstance(value, Decimal):
        return {_DECIMAL: str(value)}
    if isinstance(value, datetime.datetime):
        return {_DATETIME: value.isoformat()}
    if isinstance(value, datetime.date):
        return {_DATE: value.isoformat()}
    if isinstance(value, list | tuple):
        return [freeze(item) for item in value]
    if isinstance(value, dict):
        return {str(key): freeze(item) for key, item in value.items()}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {field.name: freeze(getattr(value, field.name)) for field in dataclasses.fields(value)}
    raise TypeError(f"an email's context cannot keep {type(value).__name__}: {value!r}")


def _row(label: str, pk) -> dict:
    return {_MODEL: label, "pk": pk if isinstance(pk, int) else str(pk)}


def thaw(frozen):
    """The context again, its rows read from the database (one query per model)."""
    wanted: dict[str, set] = {}
    _collect_rows(frozen, wanted)
    rows = {}
    for label, pks in wanted.items():
        model = apps.get_model(label)
        found = model._default_manager.in_bulk(pks)
        if len(found) < len(pks):
            raise RowGone(f"{label} {sorted(set(pks) - set(found))}")
        rows.update({(label, str(pk)): row for pk, row in found.items()})
    return _rebuild(frozen, rows)


def _collect_rows(frozen, wanted: dict[str, set]) -> None:
    if isinstance(frozen, list):
        for item in frozen:
            _collect_rows(item, wanted)
    elif isinstance(frozen, dict):
        if _MODEL in frozen:
            wanted.setdefault(frozen[_MODEL], set()).add(frozen["pk"])
        else:
            for item in frozen.values():
                _collect_rows(item, wanted)


def _rebuild(frozen, rows: dict):
    if isinstance(frozen, list):
        return [_rebuild(item, rows) for item in frozen]
    if not isinstance(frozen, dict):
        return frozen
    if _RELATED in frozen:
        return list(getattr(rows[(frozen[_MODEL], str(frozen["pk"]))], frozen[_RELATED]).all())
    if _MODEL in frozen:
        return rows[(frozen[_MODEL], str(frozen["pk"]))]
    if _DECIMAL in frozen:
        return Decimal(frozen[_DECIMAL])
    if _DATETIME in frozen:
        return datetime.datetime.fromisoformat(frozen[_DATETIME])
    if _DATE in frozen:
        return datetime.date.fromisoformat(frozen[_DATE])
    return {key: _rebuild(item, rows) for key, item in frozen.items()}
