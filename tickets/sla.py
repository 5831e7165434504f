"""Pure SLA arithmetic: business-time due dates, elapsed business time, breach checks. No I/O.

How it works: a `Schedule` is a department's working week in its own time zone (per weekday a
list of opening intervals that do not cross midnight) plus a set of holiday dates. Without a
schedule the clock runs 24/7. To add business time we walk the local days from the start,
build each interval as local wall-clock times, convert its ends to UTC and consume real elapsed
time between them; differences are always taken in UTC, so a day on which clocks go forward
has one hour less of business time and one on which they go back has one more.

Pauses: the ticket keeps the business seconds it has spent paused (On Hold, or closed before a
reopen). A due time is always `start ⊕ (target + paused)` in business time, so the ticket
resumes with exactly the time it had left, and a recomputation (priority, department or tier
change) never forgets earlier pauses.
"""

from collections.abc import Container, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

# A schedule with no opening at all within this many days is treated as broken, not looped on.
MAX_SCAN_DAYS = 3 * 366


@dataclass(frozen=True)
class Schedule:
    """A working week in a time zone: weekday (0 = Monday) -> [(opens, closes)], and holidays."""

    tz: ZoneInfo
    weekly: Mapping[int, tuple[tuple[time, time], ...]]
    holidays: Container[date] = field(default_factory=frozenset)

    @property
    def has_hours(self) -> bool:
        return any(self.weekly.get(day) for day in range(7))


@dataclass(frozen=True)
class Dues:
    first_response_due_at: datetime | None
    resolution_due_at: datetime | None


def _intervals_on(day: date, schedule: Schedule) -> Iterable[tuple[datetime, datetime]]:
    """Yield the day's business intervals as UTC datetimes (none on holidays)."""
    if day in schedule.holidays:
        return
    for opens, closes in schedule.weekly.get(day.weekday(), ()):
        start = datetime.combine(day, opens, tzinfo=schedule.tz).astimezone(UTC)
        end = datetime.combine(day, closes, tzinfo=schedule.tz).astimezone(UTC)
        if end > start:
            yield start, end


def _days_from(moment: datetime, schedule: Schedule) -> Iterable[date]:
    day = moment.astimezone(schedule.tz).date() - timedelta(days=1)  # an interval may straddle UTC midnight
    for offset in range(MAX_SCAN_DAYS):
        yield day + timedelta(days=offset)


def add_business_minutes(start: datetime, minutes: float, schedule: Schedule | None = None) -> datetime:
    """Return the moment `minutes` of business time after `start` (24/7 without a schedule).

    A start outside business hours begins counting at the next opening. The result is in UTC.
    """
    if schedule is None or not schedule.has_hours:
        return start + timedelta(minutes=minutes)
    remaining = timedelta(minutes=minutes)
    start = start.astimezone(UTC)
    if remaining <= timedelta(0):
        return start
    for day in _days_from(start, schedule):
        for opens, closes in _intervals_on(day, schedule):
            if closes <= start:
                continue
            begin = max(opens, start)
            available = closes - begin
            if remaining <= available:
                return begin + remaining
            remaining -= available
    raise ValueError("The business calendar has no opening hours within three years.")


def business_seconds_between(start: datetime, end: datetime, schedule: Schedule | None = None) -> float:
    """Return the business seconds between two moments (0 when end is not after start)."""
    if end <= start:
        return 0.0
    if schedule is None or not schedule.has_hours:
        return (end - start).total_seconds()
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    total = timedelta(0)
    for day in _days_from(start, schedule):
        if day > end.astimezone(schedule.tz).date() + timedelta(days=1):
            break
        for opens, closes in _intervals_on(day, schedule):
            overlap = min(closes, end) - max(opens, start)
            if overlap > timedelta(0):
                total += overlap
    return total.total_seconds()


def business_minutes_between(start: datetime, end: datetime, schedule: Schedule | None = None) -> float:
    """Return the business minutes between two moments."""
    return business_seconds_between(start, end, schedule) / 60


def is_open(moment: datetime, schedule: Schedule | None = None) -> bool:
    """Return True when `moment` falls in business hours (always, without a schedule)."""
    if schedule is None or not schedule.has_hours:
        return True
    local_day = moment.astimezone(schedule.tz).date()
    for day in (local_day - timedelta(days=1), local_day):
        for opens, closes in _intervals_on(day, schedule):
            if opens <= moment < closes:
                return True
    return False


def compute_dues(
    *,
    opened_at: datetime,
    first_response_minutes: int | None,
    resolution_minutes: int | None,
    paused_seconds: float = 0,
    pause_first_response: bool = False,
    schedule: Schedule | None = None,
) -> Dues:
    """Return both due times for a ticket opened at `opened_at` that has spent `paused_seconds`
    of business time paused (the first response only counts pauses if `pause_first_response`)."""
    paused_minutes = paused_seconds / 60
    first = None
    if first_response_minutes is not None:
        extra = paused_minutes if pause_first_response else 0
        first = add_business_minutes(opened_at, first_response_minutes + extra, schedule)
    resolution = None
    if resolution_minutes is not None:
        resolution = add_business_minutes(opened_at, resolution_minutes + paused_minutes, schedule)
    return Dues(first_response_due_at=first, resolution_due_at=resolution)


def is_breached(*, due_at: datetime | None, done_at: datetime | None, now: datetime) -> bool:
    """A target is breached when it was met after its due time, or is still open past it."""
    if due_at is None:
        return False
    return (done_at or now) > due_at


@dataclass(frozen=True)
class Countdown:
    """The SLA target a ticket is running against now, for display."""

    target: str  # "first_response", "resolution" or ""
    due_at: datetime | None
    seconds_left: int | None
    paused: bool = False

    @property
    def breached(self) -> bool:
        return self.seconds_left is not None and self.seconds_left < 0


def countdown(
    *,
    now: datetime,
    first_response_at: datetime | None,
    first_response_due_at: datetime | None,
    resolution_due_at: datetime | None,
    closed_at: datetime | None,
    paused_at: datetime | None,
) -> Countdown:
    """Return the running target: the first response until it is given, then the resolution."""
    if closed_at is not None:
        return Countdown(target="", due_at=None, seconds_left=None)
    if first_response_at is None and first_response_due_at is not None:
        target, due = "first_response", first_response_due_at
    else:
        target, due = "resolution", resolution_due_at
    if due is None:
        return Countdown(target="", due_at=None, seconds_left=None)
    reference = paused_at or now
    return Countdown(
        target=target, due_at=due, seconds_left=int((due - reference).total_seconds()), paused=paused_at is not None
    )


def humanize_seconds(seconds: int) -> str:
    """Return a short duration such as '2 d 3 h', '4 h 05 min' or '12 min'."""
    seconds = abs(seconds)
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {minutes:02d} min"
    return f"{minutes} min"


def remaining_business_seconds(due_at: datetime, now: datetime, schedule: Schedule | None = None) -> float:
    """Return the business seconds left until `due_at` (negative when overdue, in wall time)."""
    if due_at >= now:
        return business_seconds_between(now, due_at, schedule)
    return -(now - due_at).total_seconds()
