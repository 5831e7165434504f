"""Automation rules: seeded rules, triggers, conditions, actions, once-only runs, no loops."""

import threading
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import connection

from tests.factories import ContactFactory, DepartmentFactory, ManagerFactory, StaffFactory, priority, status
from tickets import services
from tickets.automation import engine
from tickets.automation.registry import available_actions, get_action, register_action, unregister_action
from tickets.locks import sweep_lock
from tickets.models import (
    AutomationRule,
    AutomationRun,
    CustomField,
    PredefinedReply,
    Service,
    Task,
    Ticket,
    TicketMessage,
)
from tickets.models.automation import Trigger
from tickets.sla.sweep import run_sla_sweep
from tickets.tasks import automation_sweep, sla_sweep

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # a Monday


@pytest.fixture
def commit(django_capture_on_commit_callbacks):
    """Run on-commit callbacks (hooks, tasks) at the end of the block, as a real commit would."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def dept():
    return DepartmentFactory(name="General Support", email="support@company.com")


@pytest.fixture
def agents(dept):
    return [StaffFactory(departments=[dept], email=f"agent{i}@company.com") for i in range(3)]


def seeded(name_part: str) -> AutomationRule:
    return AutomationRule.objects.get(name__icontains=name_part)


def only_rule(name_part: str) -> AutomationRule:
    """Keep one seeded rule active, switch the others off."""
    AutomationRule.objects.exclude(name__icontains=name_part).update(is_active=False)
    return seeded(name_part)


def open_ticket(dept, commit, *, when=T0, prio="High", **kwargs):
    with time_machine.travel(when, tick=False), commit():
        return services.open_ticket(
            subject="VPN down", body_text="Help", department=dept, contact=kwargs.pop("contact", ContactFactory()),
            priority=priority(prio), **kwargs,
        )


def make_rule(**kwargs) -> AutomationRule:
    rule = AutomationRule(name=kwargs.pop("name", "Test rule"), **kwargs)
    rule.full_clean()
    rule.save()
    return rule


# --- seeded rules --------------------------------------------------------------------------


def test_seeded_rules_exist_on_every_install():
    """The guides' four rules come with the migrations; surveys' migration switches the survey one on."""
    names = dict(AutomationRule.objects.values_list("trigger", "is_active"))
    assert names == {
        Trigger.FIRST_RESPONSE_BREACHED: True,
        Trigger.NO_STAFF_REPLY: True,
        Trigger.NO_CUSTOMER_REPLY: True,
        Trigger.CLOSED: True,
    }
    assert seeded("7 days").days == 7
    assert seeded("4 hours").hours == 4
    assert seeded("survey").delay_minutes == 60


def test_first_response_breach_escalates_and_emails_the_department_once(dept, agents, commit, mailoutbox):
    """Past its first-response due time a ticket becomes Escalated and the department gets one
    email per member, even when the sweep runs twice."""
    only_rule("first response is late")
    ticket = open_ticket(dept, commit)  # High: due 13:00 (24/7)
    mailoutbox.clear()
    with time_machine.travel(T0 + timedelta(hours=4, minutes=1), tick=False):
        with commit():
            run_sla_sweep()
        with commit():
            run_sla_sweep()
            engine.on_sla_breached(event="sla_breached", ticket_ids=[ticket.pk], metric="first_response")
    ticket.refresh_from_db()
    assert ticket.status == status("escalated")
    assert ticket.first_response_breached
    runs = AutomationRun.objects.filter(rule=seeded("first response is late"))
    assert [(r.ticket_id, r.state) for r in runs] == [(ticket.pk, "done")]
    subjects = [m.subject for m in mailoutbox if "First-response SLA breached" in m.subject]
    assert sorted(m.to[0] for m in mailoutbox if m.subject in subjects) == sorted(a.email for a in agents)
    assert len(subjects) == len(agents)
    assert ticket.messages.filter(kind=TicketMessage.Kind.NOTE, body_text__contains="escalated").count() == 1


def test_no_staff_reply_rule_fires_after_4_hours_once(dept, agents, commit, mailoutbox):
    """A ticket waiting 4 h without a staff reply gets a note and its department an email, once."""
    only_rule("4 hours")
    ticket = open_ticket(dept, commit)
    with time_machine.travel(T0 + timedelta(hours=3, minutes=59), tick=False), commit():
        assert engine.sweep_time_rules() == {seeded("4 hours").name: 0}
    with time_machine.travel(T0 + timedelta(hours=4, minutes=1), tick=False), commit():
        assert sum(engine.sweep_time_rules().values()) == 1
        assert sum(engine.sweep_time_rules().values()) == 0
    with time_machine.travel(T0 + timedelta(hours=6), tick=False), commit():
        assert sum(engine.sweep_time_rules().values()) == 0
    assert ticket.messages.filter(kind=TicketMessage.Kind.NOTE, body_text__contains="4 hours").count() == 1
    assert len([m for m in mailoutbox if "No staff reply" in m.subject]) == len(agents)


def test_no_staff_reply_rule_fires_again_for_a_new_wait(dept, agents, commit):
    """After a staff reply, a new customer message starts a new 4-hour wait (a new occurrence)."""
    only_rule("4 hours")
    ticket = open_ticket(dept, commit)
    with time_machine.travel(T0 + timedelta(hours=5), tick=False):
        with commit():
            engine.sweep_time_rules()
        with commit():
            services.add_reply(ticket=ticket, body_text="On it", kind=TicketMessage.Kind.STAFF, author=agents[0])
    with time_machine.travel(T0 + timedelta(hours=6), tick=False), commit():
        services.add_reply(ticket=ticket, body_text="Still broken", kind=TicketMessage.Kind.CUSTOMER)
    with time_machine.travel(T0 + timedelta(hours=9), tick=False), commit():
        assert sum(engine.sweep_time_rules().values()) == 0
    with time_machine.travel(T0 + timedelta(hours=10, minutes=1), tick=False), commit():
        assert sum(engine.sweep_time_rules().values()) == 1
    assert AutomationRun.objects.filter(ticket=ticket, state="done").count() == 2


def _answered_ticket(dept, agents, commit):
    ticket = open_ticket(dept, commit)
    with time_machine.travel(T0 + timedelta(hours=1), tick=False), commit():
        services.add_reply(ticket=ticket, body_text="Try this", kind=TicketMessage.Kind.STAFF, author=agents[0])
    ticket.refresh_from_db()
    assert ticket.status == status("answered")
    return ticket


def test_auto_close_after_7_days_not_after_6(dept, agents, commit, mailoutbox):
    """An Answered ticket is closed with a polite email after 7 silent days, not after 6."""
    only_rule("7 days")
    ticket = _answered_ticket(dept, agents, commit)
    mailoutbox.clear()
    with time_machine.travel(T0 + timedelta(days=6, hours=23), tick=False), commit():
        engine.sweep_time_rules()
    ticket.refresh_from_db()
    assert ticket.closed_at is None
    with time_machine.travel(T0 + timedelta(days=7, hours=1, minutes=1), tick=False), commit():
        engine.sweep_time_rules()
        engine.sweep_time_rules()
    ticket.refresh_from_db()
    assert ticket.status == status("closed")
    closing = ticket.messages.get(kind=TicketMessage.Kind.SYSTEM)
    assert "closing it now" in closing.body_text
    assert f"#{ticket.pk}" in closing.body_text
    assert [m.to for m in mailoutbox] == [[ticket.contact.email]]
    assert mailoutbox[0].extra_headers["Auto-Submitted"] == "auto-replied"
    assert AutomationRun.objects.filter(rule=seeded("7 days")).count() == 1


def test_customer_reply_prevents_auto_close(dept, agents, commit):
    """A customer reply on day 5 moves the ticket out of Answered: nothing closes on day 7."""
    only_rule("7 days")
    ticket = _answered_ticket(dept, agents, commit)
    with time_machine.travel(T0 + timedelta(days=5), tick=False), commit():
        services.add_reply(ticket=ticket, body_text="Did not work", kind=TicketMessage.Kind.CUSTOMER)
    with time_machine.travel(T0 + timedelta(days=7, hours=2), tick=False), commit():
        engine.sweep_time_rules()
    ticket.refresh_from_db()
    assert ticket.closed_at is None


def test_a_claimed_run_is_skipped_when_no_longer_due(dept, agents, commit):
    """If the customer replies between the sweep's claim and the run, the ticket is not closed."""
    rule = only_rule("7 days")
    ticket = _answered_ticket(dept, agents, commit)
    with time_machine.travel(T0 + timedelta(days=8), tick=False):
        sent = []
        original = engine.send_runs
        engine.send_runs = lambda ids, chain: sent.append(ids)
        try:
            with commit():
                engine.sweep_rule(rule, now=T0 + timedelta(days=8))
        finally:
            engine.send_runs = original
        with commit():
            services.add_reply(ticket=ticket, body_text="wait!", kind=TicketMessage.Kind.CUSTOMER)
        with commit():
            engine.execute_runs(sent[0])
    ticket.refresh_from_db()
    assert ticket.closed_at is None
    assert AutomationRun.objects.get(rule=rule).state == "skipped"


