"""The manager's KPIs, read from the ticket timestamps and the event log with set-based SQL.

Definitions (the manager's "Support department KPIs" table and the agent's "Metrics to track"):
- Tickets in scope: not spam, not merged into another, matching the filters.
- Time to first response: average of first_response_at - created_at over tickets created in
  the period that have a first public staff reply (auto-replies never set first_response_at).
- Resolution time: average of closed_at - created_at over tickets closed in the period.
- FCR: tickets closed in the period that were never escalated and never reopened, over tickets
  closed in the period.
- SLA compliance per priority: tickets created in the period that were answered, or whose
  first-response target passed, and were answered within it (first_response_breached is set
  by the SLA code with the department's business calendar, tickets.sla.calendar), over them.
- Tickets per agent per day: tickets created / agents who replied in the period / working days.
- Open at end of period: created before its end and not closed by then (Urgent counted apart).
- Predefined-reply usage: staff replies sent from a predefined reply over staff replies.
Each figure is one aggregate (grouped by a dimension for the breakdown tables).
"""

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.db import connection
from django.db.models import Count, DurationField, Exists, ExpressionWrapper, F, OuterRef, Q, QuerySet, Sum
from django.utils import timezone

from kb.models import KBView
from tickets.models import Deflection, Priority, Ticket, TicketEvent, TicketMessage
from tickets.reports.filters import DIMENSIONS, ReportFilters


@dataclass
class TicketFigures:
    created: int = 0
    answered: int = 0
    frt_sum: timedelta | None = None
    closed: int = 0
    resolution_sum: timedelta | None = None
    fcr: int = 0
    sla_total: int = 0
    sla_met: int = 0
    # The same durations in business hours (the department's SLA calendar; None off PostgreSQL).
    frt_business_sum: timedelta | None = None
    resolution_business_sum: timedelta | None = None

    @property
    def frt(self) -> timedelta | None:
        return self.frt_sum / self.answered if self.answered and self.frt_sum is not None else None

    @property
    def resolution(self) -> timedelta | None:
        return self.resolution_sum / self.closed if self.closed and self.resolution_sum is not None else None

    @property
    def fcr_pct(self) -> float | None:
        return 100 * self.fcr / self.closed if self.closed else None

    @property
    def sla_pct(self) -> float | None:
        return 100 * self.sla_met / self.sla_total if self.sla_total else None

    @property
    def frt_seconds(self) -> float | None:
        return self.frt.total_seconds() if self.frt is not None else None

    @property
    def resolution_seconds(self) -> float | None:
        return self.resolution.total_seconds() if self.resolution is not None else None

    @property
    def frt_business_seconds(self) -> float | None:
        if not self.answered or self.frt_business_sum is None:
            return None
        return self.frt_business_sum.total_seconds() / self.answered

    @property
    def resolution_business_seconds(self) -> float | None:
        if not self.closed or self.resolution_business_sum is None:
            return None
        return self.resolution_business_sum.total_seconds() / self.closed


@dataclass
class Activity:
    """The figures that are not per ticket: KB views, agents at work, replies, the open queue."""

    kb_views: int = 0
    active_agents: int = 0
    working_days: int = 0
    staff_replies: int = 0
    predefined_replies: int = 0
    open_at_end: int = 0
    open_urgent_at_end: int = 0
    portal_sessions: int = 0  # portal "new ticket" forms where a suggested article was opened
    portal_deflected: int = 0  # ... and the form was never submitted
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def predefined_pct(self) -> float | None:
        return 100 * self.predefined_replies / self.staff_replies if self.staff_replies else None


def scope(filters: ReportFilters) -> QuerySet[Ticket]:
    """Return the tickets the filters select (spam and merged tickets never count)."""
    return Ticket.objects.filter(filters.ticket_q(), is_spam=False, merged_into__isnull=True)


