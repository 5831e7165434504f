"""The {% sla_badge %} template tag: countdown, soon, breached, paused, met."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.template import Context, Template

from tests.factories import TicketFactory, status

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def badge(ticket, metric="first_response") -> str:
    with time_machine.travel(NOW, tick=False):
        return Template('{% load sla_tags %}{% sla_badge ticket metric %}').render(
            Context({"ticket": ticket, "metric": metric})
        )


def test_countdown_and_soon():
    """An open target shows the time left, in the warning colour within the lead time."""
    assert "due in 2 h 0 min" in badge(TicketFactory(first_response_due_at=NOW + timedelta(hours=2)))
    html = badge(TicketFactory(first_response_due_at=NOW + timedelta(minutes=10)))
    assert 'data-state="soon"' in html and "due in 10 min" in html


def test_breached_met_and_paused():
    """Overdue or flagged shows breached; answered in time shows met; On Hold shows paused."""
    assert 'data-state="breached"' in badge(TicketFactory(first_response_due_at=NOW - timedelta(minutes=5)))
    late = TicketFactory(first_response_due_at=NOW - timedelta(hours=3), first_response_at=NOW - timedelta(hours=1),
                         first_response_breached=True)
    assert "breached (2 h 0 min late)" in badge(late)
    met = TicketFactory(first_response_due_at=NOW, first_response_at=NOW - timedelta(hours=1))
    assert 'data-state="met"' in badge(met)
    paused = TicketFactory(status=status("on-hold"), resolution_due_at=NOW - timedelta(hours=1),
                           sla_paused_at=NOW - timedelta(hours=2))
    assert 'data-state="paused"' in badge(paused, "resolution")
    assert "—" in badge(TicketFactory())