def test_survey_rule_runs_once_an_hour_after_close_when_registered(dept, agents, commit):
    """The survey rule runs its registered action 1 h after Closed, once."""
    assert "send_survey" in [a.name for a in available_actions()]  # surveys registers it
    real = get_action("send_survey")
    rule = only_rule("survey")
    sent = []
    register_action("send_survey", "Send survey", run=lambda ctx: sent.append(ctx.ticket.pk) or "queued")
    try:
        rule.is_active = True
        rule.full_clean()
        rule.save()
        ticket = open_ticket(dept, commit)
        with time_machine.travel(T0 + timedelta(hours=2), tick=False), commit():
            services.close_ticket(ticket=ticket)
        with time_machine.travel(T0 + timedelta(hours=2, minutes=59), tick=False), commit():
            engine.sweep_time_rules()
        assert sent == []
        with time_machine.travel(T0 + timedelta(hours=3, minutes=1), tick=False), commit():
            engine.sweep_time_rules()
            engine.sweep_time_rules()
        assert sent == [ticket.pk]
    finally:
        register_action(real.name, real.label, run=real.run, validate=real.validate, params=real.params)


@contextmanager
def lock_held_elsewhere(name: str):
    """Hold a sweep lock from another thread (its own database connection), as another worker would."""
    held, release = threading.Event(), threading.Event()

    def hold():
        try:
            with sweep_lock(name) as acquired:
                assert acquired
                held.set()
                release.wait(10)
        finally:
            connection.close()

    thread = threading.Thread(target=hold)
    thread.start()
    assert held.wait(10)
    try:
        yield
    finally:
        release.set()
        thread.join()


