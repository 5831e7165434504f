"""The configuration console for SLA and automation: pages render, validation is explained."""

import json
import re

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


def _editor_meta(html: str, field: str) -> dict:
    match = re.search(rf'<script id="id_{field}-editor-meta" type="application/json">(.*?)</script>', html, re.S)
    return json.loads(match.group(1))


def test_rule_editor_is_given_fields_operators_and_actions_with_their_parameters(admin_client):
    """The row editor's metadata offers the condition fields with their values and every registered
    action (plugins included) with its parameters; the JSON textarea is still the form field."""
    html = admin_client.get("/admin/tickets/automationrule/add/").content.decode()
    assert 'data-rule-editor="conditions"' in html and 'name="conditions"' in html
    assert '<script src="/static/js/rule_editor.js"' in html
    fields = {f["name"]: f for f in _editor_meta(html, "conditions")["fields"]}
    assert set(fields) == {"department", "priority", "status", "service", "channel", "client_tier",
                           "custom_field", "assignee", "business_hours"}
    assert [c[0] for c in fields["priority"]["choices"]] == ["Urgent", "High", "Medium", "Low"]
    assert ["escalated", "Escalated"] in fields["status"]["choices"]
    assert [op for op, _label in fields["status"]["operators"]] == ["in", "not_in"]
    assert fields["assignee"]["key"] == "set"
    actions = {a["name"]: a for a in _editor_meta(html, "actions")["actions"]}
    assert {"send_survey", "send_whatsapp_template", "set_status", "create_task"} <= set(actions)
    assert actions["send_survey"]["params"] == []
    assert [p["name"] for p in actions["send_whatsapp_template"]["params"]] == ["event", "template", "parameters"]
    status_param = actions["set_status"]["params"][0]
    assert (status_param["kind"], status_param["required"]) == ("choice", True)
    assert ["in-progress", "In Progress"] in status_param["choices"]
    assert {p["name"]: p["kind"] for p in actions["create_task"]["params"]}["due_hours"] == "number"


def test_a_bad_row_keeps_todays_message_and_names_its_row(admin_client):
    """A condition row with an unknown priority: the form shows today's message and hands it to
    the second row; nothing is saved."""
    response = admin_client.post("/admin/tickets/automationrule/add/", {
        "name": "Bad row", "order": 1, "is_active": "on", "trigger": "ticket_created",
        "conditions": '[{"field": "channel", "in": ["email"]}, {"field": "priority", "in": ["Huge"]}]',
        "actions": '[{"action": "add_note", "text": "hi"}]',
    })
    assert response.status_code == 200
    html = response.content.decode()
    message = "Condition 2: “Huge” is not a known priority (known: High, Low, Medium, Urgent)."
    assert message in html  # in the field's error list, as today
    assert _editor_meta(html, "conditions")["errors"] == [{"row": 2, "message": message}]
    assert _editor_meta(html, "actions")["errors"] == []
    assert not AutomationRule.objects.filter(name="Bad row").exists()


def test_rows_written_by_the_editor_save_the_same_json(admin_client):
    """What the editor posts (compact JSON from the rows) is stored as the engine's lists."""
    response = admin_client.post("/admin/tickets/automationrule/add/", {
        "name": "From rows", "order": 5, "is_active": "on", "trigger": "ticket_created",
        "conditions": '[{"field":"status","in":["new"]},{"field":"assignee","set":false}]',
        "actions": '[{"action":"create_task","title":"Call back","due_hours":1.5}]',
    })
    assert response.status_code == 302
    rule = AutomationRule.objects.get(name="From rows")
    assert rule.conditions == [{"field": "status", "in": ["new"]}, {"field": "assignee", "set": False}]
    assert rule.actions == [{"action": "create_task", "title": "Call back", "due_hours": 1.5}]
