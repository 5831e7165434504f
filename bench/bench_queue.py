"""Server time of the agent queue and the ticket page on a big database.

Runs in-process through django.test.Client (all middleware, session, auth and template
rendering; no network), logged in as an L1 agent of the largest department, and prints one line:
median / p95 in ms of the queue's default view, each single filter, the text searches (a common
word, an email fragment, a number, a rare term, several words), page 2,
and a 200-message ticket page. Fill the database first with `manage.py seed_scale --tickets N`
(bench_00_seed_scale.py does it in `make bench`).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/helpdesk python bench/bench_queue.py
    BENCH_REPEAT=20 (runs per case, default 30)
"""

import html
import os
import re
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET_P95_MS = 100.0


def django_setup() -> None:
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")
    os.environ.setdefault("AXES_ENABLED", "false")
    # Measure production settings: no template debug, no query log.
    os.environ.setdefault("DEBUG", "false")
    os.environ.setdefault("SECRET_KEY", "bench-only-secret-key-not-for-production-use-0123456789")
    os.environ.setdefault("SECURE_SSL_REDIRECT", "false")
    import django

    django.setup()


def pick_agent():
    """Return an active L1/L2 agent of the department with the most tickets."""
    from django.db.models import Count

    from crm.models import StaffProfile, User
    from tickets.models import Department

    biggest = Department.objects.annotate(n=Count("tickets")).order_by("-n").first()
    agents = User.objects.filter(is_staff=True, is_active=True, staff_profile__role__in=[
        StaffProfile.Role.L1, StaffProfile.Role.L2])
    return agents.filter(departments=biggest).first() or agents.filter(departments__isnull=False).first()


CPU_MS: list[float] = []


def measure(client, url: str, repeat: int) -> tuple[float, float]:
    """Return the median and p95 wall time (ms) of GET url; also record the Django process's CPU."""
    for _ in range(2):
        client.get(url)
    times = []
    for _ in range(repeat):
        started, cpu = time.perf_counter(), time.process_time()
        response = client.get(url)
        times.append((time.perf_counter() - started) * 1000)
        CPU_MS.append((time.process_time() - cpu) * 1000)
        if response.status_code != 200:
            raise SystemExit(f"{url} answered {response.status_code}")
    times.sort()
    p95 = times[min(len(times) - 1, int(round(0.95 * len(times))) - 1)]
    return statistics.median(times), p95


def main() -> None:
    django_setup()
    from django.conf import settings
    from django.test import Client
    from django.utils import timezone

    from tickets.models import Priority, Service, Ticket, TicketMessage

    settings.ALLOWED_HOSTS = ["*"]
    repeat = int(os.environ.get("BENCH_REPEAT", "30"))
    agent = pick_agent()
    if agent is None:
        raise SystemExit("no agent with a department: run manage.py seed_scale first")
    total = Ticket.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    dept = agent.departments.order_by("pk").first()
    urgent = Priority.objects.order_by("-level").first()
    service = Service.objects.order_by("order").first()
    sample = Ticket.objects.filter(department=dept, client__isnull=False).order_by("-pk").first()
    long_thread = (
        TicketMessage.objects.filter(ticket__subject__startswith="[seed_scale] Long")
        .values_list("ticket_id", flat=True).first()
    )
    week_ago = (timezone.now() - timedelta(days=7)).date().isoformat()
    # A rare term: the order number in one of the oldest subjects (a match far from the newest rows).
    old_subject = (
        Ticket.objects.filter(subject__contains="ORD-").order_by("pk").values_list("subject", flat=True).first()
    )
    rare = re.search(r"ORD-\d+", old_subject or "").group(0) if old_subject else "ORD-1"
    client = Client(secure=True)
    client.force_login(agent)
    cases = {
        "default": "/staff/tickets/",
        "status": "/staff/tickets/?status=new",
        "department": f"/staff/tickets/?department={dept.pk}",
        "priority": f"/staff/tickets/?priority={urgent.pk}",
        "service": f"/staff/tickets/?service={service.pk}",
        "assignee_me": "/staff/tickets/?assignee=me",
        "unassigned": "/staff/tickets/?assignee=unassigned",
        "channel": "/staff/tickets/?channel=whatsapp",
        "client": f"/staff/tickets/?client={sample.client_id}" if sample else "/staff/tickets/?view=all",
        "created_7d": f"/staff/tickets/?created_from={week_ago}",
        "no_reply_4h": "/staff/tickets/?no_reply=1",
        "sla_breached": "/staff/tickets/?breached=1",
        "sla_due_1h": "/staff/tickets/?due_soon=1",
        "all": "/staff/tickets/?view=all",
        "search_word": "/staff/tickets/?q=refund",
        "search_email": f"/staff/tickets/?q={(sample.requester_email if sample else 'example')[:12]}",
        "search_number": f"/staff/tickets/?q={sample.pk if sample else 1}",
        "search_rare": f"/staff/tickets/?q={rare}",
        "search_words": "/staff/tickets/?q=error+is+still+there",
    }
    results = {}
    for name, url in cases.items():
        results[name] = measure(client, url, repeat)
    # Page 2 of the default view, through its cursor.
    first = client.get("/staff/tickets/").content.decode()
    cursor = re.search(r'rel="next" href="\?([^"]+)"', first)
    if cursor:
        results["page2"] = measure(client, "/staff/tickets/?" + html.unescape(cursor.group(1)), repeat)
    if long_thread:
        viewer = agent
        thread = Ticket.objects.get(pk=long_thread)
        if not agent.departments.filter(pk=thread.department_id).exists():
            from crm.models import User

            viewer = User.objects.filter(departments=thread.department_id, is_active=True).first() or agent
        page_client = Client(secure=True)
        page_client.force_login(viewer)
        results["ticket_200msg"] = measure(page_client, f"/staff/tickets/{long_thread}/", repeat)
    worst = max(p95 for _, p95 in results.values())
    figures = " ".join(f"{name}={med:.0f}/{p95:.0f}" for name, (med, p95) in results.items())
    verdict = "OK" if worst < TARGET_P95_MS else "OVER"
    load = os.getloadavg()[0]
    print(f"queue@{total:,} tickets (median/p95 ms, n={repeat}): {figures} | worst p95 {worst:.0f} ms "
          f"{verdict} (target {TARGET_P95_MS:.0f}) | app CPU median {statistics.median(CPU_MS):.0f} ms/request, "
          f"load average {load:.1f} on {os.cpu_count()} CPUs")


if __name__ == "__main__":
    main()
