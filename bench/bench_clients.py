"""Server time of the client list and the client file on a full-size database.

Requests go through Django's test client in this process (routing, middleware, queries,
templates: everything but the network), logged in as a seeded L1 agent and as the manager.
Prints one line: median / p95 in ms per page. BENCH_REPEAT sets the requests per page (default 30).

    DATABASE_URL=postgres://... python bench/bench_clients.py
"""

import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from _setup import django_setup  # noqa: E402


def _measure(client: object, url: str, repeat: int) -> tuple[float, float]:
    client.get(url)  # warm caches and connections
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - started) * 1000)
        if response.status_code != 200:
            raise SystemExit(f"{url} answered {response.status_code}")
    times.sort()
    return statistics.median(times), times[min(len(times) - 1, int(len(times) * 0.95))]


def main() -> None:
    django_setup()
    from django.db.models import Count
    from django.test import Client as HttpClient

    from crm.models import Client, User
    from tickets.models import Ticket

    repeat = int(os.environ.get("BENCH_REPEAT", "30"))
    agent = User.objects.filter(email="scale-agent-1@company.example").first()
    manager = User.objects.filter(email="scale-manager@company.example").first()
    if agent is None or manager is None:
        raise SystemExit("run manage.py seed_scale first (bench_00_seed_scale.py does)")
    busiest = (
        Ticket.objects.filter(client__isnull=False).values("client_id").annotate(n=Count("pk")).order_by("-n")[:1]
    )
    client_id = busiest[0]["client_id"] if busiest else Client.objects.values_list("pk", flat=True).first()
    pages = {
        "list": "/staff/clients/",
        "search": "/staff/clients/?q=schmidt",
        "file": f"/staff/clients/{client_id}/",
        "file-open": f"/staff/clients/{client_id}/?tab=tickets&scope=open",
        "invoices": f"/staff/clients/{client_id}/?tab=invoices",
        "orders": f"/staff/clients/{client_id}/?tab=orders",
    }
    parts = []
    for who, user in (("agent", agent), ("manager", manager)):
        http = HttpClient()
        http.force_login(user)
        for name, url in pages.items():
            if who == "manager" and name not in ("list", "file"):
                continue
            median, p95 = _measure(http, url, repeat)
            parts.append(f"{who}:{name} {median:.1f}/{p95:.1f}")
    tickets = Ticket.objects.count()
    print(f"clients (median/p95 ms, {tickets:,} tickets): " + ", ".join(parts))


if __name__ == "__main__":
    main()
