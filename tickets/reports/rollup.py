"""The reports' daily rollup: one SQL text computes the ticket and reply figures of a list of time
windows, both to fill the rollup (one window per local day, grouped by day) and to read the live
parts of a period (its ragged edges and today, grouped by dimension). The two paths run the same
statement, so a period read from the rollup equals the same period read live.

- `refresh(days=N)` (beat, every few minutes): recomputes the last N whole days, the days since
  the last refresh, and every day a ticket touched since the last refresh contributes to (its
  created day, closed day, and the days of its events and predefined replies: a reopen moves a
  closing, a reassignment moves every row of the ticket). Idempotent, set-based: DELETE the days,
  INSERT ... SELECT ... ON CONFLICT DO UPDATE, in one transaction under an advisory lock.
- `rebuild()` (`manage.py rebuild_report_rollup`): every day from the first ticket to yesterday.
  A refresh rebuilds by itself when the time zone or a business calendar changed.
- Every filled day also gets its pair rows (ReportPairDay, ReportReplyPairDay): the same sums per
  pair of agent, service, priority, channel and tier, so a period filtered by one of them (and
  maybe a department) is read from the rollup as well. `fill_pairs()` (`rebuild_report_rollup
  --pairs`) fills only those, after an upgrade; until then (`pairs_through` behind
  `built_through`) filtered periods read live, and the next refresh fills them by itself.

Not seen by a refresh, until the next rebuild: a client's tier changed (its old tickets keep
their tier in the rollup), a deleted ticket, and rows changed by hand in the database without
touching `updated_at`. The nightly rebuild (helpdesk/beat.py) closes that gap.
"""

import logging
import time
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from crm.models import Client
from tickets.models import (
    ReportDay,
    ReportPairDay,
    ReportReplyDay,
    ReportReplyPairDay,
    ReportRollupState,
    Ticket,
    TicketEvent,
    TicketMessage,
)
from tickets.reports.business import BusinessClock
from tickets.reports.business import clock as business_clock
from tickets.reports.filters import ReportFilters

logger = logging.getLogger(__name__)

# The breakdowns the rollup keeps beside each department's totals: name -> the facts' column.
BREAKDOWNS = {"agent": "assignee_id", "service": "service_id", "priority": "priority_id", "channel": "channel",
              "tier": "tier"}
# The pairs of breakdowns ReportPairDay keeps (each stored both ways round).
PAIRS = [(a, b) for n, a in enumerate(BREAKDOWNS) for b in list(BREAKDOWNS)[n + 1:]]
# The ReportFilters field of each breakdown: one of them set (and at most a department) is
# answered by the rollup's rows of that dimension and its pairs.
FILTER_FIELDS = {"agent": "agent_id", "service": "service_id", "priority": "priority_id", "channel": "channel",
                 "tier": "tier"}
TICKET_SUMS = ["created", "answered", "frt_sum", "frt_business_sum", "sla_total", "sla_met", "closed",
               "resolution_sum", "resolution_business_sum", "fcr"]
REPLY_SUMS = ["replies", "predefined"]
# A ticket changed in a transaction that began before a refresh but committed after it is still
# seen by the next refresh.
MARGIN = timedelta(minutes=15)
LOCK = 0x7265706F7274  # "report"


@dataclass(frozen=True)
class Window:
    key: date | None
    lo: datetime
    hi: datetime


def midnight(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, datetime.min.time()), timezone.get_current_timezone())


def day_windows(days: list[date]) -> list[Window]:
    return [Window(d, midnight(d), midnight(d + timedelta(days=1))) for d in days]


def _tables() -> dict[str, str]:
    return {"ticket": Ticket._meta.db_table, "client": Client._meta.db_table, "event": TicketEvent._meta.db_table,
            "message": TicketMessage._meta.db_table, "day": ReportDay._meta.db_table,
            "reply": ReportReplyDay._meta.db_table, "pair": ReportPairDay._meta.db_table,
            "reply_pair": ReportReplyPairDay._meta.db_table}