def test_sweep_lock_prevents_a_second_concurrent_sweep():
    """While a sweep holds its lock, a second sweep task returns at once without work."""
    with lock_held_elsewhere("sla-sweep"):
        assert sla_sweep() is None
    with lock_held_elsewhere("automation-sweep"):
        assert automation_sweep() is None
    assert sla_sweep() is not None
    assert automation_sweep() is not None


def test_claim_is_unique_per_occurrence(dept, commit):
    """Claiming the same (rule, ticket, occurrence) twice records one run."""
    rule = seeded("first response is late")
    ticket = open_ticket(dept, commit)
    assert len(engine.claim(rule, [(ticket.pk, "first_response")], now=T0)) == 1
    assert engine.claim(rule, [(ticket.pk, "first_response")], now=T0) == []
    assert AutomationRun.objects.filter(rule=rule, ticket=ticket).count() == 1


# --- loops ---------------------------------------------------------------------------------


def test_two_rules_changing_the_same_field_do_not_loop(dept, commit):
    """Rule A raises the priority on every priority change, rule B lowers it: each runs once."""
    AutomationRule.objects.update(is_active=False)
    up = make_rule(name="Up", order=1, trigger=Trigger.PRIORITY_CHANGED,
                   actions=[{"action": "set_priority", "priority": "Urgent"}])
    down = make_rule(name="Down", order=2, trigger=Trigger.PRIORITY_CHANGED,
                     actions=[{"action": "set_priority", "priority": "Low"}])
    ticket = open_ticket(dept, commit, prio="Medium")
    with commit():
        services.change_priority(ticket=ticket, priority=priority("High"))
    assert AutomationRun.objects.filter(rule=up).count() == 1
    assert AutomationRun.objects.filter(rule=down).count() == 1
    ticket.refresh_from_db()
    assert ticket.priority.name in ("Urgent", "Low")


def test_a_rule_does_not_retrigger_itself(dept, commit):
    """A status-changed rule that changes the status is not triggered again by its own change."""
    AutomationRule.objects.update(is_active=False)
    rule = make_rule(trigger=Trigger.STATUS_CHANGED, actions=[{"action": "set_status", "status": "escalated"}])
    ticket = open_ticket(dept, commit)
    with commit():
        services.change_status(ticket=ticket, status=status("in-progress"))
    ticket.refresh_from_db()
    assert ticket.status == status("escalated")
    assert AutomationRun.objects.filter(rule=rule).count() == 1


