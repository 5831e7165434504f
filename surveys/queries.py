"""Reads of survey results for managers (the results page and the reports' CSAT/NPS cards).

Every figure is one aggregate over invitations sent in the period (joined to their optional
response), grouped by a ticket dimension when asked: the response rate is responses over
invitations of the same cohort. CSAT % counts 4-5 of 5 among rated responses; NPS is
% promoters (9-10) minus % detractors (0-6) among NPS answers.
"""

from typing import Any

from django.db.models import Count, Q, QuerySet, Sum

from surveys.models import Invitation, Response
from tickets.reports.filters import DIMENSIONS, ReportFilters
from tickets.reports.sources import SurveyFigures

T = "ticket__"


def _invitations(filters: ReportFilters) -> QuerySet[Invitation]:
    return Invitation.objects.filter(filters.ticket_q(T), sent_at__gte=filters.since, sent_at__lt=filters.until)


def report_figures(filters: ReportFilters, dimension: str | None = None) -> dict[Any, SurveyFigures]:
    """Return {group key: SurveyFigures}; key None for the totals when no dimension is given."""
    qs = _invitations(filters).order_by()
    key = None
    if dimension:
        key = T + DIMENSIONS[dimension][0]
        qs = qs.values(key)
    figures = {
        "s_sent": Count("pk"),
        "s_responses": Count("response"),
        "s_rated": Count("response__rating"),
        "s_sum": Sum("response__rating"),
        "s_good": Count("pk", filter=Q(response__rating__gte=4)),
        "s_nps": Count("response__nps"),
        "s_prom": Count("pk", filter=Q(response__nps__gte=9)),
        "s_detr": Count("pk", filter=Q(response__nps__lte=6)),
    }
    rows = qs.annotate(**figures) if dimension else [qs.aggregate(**figures)]
    result: dict[Any, SurveyFigures] = {}
    for row in rows:
        result[row[key] if key else None] = SurveyFigures(
            sent=row["s_sent"], responses=row["s_responses"], rated=row["s_rated"], rating_sum=row["s_sum"] or 0,
            good=row["s_good"], nps_answers=row["s_nps"], promoters=row["s_prom"], detractors=row["s_detr"],
        )
    return result


def rating_distribution(filters: ReportFilters) -> list[dict[str, Any]]:
    """Return [{rating, count, pct}] for ratings 1..5 (one grouped query)."""
    counts = dict(
        Response.objects.filter(invitation__in=_invitations(filters), rating__isnull=False)
        .order_by().values("rating").annotate(n=Count("pk")).values_list("rating", "n")
    )
    total = sum(counts.values())
    return [{"rating": r, "count": counts.get(r, 0), "pct": 100 * counts.get(r, 0) / total if total else 0}
            for r in range(1, 6)]


def comments(filters: ReportFilters) -> QuerySet[Response]:
    """Return the responses with a comment, newest first, with their tickets (paginate it)."""
    return (
        Response.objects.filter(invitation__in=_invitations(filters))
        .exclude(comment="")
        .select_related("invitation__ticket__department", "invitation__ticket__assignee", "invitation__ticket__client")
        .order_by("-submitted_at", "-id")
    )
