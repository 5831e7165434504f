"""Pure SLA arithmetic: business hours, weekends, holidays, DST, pauses."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from tickets.sla import calendar as sla

BUCHAREST = ZoneInfo("Europe/Bucharest")
NINE_TO_FIVE = tuple((time(9), time(17)) for _ in range(1))
WEEKDAYS = {day: ((time(9), time(17)),) for day in range(5)}


def local(*args: int, tz: ZoneInfo = BUCHAREST) -> datetime:
    return datetime(*args, tzinfo=tz)


def office(holidays: frozenset[date] = frozenset(), tz: ZoneInfo = BUCHAREST) -> sla.Schedule:
    return sla.Schedule(tz=tz, weekly=WEEKDAYS, holidays=holidays)


def test_without_schedule_the_clock_runs_24_7():
    """Without a calendar, 60 minutes after Saturday 23:30 is Sunday 00:30."""
    start = datetime(2026, 11, 21, 23, 30, tzinfo=UTC)
    assert sla.add_business_minutes(start, 60) == datetime(2026, 11, 22, 0, 30, tzinfo=UTC)


def test_within_the_same_business_day():
    """Two business hours from Monday 10:00 is Monday 12:00 local time."""
    due = sla.add_business_minutes(local(2026, 11, 23, 10), 120, office())
    assert due == local(2026, 11, 23, 12)


def test_friday_afternoon_rolls_over_the_weekend():
    """Four business hours from Friday 15:00 (two left that day) end Monday 11:00."""
    due = sla.add_business_minutes(local(2026, 11, 27, 15), 240, office())
    assert due == local(2026, 11, 30, 11)


def test_start_outside_hours_counts_from_next_opening():
    """A ticket opened on Saturday evening starts counting Monday 09:00."""
    due = sla.add_business_minutes(local(2026, 11, 28, 20), 60, office())
    assert due == local(2026, 11, 30, 10)


def test_holidays_are_skipped():
    """With Monday 30 Nov and Tuesday 1 Dec off, Friday 16:00 + 2h ends Wednesday 10:00."""
    holidays = frozenset({date(2026, 11, 30), date(2026, 12, 1)})
    due = sla.add_business_minutes(local(2026, 11, 27, 16), 120, office(holidays))
    assert due == local(2026, 12, 2, 10)


def test_country_holidays_from_the_holidays_package():
    """Romania's 30 November (St Andrew) and 1 December (National Day) are skipped with RO holidays."""
    import holidays as holidays_pkg

    schedule = office(holidays_pkg.country_holidays("RO"))
    due = sla.add_business_minutes(local(2026, 11, 27, 16), 120, schedule)
    assert due == local(2026, 12, 2, 10)


def test_lunch_break_splits_the_day():
    """With 9-12 and 13-17, three hours from 11:00 end at 15:00."""
    schedule = sla.Schedule(tz=BUCHAREST, weekly={0: ((time(9), time(12)), (time(13), time(17)))})
    assert sla.add_business_minutes(local(2026, 11, 23, 11), 180, schedule) == local(2026, 11, 23, 15)


@pytest.mark.parametrize(
    ("start", "expected_utc_hours"),
    [
        # Spring forward (29 March 2026 in Bucharest): 24/7 schedule, the local day has 23 hours.
        (local(2026, 3, 28, 12), 24),
        # Fall back (25 October 2026): the local day has 25 hours.
        (local(2026, 10, 24, 12), 24),
    ],
)
def test_24_7_schedule_in_a_time_zone_counts_real_time_across_dst(start, expected_utc_hours):
    """A round-the-clock calendar adds real elapsed time even across a DST change."""
    schedule = sla.Schedule(tz=BUCHAREST, weekly={d: ((time(0), time(23, 59, 59, 999999)),) for d in range(7)})
    due = sla.add_business_minutes(start, 24 * 60, schedule)
    assert (due - start).total_seconds() == pytest.approx(expected_utc_hours * 3600, abs=2)


