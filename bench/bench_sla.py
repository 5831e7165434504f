"""Benchmark the SLA breach sweep and the automation (auto-close) sweep.

Data: BENCH_SLA_TICKETS tickets (default 1,000,000), a tenth of them open, built server-side
with one INSERT ... SELECT generate_series in a separate database (<name>_bench_sla, created
with the migrations and kept between runs). Four timings, each the best of BENCH_SLA_REPEAT
(default 3) runs:
- SLA sweep with nothing due, and with BENCH_SLA_DUE (default 10,000) first responses overdue:
  marks breaches, claims the escalation rule's runs and writes the notifications (set-based);
- automation sweep with nothing due, and with BENCH_SLA_DUE Answered tickets silent 8 days:
  claims the auto-close rule's runs.
Claimed runs and notification emails are counted instead of being sent to a broker: executing
them is the workers' job (their per-run cost is printed too). Targets: < 1 s idle, < 5 s due.

Needs PostgreSQL: DATABASE_URL=postgres://... python bench/bench_sla.py
"""

import contextlib
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")
os.environ.setdefault("LOG_LEVEL", "WARNING")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402

TOTAL = int(os.environ.get("BENCH_SLA_TICKETS", "1000000"))
OPEN = TOTAL // 10
DUE = min(int(os.environ.get("BENCH_SLA_DUE", "10000")), OPEN // 4)
REPEAT = int(os.environ.get("BENCH_SLA_REPEAT", "3"))


def use_bench_database() -> None:
    """Switch to <db>_bench_sla (created with migrations on first use, then kept)."""
    settings = connection.settings_dict
    settings.setdefault("TEST", {})
    settings["TEST"]["NAME"] = f"{settings['NAME']}_bench_sla"
    with contextlib.redirect_stdout(sys.stderr):  # the script prints one line of figures only
        connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False, keepdb=True)


def build(now) -> None:
    """Create the tickets unless a previous run left the same amount."""
    from tickets.models import Department, Priority, TicketStatus

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM tickets_ticket")
        if cursor.fetchone()[0] == TOTAL:
            return
    from django.contrib.auth import get_user_model

    from crm.models import StaffProfile

    _truncate()
    departments = []
    for i in range(4):
        dept, _ = Department.objects.get_or_create(name=f"Bench {i}", defaults={"email": f"bench{i}@company.com"})
        departments.append(dept.pk)
        for j in range(2):
            user, created = get_user_model().objects.get_or_create(
                email=f"bench{i}-{j}@company.com", defaults={"is_staff": True, "full_name": f"Agent {i}-{j}"}
            )
            if created:
                StaffProfile.objects.create(user=user)
            dept.members.add(user)
    status = {s.slug: s.pk for s in TicketStatus.objects.all()}
    prio = {p.name: (p.pk, p.level) for p in Priority.objects.all()}
    started = time.perf_counter()
    with connection.cursor() as cursor:
        # Open tickets: g %% 10 = 0. Statuses cycle new / in-progress / answered / on-hold; every due time
        # lies in the future, customers wrote within the last 3 hours, Answered ones changed < 7 days ago.
        cursor.execute(
            f"""
            INSERT INTO tickets_ticket (
                subject, requester_name, requester_email, cc_emails, department_id, status_id, priority_id,
                priority_level, channel, created_at, updated_at, status_changed_at, last_customer_reply_at,
                last_reply_at, last_staff_reply_at, first_response_at, last_replier_name, last_reply_by_staff,
                closed_at, first_response_due_at, resolution_due_at, first_response_breached, resolution_breached,
                is_spam, sla_paused_seconds, first_response_warned, resolution_warned, sla_paused_at)
            SELECT
                'Bench ticket ' || g, 'Customer', 'customer' || (g %% 5000) || '@client.example', '[]'::jsonb,
                (ARRAY{departments})[1 + g %% 4],
                CASE WHEN g %% 10 <> 0 THEN {status['closed']}
                     ELSE (ARRAY[{status['new']}, {status['in-progress']}, {status['answered']},
                                 {status['on-hold']}])[1 + (g / 10) %% 4] END,
                {prio['Medium'][0]}, {prio['Medium'][1]}, 'email',
                %(now)s - make_interval(hours => (g %% 8760)::int),
                %(now)s - make_interval(mins => (g %% 120)::int),
                %(now)s - make_interval(mins => (g %% 7200)::int),
                %(now)s - make_interval(mins => (g %% 180)::int),
                %(now)s - make_interval(mins => (g %% 180)::int),
                CASE WHEN g %% 10 <> 0 OR (g / 10) %% 4 IN (2, 3) THEN %(now)s - make_interval(mins => 30) END,
                CASE WHEN g %% 10 <> 0 OR (g / 10) %% 4 IN (2, 3) THEN %(now)s - make_interval(hours => 200) END,
                'Customer', (g %% 10 = 0 AND (g / 10) %% 4 IN (2, 3)),
                CASE WHEN g %% 10 <> 0 THEN %(now)s - make_interval(hours => (g %% 8760)::int) END,
                %(now)s + make_interval(mins => (60 + g %% 2000)::int),
                %(now)s + make_interval(mins => (600 + g %% 5000)::int),
                false, false, false, 0, false, false,
                CASE WHEN g %% 10 = 0 AND (g / 10) %% 4 = 3 THEN %(now)s - make_interval(mins => 10) END
            FROM generate_series(1, {TOTAL}) AS g
            """,
            {"now": now},
        )
        cursor.execute("ANALYZE tickets_ticket")
    print(f"# built {TOTAL} tickets in {time.perf_counter() - started:.1f} s", file=sys.stderr)


