"""The KPI cards: each figure with its formula, its target and whether it meets it.

The targets are the guides' benchmarks. `met` is True, False or None (no data); the template
picks the colour from it.
"""

from dataclasses import dataclass
from datetime import timedelta

from django.utils.translation import gettext_lazy as _

from helpdesk import datetimes
from tickets.reports import kpis, sources
from tickets.reports.filters import ReportFilters

FRT_TARGET = timedelta(hours=4)
RESOLUTION_TARGET = timedelta(hours=48)
FCR_TARGET = 70.0
CSAT_TARGET = 4.0
NPS_TARGET = 30.0
DEFLECTION_TARGET = 40.0
PER_AGENT_DAY = (15.0, 30.0)
SLA_TARGETS = {"Urgent": 90.0, "High": 80.0}
SLA_DEFAULT_TARGET = 80.0


@dataclass
class Card:
    key: str
    label: str
    value: float | None
    display: str
    previous_display: str
    formula: str
    target: str
    met: bool | None
    basis: str = ""
    business: str = ""  # the same duration in business hours (the SLA calendars), shown beside


@dataclass
class Period:
    """Every figure of one period (the page shows the current one and the one before)."""

    tickets: kpis.TicketFigures
    activity: kpis.Activity
    surveys: sources.SurveyFigures | None

    @property
    def per_agent_day(self) -> float | None:
        a = self.activity
        return self.tickets.created / a.active_agents / a.working_days if a.active_agents else None

    @property
    def deflection_pct(self) -> float | None:
        total = self.activity.kb_views + self.tickets.created
        return 100 * self.activity.kb_views / total if total else None


def read_period(filters: ReportFilters, figures: kpis.FigureSet | None = None) -> Period:
    """Return one period's figures (pass `figures` when the breakdowns already read them)."""
    figures = figures or kpis.figure_set(filters)
    return Period(
        tickets=figures.total,
        activity=kpis.activity(filters, figures),
        surveys=sources.survey_figures(filters).get(None),
    )


def duration(seconds: float | None) -> str:
    return "—" if seconds is None else datetimes.duration(seconds)


def pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}%"


def number(value: float | None, digits: int = 1) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def _business(now: float | None, before: float | None) -> str:
    """"2h 5m (previous 3h)": the business-hours average beside the wall-clock one."""
    if now is None and before is None:
        return ""
    return f"{duration(now)} ({_('previous')} {duration(before)})"


def _below(value: float | None, target: float) -> bool | None:
    return None if value is None else value <= target


def _above(value: float | None, target: float) -> bool | None:
    return None if value is None else value >= target


def cards(now: Period, before: Period) -> list[Card]:
    """Return the eight KPIs of the manager's table and the agent's two, in the guide's order."""
    t, p = now.tickets, before.tickets
    s, ps = now.surveys or sources.SurveyFigures(), before.surveys or sources.SurveyFigures()
    per_day = now.per_agent_day
    return [
        Card("frt", str(_("Time to first response")), t.frt_seconds, duration(t.frt_seconds),
             duration(p.frt_seconds), str(_("average(first staff reply − created), tickets created in the period")),
             "< 4 h", _below(t.frt_seconds, FRT_TARGET.total_seconds()), f"{t.answered} / {t.created}",
             _business(t.frt_business_seconds, p.frt_business_seconds)),
        Card("resolution", str(_("Resolution time")), t.resolution_seconds, duration(t.resolution_seconds),
             duration(p.resolution_seconds), str(_("average(closed − created), tickets closed in the period")),
             "< 48 h", _below(t.resolution_seconds, RESOLUTION_TARGET.total_seconds()), f"{t.closed}",
             _business(t.resolution_business_seconds, p.resolution_business_seconds)),
        Card("fcr", str(_("First contact resolution")), t.fcr_pct, pct(t.fcr_pct), pct(p.fcr_pct),
             str(_("closed without escalation and without reopen ÷ closed")), "> 70%",
             _above(t.fcr_pct, FCR_TARGET), f"{t.fcr} / {t.closed}"),
        Card("csat", "CSAT", s.average, number(s.average, 2) + (f" · {pct(s.csat_pct)}" if s.rated else ""),
             number(ps.average, 2), str(_("average rating 1–5 (and % of 4–5 among ratings)")), "> 4.0 / 5",
             None if s.average is None else s.average > CSAT_TARGET, f"{s.rated}"),
        Card("nps", "NPS", s.nps, number(s.nps, 0), number(ps.nps, 0),
             str(_("% promoters (9–10) − % detractors (0–6)")), "> 30",
             None if s.nps is None else s.nps > NPS_TARGET,
             f"{s.promoters} / {s.passives} / {s.detractors}"),
        Card("deflection", str(_("Ticket deflection rate")), now.deflection_pct, pct(now.deflection_pct),
             pct(before.deflection_pct), str(_("KB views ÷ (KB views + tickets)")), "> 40%",
             _above(now.deflection_pct, DEFLECTION_TARGET),
             f"{now.activity.kb_views} / {t.created}; "
             + str(_("portal: %(d)s of %(s)s forms with a suggested article opened were not submitted")
                   % {"d": now.activity.portal_deflected, "s": now.activity.portal_sessions})),
        Card("per_agent_day", str(_("Tickets per agent per day")), per_day, number(per_day),
             number(before.per_agent_day), str(_("tickets created ÷ agents who replied ÷ working days")), "15–30",
             None if per_day is None else PER_AGENT_DAY[0] <= per_day <= PER_AGENT_DAY[1],
             f"{t.created} / {now.activity.active_agents} / {now.activity.working_days}"),
        Card("sla", str(_("SLA compliance (first response)")), t.sla_pct, pct(t.sla_pct), pct(p.sla_pct),
             str(_("answered within the first-response target ÷ tickets due, per priority below")),
             "> 90% Urgent, > 80% High", _above(t.sla_pct, SLA_DEFAULT_TARGET), f"{t.sla_met} / {t.sla_total}"),
        Card("open_urgent", str(_("Open Urgent tickets at end of period")), now.activity.open_urgent_at_end,
             str(now.activity.open_urgent_at_end), str(before.activity.open_urgent_at_end),
             str(_("Urgent tickets created before the end and not closed by then")), "0",
             now.activity.open_urgent_at_end == 0, f"{now.activity.open_at_end} {_('open in all')}"),
        Card("predefined", str(_("Predefined-reply usage")), now.activity.predefined_pct,
             pct(now.activity.predefined_pct), pct(before.activity.predefined_pct),
             str(_("staff replies sent from a predefined reply ÷ staff replies")), str(_("indicator")), None,
             f"{now.activity.predefined_replies} / {now.activity.staff_replies}"),
    ]


def sla_target(priority_name: str) -> float:
    return SLA_TARGETS.get(priority_name, SLA_DEFAULT_TARGET)
