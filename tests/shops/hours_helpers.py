"""Opening hours for tests, written as a shop's door sign.

schedule(tuesday="9:30-12:30 14:00-19:00", closed=[("2026-12-08", "2026-12-08")])
give_hours(shop, tuesday="9:30-12:30 14:00-19:00")
paris("2026-12-01 11:30")            # an aware datetime, Paris time
with clock_at(paris("2026-12-01 11:30")): client.get(...)
"""

from contextlib import contextmanager
from datetime import date, datetime, time
from unittest import mock

from shops.hours import PARIS, Schedule
from shops.models import OpeningPeriod, Weekday

DAYS = {day.name.lower(): day.value for day in Weekday}
# The usual week of an independent bookshop: Tuesday to Saturday, closed at lunch.
BOOKSHOP_WEEK = dict.fromkeys(
    ["tuesday", "wednesday", "thursday", "friday", "saturday"], "9:30-12:30 14:00-19:00"
)


def paris(text: str) -> datetime:
    """ "2026-12-01 11:30" in Paris; "…+02:00" pins the offset of an hour that happens twice."""
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=PARIS)


def _time(text: str) -> time:
    hours, _, minutes = text.partition(":")
    return time(int(hours), int(minutes or 0))


def ranges(text: str) -> list[tuple[time, time]]:
    """ "9:30-12:30 14:00-19:00" → [(09:30, 12:30), (14:00, 19:00)]"""
    return [tuple(_time(part) for part in piece.split("-")) for piece in text.split()]


def schedule(*, closed=(), **days: str) -> Schedule:
    weekly = {DAYS[day]: tuple(ranges(text)) for day, text in days.items()}
    periods = tuple((date.fromisoformat(first), date.fromisoformat(last)) for first, last in closed)
    return Schedule(weekly=weekly, closed=periods)


def give_hours(shop, **days: str) -> None:
    OpeningPeriod.objects.bulk_create(
        OpeningPeriod(shop=shop, weekday=DAYS[day], opens=opens, closes=closes)
        for day, text in days.items()
        for opens, closes in ranges(text)
    )


@contextmanager
def clock_at(moment: datetime):
    """Django's clock (django.utils.timezone.now, which the pages read) stopped at `moment`."""
    with mock.patch("django.utils.timezone.now", return_value=moment):
        yield


def _posted(value) -> str | list:
    if value is None:
        return ""
    if isinstance(value, time):
        return f"{value:%H:%M}"
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [str(item) for item in value]
    return str(value)


def admin_form_data(page, **changes) -> dict:
    """What a shop's admin page posts back if nothing is touched (its form and every inline,
    existing rows included), with `changes` on top: {"opening_periods-0-opens": "9:30"}."""
    data = {}
    form = page.context["adminform"].form
    for name in form.fields:
        data[name] = _posted(form[name].value())
    for inline in page.context["inline_admin_formsets"]:
        formset = inline.formset
        count = formset.initial_form_count()
        data[f"{formset.prefix}-TOTAL_FORMS"] = str(count)
        data[f"{formset.prefix}-INITIAL_FORMS"] = str(count)
        for row in formset.forms[:count]:
            for name in row.fields:
                data[row.add_prefix(name)] = _posted(row[name].value())
    return {key: value for key, value in {**data, **changes}.items() if value is not None}


def new_rows(prefix: str, page, *rows: dict) -> dict:
    """Post data adding `rows` after the existing ones of the inline `prefix`."""
    formset = next(
        inline.formset for inline in page.context["inline_admin_formsets"] if inline.formset.prefix == prefix
    )
    first = formset.initial_form_count()
    data = {f"{prefix}-TOTAL_FORMS": str(first + len(rows))}
    for index, row in enumerate(rows, start=first):
        data.update({f"{prefix}-{index}-{name}": value for name, value in row.items()})
    return data