def _truncate() -> None:
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE tickets_ticket RESTART IDENTITY CASCADE")


def reset(now) -> None:
    """Put every open ticket back to 'nothing due' and forget earlier runs and notifications."""
    from tickets.models import TicketStatus

    answered = TicketStatus.objects.get(slug="answered").pk
    with connection.cursor() as cursor:
        # Tickets closed by the sample runs of an earlier round become Answered again (ids follow g).
        cursor.execute(
            """UPDATE tickets_ticket SET closed_at = NULL, sla_paused_at = NULL, status_id = %(answered)s
               WHERE id %% 10 = 0 AND closed_at IS NOT NULL""",
            {"answered": answered},
        )
        cursor.execute("DELETE FROM tickets_automationrun")
        cursor.execute("DELETE FROM tickets_notification")
        cursor.execute(
            """UPDATE tickets_ticket SET first_response_breached = false, resolution_breached = false,
               first_response_warned = false, resolution_warned = false,
               first_response_due_at = %(now)s + make_interval(mins => (60 + id %% 2000)::int),
               resolution_due_at = %(now)s + make_interval(mins => (600 + id %% 5000)::int),
               status_changed_at = CASE
                   WHEN status_id = %(answered)s THEN %(now)s - make_interval(mins => (id %% 7200)::int)
                   ELSE status_changed_at END
               WHERE closed_at IS NULL AND (first_response_breached OR resolution_breached OR first_response_warned
                     OR resolution_warned OR first_response_due_at <= %(now)s + interval '40 minutes'
                     OR (status_id = %(answered)s AND status_changed_at <= %(now)s - interval '7 days'))""",
            {"now": now, "answered": answered},
        )


