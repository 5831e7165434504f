"""The queue says what it did: bulk actions that change nothing say so, a department filter outside
the agent's departments is reported as ignored, and staff announcements show in the workspace."""

import pytest

from crm.models import Announcement
from tests.factories import TicketFactory, status

pytestmark = pytest.mark.django_db


def _messages(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def test_bulk_action_that_changes_nothing_says_so(agent_client, support):
    """Setting a status the tickets already have reports that nothing changed."""
    a = TicketFactory(department=support, status=status("in-progress"))
    b = TicketFactory(department=support, status=status("in-progress"))
    r = agent_client.post("/staff/tickets/bulk/", {"ticket": [a.pk, b.pk], "action": "status",
                                                   "status": "in-progress"}, follow=True)
    assert _messages(r) == ["Nothing changed: the 2 selected tickets already had that value."]
    c = TicketFactory(department=support, status=status("new"))
    r = agent_client.post("/staff/tickets/bulk/", {"ticket": [a.pk, c.pk], "action": "status",
                                                   "status": "in-progress"}, follow=True)
    assert _messages(r) == ["1 ticket updated. 1 already had that value."]


def test_bulk_reports_tickets_left_alone(agent_client, support, technical):
    """Selected tickets outside the agent's departments are counted as left alone."""
    mine = TicketFactory(department=support)
    other = TicketFactory(department=technical)
    r = agent_client.post("/staff/tickets/bulk/", {"ticket": [mine.pk, other.pk], "action": "close"}, follow=True)
    assert "1 ticket updated." in _messages(r)
    assert any("not in your departments" in m for m in _messages(r))


def test_department_filter_outside_my_departments_is_reported(agent_client, technical, support):
    """?department=<not mine> is ignored and the page says so."""
    r = agent_client.get(f"/staff/tickets/?department={technical.pk}")
    assert r.context["ignored_filters"] and "not one of your departments" in r.content.decode()
    assert not agent_client.get(f"/staff/tickets/?department={support.pk}").context["ignored_filters"]


def test_staff_announcements_show_in_the_workspace(agent_client):
    """An announcement for staff is on workspace pages; one for customers only is not."""
    Announcement.objects.create(title="Maintenance tonight 22:00", body="The portal is down 1 h.",
                                for_staff=True, for_customers=False)
    Announcement.objects.create(title="Customers only", body="x", for_staff=False, for_customers=True)
    body = agent_client.get("/staff/tickets/").content.decode()
    assert "Maintenance tonight 22:00" in body and "Customers only" not in body


def test_favicon_is_linked(agent_client):
    """Every page links the favicon."""
    assert 'rel="icon"' in agent_client.get("/staff/tickets/").content.decode()
