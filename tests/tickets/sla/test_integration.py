"""End to end on real infrastructure: a Celery worker with embedded beat on Redis, PostgreSQL
shared with the worker, and a loopback SMTP server. A ticket past its first-response due time
becomes Escalated by the seeded rule and the department receives the email.

Run with DATABASE_URL=postgres://… and CELERY_BROKER_URL=redis://127.0.0.1:6379/7.
"""

import time
from datetime import timedelta

import pytest
from django.utils import timezone

from tests.factories import ContactFactory, DepartmentFactory, StaffFactory, priority
from tickets import services
from tickets.models import Ticket, TicketStatus

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def test_overdue_ticket_is_escalated_and_the_department_emailed(smtp_server, celery_worker_redis):
    """Beat's SLA sweep finds the overdue ticket, the seeded rule escalates it and emails the department."""
    dept = DepartmentFactory(name="General Support", email="support@company.com")
    agents = [StaffFactory(departments=[dept], email=f"agent{i}@company.com") for i in range(2)]
    ticket = services.open_ticket(
        subject="Production down", body_text="Everything is red", department=dept, contact=ContactFactory(),
        priority=priority("Urgent"), created_at=timezone.now() - timedelta(hours=2),
    )
    assert ticket.first_response_due_at < timezone.now()
    worker = celery_worker_redis(beat=True, extra_env={"HELPDESK_SWEEP_SECONDS": "2"})

    deadline = time.monotonic() + 90
    escalated, received = False, []
    while time.monotonic() < deadline:
        status = Ticket.objects.filter(pk=ticket.pk).values_list("status__slug", flat=True).first()
        escalated = status == TicketStatus.ESCALATED
        received = [m["To"] for m in smtp_server.messages if "First-response SLA breached" in m["Subject"]]
        if escalated and len(received) >= len(agents):
            break
        assert worker.process.poll() is None, worker.log[-3000:]
        time.sleep(0.5)
    assert escalated, worker.log[-3000:]
    assert sorted(received) == sorted(a.email for a in agents)
    ticket.refresh_from_db()
    assert ticket.first_response_breached
    assert ticket.automation_runs.get().state == "done"