# --- event triggers ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("trigger", "do"),
    [
        (Trigger.TICKET_CREATED, lambda t, a: None),
        (Trigger.CUSTOMER_REPLIED,
         lambda t, a: services.add_reply(ticket=t, body_text="more", kind=TicketMessage.Kind.CUSTOMER)),
        (Trigger.STAFF_REPLIED,
         lambda t, a: services.add_reply(ticket=t, body_text="hi", kind=TicketMessage.Kind.STAFF, author=a)),
        (Trigger.STATUS_CHANGED, lambda t, a: services.change_status(ticket=t, status=status("on-hold"))),
        (Trigger.PRIORITY_CHANGED, lambda t, a: services.change_priority(ticket=t, priority=priority("Low"))),
    ],
)
def test_event_triggers(dept, agents, commit, trigger, do):
    """Each event trigger runs its rule once for the event."""
    AutomationRule.objects.update(is_active=False)
    rule = make_rule(trigger=trigger, actions=[{"action": "add_note", "text": "seen {ticket_number}"}])
    ticket = open_ticket(dept, commit)
    with commit():
        do(ticket, agents[0])
    run = AutomationRun.objects.get(rule=rule)
    assert run.state == "done"
    assert ticket.messages.filter(kind=TicketMessage.Kind.NOTE, body_text=f"seen {ticket.pk}").count() == 1


def test_status_changed_trigger_with_a_target_status(dept, commit):
    """A status-changed rule with a status only runs when the ticket moves to that status."""
    AutomationRule.objects.update(is_active=False)
    rule = make_rule(trigger=Trigger.STATUS_CHANGED, trigger_status=status("on-hold"),
                     actions=[{"action": "add_note", "text": "parked"}])
    ticket = open_ticket(dept, commit)
    with commit():
        services.change_status(ticket=ticket, status=status("in-progress"))
    assert not AutomationRun.objects.filter(rule=rule).exists()
    with commit():
        services.change_status(ticket=ticket, status=status("on-hold"))
    assert AutomationRun.objects.filter(rule=rule).count() == 1


def test_resolution_breach_trigger(dept, commit):
    """A resolution-breached rule runs when the sweep finds the resolution overdue."""
    AutomationRule.objects.update(is_active=False)
    rule = make_rule(trigger=Trigger.RESOLUTION_BREACHED, actions=[{"action": "set_priority", "priority": "Urgent"}])
    ticket = open_ticket(dept, commit)  # High: resolution 24 h
    with time_machine.travel(T0 + timedelta(hours=24, minutes=1), tick=False), commit():
        run_sla_sweep()
    ticket.refresh_from_db()
    assert ticket.priority == priority("Urgent")
    assert AutomationRun.objects.get(rule=rule).occurrence == "resolution"


# --- conditions ----------------------------------------------------------------------------


def _created_rule(conditions):
    AutomationRule.objects.update(is_active=False)
    return make_rule(trigger=Trigger.TICKET_CREATED, conditions=conditions,
                     actions=[{"action": "add_note", "text": "matched"}])


@pytest.mark.parametrize(
    ("conditions", "matches"),
    [
        ([{"field": "department", "in": ["general support"]}], True),
        ([{"field": "department", "not_in": ["General Support"]}], False),
        ([{"field": "priority", "in": ["Urgent", "High"]}], True),
        ([{"field": "priority", "in": ["Low"]}], False),
        ([{"field": "status", "in": ["new"]}], True),
        ([{"field": "status", "in": ["On Hold"]}], False),
        ([{"field": "service", "in": ["Billing"]}], True),
        ([{"field": "service", "not_in": ["Billing"]}], False),
        ([{"field": "channel", "in": ["portal"]}], True),
        ([{"field": "channel", "in": ["whatsapp"]}], False),
        ([{"field": "client_tier", "in": ["enterprise"]}], True),
        ([{"field": "client_tier", "in": ["basic", "pro"]}], False),
        ([{"field": "assignee", "set": False}], True),
        ([{"field": "assignee", "set": True}], False),
        ([{"field": "custom_field", "slug": "module", "value": "Invoicing"}], True),
        ([{"field": "custom_field", "slug": "module", "value": "Stock"}], False),
        ([{"field": "business_hours", "value": True}], True),  # no calendar: always open
        ([{"field": "business_hours", "value": False}], False),
        ([{"field": "priority", "in": ["High"]}, {"field": "channel", "in": ["email"]}], False),
    ],
)
def test_conditions(dept, commit, conditions, matches):
    """Each condition decides whether the rule runs; all must hold."""
    CustomField.objects.create(name="Module", slug="module", field_type="dropdown", options="Invoicing\nStock")
    rule = _created_rule(conditions)
    open_ticket(dept, commit, contact=ContactFactory(client__tier="enterprise"), channel="portal",
                service=Service.objects.get(name="Billing"), custom_values={"module": "Invoicing"})
    assert AutomationRun.objects.filter(rule=rule).exists() is matches


