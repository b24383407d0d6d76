"""Opening hours on public pages: the week's hours, the closures to come, the holiday
notice, "Open now — closes at 19:00" and "Ready tomorrow by 11:30".

The tags take a shop whose `opening_periods` and `closures` are prefetched (one query
each for a whole page of shops, see `offers_near` and `shop_detail`) and read the clock
(`django.utils.timezone.now`) when they render, unless given `at=`. The presenters below
do the reading; the templates (shops/_opening_*.html) do the wording, so that every
sentence is translated whole and dates are written by Django's `date` filter in the
active language, in Paris time.
"""

from dataclasses import dataclass
from datetime import date, datetime, time

from django import template
from django.template.loader import get_template
from django.utils import timezone, translation
from django.utils.safestring import SafeString

from shops.hours import PARIS, Schedule
from shops.models import Weekday

register = template.Library()

TODAY, TOMORROW, THIS_WEEK, LATER = "today", "tomorrow", "week", "later"


@dataclass(frozen=True)
class Moment:
    """An instant as a page says it: `day` is "today", "tomorrow", "week" (a weekday
    within six days: "Tuesday") or "later" (a date: "Tuesday 3 March")."""

    at: datetime
    day: str


def moment(at: datetime, *, now: datetime) -> Moment:
    days = (at.astimezone(PARIS).date() - now.astimezone(PARIS).date()).days
    day = {0: TODAY, 1: TOMORROW}.get(days, THIS_WEEK if days < 7 else LATER)
    return Moment(at=at.astimezone(PARIS), day=day)


@dataclass(frozen=True)
class OpeningStatus:
    has_hours: bool
    is_open: bool
    closes_at: datetime | None  # when open: the end of the current range
    next_opening: Moment | None  # when closed
    away_until: date | None  # the last day of the holiday the shop is on


def schedule_of(shop) -> Schedule:
    """The shop's schedule, built once per shop instance: a book page asks it twice per
    offer ("open now" and "ready by"), the shop page three times."""
    if "schedule" not in shop.__dict__:  # read with the shop already (catalog.selectors, catalog.stock)
        shop.schedule = Schedule.for_shop(shop)
    return shop.schedule


def opening_status_for(shop, *, now: datetime) -> OpeningStatus:
    schedule = schedule_of(shop)
    is_open = schedule.is_open(now)
    next_opening = None if is_open else schedule.next_opening(now)
    away = shop.is_on_holiday(now.astimezone(PARIS).date())
    return OpeningStatus(
        has_hours=schedule.has_hours,
        is_open=is_open,
        closes_at=schedule.closes_at(now),
        next_opening=moment(next_opening, now=now) if next_opening else None,
        away_until=shop.holiday_ends_on if away else None,
    )


def ready_by_for(shop, *, now: datetime) -> Moment | None:
    """When a reservation placed `now` would be ready; None for a shop without hours."""
    ready = schedule_of(shop).ready_by(now, shop.preparation_time)
    return moment(ready, now=now) if ready else None


@dataclass(frozen=True)
class DayHours:
    name: str
    ranges: tuple[tuple[time, time], ...]  # empty: closed that day
    is_today: bool


def week_of(schedule: Schedule, *, today: date) -> list[DayHours]:
    """The weekly hours, Monday to Sunday; empty for a shop that gave none."""
    if not schedule.has_hours:
        return []
    return [
        DayHours(day.label, schedule.weekly.get(day.value, ()), is_today=day.value == today.weekday())
        for day in Weekday
    ]


@dataclass(frozen=True)
class ClosedPeriod:
    starts_on: date
    ends_on: date
    reason: str
    is_holiday: bool

    @property
    def is_one_day(self) -> bool:
        return self.starts_on == self.ends_on


