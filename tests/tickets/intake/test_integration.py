"""End to end with real parts: pipe_email in a subprocess, a Celery worker on Redis, the receipt
delivered to an SMTP server on loopback; and a worker killed mid-run loses nothing."""

import os
import signal
import subprocess
import sys
import time

import pytest

from tests.conftest import ROOT, _database_url_for_test_db
from tests.tickets.intake.test_email import build
from tickets.intake.reruns import requeue_inbound_emails
from tickets.models import InboundEmail, Ticket, TicketMessage

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def pipe(raw: bytes) -> subprocess.CompletedProcess:
    env = {**os.environ, "DATABASE_URL": _database_url_for_test_db(), "CELERY_TASK_ALWAYS_EAGER": "0",
           "LOG_LEVEL": "WARNING"}
    return subprocess.run([sys.executable, str(ROOT / "manage.py"), "pipe_email"], input=raw, capture_output=True,
                          env=env, cwd=ROOT, timeout=60)


def wait_until(predicate, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError("condition not met in time")


def test_pipe_to_ticket_to_receipt_over_smtp(departments, smtp_server, celery_worker_redis):
    """An email piped in becomes a ticket in the worker, and its receipt reaches the SMTP server."""
    worker = celery_worker_redis()
    raw = build(sender="Jane Doe <jane@client.example>", to="tech@company.com", subject="Integration",
                message_id="<integration@client.example>")
    result = pipe(raw)
    assert result.returncode == 0, result.stderr
    received = smtp_server.wait_for(1, timeout=60)
    ticket = Ticket.objects.get(subject="Integration")
    assert ticket.department == departments["tech"]
    assert received[0]["To"] == "jane@client.example"
    assert received[0]["Subject"] == f"[Ticket ID: {ticket.pk}] Integration"
    assert received[0]["Auto-Submitted"] == "auto-replied"
    assert InboundEmail.objects.get().outcome == "ticket_opened"
    assert TicketMessage.objects.get(ticket=ticket, kind="system").delivery_status == "sent", worker.log[-2000:]


def test_worker_killed_mid_run_loses_nothing(departments, celery_worker_redis):
    """Kill -9 the worker while it works through a burst; a new worker plus the requeue sweep
    finish every email, each exactly once."""
    count = 40
    worker = celery_worker_redis(concurrency=2)
    for i in range(count):
        assert pipe(build(sender=f"user{i}@client.example", subject=f"Burst {i}",
                          message_id=f"<burst{i}@client.example>")).returncode == 0
        if i == count // 4:
            worker.process.send_signal(signal.SIGKILL)
    worker.stop(kill=True)
    done_before = InboundEmail.objects.filter(state="done").count()
    assert done_before < count
    celery_worker_redis(concurrency=2)
    requeue_inbound_emails(older_than_seconds=0)
    wait_until(lambda: InboundEmail.objects.filter(state="done").count() == count, timeout=120)
    assert Ticket.objects.filter(subject__startswith="Burst").count() == count
    assert TicketMessage.objects.filter(kind="customer").count() == count


def test_slow_email_is_retried_on_the_slow_queue_by_a_real_worker(departments, celery_worker_redis):
    """A real worker (prefork, Redis) with a sanitiser that stalls on one email: the other emails
    of the batch become tickets at once; the slow one is stopped after 1 s, retried once on the
    intake_slow queue, stopped after 2 s there and kept failed with its reason."""
    from tests.tickets.intake.test_timelimit import html_email
    from tickets import tasks
    from tickets.intake.services import store_inbound_email

    worker = celery_worker_redis(include="tests.tickets.intake.slow_worker", extra_env={
        "HELPDESK_INBOUND_EMAIL_SOFT_LIMIT": "1", "HELPDESK_INBOUND_EMAIL_SLOW_LIMIT": "2"})
    raws = [build(subject="Normal 1", message_id="<n1@x>"), html_email("Bomb", "<p>SLOW</p>", "<bomb@x>"),
            build(subject="Normal 2", message_id="<n2@x>")]
    rows = [store_inbound_email(raw=raw, queue=False).inbound for raw in raws]
    started = time.monotonic()
    tasks.process_inbound_email.delay(rows[0].pk)
    normal = [rows[0].pk, rows[2].pk]
    wait_until(lambda: InboundEmail.objects.filter(pk__in=normal, outcome="ticket_opened").count() == 2, timeout=25)
    batch_seconds = time.monotonic() - started
    assert batch_seconds < 15, worker.log[-3000:]  # not held up by the bomb's 30 s
    bomb = rows[1]
    wait_until(lambda: "slow queue too" in InboundEmail.objects.get(pk=bomb.pk).reason, timeout=40)
    bomb.refresh_from_db()
    assert (bomb.state, bomb.outcome, bomb.ticket_id) == ("failed", "failed", None), worker.log[-3000:]
    assert "EmailTookTooLong" in bomb.error
    assert "tickets.process_slow_inbound_email" in worker.log
    assert not Ticket.objects.filter(subject="Bomb").exists()
    assert Ticket.objects.filter(subject__startswith="Normal").count() == 2
    print(f"normal emails done after {batch_seconds:.1f} s")
