"""The callback reminder sweep and a client's Activity timeline at size.

In one transaction that is rolled back at the end (the database is left as it was), it adds
100,000 callbacks over 200 tickets and 50 agents, 1,000 of them due for their reminder, and a
client with 50,000 activity entries; then it times:
- the reminder sweep (appointments.services.send_due_reminders) sending the 1,000 due reminders,
  BENCH_REPEAT_SWEEP times (default 5; the reminders are re-armed between runs). The notification
  emails are queued after commit, which the rollback skips: the figure is the claiming, the
  formatting and the notification insert;
- the client file's Activity tab (all entries, and filtered by type) through Django's test client
  in process, BENCH_REPEAT times each (default 30).
Prints one line: sweep median/max ms, page median/p95 ms. Targets: sweep < 1 s, page p95 < 100 ms.

    DATABASE_URL=postgres://... python bench/bench_appointments.py
"""

import os
import statistics
import sys
import time
from datetime import timedelta

sys.path.insert(0, os.path.dirname(__file__))
from _setup import django_setup  # noqa: E402

CALLBACKS = 100_000
DUE = 1_000
ACTIVITIES = 50_000


class _Rollback(Exception):
    pass


def _p95(times: list[float]) -> float:
    times = sorted(times)
    return times[min(len(times) - 1, int(len(times) * 0.95))]


def main() -> None:
    django_setup()
    from django.db import connection, transaction
    from django.test import Client as HttpClient
    from django.utils import timezone

    from appointments import services as callback_services
    from appointments.models import Callback
    from crm.models import Activity, Client, Contact, User
    from tickets import hooks
    from tickets import services as ticket_services
    from tickets.models import Department, Notification

    if connection.vendor != "postgresql":
        raise SystemExit("bench_appointments measures PostgreSQL")
    repeat = int(os.environ.get("BENCH_REPEAT", "30"))
    sweeps = int(os.environ.get("BENCH_REPEAT_SWEEP", "5"))
    result = ""
    try:
        with transaction.atomic():
            now = timezone.now()
            department = Department.objects.create(name="Bench callbacks", email="bench-callbacks@company.example")
            agents = User.objects.bulk_create([
                User(email=f"bench-cb-{i}@company.example", full_name=f"Bench Agent {i}", is_staff=True,
                     timezone="Europe/Bucharest") for i in range(50)
            ])
            department.members.add(*agents)
            client = Client.objects.create(name="Bench Timeline Ltd")
            contact = Contact.objects.create(client=client, first_name="Bench", email="bench-cb@client.example",
                                             timezone="America/New_York")
            with hooks.muted():
                tickets = [ticket_services.open_ticket(subject=f"Bench callback {i}", body_text="x",
                                                       department=department, contact=contact)
                           for i in range(200)]
            rows = []
            for i in range(CALLBACKS):
                due = i < DUE
                starts = now + (timedelta(minutes=10) if due else timedelta(days=1 + i % 60, minutes=i % 600))
                rows.append(Callback(
                    ticket=tickets[i % len(tickets)], agent=agents[i % len(agents)], starts_at=starts,
                    remind_at=starts - timedelta(minutes=30), customer_timezone="America/New_York",
                    # a third of the rest is finished or already reminded: realistic table, same index
                    status=Callback.Status.FINISHED if (not due and i % 3 == 0) else Callback.Status.SCHEDULED,
                    reminder_sent_at=now if (not due and i % 3 == 1) else None,
                ))
            for start in range(0, len(rows), 5000):
                Callback.objects.bulk_create(rows[start:start + 5000])
            Activity.objects.bulk_create([
                Activity(client=client, kind=("call", "email", "ticket_opened", "callback", "opportunity")[i % 5],
                         description=f"Bench activity {i}", link=f"/staff/tickets/{tickets[i % 200].pk}/",
                         created_at=now - timedelta(minutes=i))
                for i in range(ACTIVITIES)
            ], batch_size=5000)
            with connection.cursor() as cursor:
                cursor.execute(f"ANALYZE {Callback._meta.db_table}")
                cursor.execute(f"ANALYZE {Activity._meta.db_table}")

            sweep_ms = []
            for _ in range(sweeps):
                started = time.perf_counter()
                sent = callback_services.send_due_reminders(now=now)
                sweep_ms.append((time.perf_counter() - started) * 1000)
                if sent != DUE:
                    raise SystemExit(f"the sweep sent {sent} reminders, expected {DUE}")
                Callback.objects.filter(reminder_sent_at=now, starts_at__lt=now + timedelta(hours=1)).update(
                    reminder_sent_at=None)
                Notification.objects.filter(kind="callback_reminder", recipient__in=agents).delete()

            manager = User.objects.create_user(email="bench-cb-manager@company.example", password=None,
                                               is_staff=True)
            from crm.models import StaffProfile

            StaffProfile.objects.create(user=manager, role=StaffProfile.Role.MANAGER)
            http = HttpClient()
            http.force_login(agents[0])
            pages = {}
            for name, url in (("timeline", f"/staff/clients/{client.pk}/?tab=activity"),
                              ("timeline-callbacks", f"/staff/clients/{client.pk}/?tab=activity&kind=callback"),
                              ("timeline-page-40", f"/staff/clients/{client.pk}/?tab=activity&page=40")):
                http.get(url)
                times = []
                for _ in range(repeat):
                    started = time.perf_counter()
                    response = http.get(url)
                    times.append((time.perf_counter() - started) * 1000)
                    if response.status_code != 200:
                        raise SystemExit(f"{url} answered {response.status_code}")
                pages[name] = (statistics.median(times), _p95(times))
            result = (
                f"appointments: reminder sweep {DUE:,} due of {CALLBACKS:,} callbacks "
                f"median/max {statistics.median(sweep_ms):.0f}/{max(sweep_ms):.0f} ms; "
                + ", ".join(f"{name} ({ACTIVITIES:,} activities) {m:.1f}/{p:.1f} ms" for name, (m, p) in pages.items())
                + " (median/p95)"
            )
            raise _Rollback
    except _Rollback:
        pass
    print(result)


if __name__ == "__main__":
    main()
