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


def business_intervals(first: date, last: date, schedule: Schedule) -> list[tuple[datetime, datetime]]:
    """Return the schedule's business intervals (UTC) on the local days first..last, in order.

    The reports sum business time in SQL from these (tickets.reports.business): the same
    intervals business_seconds_between() walks, so both agree to the microsecond.
    """
    out: list[tuple[datetime, datetime]] = []
    day = first
    while day <= last:
        out.extend(_intervals_on(day, schedule))
        day += timedelta(days=1)
    return out


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
class TargetState:
    """Where one SLA target of a ticket stands, for display (the queue's badge, the ticket page)."""

    metric: str  # "first_response" or "resolution"
    state: str  # "none", "met", "breached", "paused", "soon" or "due"
    due_at: datetime | None = None
    seconds: int = 0  # time left (due, soon, paused) or how late (breached)


def target_state(
    *,
    metric: str,
    due_at: datetime | None,
    done_at: datetime | None,
    flagged: bool,
    paused_at: datetime | None,
    now: datetime,
    pausable: bool,
    warning_seconds: int,
) -> TargetState:
    """Return the state of one target: breached (flagged by the sweep, or past due while running),
    met (done in time), paused (On Hold, if this target pauses), soon (within the warning lead
    time) or due. A paused clock counts from the moment it stopped."""
    if due_at is None:
        return TargetState(metric, "none")
    stopped = paused_at if (pausable and paused_at is not None) else None
    reference = done_at or stopped or now
    if flagged or reference > due_at:
        return TargetState(metric, "breached", due_at, max(0, int((reference - due_at).total_seconds())))
    if done_at is not None:
        return TargetState(metric, "met", due_at)
    left = int((due_at - reference).total_seconds())
    if stopped is not None:
        return TargetState(metric, "paused", due_at, left)
    return TargetState(metric, "soon" if left <= warning_seconds else "due", due_at, left)


def ticket_target(ticket: object, metric: str, *, now: datetime, pause_first_response: bool,
                  warning_seconds: int) -> TargetState:
    """Return target_state for a ticket's "first_response" or "resolution" target."""
    if metric == "first_response":
        due, done, flagged = ticket.first_response_due_at, ticket.first_response_at, ticket.first_response_breached
        pausable = pause_first_response
    else:
        due, done, flagged = ticket.resolution_due_at, ticket.closed_at, ticket.resolution_breached
        pausable = True
    return target_state(metric=metric, due_at=due, done_at=done, flagged=flagged, paused_at=ticket.sla_paused_at,
                        now=now, pausable=pausable, warning_seconds=warning_seconds)


def running_metric(ticket: object) -> str:
    """Return the target a ticket runs against now: the first response until it is given, then
    the resolution; "" once closed."""
    if ticket.closed_at is not None:
        return ""
    if ticket.first_response_at is None and ticket.first_response_due_at is not None:
        return "first_response"
    return "resolution"


def remaining_business_seconds(due_at: datetime, now: datetime, schedule: Schedule | None = None) -> float:
    """Return the business seconds left until `due_at` (negative when overdue, in wall time)."""
    if due_at >= now:
        return business_seconds_between(now, due_at, schedule)
    return -(now - due_at).total_seconds()