def _windows_params(windows: list[Window]) -> dict[str, Any]:
    """Adjacent windows merged into ranges, as named parameters r<n>_lo / r<n>_hi, plus the time zone."""
    ranges: list[list[datetime]] = []
    for w in sorted(windows, key=lambda w: w.lo):
        if ranges and ranges[-1][1] >= w.lo:
            ranges[-1][1] = max(ranges[-1][1], w.hi)
        else:
            ranges.append([w.lo, w.hi])
    params: dict[str, Any] = {"tz": timezone.get_current_timezone_name(), "n_ranges": len(ranges)}
    for n, (lo, hi) in enumerate(ranges):
        params[f"r{n}_lo"], params[f"r{n}_hi"] = lo, hi
    return params


def _in_windows(column: str, params: dict[str, Any]) -> str:
    """SQL: `column` falls in one of the ranges (literal bounds, so the planner sees them and uses
    the column's index: a join against a list of windows made it scan the whole table)."""
    ranges = [f"({column} >= %(r{n}_lo)s AND {column} < %(r{n}_hi)s)" for n in range(params["n_ranges"])]
    return "(" + " OR ".join(ranges or ["false"]) + ")"


def _key(column: str, by_key: bool) -> str:
    return f"({column} AT TIME ZONE %(tz)s)::date" if by_key else "NULL::date"


def _dimension_filter(filters: ReportFilters | None, params: dict[str, Any]) -> str:
    if filters is None:
        return ""
    sql = []
    for column, value in (("t.department_id", filters.department_id), ("t.assignee_id", filters.agent_id),
                          ("t.service_id", filters.service_id), ("t.priority_id", filters.priority_id),
                          ("t.channel", filters.channel), ("c.tier", filters.tier)):
        if value not in (None, ""):
            name = "f_" + column.split(".")[1]
            params[name] = value
            sql.append(f" AND {column} = %({name})s")
    return "".join(sql)


_DIM_SELECT = "t.department_id, t.assignee_id, t.service_id, t.priority_id, t.channel, c.tier"


_SUMS_SQL = ("sum(created), sum(answered), sum(frt), sum(frt_b), sum(sla_total), sum(sla_met), sum(closed), "
             "sum(res), sum(res_b), sum(fcr)")


def _ticket_select() -> str:
    """Per key and department: the totals, and one grouping set per breakdown (GROUPING() tells
    which one a row belongs to). The rollup's key is the local day; a live read's key says whether
    the moment falls after the rollup's last midnight (the open count)."""
    names = " ".join(f"WHEN GROUPING({c}) = 0 THEN '{d}'" for d, c in BREAKDOWNS.items())
    values = " ".join(f"WHEN GROUPING({c}) = 0 THEN {c}::text" for c in BREAKDOWNS.values())
    sets = ", ".join(["(key, department_id)", *[f"(key, department_id, {c})" for c in BREAKDOWNS.values()]])
    return (f"SELECT key, department_id, CASE {names} ELSE '' END, CASE {values} END, {_SUMS_SQL}\n"
            f"FROM facts GROUP BY GROUPING SETS ({sets})")


def _pair_select() -> str:
    """Per key and department: one grouping set per pair of breakdowns, each group written twice,
    (dimension, value, by_dimension, by_value) one way round and then the other."""
    def case(pick: int, text: bool) -> str:
        whens = " ".join(f"WHEN GROUPING({BREAKDOWNS[a]}) = 0 AND GROUPING({BREAKDOWNS[b]}) = 0 THEN "
                         + (f"{BREAKDOWNS[(a, b)[pick]]}::text" if text else f"'{(a, b)[pick]}'") for a, b in PAIRS)
        return f"CASE {whens} END"

    sets = ", ".join(f"(key, department_id, {BREAKDOWNS[a]}, {BREAKDOWNS[b]})" for a, b in PAIRS)
    sums = ", ".join(f"g.s{n}" for n in range(len(TICKET_SUMS)))
    inner = ", ".join(f"{part} AS s{n}" for n, part in enumerate(_SUMS_SQL.split(", ")))
    return (f"SELECT g.key, g.department_id, x.d, x.v, x.bd, x.bv, {sums} FROM (\n"
            f"  SELECT key, department_id, {case(0, False)} AS da, {case(0, True)} AS va,\n"
            f"         {case(1, False)} AS db, {case(1, True)} AS vb, {inner}\n"
            f"  FROM facts GROUP BY GROUPING SETS ({sets})\n"
            f") g CROSS JOIN LATERAL (VALUES (g.da, g.va, g.db, g.vb), (g.db, g.vb, g.da, g.va)) x(d, v, bd, bv)")


