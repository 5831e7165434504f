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
