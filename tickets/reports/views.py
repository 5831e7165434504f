"""The KPI reports under /staff/reports/ (managers see everyone; an agent sees their own
figures) and the agent's "My day" panel. Thin: read the filters, call the reads, render or CSV."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from helpdesk.access import staff_required
from tickets.reports import cards, kpis, queries, sources, tables
from tickets.reports.forms import ReportFilterForm

CSV_TABLES = ["kpis", "sla", *tables.TABLES]


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _export(name: str, table: list[list], filters: object, kind: str) -> HttpResponse:
    """The table as CSV or as XLSX (the same columns and values)."""
    if kind == "xlsx":
        response = HttpResponse(tables.to_xlsx(table, name), content_type=XLSX)
    else:
        response = HttpResponse(tables.to_csv(table), content_type="text/csv; charset=utf-8")
    stamp = f"{filters.since:%Y%m%d}-{filters.until:%Y%m%d}"
    response["Content-Disposition"] = f'attachment; filename="report-{name}-{stamp}.{kind}"'
    return response


@staff_required
def reports(request: HttpRequest) -> HttpResponse:
    """The KPI page: ten cards with formula, target and previous period; breakdowns with charts."""
    form = ReportFilterForm(request.GET or None, user=request.user)
    filters = form.to_filters()
    wanted = request.GET.get("table", "")
    kind = request.GET.get("format")
    if kind in ("csv", "xlsx") and wanted in CSV_TABLES:
        if wanted == "kpis":
            items = cards.cards(cards.read_period(filters), cards.read_period(filters.previous()))
            return _export(wanted, tables.cards_table(items), filters, kind)
        dimension = "priority" if wanted == "sla" else wanted
        return _export(wanted, tables.breakdown_table(dimension, tables.breakdown(filters, dimension)), filters,
                       kind)
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
