"""A shop's opening hours as time: is it open, when does it open, when will a reservation
be ready, until when does a ready order wait.

Shops declare wall-clock times in Europe/Paris (OpeningPeriod), exceptional closures
(Closure) and a holiday (Shop.holiday_*). Everything here works on aware datetimes and
counts durations in real elapsed time: on the night clocks go forward an evening range
is an hour shorter in UTC than on the wall, and `ready_by` knows it. Arithmetic is done
in UTC because Python subtracts two datetimes of the same zone by their wall clocks.

Pure functions of the schedule and the instant given: no clock, no query (the caller
prefetches `opening_periods` and `closures`), so that pages showing many shops stay at a
constant number of queries and the edge cases are tested without freezing time.
"""

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

PARIS = ZoneInfo("Europe/Paris")
# How far ahead to look for an opening. A shop closed for longer than this (or with no
# hours declared) has no "opens at" or "ready by": pages say nothing rather than guess.
LOOKAHEAD_DAYS = 62


@dataclass(frozen=True)
class Schedule:
    # weekday (0 = Monday) → sorted (opens, closes) wall-clock ranges
    weekly: dict[int, tuple[tuple[time, time], ...]]
    # inclusive (first day, last day) periods the shop is closed: closures and holiday
    closed: tuple[tuple[date, date], ...] = field(default=())

    @classmethod
    def for_shop(cls, shop) -> "Schedule":
        """The shop's schedule from its (prefetched) opening periods and closures."""
        return cls.from_rows(
            shop,
            periods=((period.weekday, period.opens, period.closes) for period in shop.opening_periods.all()),
            closures=((closure.starts_on, closure.ends_on) for closure in shop.closures.all()),
        )

    @classmethod
    def from_rows(cls, shop, *, periods, closures) -> "Schedule":
        """The schedule of `shop` (its holiday) from its opening periods as (weekday, opens,
        closes) and its closures as (first day, last day): read with the rows that need
        it (a checkout's listings) rather than prefetched."""
        weekly: dict[int, list[tuple[time, time]]] = {}
        for weekday, opens, closes in periods:
            weekly.setdefault(weekday, []).append((opens, closes))
        closed = list(closures)
        if shop.holiday_starts_on and shop.holiday_ends_on:
            closed.append((shop.holiday_starts_on, shop.holiday_ends_on))
        return cls(
            weekly={day: tuple(sorted(ranges)) for day, ranges in weekly.items()},
            closed=tuple(sorted(closed)),
        )

    @classmethod
    def from_json(cls, shop, *, periods: list, closures: list) -> "Schedule":
        """The schedule of `shop` from the two JSON columns of `schedule_columns_sql`."""
        return cls.from_rows(
            shop,
            periods=((weekday, time.fromisoformat(opens), time.fromisoformat(closes))
                     for weekday, opens, closes in periods),
            closures=((date.fromisoformat(first), date.fromisoformat(last)) for first, last in closures),
        )  # fmt: skip

    @property
    def has_hours(self) -> bool:
        return any(self.weekly.values())

    def is_closed_on(self, day: date) -> bool:
        return any(first <= day <= last for first, last in self.closed)

    def ranges_on(self, day: date) -> list[tuple[datetime, datetime]]:
        """The day's opening ranges as UTC instants (empty on a closed day)."""
        if self.is_closed_on(day):
            return []
        return [
            (_instant(day, opens), _instant(day, closes))
            for opens, closes in self.weekly.get(day.weekday(), ())
            if _instant(day, closes) > _instant(day, opens)  # a range swallowed by a DST gap
        ]

    def ranges_from(self, moment: datetime, days: int = LOOKAHEAD_DAYS):
        """Opening ranges that end after `moment`, in order, clipped to start no earlier
        than it, over the next `days` days."""
        moment = moment.astimezone(UTC)
        first_day = moment.astimezone(PARIS).date()
        for offset in range(days + 1):
            for opens, closes in self.ranges_on(first_day + timedelta(days=offset)):
                if closes > moment:
                    yield max(opens, moment), closes

    def is_open(self, moment: datetime) -> bool:
        moment = moment.astimezone(UTC)
        return any(opens <= moment < closes for opens, closes in self.ranges_on(_local_day(moment)))

    def closes_at(self, moment: datetime) -> datetime | None:
        """When the current range ends, if the shop is open at `moment`."""
        moment = moment.astimezone(UTC)
        for opens, closes in self.ranges_on(_local_day(moment)):
            if opens <= moment < closes:
                return closes.astimezone(PARIS)
        return None

    def next_opening(self, moment: datetime) -> datetime | None:
        """When the shop next opens after `moment` (not counting the range it is in)."""
        moment = moment.astimezone(UTC)
        for opens, _closes in self.ranges_from(moment):
            if opens > moment:
                return opens.astimezone(PARIS)
        return None

    def ready_by(self, placed_at: datetime, preparation: timedelta) -> datetime | None:
        """When a reservation placed at `placed_at` is ready: once `preparation` of
        opening time has passed (the shop prepares orders while it is open).

        None when the shop has no opening within LOOKAHEAD_DAYS to do it in.
        """
        left = preparation
        for opens, closes in self.ranges_from(placed_at):
            if closes - opens >= left:
                return (opens + left).astimezone(PARIS)
            left -= closes - opens
        return None

    def end_of_next_full_day(self, moment: datetime) -> datetime | None:
        """Closing time of the first opening day that lies wholly after `moment` (a day
        the shop is open but has already opened by `moment` does not count: it is not a
        full day left). None when no such day comes within LOOKAHEAD_DAYS."""
        first_day = moment.astimezone(PARIS).date()
        moment = moment.astimezone(UTC)
        for offset in range(LOOKAHEAD_DAYS + 1):
            ranges = self.ranges_on(first_day + timedelta(days=offset))
            if ranges and ranges[0][0] >= moment:
                return ranges[-1][1].astimezone(PARIS)
        return None

    def collection_deadline(self, ready_at: datetime, holding_days: int) -> datetime:
        """Until when a ready order waits: closing time, `holding_days` days after the day
        it became ready, or of the next day the shop is open after that.

        A shop without declared hours keeps it exactly `holding_days` × 24 h.
        """
        last_day = ready_at.astimezone(PARIS).date() + timedelta(days=holding_days)
        for offset in range(LOOKAHEAD_DAYS + 1):
            ranges = self.ranges_on(last_day + timedelta(days=offset))
            if ranges:
                return ranges[-1][1].astimezone(PARIS)
        return (ready_at.astimezone(UTC) + timedelta(days=holding_days)).astimezone(PARIS)


