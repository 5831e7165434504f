"""The configuration console for SLA and automation: pages render, validation is explained."""

import pytest

from tests.factories import UserFactory
from tickets.models import AutomationRule

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


@pytest.mark.parametrize(
    "url",
    [
        "/admin/tickets/automationrule/",
        "/admin/tickets/automationrule/add/",
        "/admin/tickets/automationrun/",
        "/admin/tickets/businesscalendar/add/",
        "/admin/tickets/slapolicy/add/",
        "/admin/tickets/notificationpreference/",
    ],
)
def test_admin_pages_render(admin_client, url):
    """Each SLA / automation admin page opens."""
    assert admin_client.get(url).status_code == 200


def test_rule_change_page_lists_actions_and_recent_runs(admin_client):
    """A seeded rule's page shows the registered actions and its run log."""
    rule = AutomationRule.objects.get(trigger="first_response_breached")
    html = admin_client.get(f"/admin/tickets/automationrule/{rule.pk}/change/").content.decode()
    offered = html.split("Actions you can use")[1][:3000]
    for name in ("set_status", "assign", "add_note", "email_customer", "email_staff", "create_task"):
        assert f"<code>{name}</code>" in offered
    assert "<code>send_survey</code>" in offered  # registered by the surveys app
    assert "Recent runs" in html


def test_invalid_rule_shows_a_clear_message(admin_client):
    """Saving a rule with an unknown action explains which actions exist."""
    response = admin_client.post("/admin/tickets/automationrule/add/", {
        "name": "Broken", "order": 1, "is_active": "on", "trigger": "ticket_created",
        "conditions": "[]", "actions": '[{"action": "teleport"}]',
    })
    assert response.status_code == 200
    assert "is not an available action" in response.content.decode()
    assert not AutomationRule.objects.filter(name="Broken").exists()
