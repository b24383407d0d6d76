"""shops/hours.py: open now, next opening, ready by, collection deadline, in Paris time.

The usual week below is Tuesday to Saturday, 9:30–12:30 and 14:00–19:00. Tuesday
1 December 2026 is a Tuesday; the clocks go back on Sunday 25 October 2026 and forward on
Sunday 28 March 2027.
"""

from datetime import UTC, date, timedelta

import pytest

from shops.hours import Schedule
from shops.models import Closure
from tests.factories import ShopFactory
from tests.shops.hours_helpers import BOOKSHOP_WEEK, give_hours, paris, schedule

WEEK = schedule(**BOOKSHOP_WEEK)
HOURS = timedelta(hours=1)


# --- Open now, closes at, next opening ---------------------------------------------------


def test_a_shop_is_open_inside_its_ranges_and_closed_at_lunch_and_on_monday():
    assert WEEK.is_open(paris("2026-12-01 09:30"))
    assert WEEK.is_open(paris("2026-12-01 12:29"))
    assert not WEEK.is_open(paris("2026-12-01 12:30"))  # closing time is closed
    assert not WEEK.is_open(paris("2026-12-01 13:00"))
    assert not WEEK.is_open(paris("2026-11-30 10:00"))


def test_closes_at_is_the_end_of_the_range_under_way_and_none_when_closed():
    assert WEEK.closes_at(paris("2026-12-01 10:00")) == paris("2026-12-01 12:30")
    assert WEEK.closes_at(paris("2026-12-01 15:00")) == paris("2026-12-01 19:00")
    assert WEEK.closes_at(paris("2026-12-01 13:00")) is None


def test_next_opening_after_lunch_is_the_afternoon_and_after_saturday_is_tuesday():
    assert WEEK.next_opening(paris("2026-12-01 12:45")) == paris("2026-12-01 14:00")
    assert WEEK.next_opening(paris("2026-12-05 19:00")) == paris("2026-12-08 09:30")


def test_the_next_opening_of_a_shop_open_one_morning_a_week_is_a_week_away():
    sundays = schedule(sunday="10:00-12:30")

    assert sundays.next_opening(paris("2026-11-22 11:00")) == paris(
        "2026-11-29 10:00"
    )  # not the one under way
    assert sundays.next_opening(paris("2026-11-22 12:30")) == paris("2026-11-29 10:00")
    assert sundays.next_opening(paris("2026-11-22 09:59")) == paris("2026-11-22 10:00")


def test_a_shop_closed_for_longer_than_the_lookahead_has_no_next_opening():
    closed_until_spring = schedule(**BOOKSHOP_WEEK, closed=[("2026-12-01", "2027-03-31")])

    assert closed_until_spring.next_opening(paris("2026-12-01 10:00")) is None
    assert closed_until_spring.ready_by(paris("2026-12-01 10:00"), 2 * HOURS) is None


# --- Ready by -----------------------------------------------------------------------------


def test_preparation_started_before_lunch_finishes_after_it():
    assert WEEK.ready_by(paris("2026-12-01 11:30"), 2 * HOURS) == paris("2026-12-01 15:00")


def test_a_reservation_placed_at_lunch_or_before_opening_counts_from_the_opening():
    assert WEEK.ready_by(paris("2026-12-01 13:00"), 2 * HOURS) == paris("2026-12-01 16:00")
    assert WEEK.ready_by(paris("2026-12-01 07:00"), 2 * HOURS) == paris("2026-12-01 11:30")


def test_preparation_that_fills_a_range_exactly_is_ready_at_its_closing_time():
    assert WEEK.ready_by(paris("2026-12-01 09:30"), 3 * HOURS) == paris("2026-12-01 12:30")


def test_preparation_goes_on_after_the_weekend():
    assert WEEK.ready_by(paris("2026-12-05 18:00"), 2 * HOURS) == paris("2026-12-08 10:30")


def test_a_preparation_of_several_days_counts_only_opening_hours():
    # 8 h a day: 20 h from Tuesday morning are Tuesday, Wednesday and 4 h on Thursday.
    assert WEEK.ready_by(paris("2026-12-01 09:00"), 20 * HOURS) == paris("2026-12-03 15:00")


