"""Benchmark the KPI reports over the scale data: every read the /staff/reports/ page makes
(ten KPI cards for the period and the previous one, six breakdown tables) for the last month
and for the last twelve months, as a manager with no filter and with a department filter.

Prints one line: the time per page for a month and for a year (best of BENCH_REPORTS_ROUNDS) and
the queries per page. Targets: < 500 ms for a month, < 2 s for a year.

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
    from django.db import connection
    from django.db.models import Max
    from django.test.utils import CaptureQueriesContext

    from tickets.models import Department, Ticket
    from tickets.reports import cards, kpis, sources, tables
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
    department = Department.objects.order_by("pk").first()

    def page(filters: ReportFilters) -> None:
        """What the view reads (tickets.reports.views.reports)."""
        figures = kpis.figure_set(filters)
        cards.cards(cards.read_period(filters, figures), cards.read_period(filters.previous()))
        for dimension in tables.TABLES:
            tables.breakdown(filters, dimension, figures)

    results = {}
    for label, days in (("month", 30), ("year", 365)):
        for dept in (None, department.pk):
            filters = ReportFilters(since=end - timedelta(days=days), until=end, department_id=dept)
            best = float("inf")
            for _ in range(ROUNDS):
                with CaptureQueriesContext(connection) as queries:
                    started = time.perf_counter()
                    page(filters)
                    best = min(best, time.perf_counter() - started)
            results[(label, dept is not None)] = (best, len(queries))
    tickets = Ticket.objects.count()
    parts = [f"{k[0]}{' dept' if k[1] else ''} {v[0] * 1000:.0f} ms/{v[1]} q" for k, v in results.items()]
    note = f" ({rollup_note}" + (f"; left out: {', '.join(left_out)})" if left_out else ")")
    print(f"reports over {tickets:,} tickets: " + "; ".join(parts) + note)


if __name__ == "__main__":
    main()
