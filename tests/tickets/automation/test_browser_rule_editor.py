"""A manager builds an automation rule in the admin with the row editor, without typing JSON,
and the saved rule is what the engine runs (Debian's Chromium via Playwright, live server)."""

import re

import pytest
from playwright.sync_api import expect

from tests.factories import ContactFactory, DepartmentFactory, ManagerFactory, priority
from tickets import services
from tickets.models import AutomationRule, AutomationRun, CustomField, TicketMessage

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
CSP_WORDS = ("Content Security Policy", "Content-Security-Policy", "unsafe-eval", "EvalError", "evalDisallowed")


def _watch(page) -> list[str]:
    """Collect script errors and CSP violations the page reports."""
    problems: list[str] = []
    page.on("console", lambda msg: problems.append(msg.text) if any(w in msg.text for w in CSP_WORDS) else None)
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    return problems


def test_manager_builds_a_rule_with_rows_and_the_engine_runs_it(live_server, browser):
    """Add a condition row (priority is Urgent) and two action rows (a note with its text, a
    status), save; the stored JSON is the engine's and the rule fires on a matching ticket only."""
    support = DepartmentFactory(name="Customer Support", email="support@company.com")
    ManagerFactory(email="mara@company.com", full_name="Mara Manager", is_superuser=True)
    AutomationRule.objects.update(is_active=False)  # only the new rule acts on the tickets below

    context = browser.new_context(viewport={"width": 1440, "height": 900}, locale="en-GB")
    context.set_default_timeout(15_000)
    page = context.new_page()
    problems = _watch(page)
    page.goto(f"{live_server.url}/staff/login/")
    page.fill("#id_username", "mara@company.com")
    page.fill("#id_password", "pw")
    page.click("button[type=submit]")
    page.wait_for_url("**/staff/**")
    page.goto(f"{live_server.url}/admin/tickets/automationrule/add/")

    page.get_by_label("Name:").fill("Urgent tickets: note and start")
    page.get_by_label("Trigger:").select_option("ticket_created")

    # The JSON textareas give way to rows; no JSON is typed below.
    conditions = page.locator("#id_conditions-editor")
    actions = page.locator("#id_actions-editor")
    expect(page.locator("#id_conditions")).to_be_hidden()
    expect(page.locator("#id_actions")).to_be_hidden()
    expect(conditions.get_by_text("No conditions")).to_be_visible()

    conditions.get_by_role("button", name="Add condition").click()
    condition = conditions.get_by_role("group", name="Condition 1")
    expect(condition.get_by_label("Field", exact=True)).to_be_focused()
    condition.get_by_label("Field", exact=True).select_option("priority")
    expect(condition.get_by_label("Operator")).to_have_value("in")
    condition.get_by_label("Urgent", exact=True).check()

    # Keyboard: the add button works with Enter and focus goes to the new row's first input.
    actions.get_by_role("button", name="Add action").focus()
    page.keyboard.press("Enter")
    first = actions.get_by_role("group", name="Action 1")
    expect(first.get_by_label("Action", exact=True)).to_be_focused()
    first.get_by_label("Action", exact=True).select_option("add_note")
    first.get_by_label("Note text").fill("Urgent ticket #{ticket_number}: call the customer back")
    actions.get_by_role("button", name="Add action").click()
    second = actions.get_by_role("group", name="Action 2")
    second.get_by_label("Action", exact=True).select_option("set_status")
    # Saved without a status: today's message, shown on the row it is about; the rows come back.
    page.locator("input[name=_save]").click()
    expect(second.locator(".re-error")).to_have_text(
        'Action 2 (set_status): Give the "status" key, e.g. "escalated".')
    expect(first.locator(".re-error")).to_be_hidden()
    expect(page.locator(".errorlist")).to_contain_text('Action 2 (set_status): Give the "status" key')
    expect(condition.get_by_label("Urgent", exact=True)).to_be_checked()
    expect(first.get_by_label("Note text")).to_have_value("Urgent ticket #{ticket_number}: call the customer back")
    page.screenshot(path="/tmp/h2_rule_editor_error.png", full_page=True)
    second.get_by_label("Status").select_option(label="In Progress")
    expect(second.locator(".re-error")).to_be_hidden()  # the row changed: its old message goes
    # Plugins' actions are offered too, with their parameters.
    expect(second.get_by_label("Action", exact=True).locator("option[value=send_survey]")).to_have_count(1)
    expect(second.get_by_label("Action", exact=True).locator("option[value=send_whatsapp_template]")).to_have_count(1)

    page.screenshot(path="/tmp/h2_rule_editor.png", full_page=True)

    # Power users: the JSON the rows wrote, and back to the rows.
    conditions.get_by_role("button", name="Edit as JSON").click()
    expect(page.locator("#id_conditions")).to_be_visible()
    written = re.compile(r'^\[\{"field": ?"priority", ?"in": ?\["Urgent"\]\}\]$')
    expect(page.locator("#id_conditions")).to_have_value(written)
    conditions.get_by_role("button", name="Edit as rows").click()
    expect(page.locator("#id_conditions")).to_be_hidden()
    expect(condition.get_by_label("Urgent", exact=True)).to_be_checked()

    page.locator("input[name=_save]").click()
    expect(page.locator(".messagelist .success")).to_contain_text("Urgent tickets: note and start")
    context.close()
    assert problems == []

    rule = AutomationRule.objects.get(name="Urgent tickets: note and start")
    assert rule.trigger == "ticket_created"
    assert rule.conditions == [{"field": "priority", "in": ["Urgent"]}]
    assert rule.actions == [
        {"action": "add_note", "text": "Urgent ticket #{ticket_number}: call the customer back"},
        {"action": "set_status", "status": "in-progress"},
    ]

    # The engine runs it through its usual entry point (the ticket_created event on commit).
    urgent = services.open_ticket(subject="Server down", body_text="Nothing works", department=support,
                                  contact=ContactFactory(), priority=priority("Urgent"))
    low = services.open_ticket(subject="Typo on invoice", body_text="Small thing", department=support,
                               contact=ContactFactory(), priority=priority("Low"))
    run = AutomationRun.objects.get(rule=rule)
    assert run.ticket_id == urgent.pk and run.state == "done", run.error
    urgent.refresh_from_db()
    assert urgent.status.slug == "in-progress"
    assert urgent.messages.filter(kind=TicketMessage.Kind.NOTE,
                                  body_text=f"Urgent ticket #{urgent.pk}: call the customer back").exists()
    assert not AutomationRun.objects.filter(rule=rule, ticket=low).exists()