def test_an_exceptional_closure_day_is_skipped_by_ready_by():
    with_closure = schedule(**BOOKSHOP_WEEK, closed=[("2026-12-08", "2026-12-08")])

    assert with_closure.ready_by(paris("2026-12-05 18:00"), 2 * HOURS) == paris("2026-12-09 10:30")
    assert not with_closure.is_open(paris("2026-12-08 10:00"))
    assert with_closure.ranges_on(date(2026, 12, 8)) == []


def test_a_shop_without_hours_is_never_open_and_has_no_ready_time():
    nothing = schedule()

    assert not nothing.has_hours
    assert not nothing.is_open(paris("2026-12-01 10:00"))
    assert nothing.next_opening(paris("2026-12-01 10:00")) is None
    assert nothing.ready_by(paris("2026-12-01 10:00"), 2 * HOURS) is None


def test_no_preparation_at_all_is_ready_now_if_open_or_at_the_next_opening():
    assert WEEK.ready_by(paris("2026-12-01 10:00"), timedelta(0)) == paris("2026-12-01 10:00")
    assert WEEK.ready_by(paris("2026-12-01 13:00"), timedelta(0)) == paris("2026-12-01 14:00")


# --- Collection deadline ------------------------------------------------------------------


def test_the_deadline_is_closing_time_holding_days_after_the_day_it_became_ready():
    assert WEEK.collection_deadline(paris("2026-12-01 15:00"), 7) == paris("2026-12-08 19:00")


def test_a_deadline_falling_on_a_closed_day_moves_to_the_next_day_the_shop_opens():
    with_closure = schedule(**BOOKSHOP_WEEK, closed=[("2026-12-08", "2026-12-08")])

    # Thursday + 4 days is Monday (closed every week), then Tuesday (closed that week).
    assert WEEK.collection_deadline(paris("2026-12-03 15:00"), 4) == paris("2026-12-08 19:00")
    assert with_closure.collection_deadline(paris("2026-12-03 15:00"), 4) == paris("2026-12-09 19:00")


def test_a_shop_without_hours_keeps_an_order_exactly_holding_days_times_24_hours():
    assert schedule().collection_deadline(paris("2026-12-01 15:07"), 7) == paris("2026-12-08 15:07")


# --- A holiday, through the shop's own rows -------------------------------------------------


@pytest.mark.django_db
def test_a_shops_schedule_reads_its_hours_its_closures_and_its_holiday(django_assert_num_queries):
    shop = ShopFactory(holiday_starts_on=date(2026, 12, 8), holiday_ends_on=date(2026, 12, 12))
    give_hours(shop, **BOOKSHOP_WEEK)
    Closure.objects.create(shop=shop, starts_on=date(2026, 12, 24), ends_on=date(2026, 12, 26))
    shop = type(shop).objects.prefetch_related("opening_periods", "closures").get(pk=shop.pk)

    with django_assert_num_queries(0):
        hours = Schedule.for_shop(shop)

    assert hours.weekly == WEEK.weekly
    assert hours.closed == ((date(2026, 12, 8), date(2026, 12, 12)), (date(2026, 12, 24), date(2026, 12, 26)))
    # Away from Tuesday 8 to Saturday 12: ready on the Tuesday after, due a week after that.
    assert not hours.is_open(paris("2026-12-10 10:00"))
    assert hours.next_opening(paris("2026-12-05 19:00")) == paris("2026-12-15 09:30")
    assert hours.ready_by(paris("2026-12-05 18:00"), 2 * HOURS) == paris("2026-12-15 10:30")
    assert hours.collection_deadline(paris("2026-12-01 15:00"), 7) == paris("2026-12-15 19:00")


# --- Midnight -----------------------------------------------------------------------------


def test_a_range_may_end_at_23_59_and_the_shop_is_closed_from_then():
    late = schedule(friday="20:00-23:59")

    assert late.is_open(paris("2026-12-04 23:58"))
    assert not late.is_open(paris("2026-12-04 23:59"))
    assert late.closes_at(paris("2026-12-04 23:30")) == paris("2026-12-04 23:59")
    # 59 minutes that Friday, the last one the next Friday.
    assert late.ready_by(paris("2026-12-04 23:00"), HOURS) == paris("2026-12-11 20:01")