def test_dst_spring_forward_night_shift_has_one_hour_less():
    """A 00:00-06:00 shift on the night clocks go forward (03:00 → 04:00) lasts five real hours."""
    schedule = sla.Schedule(tz=BUCHAREST, weekly={6: ((time(0), time(6)),)})
    start = local(2026, 3, 29, 0)
    assert sla.business_minutes_between(start, local(2026, 3, 29, 6), schedule) == 300
    # Six business hours from that start therefore end the following Sunday at 01:00.
    assert sla.add_business_minutes(start, 360, schedule) == local(2026, 4, 5, 1)


def test_dst_fall_back_night_shift_has_one_hour_more():
    """A 00:00-06:00 shift on the night clocks go back (04:00 → 03:00) lasts seven real hours."""
    schedule = sla.Schedule(tz=BUCHAREST, weekly={6: ((time(0), time(6)),)})
    assert sla.business_minutes_between(local(2026, 10, 25, 0), local(2026, 10, 25, 6), schedule) == 420


def test_business_hours_are_local_wall_clock_after_dst():
    """Nine o'clock stays nine o'clock local time after the clocks change (7:00 UTC → 6:00 UTC)."""
    schedule = office(tz=BUCHAREST)
    before = sla.add_business_minutes(local(2026, 10, 23, 17), 60, schedule)  # Friday close → Monday
    assert before == local(2026, 10, 26, 10)
    assert before.astimezone(UTC).hour == 8  # EET (UTC+2) after the change


def test_business_minutes_between_skips_nights_and_weekends():
    """From Friday 16:00 to Monday 10:00 there are two business hours."""
    assert sla.business_minutes_between(local(2026, 11, 27, 16), local(2026, 11, 30, 10), office()) == 120


def test_add_and_between_are_inverse():
    """business_minutes_between(start, add_business_minutes(start, m)) == m."""
    schedule = office(frozenset({date(2026, 12, 1)}))
    start = local(2026, 11, 26, 13, 17)
    for minutes in (1, 59, 480, 1000, 5000):
        due = sla.add_business_minutes(start, minutes, schedule)
        assert sla.business_minutes_between(start, due, schedule) == pytest.approx(minutes)


def test_is_open():
    """is_open follows the weekly hours in the calendar's time zone."""
    schedule = office()
    assert sla.is_open(local(2026, 11, 23, 9), schedule)
    assert not sla.is_open(local(2026, 11, 23, 17), schedule)
    assert not sla.is_open(local(2026, 11, 28, 12), schedule)
    assert sla.is_open(local(2026, 11, 28, 12), None)


def test_compute_dues_adds_paused_time_to_resolution_only_by_default():
    """Time paused moves the resolution due; the first response is not paused unless asked."""
    start = datetime(2026, 11, 23, 8, tzinfo=UTC)
    dues = sla.compute_dues(opened_at=start, first_response_minutes=60, resolution_minutes=240, paused_seconds=1800)
    assert dues.first_response_due_at == start + timedelta(minutes=60)
    assert dues.resolution_due_at == start + timedelta(minutes=270)
    paused_both = sla.compute_dues(
        opened_at=start, first_response_minutes=60, resolution_minutes=240, paused_seconds=1800,
        pause_first_response=True,
    )
    assert paused_both.first_response_due_at == start + timedelta(minutes=90)


def test_is_breached():
    """Breached: answered after the due time, or still open past it."""
    due = datetime(2026, 11, 23, 12, tzinfo=UTC)
    assert not sla.is_breached(due_at=due, done_at=due - timedelta(minutes=1), now=due + timedelta(hours=1))
    assert sla.is_breached(due_at=due, done_at=due + timedelta(minutes=1), now=due)
    assert sla.is_breached(due_at=due, done_at=None, now=due + timedelta(seconds=1))
    assert not sla.is_breached(due_at=None, done_at=None, now=due)


def test_empty_schedule_means_24_7():
    """A calendar with no hours at all falls back to the 24/7 clock instead of looping."""
    start = datetime(2026, 11, 23, 8, tzinfo=UTC)
    schedule = sla.Schedule(tz=BUCHAREST, weekly={})
    assert sla.add_business_minutes(start, 30, schedule) == start + timedelta(minutes=30)