def test_business_hours_condition_follows_the_department_calendar(dept, commit):
    """Outside the department's hours a rule for business hours does not run."""
    from datetime import time

    from tickets.models import BusinessCalendar, BusinessHours

    calendar = BusinessCalendar.objects.create(name="Office", time_zone="UTC")
    BusinessHours.objects.create(calendar=calendar, weekday=0, opens=time(8), closes=time(10))
    dept.business_calendar = calendar
    dept.save()
    rule = _created_rule([{"field": "business_hours", "value": True}])
    open_ticket(dept, commit, when=T0)  # Monday 09:00: open
    open_ticket(dept, commit, when=T0 + timedelta(hours=3))  # 12:00: closed
    assert AutomationRun.objects.filter(rule=rule).count() == 1


# --- actions -------------------------------------------------------------------------------


def _run_actions(dept, commit, actions, **ticket_kwargs):
    AutomationRule.objects.update(is_active=False)
    rule = make_rule(trigger=Trigger.TICKET_CREATED, actions=actions)
    ticket = open_ticket(dept, commit, **ticket_kwargs)
    run = AutomationRun.objects.get(rule=rule)
    assert run.state == "done", run.error
    ticket.refresh_from_db()
    return ticket, run


def test_action_set_status_priority_department(dept, commit):
    """Status, priority and department actions change the ticket through the services."""
    billing = DepartmentFactory(name="Billing", email="billing@company.com")
    ticket, run = _run_actions(dept, commit, [
        {"action": "set_status", "status": "in-progress"},
        {"action": "set_priority", "priority": "urgent"},
        {"action": "set_department", "department": "Billing"},
    ])
    assert (ticket.status, ticket.priority, ticket.department) == (status("in-progress"), priority("Urgent"), billing)
    assert len(run.result) == 3
    assert ticket.events.filter(kind="priority").exists()


def test_action_assign_round_robin_rotates_available_agents(dept, agents, commit):
    """Round-robin gives each available agent a ticket in turn and skips unavailable ones."""
    agents[1].staff_profile.is_available = False
    agents[1].staff_profile.save()
    AutomationRule.objects.update(is_active=False)
    make_rule(trigger=Trigger.TICKET_CREATED, actions=[{"action": "assign", "to": "round_robin"}])
    tickets = [open_ticket(dept, commit) for _ in range(3)]
    assignees = [Ticket.objects.get(pk=t.pk).assignee_id for t in tickets]
    assert assignees == [agents[0].pk, agents[2].pk, agents[0].pk]


def test_action_assign_least_loaded(dept, agents, commit):
    """Least-loaded picks the available agent with the fewest open tickets."""
    for agent in (agents[0], agents[0], agents[1]):
        services.assign(ticket=open_ticket(dept, commit), assignee=agent)
    ticket, _run = _run_actions(dept, commit, [{"action": "assign", "to": "least_loaded"}])
    assert ticket.assignee == agents[2]


def test_action_assign_named_agent(dept, agents, commit):
    """An agent's email assigns to that agent."""
    ticket, _run = _run_actions(dept, commit, [{"action": "assign", "to": agents[1].email}])
    assert ticket.assignee == agents[1]


def test_action_email_customer_from_predefined_reply_is_not_a_first_response(dept, commit, mailoutbox):
    """Emailing the customer from a predefined reply sends an automatic message that is no first response."""
    PredefinedReply.objects.create(title="Receipt", body="Hello {contact_first_name}, we got #{ticket_number}.")
    contact = ContactFactory(first_name="Ana")
    ticket, _run = _run_actions(dept, commit, [{"action": "email_customer", "template": "receipt"}],
                                contact=contact)
    message = ticket.messages.get(kind=TicketMessage.Kind.SYSTEM)
    assert message.body_text == f"Hello Ana, we got #{ticket.pk}."
    assert ticket.first_response_at is None
    assert [m.to for m in mailoutbox] == [[contact.email]]