def closures_ahead(shop, *, today: date) -> list[ClosedPeriod]:
    """Exceptional closures not over yet, and the holiday if it has not started (a holiday
    under way has its own notice), in date order."""
    periods = [
        ClosedPeriod(closure.starts_on, closure.ends_on, closure.reason, is_holiday=False)
        for closure in shop.closures.all()
        if closure.ends_on >= today
    ]
    if shop.holiday_starts_on and shop.holiday_starts_on > today:  # both dates or none (DB check)
        periods.append(ClosedPeriod(shop.holiday_starts_on, shop.holiday_ends_on, "", is_holiday=True))
    return sorted(periods, key=lambda period: (period.starts_on, period.ends_on))


def _now(at: datetime | None) -> datetime:
    return at if at is not None else timezone.now()


@register.inclusion_tag("shops/_opening_hours.html")
def opening_hours(shop, at: datetime | None = None):
    """The shop page's block: open or closed now, the holiday notice, the week, closures."""
    now = _now(at)
    today = now.astimezone(PARIS).date()
    return {
        "shop": shop,
        "status": opening_status_for(shop, now=now),
        "week": week_of(schedule_of(shop), today=today),
        "closures": closures_ahead(shop, today=today),
    }


@register.simple_tag
def opening_status(shop, at: datetime | None = None) -> SafeString:
    """One line: "Open now — closes at 19:00", "Closed — opens Tuesday at 9:00"."""
    return _line_now(
        "shops/_opening_status.html", shop, at, lambda now: {"status": opening_status_for(shop, now=now)}
    )


@register.simple_tag
def ready_by(shop, at: datetime | None = None) -> SafeString:
    """One line: "Ready tomorrow by 11:30" (nothing for a shop without hours)."""
    return _line_now("shops/_ready_by.html", shop, at, lambda now: {"ready": ready_by_for(shop, now=now)})


# The lines above, as rendered in the current minute, by (template, whether it was
# exactly on the minute, what the line reads of the shop, language). A book page shows
# both lines for each offer, and rendering them through their templates (zone, date
# formats, translated sentences) was a third of the page's template time (issue 22).
# What they read of a shop is all in the key (`hours_key`): a shop that changes its hours
# or goes on holiday gets new lines at once. Replaced as a whole when the minute changes
# (one tuple: a thread still rendering for the previous minute writes into that
# minute's lines, never into the next one's).
_lines_of_the_minute: tuple[datetime | None, dict] = (None, {})


def _line_now(template_name: str, shop, at: datetime | None, context_at) -> SafeString:
    """The line `template_name` says of `shop` now (or `at`, not kept), in the active language.

    Kept for the minute when the shop's opening ranges are whole minutes (as the admin
    lets booksellers write them): every instant strictly inside a minute then gives the
    same line, since a range starts, ends or holds the preparation time either before the
    minute's first second or after its last; the instant on the minute itself may not ("ready
    by 12:00" at 10:00:00, "by 14:00" a second later, for two hours to prepare before a
    noon closing) and is kept apart. A shop whose ranges have seconds is not kept."""
    global _lines_of_the_minute
    now = at if at is not None else timezone.now()
    if at is not None or not _in_whole_minutes(schedule_of(shop)):
        return get_template(template_name).render(context_at(now))
    minute = now.replace(second=0, microsecond=0)
    kept_minute, lines = _lines_of_the_minute
    if kept_minute != minute:
        lines = {}
        _lines_of_the_minute = (minute, lines)
    key = (template_name, now == minute, hours_key(shop), translation.get_language())
    line = lines.get(key)
    if line is None:
        line = lines[key] = get_template(template_name).render(context_at(now))
    return line


def _in_whole_minutes(schedule: Schedule) -> bool:
    return all(
        moment.second == 0 and moment.microsecond == 0
        for ranges in schedule.weekly.values()
        for opens_closes in ranges
        for moment in opens_closes
    )


def hours_key(shop) -> tuple:
    """Everything the opening status and "ready by" lines read of a shop."""
    schedule = schedule_of(shop)
    return (
        tuple(sorted(schedule.weekly.items())),
        schedule.closed,
        shop.preparation_hours,
        shop.holiday_starts_on,
        shop.holiday_ends_on,
    )