def ticket_sql(clock: BusinessClock, filters: ReportFilters | None, windows: list[Window], *,
               by_key: bool, edge: datetime | None = None, pairs: bool = False) -> tuple[str, dict[str, Any]]:
    """The ticket figures of the windows, grouped by dimensions and by local day (by_key), or
    live by dimensions and whether the moment falls at or after `edge`; `pairs`: grouped by the
    pairs of breakdowns instead (the rows of ReportPairDay)."""
    n = _tables()
    params: dict[str, Any] = {**clock.params(), **_windows_params(windows), "edge": edge}

    def key(column: str) -> str:
        if by_key:
            return _key(column, True)
        return f"({column} >= %(edge)s)" if edge is not None else "false"

    where = "NOT t.is_spam AND t.merged_into_id IS NULL" + _dimension_filter(filters, params)
    answered = "t.first_response_at IS NOT NULL"
    due = f"({answered} OR t.first_response_breached)"
    sql = f"""
WITH {clock.cte()},
facts AS (
  SELECT {key("t.created_at")} AS key, {_DIM_SELECT},
         1 AS created, ({answered})::int AS answered,
         CASE WHEN {answered} THEN t.first_response_at - t.created_at END AS frt,
         CASE WHEN {answered} THEN {clock.between("t.created_at", "t.first_response_at")} END AS frt_b,
         ({due})::int AS sla_total, ({due} AND NOT t.first_response_breached)::int AS sla_met,
         0 AS closed, NULL::interval AS res, NULL::interval AS res_b, 0 AS fcr
  FROM {n["ticket"]} t CROSS JOIN k LEFT JOIN {n["client"]} c ON c.id = t.client_id
  WHERE {where} AND {_in_windows("t.created_at", params)}
  UNION ALL
  SELECT {key("t.closed_at")}, {_DIM_SELECT}, 0, 0, NULL, NULL, 0, 0,
         1, t.closed_at - t.created_at, {clock.between("t.created_at", "t.closed_at")},
         (NOT EXISTS (SELECT 1 FROM {n["event"]} e WHERE e.ticket_id = t.id
                      AND e.kind IN ('escalated', 'reopened')))::int
  FROM {n["ticket"]} t CROSS JOIN k LEFT JOIN {n["client"]} c ON c.id = t.client_id
  WHERE {where} AND {_in_windows("t.closed_at", params)}
)
{_pair_select() if pairs else _ticket_select()}"""
    return sql, params


