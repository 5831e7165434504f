"""Benchmark the client portal's ticket list: a primary contact of a client with 5,000 tickets
(BENCH_PORTAL_TICKETS) opens /portal/tickets/ (first page, a deep page, and the "open" filter).

Prints one line: p50/p95 server time per request (in-process, full middleware and template
rendering) and the queries per request. Target: p95 < 50 ms on PostgreSQL.

The bench client, its contacts and tickets are created once (bulk insert) and kept, so reruns
measure the same data; they sit beside whatever else the database holds (e.g. seed_scale's).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/helpdesk python bench/bench_portal.py
"""

import os
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SUPPORTS_SQLITE = True
CLIENT_NAME = "Bench portal client"
CONTACTS = 5
ROUNDS = int(os.environ.get("BENCH_PORTAL_ROUNDS", "200"))


def django_setup() -> None:
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")
    os.environ.setdefault("AXES_ENABLED", "false")
    # Measure as in production: DEBUG off (no query log); plain HTTP inside this process.
    os.environ.setdefault("DEBUG", "false")
    os.environ.setdefault("SECRET_KEY", "bench-only-secret-key")
    os.environ.setdefault("SECURE_SSL_REDIRECT", "false")
    import django

    django.setup()


def ensure_data(wanted: int) -> object:
    """Return the primary contact of the bench client, creating the client and its tickets once."""
    from django.db import connection, transaction
    from django.utils import timezone

    from crm.models import Client, Contact, User
    from tickets.models import Department, Priority, Ticket, TicketStatus

    client = Client.objects.filter(name=CLIENT_NAME).first()
    if client is not None and Ticket.objects.filter(client=client).count() >= wanted:
        return Contact.objects.get(client=client, is_primary=True)
    with transaction.atomic():
        if client is None:
            client = Client.objects.create(name=CLIENT_NAME)
        contacts = []
        for i in range(CONTACTS):
            email = f"bench-portal-{i}@bench.example"
            user = User.objects.filter(email=email).first() or User.objects.create_user(email=email, password=None)
            contact, _ = Contact.objects.get_or_create(
                email=email,
                defaults={"client": client, "user": user, "first_name": f"Bench{i}", "is_primary": i == 0},
            )
            contacts.append(contact)
        department, _ = Department.objects.get_or_create(
            name="Bench portal", defaults={"email": "bench-portal@company.com"}
        )
        statuses = list(TicketStatus.objects.order_by("order"))
        priorities = list(Priority.objects.all())
        have = Ticket.objects.filter(client=client).count()
        now = timezone.now()
        rows = []
        for n in range(have, wanted):
            status = statuses[n % len(statuses)]
            priority = priorities[n % len(priorities)]
            created = now - timedelta(minutes=17 * n)
            rows.append(
                Ticket(
                    subject=f"Bench portal ticket {n}: invoice download fails",
                    client=client,
                    contact=contacts[n % CONTACTS],
                    requester_email=contacts[n % CONTACTS].email,
                    department=department,
                    status=status,
                    priority=priority,
                    priority_level=priority.level,
                    channel="portal",
                    created_at=created,
                    updated_at=created,
                    closed_at=created if status.is_closed else None,
                )
            )
        Ticket.objects.bulk_create(rows, batch_size=2000)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE tickets_ticket")
    return contacts[0]


def measure(http: object, url: str) -> tuple[list[float], list[float], int]:
    from django.db import connection

    for _ in range(5):  # warm up
        assert http.get(url).status_code == 200
    queries = []
    with connection.execute_wrapper(lambda execute, sql, *args: queries.append(sql) or execute(sql, *args)):
        http.get(url)
    times, cpu = [], []
    for _ in range(ROUNDS):
        started, started_cpu = time.perf_counter(), time.process_time()
        response = http.get(url)
        times.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - started_cpu) * 1000)
        assert response.status_code == 200
    return times, cpu, len(queries)


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=100)[94]


def main() -> None:
    django_setup()
    from django.db import connection
    from django.test import Client

    wanted = int(os.environ.get("BENCH_PORTAL_TICKETS", "5000"))
    contact = ensure_data(wanted)
    http = Client()
    http.force_login(contact.user)
    results = []
    for label, url in (("page1", "/portal/tickets/"), ("page100", "/portal/tickets/?page=100"),
                       ("open", "/portal/tickets/?status=open")):
        times, cpu, queries = measure(http, url)
        results.append(
            f"{label} p50 {statistics.median(times):.1f} p95 {p95(times):.1f} ms (cpu p95 {p95(cpu):.1f}, {queries} q)"
        )
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(
        f"portal ticket list, client with {wanted:,} tickets on {connection.vendor}, {ROUNDS} req each: "
        + "; ".join(results)
        + f"; load {load:.1f}"
    )


if __name__ == "__main__":
    main()
