"""Escalation as both guides describe it: the hand-off lands in the receiving team's working
views, the escalating agent follows the ticket, leads and managers are told, major escalations
wait for a manager's approval."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from crm.models import Client
from tests.factories import ClientFactory, ContactFactory, StaffFactory, TicketFactory, priority, status
from tickets import services
from tickets.exceptions import TicketError
from tickets.models import Escalation, Notification, TicketFollower
from tickets.models.notifications import NotificationKind
from tickets.workspace import queries

pytestmark = pytest.mark.django_db

NOTE = "Checked the SSO logs: error 500 on every login."


@pytest.fixture
def ticket(support, contact):
    return services.open_ticket(subject="Cannot log in", body_text="Error on login.", department=support,
                                contact=contact)


def _escalate(client, ticket, callbacks, **data):
    payload = {"note": NOTE, **data}
    with callbacks(execute=True):
        return client.post(f"/staff/tickets/{ticket.pk}/escalate/", payload)


def test_escalated_tickets_are_in_the_morning_view_at_their_priority(client, support, technical, tech_agent):
    """The receiving agent's morning view lists Escalated tickets, sorted by priority with the rest."""
    low = TicketFactory(department=technical, status=status("new"), priority=priority("Low"), priority_level=1)
    escalated = TicketFactory(department=technical, status=status("escalated"), priority=priority("Urgent"),
                              priority_level=4)
    client.force_login(tech_agent)
    rows = client.get("/staff/tickets/").context["page"].rows
    assert [t.pk for t in rows] == [escalated.pk, low.pk]
    mine = client.get("/staff/tickets/?status=new&status=in-progress&status=on-hold&status=escalated"
                      "&assignee=me")
    assert mine.status_code == 200
    assert 'data-view="my-open"' in client.get("/staff/tickets/").content.decode()


def test_my_open_view_includes_escalated_tickets_assigned_to_me(client, technical, tech_agent):
    """"My open tickets" shows a ticket escalated to me."""
    mine = TicketFactory(department=technical, status=status("escalated"), assignee=tech_agent)
    client.force_login(tech_agent)
    page = client.get("/staff/tickets/?status=new&status=in-progress&status=on-hold&status=escalated&assignee=me")
    assert [t.pk for t in page.context["page"].rows] == [mine.pk]


def test_escalating_agent_follows_and_keeps_read_access(agent_client, agent, ticket, technical, tech_agent,
                                                         django_capture_on_commit_callbacks):
    """After escalating out of her department the agent still opens the ticket, sees it under
    "Tickets I follow", but cannot change its properties."""
    r = _escalate(agent_client, ticket, django_capture_on_commit_callbacks, department=technical.pk)
    assert r.status_code == 302
    assert TicketFollower.objects.filter(ticket=ticket, user=agent).exists()
    page = agent_client.get(f"/staff/tickets/{ticket.pk}/")
    assert page.status_code == 200 and "follower-notice" in page.content.decode()
    following = agent_client.get("/staff/tickets/?following=1").context["page"].rows
    assert [t.pk for t in following] == [ticket.pk]
    r = agent_client.post(f"/staff/tickets/{ticket.pk}/properties/", {
        "status": status("closed").pk, "priority": priority("Low").pk, "service": "", "assignee": ""})
    ticket.refresh_from_db()
    assert ticket.status.slug == "escalated"


def test_follower_can_reply_only_when_the_department_allows(agent_client, agent, ticket, technical,
                                                             django_capture_on_commit_callbacks):
    """A follower replies when the department lets followers reply, and is refused otherwise."""
    _escalate(agent_client, ticket, django_capture_on_commit_callbacks, department=technical.pk)
    agent_client.post(f"/staff/tickets/{ticket.pk}/reply/", {"body": "We forwarded it to the specialists."})
    assert ticket.messages.filter(kind="staff", author=agent).count() == 1
    technical.followers_can_reply = False
    technical.save()
    page = agent_client.get(f"/staff/tickets/{ticket.pk}/").content.decode()
    assert 'id="reply-form"' not in page and "does not let followers reply" in page
    agent_client.post(f"/staff/tickets/{ticket.pk}/reply/", {"body": "Second try."})
    assert ticket.messages.filter(kind="staff", author=agent).count() == 1