def reply_sql(filters: ReportFilters | None, windows: list[Window], *, by_key: bool,
              pairs: bool = False) -> tuple[str, dict[str, Any]]:
    """Staff replies (events) and predefined-reply uses (messages) of the windows, per actor;
    `pairs`: per actor and each value of each breakdown (the rows of ReportReplyPairDay)."""
    n = _tables()
    params: dict[str, Any] = _windows_params(windows)
    where = "NOT t.is_spam" + _dimension_filter(filters, params)
    group = "key, department_id, actor_id" if by_key else "actor_id"
    final = f"SELECT {group}, sum(replies), sum(predefined)\nFROM facts GROUP BY {group}"
    if pairs:
        names = " ".join(f"WHEN GROUPING({c}) = 0 THEN '{d}'" for d, c in BREAKDOWNS.items())
        values = " ".join(f"WHEN GROUPING({c}) = 0 THEN {c}::text" for c in BREAKDOWNS.values())
        sets = ", ".join(f"(key, department_id, actor_id, {c})" for c in BREAKDOWNS.values())
        final = (f"SELECT key, department_id, CASE {names} END, CASE {values} END, actor_id, sum(replies), "
                 f"sum(predefined)\nFROM facts GROUP BY GROUPING SETS ({sets})")
    sql = f"""
WITH facts AS (
  SELECT {_key("e.created_at", by_key)} AS key, {_DIM_SELECT}, e.actor_id, 1 AS replies, 0 AS predefined
  FROM {n["event"]} e
  JOIN {n["ticket"]} t ON t.id = e.ticket_id LEFT JOIN {n["client"]} c ON c.id = t.client_id
  WHERE {where} AND e.kind = 'staff_replied' AND {_in_windows("e.created_at", params)}
  UNION ALL
  SELECT {_key("m.created_at", by_key)}, {_DIM_SELECT}, m.author_id, 0, 1
  FROM {n["message"]} m
  JOIN {n["ticket"]} t ON t.id = m.ticket_id LEFT JOIN {n["client"]} c ON c.id = t.client_id
  WHERE {where} AND m.predefined_reply_id IS NOT NULL AND m.kind = 'staff' AND {_in_windows("m.created_at", params)}
)
{final}"""
    return sql, params


# --- filling -------------------------------------------------------------------------------


def _fill_pairs(days: list[date], clock: BusinessClock) -> None:
    """Recompute the ReportPairDay rows of `days` (inside the caller's transaction)."""
    n = _tables()
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {n['pair']} WHERE day = ANY(%s::date[])", [days])
        select, params = ticket_sql(clock, None, day_windows(days), by_key=True, pairs=True)
        columns = ", ".join(["day", "department_id", "dimension", "value", "by_dimension", "by_value", *TICKET_SUMS])
        updates = ", ".join(f"{c} = EXCLUDED.{c}" for c in TICKET_SUMS)
        cursor.execute(f"INSERT INTO {n['pair']} ({columns}) {select} "
                       f"ON CONFLICT ON CONSTRAINT report_pair_day_key DO UPDATE SET {updates}", params)
        cursor.execute(f"DELETE FROM {n['reply_pair']} WHERE day = ANY(%s::date[])", [days])
        select, params = reply_sql(None, day_windows(days), by_key=True, pairs=True)
        columns = ", ".join(["day", "department_id", "dimension", "value", "actor_id", *REPLY_SUMS])
        updates = ", ".join(f"{c} = EXCLUDED.{c}" for c in REPLY_SUMS)
        cursor.execute(f"INSERT INTO {n['reply_pair']} ({columns}) {select} "
                       f"ON CONFLICT ON CONSTRAINT report_reply_pair_day_key DO UPDATE SET {updates}", params)


def _fill(days: list[date], clock: BusinessClock) -> None:
    """Recompute the rollup rows of `days` (inside the caller's transaction)."""
    if not days:
        return
    n = _tables()
    windows = day_windows(days)
    _fill_pairs(days, clock)
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {n['day']} WHERE day = ANY(%s::date[])", [days])
        cursor.execute(f"DELETE FROM {n['reply']} WHERE day = ANY(%s::date[])", [days])
        select, params = ticket_sql(clock, None, windows, by_key=True)
        columns = ", ".join(["day", "department_id", "dimension", "value", *TICKET_SUMS])
        updates = ", ".join(f"{c} = EXCLUDED.{c}" for c in TICKET_SUMS)
        cursor.execute(f"INSERT INTO {n['day']} ({columns}) {select} "
                       f"ON CONFLICT ON CONSTRAINT report_day_key DO UPDATE SET {updates}", params)
        select, params = reply_sql(None, windows, by_key=True)
        columns = ", ".join(["day", "department_id", "actor_id", *REPLY_SUMS])
        updates = ", ".join(f"{c} = EXCLUDED.{c}" for c in REPLY_SUMS)
        cursor.execute(f"INSERT INTO {n['reply']} ({columns}) {select} "
                       f"ON CONFLICT ON CONSTRAINT report_reply_day_key DO UPDATE SET {updates}", params)


