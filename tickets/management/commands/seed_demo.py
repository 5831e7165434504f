"""`manage.py seed_demo`: fill the database with the demo company (idempotent).

Each app contributes seeding steps; a step is a dotted path to a function without arguments
that returns a one-line summary. Steps are named by string so that tickets imports none of the
apps that plug into it. To add demo data, write a function in your app's demo module and
append its path to STEPS. Ticket hooks are muted for the whole run: weeks-old demo tickets
must not send receipts, notify agents or trigger automation; seed what such listeners would
have produced explicitly.
"""

import logging
import time

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils.module_loading import import_string

from tickets import hooks

logger = logging.getLogger("helpdesk.seed_demo")

STEPS = [
    "crm.demo.seed_staff",
    "crm.demo.seed_clients",
    "tickets.demo.seed.seed_configuration",
    "tickets.demo.sla.seed_sla",
    "tickets.demo.seed.seed_tickets",
    "tickets.demo.sla.settle_history",
    "kb.demo.seed_kb",
]


class Command(BaseCommand):
    help = "Create the demo departments, staff, clients and 300 tickets; running it again changes nothing."

    def handle(self, *args: object, **options: object) -> None:
        started = time.monotonic()
        for path in STEPS:
            step_started = time.monotonic()
            try:
                with hooks.muted(), transaction.atomic():
                    summary = import_string(path)() or ""
            except Exception:
                logger.exception("seed step failed", extra={"step": path})
                raise
            elapsed = time.monotonic() - step_started
            logger.info("seed step done", extra={"step": path, "seconds": round(elapsed, 2), "summary": summary})
            self.stdout.write(f"  {path}: {summary} ({elapsed:.1f}s)")
        self.stdout.write(self.style.SUCCESS(f"Demo data ready in {time.monotonic() - started:.1f}s."))
