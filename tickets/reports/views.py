"""The KPI reports under /staff/reports/ (managers see everyone; an agent sees their own
figures) and the agent's "My day" panel. Thin: read the filters, call the reads, render or CSV."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from helpdesk.access import staff_required
from tickets.reports import cards, kpis, queries, sources, tables
from tickets.reports.forms import ReportFilterForm

CSV_TABLES = ["kpis", "sla", *tables.TABLES]


def _csv(name: str, content: str, filters: object) -> HttpResponse:
    response = HttpResponse(content, content_type="text/csv; charset=utf-8")
    stamp = f"{filters.since:%Y%m%d}-{filters.until:%Y%m%d}"
    response["Content-Disposition"] = f'attachment; filename="report-{name}-{stamp}.csv"'
    return response


@staff_required
def reports(request: HttpRequest) -> HttpResponse:
    """The KPI page: ten cards with formula, target and previous period; breakdowns with charts."""
    form = ReportFilterForm(request.GET or None, user=request.user)
    filters = form.to_filters()
    wanted = request.GET.get("table", "")
    if request.GET.get("format") == "csv" and wanted in CSV_TABLES:
        if wanted == "kpis":
            items = cards.cards(cards.read_period(filters), cards.read_period(filters.previous()))
            return _csv(wanted, tables.cards_csv(items), filters)
        dimension = "priority" if wanted == "sla" else wanted
        return _csv(wanted, tables.breakdown_csv(dimension, tables.breakdown(filters, dimension)), filters)
    figures = kpis.figure_set(filters)
    current, previous = cards.read_period(filters, figures), cards.read_period(filters.previous())
    breakdowns = [(d, tables.breakdown(filters, d, figures)) for d in tables.TABLES]
    query = request.GET.copy()
    query.pop("format", None)
    query.pop("table", None)
    return render(request, "tickets/reports/reports.html", {
        "form": form, "filters": filters, "previous": filters.previous(),
        "cards": cards.cards(current, previous), "breakdowns": breakdowns,
        "is_manager": request.user.is_manager, "query": query.urlencode(),
        "survey_results_url": sources.survey_results_url() if request.user.is_manager else "",
        "my_day": None if request.user.is_manager else queries.my_week(user=request.user, now=timezone.now()),
        "nav": "reports",
    })


@staff_required
def my_day(request: HttpRequest) -> HttpResponse:
    """The agent's panel: my FRT, resolution and FCR this week against the targets; my open Urgent."""
    return render(request, "tickets/reports/my_day.html", {
        "my_day": queries.my_week(user=request.user, now=timezone.now()), "nav": "my_day",
    })