def test_a_reservation_placed_at_23_59_or_midnight_counts_from_the_next_opening():
    assert WEEK.ready_by(paris("2026-11-30 23:59"), 2 * HOURS) == paris("2026-12-01 11:30")
    assert WEEK.ready_by(paris("2026-12-01 00:00"), 2 * HOURS) == paris("2026-12-01 11:30")
    night = schedule(tuesday="00:00-02:00")
    assert night.ready_by(paris("2026-11-30 23:59"), HOURS) == paris("2026-12-01 01:00")
    assert night.is_open(paris("2026-12-01 00:00"))


# --- Daylight saving time ---------------------------------------------------------------------


def test_a_range_across_the_spring_forward_lasts_an_hour_less_and_preparation_counts_real_time():
    night = schedule(sunday="01:00-05:00")  # 01:00 CET to 05:00 CEST: three real hours

    [(opens, closes)] = night.ranges_on(date(2027, 3, 28))

    assert closes - opens == 3 * HOURS
    assert night.ready_by(paris("2027-03-27 23:00"), 2 * HOURS) == paris("2027-03-28 04:00")
    assert night.ready_by(paris("2027-03-27 23:00"), 3 * HOURS) == paris("2027-03-28 05:00")
    assert night.ready_by(paris("2027-03-27 23:00"), 3.5 * HOURS) == paris("2027-04-04 01:30")


def test_wall_clock_times_the_spring_forward_skips_are_read_as_the_moment_clocks_jump():
    # From 01:59:59 the clocks show 03:00:00: a range 01:30–02:30 ends then, a range
    # starting at 02:30 starts then, a range inside the skipped hour does not happen.
    before = schedule(sunday="01:30-02:30")
    after = schedule(sunday="02:30-04:00")
    inside = schedule(sunday="02:15-02:45")

    assert before.closes_at(paris("2027-03-28 01:45")) == paris("2027-03-28 03:00")
    assert not before.is_open(paris("2027-03-28 03:15"))
    assert after.next_opening(paris("2027-03-27 20:00")) == paris("2027-03-28 03:00")
    assert after.is_open(paris("2027-03-28 03:15"))
    assert inside.ranges_on(date(2027, 3, 28)) == []
    assert inside.next_opening(paris("2027-03-27 20:00")) == paris("2027-04-04 02:15")


def test_a_range_across_the_fall_back_lasts_an_hour_more_and_preparation_counts_real_time():
    night = schedule(sunday="01:00-04:00")  # 01:00 CEST to 04:00 CET: four real hours

    [(opens, closes)] = night.ranges_on(date(2026, 10, 25))

    assert closes - opens == 4 * HOURS
    # Two hours after 01:00 CEST, the clocks show 02:00 for the second time. (Compared in
    # UTC: Python holds a time of the repeated hour unequal to any time of another zone.)
    ready = night.ready_by(paris("2026-10-24 22:00"), 2 * HOURS)
    assert ready.astimezone(UTC) == paris("2026-10-25T02:00+01:00")
    assert night.ready_by(paris("2026-10-24 22:00"), 4 * HOURS) == paris("2026-10-25 04:00")
    assert night.is_open(paris("2026-10-25T02:30+01:00"))


def test_a_deadline_landing_on_the_changeover_sundays_is_the_wall_clock_closing_time():
    with_sunday = schedule(**BOOKSHOP_WEEK, sunday="10:00-13:00")

    autumn = with_sunday.collection_deadline(paris("2026-10-17 15:00"), 8)
    spring = with_sunday.collection_deadline(paris("2027-03-20 15:00"), 8)

    assert (autumn, autumn.utcoffset()) == (paris("2026-10-25 13:00"), HOURS)
    assert (spring, spring.utcoffset()) == (paris("2027-03-28 13:00"), 2 * HOURS)


def test_without_hours_a_deadline_across_a_changeover_is_24_real_hours_a_day():
    # The wall clock shows an hour less in autumn, an hour more in spring.
    assert schedule().collection_deadline(paris("2026-10-24 12:00"), 1) == paris("2026-10-25 11:00")
    assert schedule().collection_deadline(paris("2027-03-27 12:00"), 1) == paris("2027-03-28 13:00")