def _figures_expressions(filters: ReportFilters) -> dict[str, Any]:
    created = Q(created_at__gte=filters.since, created_at__lt=filters.until)
    closed = Q(closed_at__gte=filters.since, closed_at__lt=filters.until)
    answered = created & Q(first_response_at__isnull=False)
    sla_due = created & (Q(first_response_at__isnull=False) | Q(first_response_breached=True))
    duration = DurationField()
    # Inside the FILTER clause the event probe runs only for rows already known to be closed in
    # the period (PostgreSQL evaluates AND left to right and stops at the first false).
    first_contact = closed & ~Q(Exists(TicketEvent.objects.filter(
        ticket=OuterRef("pk"), kind__in=[TicketEvent.Kind.ESCALATED, TicketEvent.Kind.REOPENED]
    )))
    return {
        "k_created": Count("pk", filter=created),
        "k_answered": Count("pk", filter=answered),
        "k_frt": Sum(ExpressionWrapper(F("first_response_at") - F("created_at"), output_field=duration),
                     filter=answered),
        "k_closed": Count("pk", filter=closed),
        "k_resolution": Sum(ExpressionWrapper(F("closed_at") - F("created_at"), output_field=duration),
                            filter=closed),
        "k_fcr": Count("pk", filter=first_contact),
        "k_sla_total": Count("pk", filter=sla_due),
        "k_sla_met": Count("pk", filter=sla_due & Q(first_response_breached=False)),
    }


@dataclass
class FigureSet:
    """The period's ticket figures: the totals and every breakdown, from one grouped query."""

    total: TicketFigures
    by: dict[str, dict[Any, TicketFigures]]
    # {priority: created - closed} after the last midnight the rollup holds (rollup.open_at).
    after_edge: dict[Any, int] | None = None
    edge_day: date | None = None


def _add(into: TicketFigures, row: dict[str, Any]) -> None:
    into.created += row["k_created"]
    into.answered += row["k_answered"]
    into.closed += row["k_closed"]
    into.fcr += row["k_fcr"]
    into.sla_total += row["k_sla_total"]
    into.sla_met += row["k_sla_met"]
    if row["k_frt"] is not None:
        into.frt_sum = (into.frt_sum or timedelta(0)) + row["k_frt"]
    if row["k_resolution"] is not None:
        into.resolution_sum = (into.resolution_sum or timedelta(0)) + row["k_resolution"]
    if row.get("k_frt_b") is not None:
        into.frt_business_sum = (into.frt_business_sum or timedelta(0)) + row["k_frt_b"]
    if row.get("k_res_b") is not None:
        into.resolution_business_sum = (into.resolution_business_sum or timedelta(0)) + row["k_res_b"]


_SUM_KEYS = ["k_created", "k_answered", "k_frt", "k_frt_b", "k_sla_total", "k_sla_met", "k_closed", "k_resolution",
             "k_res_b", "k_fcr"]
_AS_INT = {"agent", "service", "priority"}


def _sql_figure_set(filters: ReportFilters) -> "FigureSet":
    """The period's figures on PostgreSQL: whole days from the rollup, the rest live (rollup.py)."""
    from tickets.reports import rollup

    live, rolled, edge = rollup.ticket_rows(filters)
    after_edge: dict[Any, int] | None = {} if edge is not None else None
    total = TicketFigures()
    by: dict[str, dict[Any, TicketFigures]] = {name: {} for name in DIMENSIONS}

    def add(name: str, key: Any, row: dict[str, Any]) -> None:
        group = by[name].get(key)
        if group is None:
            group = by[name][key] = TicketFigures()
        _add(group, row)

    for is_after, department, dimension, value, *sums in live:
        row = dict(zip(_SUM_KEYS, sums, strict=True))
        if is_after and after_edge is not None and dimension == "priority":
            priority = int(value) if value is not None else None
            after_edge[priority] = after_edge.get(priority, 0) + row["k_created"] - row["k_closed"]
        rolled.append((department, dimension, value, *sums))
    for department, dimension, value, *sums in rolled:
        row = dict(zip(_SUM_KEYS, sums, strict=True))
        if dimension == "":
            _add(total, row)
            add("department", department, row)
        else:
            add(dimension, int(value) if value is not None and dimension in _AS_INT else value, row)
    return FigureSet(total=total, by=by, after_edge=after_edge, edge_day=edge)


