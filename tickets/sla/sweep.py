"""The SLA sweep (every minute from beat): mark breaches and warnings, set-based.

One UPDATE ... RETURNING per metric marks the tickets whose due time has passed (or comes within
the warning lead time) and that were not marked yet; each uses a partial index on the due
column that holds only pending tickets. The ids found are announced in bulk through
tickets.hooks (`sla_breached`, `sla_warning` with `ticket_ids` and `metric`): the automation
engine fires the breach rules and the notifications reach assignees and departments.
A breached flag is never cleared: a late answer still counts as breached in the reports.
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection
from django.db.models import QuerySet
from django.utils import timezone

from tickets import hooks
from tickets.models import Ticket
from tickets.sla.policy import pause_first_response


@dataclass
class SweepResult:
    breached: dict[str, list[int]] = field(default_factory=dict)
    warned: dict[str, list[int]] = field(default_factory=dict)

    def counts(self) -> dict[str, int]:
        return {
            **{f"breached_{k}": len(v) for k, v in self.breached.items()},
            **{f"warned_{k}": len(v) for k, v in self.warned.items()},
        }


def _update_returning(qs: QuerySet[Ticket], column: str) -> list[int]:
    """Set the boolean `column` true on the tickets of `qs` where it is false; return their ids."""
    inner_sql, params = qs.order_by().values("pk").query.sql_with_params()
    table = Ticket._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET {column} = %s WHERE id IN ({inner_sql}) AND {column} = %s RETURNING id",
            [True, *params, False],
        )
        return sorted(row[0] for row in cursor.fetchall())


def first_response_pending() -> QuerySet[Ticket]:
    qs = Ticket.objects.filter(
        first_response_at__isnull=True, closed_at__isnull=True, first_response_breached=False
    )
    if pause_first_response():
        qs = qs.filter(sla_paused_at__isnull=True)
    return qs


def resolution_pending() -> QuerySet[Ticket]:
    return Ticket.objects.filter(closed_at__isnull=True, resolution_breached=False, sla_paused_at__isnull=True)


def mark_breaches(*, now: datetime) -> dict[str, list[int]]:
    """Flag every ticket whose first response or resolution is now overdue; return their ids."""
    return {
        "first_response": _update_returning(
            first_response_pending().filter(first_response_due_at__lte=now), "first_response_breached"
        ),
        "resolution": _update_returning(resolution_pending().filter(resolution_due_at__lte=now), "resolution_breached"),
    }


def mark_warnings(*, now: datetime) -> dict[str, list[int]]:
    """Flag the tickets due within the warning lead time (once per due time); return their ids."""
    lead = timedelta(minutes=settings.HELPDESK_SLA_WARNING_MINUTES)
    if lead <= timedelta(0):
        return {"first_response": [], "resolution": []}
    return {
        "first_response": _update_returning(
            first_response_pending().filter(first_response_due_at__gt=now, first_response_due_at__lte=now + lead),
            "first_response_warned",
        ),
        "resolution": _update_returning(
            resolution_pending().filter(resolution_due_at__gt=now, resolution_due_at__lte=now + lead),
            "resolution_warned",
        ),
    }


def run_sla_sweep(*, now: datetime | None = None) -> SweepResult:
    """Mark breaches and warnings, then announce them (automation rules, notifications)."""
    now = now or timezone.now()
    result = SweepResult(breached=mark_breaches(now=now), warned=mark_warnings(now=now))
    for metric, ids in result.breached.items():
        if ids:
            hooks.emit("sla_breached", ticket_ids=ids, metric=metric)
    for metric, ids in result.warned.items():
        if ids:
            hooks.emit("sla_warning", ticket_ids=ids, metric=metric)
    return result
