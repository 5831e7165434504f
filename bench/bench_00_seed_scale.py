"""Fill the database for the other benchmarks: `manage.py seed_scale --tickets N` (N from
BENCH_TICKETS, default 1,000,000; 10,000 on SQLite), unless it already holds at least N tickets. Prints how long
the bulk load took.

    DATABASE_URL=postgres://... python bench/bench_00_seed_scale.py
"""

import os
import sys
import time
from io import StringIO

sys.path.insert(0, os.path.dirname(__file__))
from _setup import django_setup  # noqa: E402

SUPPORTS_SQLITE = True


def main() -> None:
    django_setup()
    from django.core.management import call_command
    from django.db import connection

    from tickets.models import Ticket

    # SQLite loads through bulk_create: keep it to a size that finishes in seconds.
    default = "1000000" if connection.vendor == "postgresql" else "10000"
    wanted = int(os.environ.get("BENCH_TICKETS", default))
    have = Ticket.objects.count()
    if have >= wanted:
        print(f"seed_scale: skipped, the database already holds {have:,} tickets (wanted {wanted:,})")
        return
    out = StringIO()
    started = time.perf_counter()
    call_command("seed_scale", tickets=wanted - have, stdout=out)
    elapsed = time.perf_counter() - started
    summary = [line for line in out.getvalue().splitlines() if line.startswith("seed_scale:")]
    print(f"{summary[-1] if summary else 'seed_scale done'} (wall {elapsed:.1f}s)")


if __name__ == "__main__":
    main()