def _touched_days(since: datetime, before: date, now: datetime) -> set[date]:
    """The local days every ticket changed since `since` contributes to (before `before`)."""
    n = _tables()
    tz = timezone.get_current_timezone_name()
    sql = f"""
WITH touched AS (
  SELECT id FROM {n["ticket"]} WHERE updated_at >= %(since)s OR closed_at >= %(since)s
     OR first_response_at >= %(since)s OR (first_response_due_at >= %(since)s AND first_response_due_at <= %(now)s)
  UNION SELECT ticket_id FROM {n["event"]} WHERE created_at >= %(since)s
  UNION SELECT ticket_id FROM {n["message"]} WHERE created_at >= %(since)s AND kind = 'staff'
)
SELECT DISTINCT d FROM (
  SELECT (t.created_at AT TIME ZONE %(tz)s)::date AS d FROM {n["ticket"]} t JOIN touched USING (id)
  UNION SELECT (t.closed_at AT TIME ZONE %(tz)s)::date FROM {n["ticket"]} t JOIN touched USING (id)
  UNION SELECT (e.created_at AT TIME ZONE %(tz)s)::date FROM {n["event"]} e JOIN touched ON touched.id = e.ticket_id
  UNION SELECT (m.created_at AT TIME ZONE %(tz)s)::date FROM {n["message"]} m JOIN touched ON touched.id = m.ticket_id
        WHERE m.predefined_reply_id IS NOT NULL
) days WHERE d IS NOT NULL AND d < %(before)s"""
    with connection.cursor() as cursor:
        cursor.execute(sql, {"since": since, "now": now, "tz": tz, "before": before})
        return {row[0] for row in cursor.fetchall()}


def _first_day() -> date | None:
    oldest = Ticket.objects.order_by("created_at").values_list("created_at", flat=True).first()
    return timezone.localtime(oldest).date() if oldest else None


def refresh(*, days: int | None = None, full: bool = False, now: datetime | None = None) -> dict[str, Any]:
    """Bring the rollup up to yesterday (see the module's docstring). Returns what it did."""
    started = time.perf_counter()
    now = now or timezone.now()
    today = timezone.localtime(now).date()
    days = settings.REPORTS_ROLLUP_DAYS if days is None else days
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [LOCK])
        current = ReportRollupState.objects.select_for_update().get_or_create(pk=1)[0]
        clock = business_clock()
        tz = timezone.get_current_timezone_name()
        if current.built_through is None or current.time_zone != tz or (
                current.calendar_fingerprint != clock.fingerprint(current.built_through)):
            full = True
        first = _first_day()
        if full or first is None:
            ReportDay.objects.all().delete()
            ReportReplyDay.objects.all().delete()
            ReportPairDay.objects.all().delete()
            ReportReplyPairDay.objects.all().delete()
            wanted = {first + timedelta(days=i) for i in range((today - first).days)} if first else set()
        else:
            if current.pairs_through != current.built_through:  # new in this version: fill them once
                _catch_up_pairs(current, clock, first)
            start = min(today - timedelta(days=days), current.built_through)
            wanted = {start + timedelta(days=i) for i in range((today - start).days)}
            if current.refreshed_since:
                wanted |= _touched_days(current.refreshed_since - MARGIN, today, now)
            wanted = {d for d in wanted if d >= first}
        ordered = sorted(wanted)
        for chunk in range(0, len(ordered), 31):
            _fill(ordered[chunk:chunk + 31], clock)
        current.built_through = today
        current.pairs_through = today
        current.refreshed_since = now
        current.time_zone = tz
        current.calendar_fingerprint = clock.fingerprint(today)
        current.last_days = len(ordered)
        current.last_duration_ms = int((time.perf_counter() - started) * 1000)
        current.save()
    if full:  # fresh statistics, so the planner reads a month as a month
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {_tables()['day']}, {_tables()['reply']}, {_tables()['pair']}, "
                           f"{_tables()['reply_pair']}")
    result = {"days": len(ordered), "full": full, "ms": current.last_duration_ms}
    logger.info("report rollup refreshed: %s", result)
    return result


