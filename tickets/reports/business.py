"""Business-hours durations in SQL, from the SLA calendars (tickets.sla.calendar and .policy).

The SLA engine walks a department's business intervals in Python (business_seconds_between).
The reports need the same figure summed over hundreds of thousands of tickets, so they take the
very same intervals (tickets.sla.calendar.business_intervals, over the span of the data) and
turn them into three arrays per calendar: interval starts S, ends E and C, the business time
before each interval. The business time from a fixed origin to a moment ts is then

    i = width_bucket(ts, S)            -- binary search: the last interval starting at or before ts
    cum(ts) = C[i] + (LEAST(ts, E[i]) - S[i])      (0 before the first interval)

and business(a, b) = cum(b) - cum(a): the sum of the overlaps of [a, b) with every interval, as
business_seconds_between() computes it, exactly (interval arithmetic, microseconds). A department
without a calendar (and no default one) runs 24/7: cum(ts) = ts - a fixed origin.

`BusinessClock.sql(column)` returns the SQL of cum(column) for a row of tickets aliased `t`; the
arrays travel once per query in a one-row CTE `k` that the query must cross join.
"""

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from tickets.models import BusinessCalendar, Department, Ticket
from tickets.sla.calendar import business_intervals
from tickets.sla.policy import schedule_from_calendar

ORIGIN = "timestamptz '2000-01-01 00:00:00+00'"


@dataclass
class _Calendar:
    departments: list[int | None]
    starts: list[datetime]
    ends: list[datetime]
    before: list[timedelta]


@dataclass
class BusinessClock:
    """The business calendars of every department over [first, last] (local days)."""

    first: date
    last: date
    calendars: list[_Calendar] = field(default_factory=list)
    default: int | None = None  # index into calendars of the default calendar (None: 24/7)
    always_open: list[int] = field(default_factory=list)  # departments whose own calendar has no hours

    def params(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for n, cal in enumerate(self.calendars):
            out[f"bz_s{n}"], out[f"bz_e{n}"], out[f"bz_c{n}"] = cal.starts, cal.ends, cal.before
            out[f"bz_d{n}"] = [d for d in cal.departments if d is not None]
        out["bz_open"] = self.always_open
        return out

    def cte(self) -> str:
        """The one-row CTE `k` holding the arrays (join it with CROSS JOIN k)."""
        columns = ["%(bz_open)s::int[] AS open"]
        for n in range(len(self.calendars)):
            columns += [f"%(bz_s{n})s::timestamptz[] AS s{n}", f"%(bz_e{n})s::timestamptz[] AS e{n}",
                        f"%(bz_c{n})s::interval[] AS c{n}", f"%(bz_d{n})s::int[] AS d{n}"]
        return "k AS (SELECT " + ", ".join(columns) + ")"

    @staticmethod
    def _cum(n: int, ts: str) -> str:
        i = f"width_bucket({ts}, k.s{n})"
        return f"COALESCE(k.c{n}[{i}] + (LEAST({ts}, k.e{n}[{i}]) - k.s{n}[{i}]), interval '0')"

    def sql(self, ts: str, department: str = "t.department_id") -> str:
        """SQL for the business time from the origin to `ts` under the ticket's department's calendar."""
        fallback = self._cum(self.default, ts) if self.default is not None else f"({ts} - {ORIGIN})"
        cases = [f"WHEN {department} = ANY(k.open) THEN ({ts} - {ORIGIN})"] if self.always_open else []
        cases += [f"WHEN {department} = ANY(k.d{n}) THEN {self._cum(n, ts)}"
                 for n, cal in enumerate(self.calendars) if n != self.default and cal.departments]
        return f"(CASE {' '.join(cases)} ELSE {fallback} END)" if cases else fallback

    def between(self, start: str, end: str) -> str:
        return f"({self.sql(end)} - {self.sql(start)})"

    def fingerprint(self, before: date) -> str:
        """A hash of which calendar each department uses and of every interval before `before`."""
        digest = hashlib.sha256(f"{sorted(self.always_open)}|{self.default}|".encode())
        for n, cal in enumerate(self.calendars):
            digest.update(f"{n}:{sorted(d or 0 for d in cal.departments)};".encode())
            limit = datetime.combine(before, datetime.min.time(), tzinfo=UTC) + timedelta(days=1)
            for start, end in zip(cal.starts, cal.ends, strict=True):
                if start < limit:
                    digest.update(f"{start.isoformat()}/{end.isoformat()};".encode())
        return digest.hexdigest()


def _arrays(first: date, last: date, calendar: BusinessCalendar) -> tuple[list, list, list] | None:
    schedule = schedule_from_calendar(calendar)
    if schedule is None:
        return None
    spans = business_intervals(first, last, schedule)
    if not spans:  # no opening at all in the span: a single empty interval keeps width_bucket valid
        moment = datetime.combine(first, datetime.min.time(), tzinfo=UTC)
        spans = [(moment, moment)]
    before, total = [], timedelta(0)
    for start, end in spans:
        before.append(total)
        total += end - start
    return [s for s, _e in spans], [e for _s, e in spans], before


def clock(*, first: date | None = None, last: date | None = None) -> BusinessClock:
    """Return the business clock covering every ticket's timestamps (two days' margin each side)."""
    if first is None:
        oldest = Ticket.objects.order_by("created_at").values_list("created_at", flat=True).first()
        first = (oldest.astimezone(UTC).date() if oldest else date.today()) - timedelta(days=2)
    if last is None:
        last = datetime.now(UTC).date() + timedelta(days=2)
    result = BusinessClock(first=first, last=last)
    by_calendar: dict[int, list[int | None]] = {}
    default = BusinessCalendar.objects.filter(is_default=True).first()
    # tickets.sla.policy.calendar_for: the department's own calendar, else the default one.
    for department_id, own in [*Department.objects.values_list("pk", "business_calendar_id"), (None, None)]:
        calendar_id = own or (default.pk if default else None)
        if calendar_id is not None:
            by_calendar.setdefault(calendar_id, []).append(department_id)
    calendars = BusinessCalendar.objects.in_bulk(list(by_calendar))
    for pk, departments in by_calendar.items():
        arrays = _arrays(first, last, calendars[pk])
        if arrays is None:  # a calendar without hours: 24/7
            result.always_open += [d for d in departments if d is not None]
            continue
        if default is not None and pk == default.pk:
            result.default = len(result.calendars)
        result.calendars.append(_Calendar(departments, *arrays))
    return result
