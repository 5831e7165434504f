"""Pure SLA arithmetic: due times from targets, pauses, breach checks. No I/O here.

The clock is 24/7 unless a BusinessCalendar is given; a paused clock shifts the dues by the
time spent paused, so the ticket resumes with the time it had left.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class Dues:
    first_response_due_at: datetime | None
    resolution_due_at: datetime | None


def add_minutes(start: datetime, minutes: int, calendar: object | None = None) -> datetime:
    """Return the moment `minutes` of working time after `start` (24/7 without a calendar)."""
    if calendar is not None and hasattr(calendar, "add_minutes"):
        return calendar.add_minutes(start, minutes)
    return start + timedelta(minutes=minutes)


def compute_dues(
    *,
    opened_at: datetime,
    first_response_minutes: int,
    resolution_minutes: int,
    paused_for: timedelta = timedelta(0),
    calendar: object | None = None,
) -> Dues:
    """Return both due times for a ticket opened at `opened_at`, shifted by time spent paused."""
    return Dues(
        first_response_due_at=add_minutes(opened_at, first_response_minutes, calendar) + paused_for,
        resolution_due_at=add_minutes(opened_at, resolution_minutes, calendar) + paused_for,
    )


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