def rebuild() -> dict[str, Any]:
    return refresh(full=True)


def _catch_up_pairs(current: ReportRollupState, clock: BusinessClock, first: date | None) -> int:
    """Fill the pair rows for every day the rollup holds (under the caller's lock)."""
    ReportPairDay.objects.all().delete()
    ReportReplyPairDay.objects.all().delete()
    days = ([first + timedelta(days=i) for i in range((current.built_through - first).days)]
            if first and current.built_through else [])
    for chunk in range(0, len(days), 31):
        _fill_pairs(days[chunk:chunk + 31], clock)
    current.pairs_through = current.built_through
    return len(days)


def fill_pairs() -> dict[str, Any]:
    """Fill only the pair rows, for the days the rollup already holds (`rebuild_report_rollup
    --pairs`, after upgrading to the version that reads the filters from them: the rest of the
    rollup is left as it is). A refresh does the same by itself when it finds them missing."""
    started = time.perf_counter()
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [LOCK])
        current = ReportRollupState.objects.select_for_update().get_or_create(pk=1)[0]
        days = _catch_up_pairs(current, business_clock(), _first_day())
        current.save(update_fields=["pairs_through"])
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {_tables()['pair']}, {_tables()['reply_pair']}")
    result = {"days": days, "full": False, "ms": int((time.perf_counter() - started) * 1000)}
    logger.info("report rollup pairs filled: %s", result)
    return result


def built_through(filters: ReportFilters | None = None) -> date | None:
    """The first day the rollup does not hold (None: no rollup; the reports read everything live).
    With `filters`: None as well when the rollup cannot answer them (see `answers`)."""
    if connection.vendor != "postgresql" or (filters is not None and len(narrowing(filters)) > 1):
        return None
    row = ReportRollupState.objects.filter(pk=1).values_list("built_through", "time_zone", "pairs_through").first()
    if not row or row[0] is None or row[1] != timezone.get_current_timezone_name():
        return None
    if filters is not None and narrowing(filters) and row[2] != row[0]:
        return None
    return row[0]


# --- reading -------------------------------------------------------------------------------

LIVE_KEY = date(2000, 1, 1)  # the window key of live reads (they are not grouped by it)


def narrowing(filters: ReportFilters) -> list[tuple[str, str]]:
    """The filters set other than the department, as (breakdown, value as the rollup writes it)."""
    out = []
    for name, attribute in FILTER_FIELDS.items():
        value = getattr(filters, attribute)
        if value not in (None, ""):
            out.append((name, str(value)))
    return out


def answers(filters: ReportFilters) -> bool:
    """The rollup answers periods with no filter, a department, one of agent, service, priority,
    channel or tier (ReportDay's rows of that dimension and ReportPairDay's), or one of them and a
    department. Two of them at once are read live."""
    return len(narrowing(filters)) <= 1


def plan(filters: ReportFilters) -> tuple[tuple[date, date] | None, list[Window]]:
    """Split the period into whole days the rollup holds and the windows to read live."""
    since, until = filters.since, filters.until
    through = built_through(filters)
    everything = [Window(LIVE_KEY, since, until)]
    if through is None:
        return None, everything
    first = timezone.localtime(since).date()
    if midnight(first) < since:
        first += timedelta(days=1)
    last = min(timezone.localtime(until).date(), through)
    if first >= last:
        return None, everything
    windows = []
    if since < midnight(first):
        windows.append(Window(LIVE_KEY, since, midnight(first)))
    if midnight(last) < until:
        windows.append(Window(LIVE_KEY, midnight(last), until))
    return (first, last), windows


def _department(filters: ReportFilters, params: list[Any]) -> str:
    if filters.department_id is None:
        return ""
    params.append(filters.department_id)
    return " AND department_id = %s"


