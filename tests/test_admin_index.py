"""The configuration console's index is grouped the way a manager thinks, with priority targets
in hours in both the list and the form."""

import re

import pytest

from tests.factories import ManagerFactory
from tickets.models import Priority

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager(client):
    user = ManagerFactory(email="manager@company.com", is_superuser=True)
    client.force_login(user)
    return user


def test_index_groups_in_manager_order_with_technical_tables_last(client, manager):
    """Tickets, Email, SLA, Automation, Knowledge base, Clients ... and the technical tables last."""
    app_list = client.get("/admin/").context["app_list"]
    groups = [str(a["name"]) for a in app_list]
    assert groups[:6] == ["Tickets", "Email", "SLA", "Automation", "Knowledge base", "Clients"]
    assert groups[-1] == "Records and technical tables"
    models = {str(a["name"]): [m["object_name"] for m in a["models"]] for a in app_list}
    assert models["Tickets"][:3] == ["Ticket", "TicketStatus", "Priority"]
    assert "TicketEvent" in models["Records and technical tables"]
    assert "AccessAttempt" in models["Records and technical tables"]


def test_priority_form_takes_hours(client, manager):
    """The form shows and takes hours (stored as minutes), like the list."""
    urgent = Priority.objects.get(name="Urgent")
    page = client.get(f"/admin/tickets/priority/{urgent.pk}/change/").content.decode()
    assert re.search(r'name="first_response_hours"[^>]*value="1(\.0+)?"', page)
    client.post(f"/admin/tickets/priority/{urgent.pk}/change/", {
        "name": "Urgent", "level": 4, "colour": "#d32f2f", "first_response_hours": "0.5",
        "resolution_hours": "6", "is_default": ""})
    urgent.refresh_from_db()
    assert (urgent.first_response_minutes, urgent.resolution_minutes) == (30, 360)
    r = client.post(f"/admin/tickets/priority/{urgent.pk}/change/", {
        "name": "Urgent", "level": 4, "colour": "#d32f2f", "first_response_hours": "5",
        "resolution_hours": "2", "is_default": ""})
    assert "cannot be shorter" in r.content.decode()
