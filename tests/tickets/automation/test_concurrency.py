"""Two sweeps racing on PostgreSQL claim each due ticket once (the unique run record decides)."""

import threading
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import connection

from tests.factories import ContactFactory, DepartmentFactory, priority
from tickets import services
from tickets.automation import engine
from tickets.models import AutomationRule, AutomationRun

pytestmark = pytest.mark.django_db(transaction=True)

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def test_concurrent_sweeps_claim_each_ticket_once(monkeypatch):
    """Eight threads sweeping the 4-hour rule at the same moment record one run per ticket."""
    if connection.vendor != "postgresql":
        pytest.skip("threads need their own connections to a shared database (PostgreSQL)")
    AutomationRule.objects.exclude(trigger="no_staff_reply").update(is_active=False)
    rule = AutomationRule.objects.get(trigger="no_staff_reply")
    dept = DepartmentFactory(name="General Support", email="support@company.com")
    with time_machine.travel(T0, tick=False):
        tickets = [
            services.open_ticket(subject=f"T{i}", body_text="x", department=dept, contact=ContactFactory(),
                                 priority=priority("High"))
            for i in range(20)
        ]
    dispatched: list[int] = []
    monkeypatch.setattr(engine, "send_runs", lambda ids, chain: dispatched.extend(ids))
    barrier = threading.Barrier(8)
    claimed: list[int] = []
    errors: list[BaseException] = []

    def sweep() -> None:
        try:
            barrier.wait(10)
            claimed.append(engine.sweep_rule(rule, now=T0 + timedelta(hours=5)))
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=sweep) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sum(claimed) == len(tickets)
    assert sorted(dispatched) == sorted(AutomationRun.objects.values_list("pk", flat=True))
    assert AutomationRun.objects.filter(rule=rule).count() == len(tickets)