def ticket_rows(filters: ReportFilters) -> tuple[list[tuple], list[tuple], date | None]:
    """The period's ticket figures: (live rows, rollup rows, edge day). A rollup row is
    (department, dimension, value, *TICKET_SUMS), dimension "" holding the department's totals
    and "agent", "service", ... its breakdowns (value: the key as text); a live row is the same
    with a first column, "after the edge". The edge day is set when part of the period came from the rollup: then
    the live rows flagged "after edge" are exactly the tickets created or closed between that
    day's midnight and the period's end (what `open_at` adds to the rollup's sums before it)."""
    body, windows = plan(filters)
    live: list[tuple] = []
    rolled: list[tuple] = []
    with connection.cursor() as cursor:
        if body and narrowing(filters):
            rolled = _narrowed_rows(cursor, filters, body)
        elif body:
            params: list[Any] = [body[0], body[1]]
            where = _department(filters, params)
            sums = ", ".join(f"sum({c})" for c in TICKET_SUMS)
            cursor.execute(f"SELECT department_id, dimension, value, {sums} FROM {_tables()['day']} "
                           f"WHERE day >= %s AND day < %s{where} GROUP BY department_id, dimension, value", params)
            rolled = cursor.fetchall()
        if windows:
            edge = midnight(body[1]) if body else None
            sql, named = ticket_sql(business_clock(), filters, windows, by_key=False, edge=edge)
            cursor.execute(sql, named)
            live = cursor.fetchall()
    return live, rolled, body[1] if body else None


def _narrowed_rows(cursor: Any, filters: ReportFilters, body: tuple[date, date]) -> list[tuple]:
    """The rollup rows of a period filtered by one dimension (and maybe a department), in the
    shape of the unfiltered ones: the totals per department are ReportDay's rows of that
    dimension and value (also the filter's own one-row breakdown), the other breakdowns
    ReportPairDay's rows of that value."""
    (name, value), = narrowing(filters)
    n = _tables()
    sums = ", ".join(f"sum({c})" for c in TICKET_SUMS)
    params: list[Any] = [name, value, body[0], body[1]]
    where = _department(filters, params)
    cursor.execute(f"SELECT department_id, {sums} FROM {n['day']} WHERE dimension = %s AND value = %s "
                   f"AND day >= %s AND day < %s{where} GROUP BY department_id", params)
    totals = cursor.fetchall()
    rows = [(department, "", None, *rest) for department, *rest in totals]
    rows += [(department, name, value, *rest) for department, *rest in totals]
    cursor.execute(f"SELECT department_id, by_dimension, by_value, {sums} FROM {n['pair']} "
                   f"WHERE dimension = %s AND value = %s AND day >= %s AND day < %s{where} "
                   f"GROUP BY department_id, by_dimension, by_value", params)
    return rows + cursor.fetchall()


def reply_rows(filters: ReportFilters) -> dict[int | None, tuple[int, int]]:
    """{actor: (staff replies, predefined-reply uses)} of the period: whole days from
    ReportReplyDay, or ReportReplyPairDay when filtered by agent, service, ... (their tickets')."""
    body, windows = plan(filters)
    out: dict[int | None, tuple[int, int]] = {}
    rows: list[tuple] = []
    with connection.cursor() as cursor:
        if body and narrowing(filters):
            (name, value), = narrowing(filters)
            params = [name, value, body[0], body[1]]
            where = _department(filters, params)
            cursor.execute(f"SELECT actor_id, sum(replies), sum(predefined) FROM {_tables()['reply_pair']} "
                           f"WHERE dimension = %s AND value = %s AND day >= %s AND day < %s{where} "
                           f"GROUP BY actor_id", params)
            rows += cursor.fetchall()
        elif body:
            params: list[Any] = [body[0], body[1]]
            where = _department(filters, params)
            cursor.execute(f"SELECT actor_id, sum(replies), sum(predefined) FROM {_tables()['reply']} "
                           f"WHERE day >= %s AND day < %s{where} GROUP BY actor_id", params)
            rows += cursor.fetchall()
        if windows:
            sql, named = reply_sql(filters, windows, by_key=False)
            cursor.execute(sql, named)
            rows += cursor.fetchall()
    for actor, replies, predefined in rows:
        before = out.get(actor, (0, 0))
        out[actor] = (before[0] + int(replies), before[1] + int(predefined))
    return out


