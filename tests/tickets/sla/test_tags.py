"""SLA badges: {% sla_badge %}, the queue's countdown and the ticket page share one state."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.template import Context, Template, engines

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
    assert "due in 2 h 00 min" in badge(TicketFactory(first_response_due_at=NOW + timedelta(hours=2)))
    html = badge(TicketFactory(first_response_due_at=NOW + timedelta(minutes=10)))
    assert 'data-state="soon"' in html and "due in 10 min" in html


def test_breached_met_and_paused():
    """Overdue or flagged shows breached; answered in time shows met; On Hold shows paused."""
    assert 'data-state="breached"' in badge(TicketFactory(first_response_due_at=NOW - timedelta(minutes=5)))
    late = TicketFactory(first_response_due_at=NOW - timedelta(hours=3), first_response_at=NOW - timedelta(hours=1),
                         first_response_breached=True)
    assert "breached (2 h 00 min late)" in badge(late)
    met = TicketFactory(first_response_due_at=NOW, first_response_at=NOW - timedelta(hours=1))
    assert 'data-state="met"' in badge(met)
    paused = TicketFactory(status=status("on-hold"), resolution_due_at=NOW - timedelta(hours=1),
                           sla_paused_at=NOW - timedelta(hours=2))
    assert 'data-state="paused"' in badge(paused, "resolution")
    assert "—" in badge(TicketFactory())


def queue_badge(ticket) -> str:
    with time_machine.travel(NOW, tick=False):
        template = engines["fragments"].from_string(
            '{% from "tickets/_queue_sla.html" import queue_sla %}{{ queue_sla(ticket, now) }}')
        return template.render({"ticket": ticket, "now": NOW})


def test_queue_badge_counts_down_the_running_target():
    """The queue shows the first response until it is given, then the resolution, in the same states."""
    waiting = TicketFactory(first_response_due_at=NOW + timedelta(hours=2), resolution_due_at=NOW + timedelta(days=1))
    assert 'data-sla="first_response" data-state="due"' in queue_badge(waiting) and "2 h 00 min" in queue_badge(waiting)
    answered = TicketFactory(first_response_due_at=NOW, first_response_at=NOW - timedelta(hours=1),
                             resolution_due_at=NOW + timedelta(minutes=20))
    assert 'data-sla="resolution" data-state="soon"' in queue_badge(answered)
    late = TicketFactory(first_response_due_at=NOW - timedelta(minutes=90))
    assert 'data-state="breached"' in queue_badge(late) and "1 h 30 min" in queue_badge(late)
    assert "—" in queue_badge(TicketFactory(closed_at=NOW, resolution_due_at=NOW + timedelta(hours=1)))


def test_every_badge_follows_the_first_response_pause_setting(settings):
    """With HELPDESK_SLA_PAUSE_FIRST_RESPONSE=0 On Hold no longer pauses the first response, on the
    queue and on the ticket page alike; the resolution clock still pauses."""
    held = TicketFactory(status=status("on-hold"), sla_paused_at=NOW - timedelta(hours=1),
                         first_response_due_at=NOW + timedelta(hours=3), resolution_due_at=NOW + timedelta(days=2))
    assert 'data-state="paused"' in queue_badge(held)
    assert 'data-state="paused"' in badge(held)
    settings.HELPDESK_SLA_PAUSE_FIRST_RESPONSE = False
    assert 'data-state="due"' in queue_badge(held) and "3 h 00 min" in queue_badge(held)
    assert "due in 3 h 00 min" in badge(held)
    assert 'data-state="paused"' in badge(held, "resolution")


def test_a_target_paused_after_its_due_time_stays_breached():
    """Putting an overdue ticket On Hold does not hide the breach."""
    held = TicketFactory(status=status("on-hold"), sla_paused_at=NOW - timedelta(minutes=10),
                         first_response_due_at=NOW - timedelta(hours=1))
    assert 'data-state="breached"' in badge(held)
    assert 'data-state="breached"' in queue_badge(held)


def test_warning_lead_time_is_the_setting(settings):
    """A target turns 'soon' within HELPDESK_SLA_WARNING_MINUTES."""
    ticket = TicketFactory(first_response_due_at=NOW + timedelta(minutes=45))
    assert 'data-state="due"' in queue_badge(ticket)
    settings.HELPDESK_SLA_WARNING_MINUTES = 60
    assert 'data-state="soon"' in queue_badge(ticket) and 'data-state="soon"' in badge(ticket)
