"""The staff top bar is cached for a few seconds, yet what an agent does shows on the very next
page: a new notification, reading them, a new or removed announcement, a scheduled one on time.
The staff profile comes with the user, so every page asks one query less."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from crm.models import Announcement
from tests.factories import ContactFactory, DepartmentFactory, ManagerFactory, PortalContactFactory, StaffFactory
from tickets import services
from tickets.notifications import services as notifications

pytestmark = pytest.mark.django_db


@pytest.fixture
def dept():
    return DepartmentFactory(name="General Support", email="support@company.com")


@pytest.fixture
def agent(dept):
    return StaffFactory(departments=[dept], email="lina@company.com")


@pytest.fixture
def agent_client(client, agent):
    client.force_login(agent)
    return client


def bell(client) -> int:
    """The number on the bell of the next page the agent opens (0 when it shows none)."""
    html = client.get("/staff/tickets/").content.decode()
    found = re.search(r'id="notification-bell"[^>]*>.*?(?:<span class="count">(\d+)</span>)?</a>', html, re.S)
    assert found, "no bell on the page"
    return int(found.group(1) or 0)


def test_bell_shows_a_new_notification_and_reading_them_at_once(agent_client, agent, dept):
    """The count is cached between pages, but a new notification and "mark all read" show on the next page."""
    ticket = services.open_ticket(subject="VPN down", body_text="Help", department=dept, contact=ContactFactory())
    notifications.notify(recipients=[agent], kind="assigned", text="Assigned to you", ticket=ticket)
    assert bell(agent_client) == 1
    with CaptureQueriesContext(connection) as ctx:
        assert bell(agent_client) == 1
    assert not any("tickets_notification" in q["sql"] for q in ctx.captured_queries)  # cached
    notifications.notify(recipients=[agent], kind="assigned", text="Another", ticket=ticket)
    assert bell(agent_client) == 2
    agent_client.get(f"/staff/tickets/{ticket.pk}/")  # opening the ticket reads its notifications
    assert bell(agent_client) == 0
    notifications.notify(recipients=[agent], kind="assigned", text="Third", ticket=ticket)
    assert bell(agent_client) == 1
    agent_client.post("/staff/notifications/read-all/")
    assert bell(agent_client) == 0


def test_announcements_follow_the_admin_and_their_schedule(agent_client):
    """A new announcement shows on the next page, a deleted one goes, a scheduled one appears at its time."""
    assert "staff-announcement" not in agent_client.get("/staff/tickets/").content.decode()  # cached: none
    first = Announcement.objects.create(title="Maintenance tonight", body="1 h", for_staff=True, for_customers=False)
    assert "Maintenance tonight" in agent_client.get("/staff/tickets/").content.decode()
    first.delete()
    assert "Maintenance tonight" not in agent_client.get("/staff/tickets/").content.decode()
    now = timezone.now()
    with time_machine.travel(now, tick=False):
        Announcement.objects.create(title="New VPN from noon", body="x", for_staff=True, for_customers=False,
                                    starts_at=now + timedelta(seconds=10), ends_at=now + timedelta(minutes=5))
        assert "New VPN from noon" not in agent_client.get("/staff/tickets/").content.decode()
    with time_machine.travel(now + timedelta(seconds=11), tick=False):
        assert "New VPN from noon" in agent_client.get("/staff/tickets/").content.decode()
    with time_machine.travel(now + timedelta(minutes=6), tick=False):
        assert "New VPN from noon" not in agent_client.get("/staff/tickets/").content.decode()


def test_the_staff_profile_comes_with_the_user(client, dept):
    """A manager's pages know their role without a query of its own; a customer without a profile
    still signs in to the portal."""
    manager = ManagerFactory(email="boss@company.com")
    client.force_login(manager)
    client.get("/staff/tickets/")
    with CaptureQueriesContext(connection) as ctx:
        page = client.get("/staff/tickets/").content.decode()
    assert 'href="/staff/escalations/"' in page  # managers only
    assert not any('FROM "crm_staffprofile"' in q["sql"] for q in ctx.captured_queries)
    contact = PortalContactFactory(email="ana@client.example")
    client.force_login(contact.user)
    assert client.get("/portal/").status_code == 200