def figure_set(filters: ReportFilters) -> FigureSet:
    """Return the totals and the breakdown by every dimension of the tickets in scope.

    One query groups the period's tickets by all six dimensions at once (a few thousand groups
    even over a million tickets); the totals and each breakdown are sums of those groups.
    """
    if connection.vendor == "postgresql":
        return _sql_figure_set(filters)
    group_fields = [column for column, _label in DIMENSIONS.values()]
    rows = (
        scope(filters)
        .filter(Q(created_at__gte=filters.since, created_at__lt=filters.until)
                | Q(closed_at__gte=filters.since, closed_at__lt=filters.until))
        .order_by()
        .values(*group_fields)
        .annotate(**_figures_expressions(filters))
    )
    total = TicketFigures()
    by: dict[str, dict[Any, TicketFigures]] = {name: {} for name in DIMENSIONS}
    for row in rows:
        _add(total, row)
        for name, (column, _label) in DIMENSIONS.items():
            group = by[name].get(row[column])
            if group is None:
                group = by[name][row[column]] = TicketFigures()
            _add(group, row)
    return FigureSet(total=total, by=by)


def ticket_figures(filters: ReportFilters, dimension: str | None = None) -> dict[Any, TicketFigures]:
    """Return {group key: TicketFigures} (key None: the totals)."""
    figures = figure_set(filters)
    return dict(figures.by[dimension]) if dimension else {None: figures.total}


def working_days(since: datetime, until: datetime) -> int:
    """Return the Monday-to-Friday dates in [since, until) (at least 1)."""
    first, last = since.date(), until.date()
    count = sum(1 for n in range((last - first).days) if (first + timedelta(days=n)).weekday() < 5)
    return max(count, 1)


def urgent_priority_ids() -> list[int]:
    """Return the ids of the highest priority level (Urgent in the seeds)."""
    top = Priority.objects.order_by("-level").values_list("level", flat=True).first()
    return list(Priority.objects.filter(level=top).values_list("pk", flat=True)) if top is not None else []


def activity(filters: ReportFilters, figures: FigureSet | None = None) -> Activity:
    """Return the period's KB views, active agents, reply counts and the open queue at its end."""
    if connection.vendor == "postgresql":
        from tickets.reports import rollup

        actors = rollup.reply_rows(filters)
        staff_replies = sum(r for r, _p in actors.values())
        predefined = sum(p for _r, p in actors.values())
        agents = sum(1 for actor, (r, _p) in actors.items() if actor is not None and r)
        open_now = rollup.open_at(filters, urgent_priority_ids(), figures.after_edge if figures else None,
                                  figures.edge_day if figures else None)
    else:
        staff_replies, predefined, agents, open_now = _replies_orm(filters)
    if open_now is None:
        open_rows = scope(filters).filter(created_at__lt=filters.until).filter(
            Q(closed_at__isnull=True) | Q(closed_at__gte=filters.until)
        ).aggregate(n=Count("pk"), urgent=Count("pk", filter=Q(priority_id__in=urgent_priority_ids())))
        open_now = (open_rows["n"], open_rows["urgent"])
    # The portal's own deflection figure (tickets.portal.queries.deflection_stats, in SQL here).
    sessions = (
        Deflection.objects.filter(opened_at__gte=filters.since, opened_at__lt=filters.until)
        .values("contact_id", "form_session").annotate(tickets=Count("ticket")).order_by()
    )
    return Activity(
        portal_sessions=sessions.count(),
        portal_deflected=sessions.filter(tickets=0).count(),
        # Customers' reads (staff reads are not deflection), one row per article, visitor and day.
        kb_views=KBView.objects.filter(
            day__gte=timezone.localdate(filters.since), day__lt=timezone.localdate(filters.until), by_staff=False
        ).count(),
        active_agents=1 if filters.agent_id else agents,
        working_days=working_days(filters.since, filters.until),
        staff_replies=staff_replies,
        predefined_replies=predefined,
        open_at_end=open_now[0],
        open_urgent_at_end=open_now[1],
    )


def _replies_orm(filters: ReportFilters) -> tuple[int, int, int, None]:
    """Replies, predefined uses and agents who replied, with the ORM (databases other than PostgreSQL)."""
    in_period = {"created_at__gte": filters.since, "created_at__lt": filters.until}
    ticket_q = filters.ticket_q("ticket__") & Q(ticket__is_spam=False)
    replies = TicketEvent.objects.filter(ticket_q, kind=TicketEvent.Kind.STAFF_REPLIED, **in_period).aggregate(
        n=Count("pk"), agents=Count("actor", distinct=True)
    )
    predefined = TicketMessage.objects.filter(
        ticket_q, kind=TicketMessage.Kind.STAFF, predefined_reply__isnull=False, **in_period
    ).count()
    return replies["n"], predefined, replies["agents"], None