def test_every_seeded_rule_opens_as_rows_and_saves_unchanged(live_server, browser):
    """The seeded rules are shown as rows (not the JSON fallback), with their values selected, and
    saving one untouched keeps its JSON; moving an action row down changes only the order."""
    ManagerFactory(email="mara@company.com", full_name="Mara Manager", is_superuser=True)
    before = {r.pk: (r.conditions, r.actions) for r in AutomationRule.objects.all()}
    assert len(before) >= 4
    context = browser.new_context(viewport={"width": 1440, "height": 900}, locale="en-GB")
    context.set_default_timeout(15_000)
    page = context.new_page()
    problems = _watch(page)
    page.goto(f"{live_server.url}/staff/login/")
    page.fill("#id_username", "mara@company.com")
    page.fill("#id_password", "pw")
    page.click("button[type=submit]")
    page.wait_for_url("**/staff/**")
    for pk, (conditions, actions) in before.items():
        page.goto(f"{live_server.url}/admin/tickets/automationrule/{pk}/change/")
        expect(page.locator("#id_actions")).to_be_hidden()
        expect(page.locator("#id_actions-editor .re-notice")).to_be_hidden()
        expect(page.locator("#id_actions-editor .re-row")).to_have_count(len(actions))
        expect(page.locator("#id_conditions-editor .re-row")).to_have_count(len(conditions))
        page.locator("input[name=_continue]").click()
        expect(page.locator(".messagelist .success")).to_be_visible()
        rule = AutomationRule.objects.get(pk=pk)
        assert (rule.conditions, rule.actions) == (conditions, actions)

    rule = AutomationRule.objects.get(name__icontains="first response is late")
    page.goto(f"{live_server.url}/admin/tickets/automationrule/{rule.pk}/change/")
    first = page.locator("#id_actions-editor").get_by_role("group", name="Action 1")
    expect(first.get_by_label("Action", exact=True)).to_have_value(rule.actions[0]["action"])
    first.get_by_role("button", name="Move down: action 1").click()
    page.screenshot(path="/tmp/h2_rule_editor_seeded.png", full_page=True)
    page.locator("input[name=_continue]").click()
    expect(page.locator(".messagelist .success")).to_be_visible()
    moved = AutomationRule.objects.get(pk=rule.pk).actions
    assert moved == [rule.actions[1], rule.actions[0], *rule.actions[2:]]

    # Power users type JSON; what the rows cannot show stays JSON, and the server says what is wrong.
    conditions = page.locator("#id_conditions-editor")
    conditions.get_by_role("button", name="Edit as JSON").click()
    page.locator("#id_conditions").fill('[{"field": "colour", "in": ["red"]}]')
    conditions.get_by_role("button", name="Edit as rows").click()
    expect(conditions.locator(".re-notice")).to_contain_text("cannot be shown as rows")
    expect(page.locator("#id_conditions")).to_be_visible()
    page.locator("input[name=_continue]").click()
    expect(page.locator(".errorlist")).to_contain_text("Condition 1: unknown field “colour”")
    expect(page.locator("#id_conditions")).to_have_value('[{"field": "colour", "in": ["red"]}]')
    context.close()
    assert problems == []
    assert AutomationRule.objects.get(pk=rule.pk).conditions == []


