"""Benchmark the KPI reports over the scale data: every read the /staff/reports/ page makes
(ten KPI cards for the period and the previous one, six breakdown tables) for the last month
and for the last twelve months, as a manager with no filter, with a department filter, and with
each other filter the form offers: one agent (the one with the most tickets: also what that agent
sees, their page is forced to their own figures), one service, one priority, one channel, one
client tier (each the largest), the agent with their largest department, and the agent with that
channel (two such filters: read live). Then the agent's
"My day" panel (tickets.reports.queries.my_week) for that agent, now.

Prints one line: per filter, the time per page for a month / a year (best of BENCH_REPORTS_ROUNDS)
and the most queries a page made, then the panel's time. Targets: < 500 ms for a month, < 2 s for
a year; the panel well under 100 ms. A filter reads the rollup's pair rows when they are filled
(tickets migration 0020, then `manage.py rebuild_report_rollup --pairs`); the line says if not.

It only reads: the connection is set to read-only before the first query, so it can run against
a database it must not change. Survey tables or the message column of the reports that the
database's migrations do not have yet are left out (and said so in the line).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/helpdesk_bench python bench/bench_reports.py
"""

import os
import sys
import time
from datetime import timedelta
from pathlib import Path
from unittest import mock

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _setup import django_setup  # noqa: E402

ROUNDS = int(os.environ.get("BENCH_REPORTS_ROUNDS", "3"))


def main() -> None:
    django_setup()
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.db.models import Count, Max
    from django.test.utils import CaptureQueriesContext

    from tickets.models import Department, Ticket
    from tickets.reports import cards, kpis, sources, tables
    from tickets.reports import queries as queries_module
    from tickets.reports.filters import ReportFilters

    with connection.cursor() as cursor:
        cursor.execute("SET default_transaction_read_only = on")
        tables_present = set(connection.introspection.table_names(cursor))
        columns = {c.name for c in connection.introspection.get_table_description(cursor, "tickets_ticketmessage")}
    left_out = []
    if "surveys_invitation" not in tables_present:
        sources._survey_sources.clear()
        left_out.append("surveys")
    if "predefined_reply_id" not in columns:
        # The column comes with this branch's migration; an unmigrated database counts none.
        mock.patch.object(kpis.TicketMessage.objects, "filter", return_value=mock.Mock(count=lambda: 0)).start()
        left_out.append("predefined usage")

    # Whole past days come from the daily rollup when it is built (manage.py rebuild_report_rollup).
    from tickets.reports import rollup

    through = rollup.built_through() if "tickets_reportrollupstate" in tables_present else None
    rollup_note = f"rollup through {through}" if through else "no rollup: everything live"
    end = Ticket.objects.aggregate(m=Max("created_at"))["m"] + timedelta(seconds=1)
    if through and rollup.built_through(ReportFilters(since=end, until=end, tier="basic")) is None:
        rollup_note += ", no pair rows: the filters read live"
    department = Department.objects.order_by("pk").first()
    year_figures = kpis.figure_set(ReportFilters(since=end - timedelta(days=365), until=end)).by
    picks = {name: max((k for k in year_figures[name] if k not in (None, "")),
                       key=lambda k, name=name: year_figures[name][k].created)
             for name in ("agent", "service", "priority", "channel", "tier")}  # the largest of each
    agent_department = (Ticket.objects.filter(assignee_id=picks["agent"], created_at__gte=end - timedelta(days=365))
                        .values("department_id").annotate(n=Count("pk")).order_by("-n")[0]["department_id"])

    def page(filters: ReportFilters) -> None:
        """What the view reads (tickets.reports.views.reports)."""
        figures = kpis.figure_set(filters)
        cards.cards(cards.read_period(filters, figures), cards.read_period(filters.previous()))
        for dimension in tables.TABLES:
            tables.breakdown(filters, dimension, figures)

    def timed(read) -> tuple[float, int]:
        best, count = float("inf"), 0
        for _ in range(ROUNDS):
            with CaptureQueriesContext(connection) as queries:
                started = time.perf_counter()
                read()
                best = min(best, time.perf_counter() - started)
            count = max(count, len(queries))
        return best, count

    cases = {
        "all": {}, "dept": {"department_id": department.pk},
        "agent": {"agent_id": picks["agent"]}, "service": {"service_id": picks["service"]},
        "priority": {"priority_id": picks["priority"]}, "channel": {"channel": picks["channel"]},
        "tier": {"tier": picks["tier"]},
        "agent+dept": {"agent_id": picks["agent"], "department_id": agent_department},
        # Two of the five at once are read live (no triple rows in the rollup): e.g. an agent's
        # own page (agent forced) narrowed to a channel.
        "agent+channel": {"agent_id": picks["agent"], "channel": picks["channel"]},
    }
    parts = []
    for label, narrowing in cases.items():
        times = []
        for days in (30, 365):
            times.append(timed(lambda days=days, n=narrowing: page(
                ReportFilters(since=end - timedelta(days=days), until=end, **n))))
        parts.append(f"{label} {times[0][0] * 1000:.0f}/{times[1][0] * 1000:.0f} ms"
                     f" ({max(t[1] for t in times)} q)")
    user = get_user_model().objects.get(pk=picks["agent"])
    panel = timed(lambda: queries_module.my_week(user=user, now=end))
    tickets = Ticket.objects.count()
    note = f"; {rollup_note}" + (f"; left out: {', '.join(left_out)}" if left_out else "")
    print(f"reports over {tickets:,} tickets, month/year: " + "; ".join(parts)
          + f"; my day {panel[0] * 1000:.0f} ms ({panel[1]} q){note}")

if __name__ == "__main__":
    main()