def schedule_columns_sql(shop_alias: str) -> str:
    """Two columns for a hand-written query over shops (`shop_alias`): each shop's opening
    periods and closures as JSON arrays, which `Schedule.from_json` reads. One statement
    for rows and hours alike, instead of two prefetch queries."""
    return f"""
        (SELECT coalesce(json_agg(json_build_array(period.weekday, period.opens, period.closes)), '[]')
           FROM shops_openingperiod period WHERE period.shop_id = {shop_alias}.id),
        (SELECT coalesce(json_agg(json_build_array(closure.starts_on, closure.ends_on)), '[]')
           FROM shops_closure closure WHERE closure.shop_id = {shop_alias}.id)"""


def _instant(day: date, wall_clock: time) -> datetime:
    """The UTC instant of a Paris wall-clock time. A time that happens twice (October) is
    its first occurrence. A time that does not exist (the hour skipped in March) is the
    instant the clocks jump over it, the first one whose wall clock shows that time or
    later: a range 01:30–02:30 ends when the clocks go from 01:59:59 to 03:00, a range
    02:30–04:00 starts then, and a range inside the skipped hour is empty.

    (Python's own reading, with the offset before the change, would put 02:30 at 03:30
    CEST: the first range would stay open until 03:30 on the wall, the second would open
    at 03:30, and the third would be moved an hour later instead of vanishing.)
    """
    local = datetime.combine(day, wall_clock, tzinfo=PARIS)
    instant = local.astimezone(UTC)
    if instant.astimezone(PARIS).replace(tzinfo=None) == local.replace(tzinfo=None):
        return instant
    # Read with the offset after the change (fold=1), the time is an instant before the
    # jump; with the offset before it (fold=0), one after. Zones change offsets on whole
    # seconds: halve the interval down to the second of the jump.
    before, after = int(local.replace(fold=1).timestamp()), int(instant.timestamp())
    offset_before = _offset_at(before)
    while after - before > 1:
        middle = (before + after) // 2
        if _offset_at(middle) == offset_before:
            before = middle
        else:
            after = middle
    return datetime.fromtimestamp(after, UTC)


def _offset_at(timestamp: int) -> timedelta:
    return datetime.fromtimestamp(timestamp, PARIS).utcoffset()


def _local_day(moment: datetime) -> date:
    return moment.astimezone(PARIS).date()