def test_followers_are_told_of_replies_and_status_changes(agent, ticket, technical, tech_agent, contact,
                                                          django_capture_on_commit_callbacks):
    """The follower hears of the L2 reply, the customer's answer and status changes; never of her own."""
    with django_capture_on_commit_callbacks(execute=True):
        services.escalate(ticket=ticket, actor=agent, note=NOTE, department=technical)
    Notification.objects.all().delete()
    with django_capture_on_commit_callbacks(execute=True):
        services.add_reply(ticket=ticket, body_text="Fixed on our side.", kind="staff", author=tech_agent)
    texts = list(Notification.objects.filter(recipient=agent, kind=NotificationKind.FOLLOWED)
                 .values_list("text", flat=True))
    assert any("reply was sent" in t for t in texts) and any("is now Answered" in t for t in texts)
    Notification.objects.all().delete()
    with django_capture_on_commit_callbacks(execute=True):
        services.add_reply(ticket=ticket, body_text="Works, thanks", kind="customer", contact=contact)
    assert Notification.objects.filter(recipient=agent, kind=NotificationKind.FOLLOWED,
                                       text__contains="customer replied").exists()
    Notification.objects.all().delete()
    with django_capture_on_commit_callbacks(execute=True):
        services.add_reply(ticket=ticket, body_text="Thanks!", kind="staff", author=agent)
    assert not Notification.objects.filter(recipient=agent, kind=NotificationKind.FOLLOWED).exists()


def test_form_offers_the_status_afterwards(agent_client, ticket, technical, tech_agent,
                                           django_capture_on_commit_callbacks):
    """The escalation form offers Escalated, On Hold and In Progress; the chosen one is set."""
    page = agent_client.get(f"/staff/tickets/{ticket.pk}/").content.decode()
    for value in ("escalated", "on-hold", "in-progress"):
        assert f'<option value="{value}"' in page.split('id="esc-status"')[1].split("</select>")[0]
    _escalate(agent_client, ticket, django_capture_on_commit_callbacks, department=technical.pk,
              status_after="on-hold")
    ticket.refresh_from_db()
    assert ticket.status.slug == "on-hold"


def test_assignee_list_is_the_target_departments_agents(agent_client, ticket, technical, tech_agent, agent,
                                                         django_capture_on_commit_callbacks):
    """The htmx refresh lists only the chosen department's agents; the server refuses an agent of
    another department (the form also works without JavaScript: agents grouped by department)."""
    options = agent_client.get(f"/staff/tickets/{ticket.pk}/escalate/assignees/?department={technical.pk}",
                               HTTP_HX_REQUEST="true").content.decode()
    assert "Tom Tech" in options and "Lina Agent" not in options
    page = agent_client.get(f"/staff/tickets/{ticket.pk}/").content.decode()
    assert '<optgroup label="Technical Support">' in page and '<optgroup label="Customer Support">' in page
    r = _escalate(agent_client, ticket, django_capture_on_commit_callbacks, department=technical.pk,
                  assignee=agent.pk)
    assert r.status_code == 400 and "Choose an agent of the department you escalate to." in r.content.decode()
    r = _escalate(agent_client, ticket, django_capture_on_commit_callbacks, department=technical.pk,
                  assignee=tech_agent.pk)
    ticket.refresh_from_db()
    assert r.status_code == 302 and ticket.assignee == tech_agent


def test_leads_of_both_departments_are_told(agent, ticket, support, technical, tech_agent,
                                            django_capture_on_commit_callbacks):
    """Each department's leads are notified of every escalation out of and into it."""
    support_lead = StaffFactory(full_name="Sue Lead", departments=[support])
    tech_lead = StaffFactory(full_name="Ted Lead")
    support.leads.add(support_lead)
    technical.leads.add(tech_lead)
    with django_capture_on_commit_callbacks(execute=True):
        services.escalate(ticket=ticket, actor=agent, note=NOTE, department=technical)
    told = set(Notification.objects.filter(kind=NotificationKind.ESCALATED).values_list("recipient_id", flat=True))
    assert {support_lead.pk, tech_lead.pk, tech_agent.pk} <= told and agent.pk not in told


