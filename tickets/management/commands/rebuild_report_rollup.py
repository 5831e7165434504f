"""`manage.py rebuild_report_rollup [--days N]`: rebuild the KPI reports' daily rollup from the
tickets (every day), or with --days only refresh the last N days and the days of changed tickets
(what beat does every 10 minutes), or with --pairs only fill the pair rows the agent, service,
priority, channel and tier filters read (once, after upgrading; a refresh also does it by itself).
Prints how many days and how long. PostgreSQL only."""

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection

from tickets.reports import rollup


class Command(BaseCommand):
    help = "Rebuild (or with --days, refresh) the KPI reports' daily rollup."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--days", type=int, default=None, help="Refresh only: recompute the last N days.")
        parser.add_argument("--pairs", action="store_true",
                            help="Fill only the pair rows of the days the rollup holds (the filters read them).")

    def handle(self, *args: object, **options: object) -> None:
        if connection.vendor != "postgresql":
            raise CommandError("The rollup needs PostgreSQL; elsewhere the reports read everything live.")
        days = options["days"]
        if options["pairs"]:
            result = rollup.fill_pairs()
            self.stdout.write(f"report rollup pairs filled: {result['days']} days in {result['ms'] / 1000:.1f}s")
            return
        result = rollup.refresh(days=days) if days is not None else rollup.rebuild()
        kind = "rebuilt" if result["full"] else "refreshed"
        self.stdout.write(f"report rollup {kind}: {result['days']} days in {result['ms'] / 1000:.1f}s")