def test_every_kind_of_row_writes_the_engines_json(live_server, browser):
    """Custom field, assignee and business-hours conditions, a department "is none of", and a
    plugin's action (WhatsApp template: event and parameter lines) plus a task due in 1.5 h."""
    CustomField.objects.create(name="Module", slug="module", field_type="dropdown", options="Invoicing\nStock")
    DepartmentFactory(name="Sales", email="sales@company.com")
    ManagerFactory(email="mara@company.com", full_name="Mara Manager", is_superuser=True)
    context = browser.new_context(viewport={"width": 1440, "height": 900}, locale="en-GB")
    context.set_default_timeout(15_000)
    page = context.new_page()
    problems = _watch(page)
    page.goto(f"{live_server.url}/staff/login/")
    page.fill("#id_username", "mara@company.com")
    page.fill("#id_password", "pw")
    page.click("button[type=submit]")
    page.wait_for_url("**/staff/**")
    page.goto(f"{live_server.url}/admin/tickets/automationrule/add/")
    page.get_by_label("Name:").fill("Every kind")
    page.get_by_label("Trigger:").select_option("customer_replied")

    conditions = page.locator("#id_conditions-editor")
    add_condition = conditions.get_by_role("button", name="Add condition")
    add_condition.click()
    row = conditions.get_by_role("group", name="Condition 1")
    row.get_by_label("Field", exact=True).select_option("custom_field")
    row.get_by_label("Which field").select_option(label="Module")
    row.get_by_label("Value", exact=True).fill("Invoicing")
    add_condition.click()
    row = conditions.get_by_role("group", name="Condition 2")
    row.get_by_label("Field", exact=True).select_option("assignee")
    row.get_by_label("Operator").select_option(label="is not set")
    add_condition.click()
    row = conditions.get_by_role("group", name="Condition 3")
    row.get_by_label("Field", exact=True).select_option("department")
    row.get_by_label("Operator").select_option("not_in")
    row.get_by_label("Sales", exact=True).check()
    add_condition.click()
    conditions.get_by_role("group", name="Condition 4").get_by_label("Field", exact=True).select_option(
        "business_hours")
    add_condition.click()
    conditions.get_by_role("button", name="Remove condition 5").click()
    expect(conditions.locator(".re-row")).to_have_count(4)

    actions = page.locator("#id_actions-editor")
    actions.get_by_role("button", name="Add action").click()
    row = actions.get_by_role("group", name="Action 1")
    row.get_by_label("Action", exact=True).select_option("send_whatsapp_template")
    row.get_by_label("Event (its mapping names the template)").select_option("ticket_created")
    row.get_by_label("Template parameters").fill("[name]\n[ID]\n")
    actions.get_by_role("button", name="Add action").click()
    row = actions.get_by_role("group", name="Action 2")
    row.get_by_label("Action", exact=True).select_option("create_task")
    row.get_by_label("Task title").fill("Call {contact_first_name}")
    row.get_by_label("Due in (hours)").fill("1.5")
    row.get_by_label("Assign the task to").select_option("department")
    page.locator("input[name=_save]").click()
    expect(page.locator(".messagelist .success")).to_contain_text("Every kind")
    context.close()
    assert problems == []

    rule = AutomationRule.objects.get(name="Every kind")
    assert rule.conditions == [
        {"field": "custom_field", "slug": "module", "value": "Invoicing"},
        {"field": "assignee", "set": False},
        {"field": "department", "not_in": ["Sales"]},
        {"field": "business_hours", "value": True},
    ]
    assert rule.actions == [
        {"action": "send_whatsapp_template", "event": "ticket_created", "parameters": ["[name]", "[ID]"]},
        {"action": "create_task", "title": "Call {contact_first_name}", "due_hours": 1.5, "assign_to": "department"},
    ]
