"""End to end on real infrastructure: a Celery worker with embedded beat on Redis, PostgreSQL
shared with the worker, and a loopback SMTP server. A ticket past its first-response due time
becomes Escalated by the seeded rule and the department receives the email.

Needs PostgreSQL (DATABASE_URL) and Redis (SLA_TEST_REDIS_URL, default redis://127.0.0.1:6379/7).
"""

import email
import email.policy
import importlib
import os
import signal
import socket
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.db import connection
from django.utils import timezone

from tests.factories import ContactFactory, DepartmentFactory, StaffFactory, priority
from tickets import services
from tickets.models import AutomationRule, Ticket, TicketStatus

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

BASE_DIR = Path(__file__).resolve().parents[2]
REDIS_URL = os.environ.get("SLA_TEST_REDIS_URL", "redis://127.0.0.1:6379/7")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp_server():
    """An aiosmtpd server on loopback; `.messages` holds the received EmailMessage objects."""
    from aiosmtpd.controller import Controller

    class Handler:
        def __init__(self) -> None:
            self.messages: list[email.message.EmailMessage] = []

        async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd API)
            self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
            return "250 OK"

    handler = Handler()
    controller = Controller(handler, hostname="127.0.0.1", port=_free_port())
    controller.start()
    handler.port = controller.port
    try:
        yield handler
    finally:
        controller.stop()


@pytest.fixture
def celery_worker_redis(tmp_path, smtp_server):
    """A real worker with embedded beat (sweeps every 2 s) on Redis, sharing the test database."""
    if connection.vendor != "postgresql":
        pytest.skip("the worker shares the test database: run with DATABASE_URL=postgres://…")
    try:
        import redis

        client = redis.Redis.from_url(REDIS_URL)
        client.ping()
    except Exception as exc:  # pragma: no cover - environment without Redis
        pytest.skip(f"Redis not reachable at {REDIS_URL}: {exc}")
    client.flushdb()
    db = settings.DATABASES["default"]
    database_url = f"postgres://{db['USER']}:{db.get('PASSWORD') or ''}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "CELERY_BROKER_URL": REDIS_URL,
        "HELPDESK_VAR_DIR": str(tmp_path / "var"),
        "HELPDESK_SWEEP_SECONDS": "2",
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(smtp_server.port),
        "DEBUG": "1",
    }
    (tmp_path / "var" / "celery").mkdir(parents=True)
    log = open(tmp_path / "worker.log", "w+")  # noqa: SIM115
    process = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "helpdesk", "worker", "-B", "--pool=solo", "-l", "info",
         "-n", "sla-test@%h"],
        cwd=BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )
    try:
        yield process
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
        log.seek(0)
        print(log.read()[-5000:])  # shown when the test fails
        log.close()
        client.flushdb()


def _ensure_seed_data() -> None:
    """Transactional tests empty the tables; restore the migrations' seed rows if needed."""
    if not TicketStatus.objects.exists():
        importlib.import_module("tickets.migrations.0002_seed_configuration").seed(apps, None)
    if not AutomationRule.objects.exists():
        importlib.import_module("tickets.migrations.0004_seed_automation_rules").seed(apps, None)


def test_overdue_ticket_is_escalated_and_the_department_emailed(celery_worker_redis, smtp_server):
    """Beat's SLA sweep finds the overdue ticket, the seeded rule escalates it and emails the department."""
    _ensure_seed_data()
    dept = DepartmentFactory(name="General Support", email="support@company.com")
    agents = [StaffFactory(departments=[dept], email=f"agent{i}@company.com") for i in range(2)]
    ticket = services.open_ticket(
        subject="Production down", body_text="Everything is red", department=dept, contact=ContactFactory(),
        priority=priority("Urgent"), created_at=timezone.now() - timedelta(hours=2),
    )
    assert ticket.first_response_due_at < timezone.now()

    deadline = time.monotonic() + 90
    escalated = False
    received: list[str] = []
    while time.monotonic() < deadline:
        status = Ticket.objects.filter(pk=ticket.pk).values_list("status__slug", flat=True).first()
        escalated = status == TicketStatus.ESCALATED
        received = [m["To"] for m in smtp_server.messages if "First-response SLA breached" in m["Subject"]]
        if escalated and len(received) >= len(agents):
            break
        assert celery_worker_redis.poll() is None, "the worker died"
        time.sleep(0.5)
    assert escalated
    assert sorted(received) == sorted(a.email for a in agents)
    ticket.refresh_from_db()
    assert ticket.first_response_breached
    assert ticket.automation_runs.get().state == "done"
