"""Print the health checks (helpdesk/health.py) and exit 1 when one fails: for container
healthchecks, e.g. `manage.py health --only beat`."""

import sys

from django.core.management.base import BaseCommand, CommandParser

from helpdesk.health import run_checks


class Command(BaseCommand):
    help = "Check database, cache, broker, worker and beat; exit 1 when a check fails."
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--only", default="", help="Comma-separated checks (database,cache,broker,worker,beat).")

    def handle(self, *args: object, **options: object) -> None:
        names = [n.strip() for n in str(options.get("only") or "").split(",") if n.strip()] or None
        results = run_checks(names)
        for name, result in results.items():
            detail = f" - {result.detail}" if result.detail else ""
            self.stdout.write(f"{name}: {'ok' if result.ok else 'FAIL'}{detail}")
        if not all(r.ok for r in results.values()):
            sys.exit(1)