def open_at(filters: ReportFilters, urgent_ids: list[int], after_edge: dict[Any, int] | None = None,
            edge_day: date | None = None) -> tuple[int, int] | None:
    """(open, open Urgent) at `filters.until`: tickets created before it minus tickets closed
    before it, the whole days summed from the rollup and the rest counted live (or taken from
    `after_edge`, {priority: created - closed after midnight of `edge_day`}, when the figures
    read them).
    None: the rollup cannot answer (the caller counts the open tickets directly)."""
    through = built_through(filters)
    if through is None:
        return None
    until = filters.until
    if after_edge is None or edge_day is None:
        after_edge = None
        edge = min(timezone.localtime(until).date(), through)
    else:
        edge = edge_day
    n = _tables()
    params: list[Any] = [[str(pk) for pk in urgent_ids], edge]
    where = _department(filters, params)
    live: dict[str, Any] = {"lo": midnight(edge), "hi": until, "urgent": urgent_ids}
    live_where = _dimension_filter(filters, live)
    with connection.cursor() as cursor:
        if narrowing(filters):
            total, urgent = _narrowed_open(cursor, filters, urgent_ids, edge)
        else:
            cursor.execute(f"SELECT coalesce(sum(created - closed) FILTER (WHERE dimension = ''), 0), "
                           f"coalesce(sum(created - closed) FILTER (WHERE dimension = 'priority' "
                           f"AND value = ANY(%s)), 0) FROM {n['day']} WHERE day < %s{where}", params)
            total, urgent = cursor.fetchone()
        if after_edge is not None:
            return (int(total) + sum(after_edge.values()),
                    int(urgent) + sum(v for k, v in after_edge.items() if k in urgent_ids))
        cursor.execute(f"""
SELECT count(*) FILTER (WHERE t.created_at >= %(lo)s AND t.created_at < %(hi)s)
       - count(*) FILTER (WHERE t.closed_at >= %(lo)s AND t.closed_at < %(hi)s),
       count(*) FILTER (WHERE t.priority_id = ANY(%(urgent)s) AND t.created_at >= %(lo)s AND t.created_at < %(hi)s)
       - count(*) FILTER (WHERE t.priority_id = ANY(%(urgent)s) AND t.closed_at >= %(lo)s AND t.closed_at < %(hi)s)
FROM {n["ticket"]} t LEFT JOIN {n["client"]} c ON c.id = t.client_id
WHERE NOT t.is_spam AND t.merged_into_id IS NULL{live_where}
  AND ((t.created_at >= %(lo)s AND t.created_at < %(hi)s) OR (t.closed_at >= %(lo)s AND t.closed_at < %(hi)s))""",
                       live)
        more, more_urgent = cursor.fetchone()
    return int(total) + int(more), int(urgent) + int(more_urgent)


def _narrowed_open(cursor: Any, filters: ReportFilters, urgent_ids: list[int], edge: date) -> tuple[int, int]:
    """(created - closed, the same for Urgent) before `edge` of a period filtered by one dimension."""
    (name, value), = narrowing(filters)
    n = _tables()
    urgent = [str(pk) for pk in urgent_ids]
    params: list[Any] = [name, value, edge]
    where = _department(filters, params)
    params += [name, value, urgent, edge, *params[3:]]
    cursor.execute(f"SELECT (SELECT coalesce(sum(created - closed), 0) FROM {n['day']} "
                   f"WHERE dimension = %s AND value = %s AND day < %s{where}), "
                   f"(SELECT coalesce(sum(created - closed), 0) FROM {n['pair']} WHERE dimension = %s AND value = %s "
                   f"AND by_dimension = 'priority' AND by_value = ANY(%s) AND day < %s{where})", params)
    total, urgent_open = cursor.fetchone()
    if name == "priority":  # no pair of a dimension with itself: the priority is Urgent or it is not
        urgent_open = total if value in urgent else 0
    return int(total), int(urgent_open)
