"""Demo data and automation: beat's first sweeps leave the back-dated demo history alone."""

import pytest
from django.core.management import call_command

from tickets.automation import engine
from tickets.models import AutomationRun, BusinessCalendar, Department, Ticket
from tickets.sla.sweep import run_sla_sweep

pytestmark = pytest.mark.django_db


def test_demo_history_is_settled_so_first_sweeps_do_nothing(monkeypatch, mailoutbox,
                                                            django_capture_on_commit_callbacks):
    """After seed_demo, overdue demo tickets are flagged, their runs logged as skipped, and the
    first SLA and automation sweeps act on none of them."""
    monkeypatch.setattr("tickets.demo.seed.TICKET_COUNT", 60)
    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo", verbosity=0)
    assert Department.objects.get(name="General Support").business_calendar == BusinessCalendar.objects.get()
    assert Department.objects.get(name="Technical Support").business_calendar is None
    runs = AutomationRun.objects.all()
    assert runs.exists()
    assert set(runs.values_list("state", flat=True)) == {"skipped"}
    before = list(Ticket.objects.order_by("pk").values_list("pk", "status_id", "closed_at"))
    with django_capture_on_commit_callbacks(execute=True):
        result = run_sla_sweep()
        claimed = engine.sweep_time_rules()
    assert result.breached == {"first_response": [], "resolution": []}
    assert sum(claimed.values()) == 0
    assert list(Ticket.objects.order_by("pk").values_list("pk", "status_id", "closed_at")) == before
    assert mailoutbox == []