def test_action_email_staff_managers(dept, commit, mailoutbox):
    """Emailing managers reaches every manager, by email and in the bell."""
    manager = ManagerFactory()
    ticket, _run = _run_actions(dept, commit, [
        {"action": "email_staff", "to": "managers", "subject": "Look at #{ticket_number}", "body": "{ticket_url}"}
    ])
    assert [(m.to, m.subject) for m in mailoutbox] == [([manager.email], f"Look at #{ticket.pk}")]
    assert manager.notifications.get().ticket == ticket


def test_action_create_task(dept, agents, commit):
    """The task action creates a task linked to the ticket, due in N hours."""
    with time_machine.travel(T0, tick=False):
        ticket, _run = _run_actions(dept, commit, [
            {"action": "create_task", "title": "Call back about #{ticket_number}", "due_hours": 2}
        ])
    task = Task.objects.get(ticket=ticket)
    assert task.title == f"Call back about #{ticket.pk}"
    assert task.department == dept


def test_failing_action_undoes_the_rule_and_logs_the_error(dept, commit):
    """If an action fails, the rule's earlier actions are undone and the run says why."""
    AutomationRule.objects.update(is_active=False)
    register_action("explode", "Explode", run=lambda ctx: 1 / 0)
    try:
        rule = make_rule(trigger=Trigger.TICKET_CREATED, actions=[
            {"action": "set_priority", "priority": "Urgent"}, {"action": "explode"}
        ])
        ticket = open_ticket(dept, commit)
    finally:
        unregister_action("explode")
    run = AutomationRun.objects.get(rule=rule)
    assert run.state == "failed"
    assert "ZeroDivisionError" in run.error
    ticket.refresh_from_db()
    assert ticket.priority == priority("High")


# --- validation ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "field", "text"),
    [
        ({"trigger": Trigger.NO_STAFF_REPLY, "actions": [{"action": "add_note", "text": "x"}]}, "hours", "hours"),
        ({"trigger": Trigger.NO_CUSTOMER_REPLY, "days": 3, "actions": [{"action": "add_note", "text": "x"}]},
         "trigger_status", "status"),
        ({"trigger": Trigger.TICKET_CREATED, "actions": []}, "actions", "at least one action"),
        ({"trigger": Trigger.TICKET_CREATED, "actions": [{"action": "teleport"}]}, "actions",
         "not an available action"),
        ({"trigger": Trigger.TICKET_CREATED, "actions": [{"action": "set_status", "status": "nope"}]}, "actions",
         "Unknown status"),
        ({"trigger": Trigger.TICKET_CREATED, "conditions": [{"field": "priority", "in": ["Huge"]}],
          "actions": [{"action": "add_note", "text": "x"}]}, "conditions", "not a known priority"),
        ({"trigger": Trigger.TICKET_CREATED, "conditions": [{"field": "colour", "in": ["red"]}],
          "actions": [{"action": "add_note", "text": "x"}]}, "conditions", "unknown field"),
        ({"trigger": Trigger.TICKET_CREATED, "actions": [{"action": "email_staff", "to": "everyone",
                                                         "subject": "x"}]}, "actions", "not one of"),
    ],
)
def test_rule_validation_messages(kwargs, field, text):
    """clean() names the field and says what is wrong."""
    rule = AutomationRule(name="Bad", **kwargs)
    with pytest.raises(ValidationError) as exc:
        rule.full_clean()
    assert field in exc.value.message_dict
    assert text in " ".join(exc.value.message_dict[field])


def test_conditions_are_normalised_to_stored_names():
    """Condition names are matched case-insensitively and stored as spelled in the database."""
    rule = AutomationRule(name="Norm", trigger=Trigger.TICKET_CREATED,
                          conditions=[{"field": "priority", "in": ["urgent"]}, {"field": "status", "in": ["On Hold"]}],
                          actions=[{"action": "add_note", "text": "x"}])
    rule.full_clean()
    assert rule.conditions == [{"field": "priority", "in": ["Urgent"]}, {"field": "status", "in": ["on-hold"]}]
