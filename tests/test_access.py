"""Who may enter where: the root page, the two logins, staff pages, deploy settings, time zones."""

import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.test import RequestFactory
from django.utils import timezone

from helpdesk.middleware import UserTimezoneMiddleware, timezone_name
from tests.factories import ManagerFactory, MessageFactory, PortalContactFactory, StaffFactory, TicketFactory

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parent.parent


def test_root_page_links_to_each_login(client):
    """Anonymous visitors choose between the customer portal, the knowledge base and the staff login."""
    html = client.get("/").content.decode()
    for href in ('href="/authentication/login/"', 'href="/staff/login/"', 'href="/knowledge-base/"'):
        assert href in html


def test_root_page_sends_signed_in_people_to_their_side(client):
    client.force_login(StaffFactory())
    assert client.get("/")["Location"] == "/staff/"
    client.force_login(PortalContactFactory().user)
    assert client.get("/")["Location"] == "/portal/"


@pytest.mark.parametrize("path", ["/staff/", "/staff/tickets/", "/staff/tickets/{ticket}/", "/staff/clients/1/"])
def test_a_contact_never_reaches_a_staff_page(client, path):
    """Signed-in customers get 404 on every /staff/ page (no hint that it exists)."""
    contact = PortalContactFactory()
    ticket = TicketFactory(contact=contact)
    client.force_login(contact.user)
    response = client.get(path.format(ticket=ticket.pk))
    assert response.status_code == 404


def test_anonymous_visitors_are_sent_to_the_staff_login(client):
    response = client.get("/staff/tickets/")
    assert response.status_code == 302 and response["Location"].startswith("/staff/login/?next=")


def test_staff_reach_the_workspace(client):
    client.force_login(ManagerFactory())
    assert client.get("/staff/tickets/").status_code == 200


def test_staff_login_refuses_a_customer_and_portal_login_refuses_staff(client):
    """Each login page only lets its own people in, and says where to go instead."""
    contact = PortalContactFactory(email="john@acme.example")
    response = client.post("/staff/login/", {"username": "john@acme.example", "password": "pw"})
    assert "Use the client portal login" in response.content.decode()
    assert "_auth_user_id" not in client.session
    agent = StaffFactory(email="ana@company.com")
    response = client.post("/authentication/login/", {"username": "ana@company.com", "password": "pw"})
    assert "Use the staff login" in response.content.decode()
    response = client.post("/authentication/login/", {"username": "JOHN@acme.example", "password": "pw"})
    assert response["Location"] == "/portal/"  # email login ignores case
    assert int(client.session["_auth_user_id"]) == contact.user.pk
    client.logout()
    response = client.post("/staff/login/", {"username": agent.email, "password": "pw"})
    assert response["Location"] == "/staff/"


def test_check_deploy_passes_in_production_settings(tmp_path):
    """`manage.py check --deploy` reports nothing with DEBUG off and a real secret key."""
    # The test run's own switches (async-unsafe for Playwright, the test database) are not production.
    env = {k: v for k, v in os.environ.items() if k not in ("DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE")}
    env.update(DEBUG="0", SECRET_KEY="x" * 20 + "-production-secret-key-with-enough-entropy-1234567890",
               HELPDESK_VAR_DIR=str(tmp_path), ALLOWED_HOSTS="helpdesk.example.com")
    env.pop("DATABASE_URL", None)
    result = subprocess.run([sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
                            cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues (0 silenced)" in result.stdout


def test_production_refuses_to_start_without_a_secret_key(tmp_path):
    env = {**os.environ, "DEBUG": "0", "HELPDESK_VAR_DIR": str(tmp_path)}
    env.pop("SECRET_KEY", None)
    result = subprocess.run([sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode != 0 and "SECRET_KEY must be set" in result.stderr


# --- time zones ----------------------------------------------------------------------------


def test_staff_pages_show_times_in_the_staff_members_time_zone(client):
    """The same message time reads 19:00 for a Tokyo agent and 11:00 for a London one (10:00 UTC)."""
    at = datetime(2026, 1, 5, 10, 0, tzinfo=UTC)
    ticket = TicketFactory(created_at=at)
    MessageFactory(ticket=ticket, created_at=at)
    tokyo = ManagerFactory(timezone="Asia/Tokyo", is_superuser=True)
    client.force_login(tokyo)
    html = client.get(f"/admin/tickets/ticket/{ticket.pk}/change/").content.decode()
    assert "5 Jan 2026, 19:00" in html and "5 Jan 2026, 10:00" not in html
    lisbon = ManagerFactory(timezone="Europe/Lisbon", is_superuser=True)
    client.force_login(lisbon)
    html = client.get(f"/admin/tickets/ticket/{ticket.pk}/change/").content.decode()
    assert "5 Jan 2026, 10:00" in html and "5 Jan 2026, 19:00" not in html


def test_a_customer_sees_times_in_their_contact_time_zone():
    """A customer's pages use the time zone on their contact record."""
    contact = PortalContactFactory(timezone="America/New_York")
    assert timezone_name(contact.user) == "America/New_York"
    seen = {}

    def view(request):
        seen["tz"] = timezone.get_current_timezone_name()
        from django.http import HttpResponse

        return HttpResponse()

    request = RequestFactory().get("/portal/")
    request.user = contact.user
    UserTimezoneMiddleware(view)(request)
    assert seen["tz"] == "America/New_York"
    agent = StaffFactory(timezone="Europe/Berlin")
    request.user = agent
    UserTimezoneMiddleware(view)(request)
    assert seen["tz"] == "Europe/Berlin"