def make_due(now) -> None:
    """Make DUE unanswered tickets overdue for their first response and DUE Answered ones 8 days silent."""
    from tickets.models import TicketStatus

    answered = TicketStatus.objects.get(slug="answered").pk
    with connection.cursor() as cursor:
        cursor.execute(
            """UPDATE tickets_ticket SET first_response_due_at = %(now)s - interval '1 minute'
               WHERE id IN (SELECT id FROM tickets_ticket WHERE closed_at IS NULL AND first_response_at IS NULL
                            ORDER BY id LIMIT %(n)s)""",
            {"now": now, "n": DUE},
        )
        cursor.execute(
            """UPDATE tickets_ticket SET status_changed_at = %(now)s - interval '8 days',
                      last_customer_reply_at = %(now)s - interval '9 days'
               WHERE id IN (SELECT id FROM tickets_ticket WHERE closed_at IS NULL AND status_id = %(answered)s
                            ORDER BY id LIMIT %(n)s)""",
            {"now": now, "n": DUE, "answered": answered},
        )
        cursor.execute("ANALYZE tickets_ticket")


def timed(fn) -> tuple[float, object]:
    started = time.perf_counter()
    result = fn()
    return time.perf_counter() - started, result


def phase(name: str, started: list[float]) -> None:
    """Log progress to stderr (stdout carries the one line of figures)."""
    now = time.perf_counter()
    print(f"# {name} {now - started[0]:.2f}s", file=sys.stderr)
    started[0] = now


def main() -> None:
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        print("bench_sla: skipped (needs DATABASE_URL=postgres://...)")
        return
    from django.conf import settings

    from helpdesk.celery import app

    # Nothing leaves this process: tasks run inline, mail stays in memory.
    app.conf.task_always_eager = True
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    use_bench_database()
    from tickets.automation import engine
    from tickets.models import AutomationRule, AutomationRun
    from tickets.notifications import services as notifications
    from tickets.sla.sweep import run_sla_sweep

    AutomationRule.objects.filter(trigger="closed").update(is_active=False)
    queued = {"runs": 0, "emails": 0}
    engine.send_runs = lambda ids, chain: queued.__setitem__("runs", queued["runs"] + len(ids))
    notifications._send_later = lambda ids, *a: queued.__setitem__("emails", queued["emails"] + len(ids))

    now = timezone.now()
    build(now)
    best: dict[str, float] = {}
    counts: dict[str, int] = {}
    clock = [time.perf_counter()]
    for _ in range(REPEAT):
        now = timezone.now()
        reset(now)
        phase("reset", clock)
        for name, fn in (("sla_idle", lambda now=now: run_sla_sweep(now=now)),
                         ("auto_idle", lambda now=now: engine.sweep_time_rules(now=now))):
            seconds, _result = timed(fn)
            best[name] = min(best.get(name, seconds), seconds)
        phase("idle sweeps", clock)
        make_due(now)
        phase("make due", clock)
        seconds, result = timed(lambda now=now: run_sla_sweep(now=now))
        best["sla_due"] = min(best.get("sla_due", seconds), seconds)
        counts["breached"] = len(result.breached["first_response"])
        seconds, result = timed(lambda now=now: engine.sweep_time_rules(now=now))
        best["auto_due"] = min(best.get("auto_due", seconds), seconds)
        counts["auto_close_claimed"] = result.get("Close tickets answered 7 days ago without a customer reply", 0)
        phase("due sweeps", clock)
    counts["notifications"] = notifications.Notification.objects.count()

    # What a worker then does per run: execute 100 auto-close runs (email + close), timed.
    run_ids = list(
        AutomationRun.objects.filter(rule__trigger="no_customer_reply").values_list("pk", flat=True)[:100]
    )
    per_run, _ = timed(lambda: engine.execute_runs(run_ids))
    print(
        f"bench_sla tickets={TOTAL} open={OPEN} due={DUE} "
        f"sla_sweep_idle={best['sla_idle']:.3f}s sla_sweep_due={best['sla_due']:.3f}s "
        f"(breached={counts['breached']} notifications={counts['notifications']}) "
        f"auto_close_sweep_idle={best['auto_idle']:.3f}s auto_close_sweep_due={best['auto_due']:.3f}s "
        f"(claimed={counts['auto_close_claimed']}) execute_run={per_run / max(len(run_ids), 1) * 1000:.1f}ms/run "
        f"targets: idle<1s due<5s"
    )


if __name__ == "__main__":
    main()