def test_major_escalation_waits_for_approval(agent_client, agent, ticket, technical, manager, client,
                                             django_capture_on_commit_callbacks):
    """A major escalation is listed for managers, who are told; approving tells the agent."""
    _escalate(agent_client, ticket, django_capture_on_commit_callbacks, department=technical.pk, major="1")
    escalation = Escalation.objects.get(ticket=ticket)
    assert escalation.is_major and escalation.state == Escalation.State.AWAITING_APPROVAL
    assert Notification.objects.filter(recipient=manager, kind=NotificationKind.ESCALATION_APPROVAL).exists()
    assert agent_client.get("/staff/escalations/").status_code == 404
    client.force_login(manager)
    page = client.get("/staff/escalations/")
    assert page.status_code == 200 and f"esc-{escalation.pk}" in page.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/staff/escalations/{escalation.pk}/decide/", {"decision": "approve"})
    escalation.refresh_from_db()
    assert escalation.state == Escalation.State.OPEN and escalation.decided_by == manager
    assert Notification.objects.filter(recipient=agent, text__contains="was approved").exists()


def test_send_back_returns_the_ticket_with_the_managers_note(agent, ticket, support, technical, manager,
                                                             django_capture_on_commit_callbacks):
    """Sending back needs a note; the ticket returns to its department and agent, In Progress."""
    services.escalate(ticket=ticket, actor=agent, note=NOTE, department=technical, is_major=True)
    escalation = Escalation.objects.get(ticket=ticket)
    with pytest.raises(TicketError):
        services.send_back_escalation(escalation=escalation, manager=manager, note=" ")
    with django_capture_on_commit_callbacks(execute=True):
        services.send_back_escalation(escalation=escalation, manager=manager, note="Try the reset first.")
    ticket.refresh_from_db()
    assert ticket.department == support and ticket.assignee == agent and ticket.status.slug == "in-progress"
    assert ticket.messages.filter(kind="note", body_text__contains="Try the reset first.").exists()
    assert Notification.objects.filter(recipient=agent, text__contains="sent back").exists()


def test_urgent_enterprise_escalation_is_major_automatically(agent, support, technical):
    """Urgent tickets of Enterprise clients are major without the checkbox; others are not."""
    big = ContactFactory(client=ClientFactory(tier=Client.Tier.ENTERPRISE))
    ticket = services.open_ticket(subject="Down", body_text="All down", department=support, contact=big)
    services.escalate(ticket=ticket, actor=agent, note=NOTE, department=technical, priority=priority("Urgent"))
    assert Escalation.objects.get(ticket=ticket).is_major
    other = services.open_ticket(subject="Slow", body_text="Slow", department=support, contact=big)
    services.escalate(ticket=other, actor=agent, note=NOTE, department=technical, priority=priority("High"))
    assert not Escalation.objects.get(ticket=other).is_major


def test_escalations_view_groups_by_department_oldest_first(client, manager, agent, support, technical):
    """Open escalations, by department, oldest first; closed tickets drop out."""
    first = services.open_ticket(subject="First", body_text="x", department=support)
    second = services.open_ticket(subject="Second", body_text="x", department=support)
    services.escalate(ticket=first, actor=agent, note=NOTE, department=technical)
    services.escalate(ticket=second, actor=agent, note=NOTE, department=technical)
    done = services.open_ticket(subject="Done", body_text="x", department=support)
    services.escalate(ticket=done, actor=agent, note=NOTE, department=technical)
    services.close_ticket(ticket=done)
    client.force_login(manager)
    groups = client.get("/staff/escalations/").context["groups"]
    assert [(name, [e.ticket_id for e in rows]) for name, rows in groups] == [
        ("Technical Support", [first.pk, second.pk])]


def test_visibility_for_followers_is_exact_and_cheap(agent, support, technical):
    """visible_tickets adds followed tickets; can_see_ticket costs one query for members and two
    for followers; the queue of the agent's departments does not read the follow table."""
    own = TicketFactory(department=support)
    followed = TicketFactory(department=technical)
    hidden = TicketFactory(department=technical)
    services.follow_ticket(ticket=followed, user=agent)
    assert set(queries.visible_tickets(user=agent).values_list("pk", flat=True)) == {own.pk, followed.pk}
    assert not queries.can_see_ticket(user=agent, ticket=hidden)
    with CaptureQueriesContext(connection) as ctx:
        assert queries.can_see_ticket(user=agent, ticket=own)
    assert len(ctx.captured_queries) == 1
    with CaptureQueriesContext(connection) as ctx:
        assert queries.can_see_ticket(user=agent, ticket=followed)
    assert len(ctx.captured_queries) == 2
    qs = queries.queue_tickets(user=agent, filters=queries.QueueFilter(), department_ids=[support.pk])
    assert "ticketfollower" not in str(qs.query).lower()
