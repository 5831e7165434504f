"""The queue /staff/tickets/: default view, filters, pagination, counts, bulk actions, access."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.factories import (
    ClientFactory,
    ContactFactory,
    MessageFactory,
    ServiceFactory,
    StaffFactory,
    TicketFactory,
    priority,
    status,
)
from tickets.models import QueuePreference, Ticket, TicketStatus
from tickets.workspace import queries

pytestmark = pytest.mark.django_db


def numbers(response) -> list[int]:
    return [t.pk for t in response.context["page"].rows]


def test_default_view_is_the_morning_routine(agent_client, support):
    """Without filters the queue shows New, In Progress and On Hold, most urgent first, then oldest."""
    now = timezone.now()
    old_medium = TicketFactory(department=support, created_at=now - timedelta(days=3))
    new_urgent = TicketFactory(department=support, priority=priority("Urgent"), priority_level=4, created_at=now)
    held = TicketFactory(department=support, status=status("on-hold"), created_at=now - timedelta(days=1))
    TicketFactory(department=support, status=status("answered"))
    TicketFactory(department=support, status=status("closed"), closed_at=now)
    r = agent_client.get("/staff/tickets/")
    assert r.status_code == 200
    assert numbers(r) == [new_urgent.pk, old_medium.pk, held.pk]
    assert r.context["query_source"] == "morning"


def test_agent_sees_only_their_departments(agent_client, support, technical):
    """A ticket of a department the agent is not in is neither listed nor counted."""
    mine = TicketFactory(department=support)
    TicketFactory(department=technical)
    r = agent_client.get("/staff/tickets/?view=all")
    assert numbers(r) == [mine.pk]
    counts = dict((s.slug, n) for s, n in r.context["status_rows"])
    assert counts["new"] == 1


def test_manager_sees_every_department(client, manager, support, technical):
    """Managers see all tickets."""
    a, b = TicketFactory(department=support), TicketFactory(department=technical)
    client.force_login(manager)
    r = client.get("/staff/tickets/?view=all")
    assert set(numbers(r)) == {a.pk, b.pk}


def test_filters_combine(agent_client, agent, support):
    """Status, priority, service, assignee, channel, client and created range combine with AND."""
    billing = ServiceFactory(name="Billing")
    acme = ClientFactory(name="Acme")
    contact = ContactFactory(client=acme)
    now = timezone.now()
    hit = TicketFactory(department=support, contact=contact, client=acme, service=billing, assignee=agent,
                        channel="phone", priority=priority("High"), priority_level=3, created_at=now)
    TicketFactory(department=support, contact=contact, client=acme, service=billing, assignee=agent,
                  channel="email", priority=priority("High"), priority_level=3)
    TicketFactory(department=support, service=billing, assignee=None, channel="phone")
    high = priority("High")
    day = now.date().isoformat()
    r = agent_client.get(
        f"/staff/tickets/?status=new&priority={high.pk}&service={billing.pk}&assignee=me&channel=phone"
        f"&client={acme.pk}&created_from={day}&created_to={day}"
    )
    assert numbers(r) == [hit.pk]
    assert r.context["client_filter"] == acme
    r = agent_client.get("/staff/tickets/?assignee=unassigned")
    assert hit.pk not in numbers(r) and len(numbers(r)) == 1


def test_sla_and_waiting_filters(agent_client, support):
    """'No staff reply > 4 h', 'SLA breached' and 'due within 1 h' find the right tickets."""
    now = timezone.now()
    waiting = TicketFactory(department=support, last_customer_reply_at=now - timedelta(hours=5),
                            first_response_due_at=now + timedelta(hours=3))
    breached = TicketFactory(department=support, last_customer_reply_at=now - timedelta(hours=1),
                             first_response_due_at=now - timedelta(minutes=5))
    soon = TicketFactory(department=support, last_customer_reply_at=now,
                         first_response_due_at=now + timedelta(minutes=30))
    assert numbers(agent_client.get("/staff/tickets/?no_reply=1")) == [waiting.pk]
    assert numbers(agent_client.get("/staff/tickets/?breached=1")) == [breached.pk]
    assert numbers(agent_client.get("/staff/tickets/?due_soon=1")) == [soon.pk]


def test_text_search_covers_number_subject_contact_and_bodies(agent_client, support):
    """Search matches the ticket number, the subject, the contact's name/email and message text."""
    by_subject = TicketFactory(department=support, subject="Invoice 7781 is wrong")
    by_email = TicketFactory(department=support, requester_email="zed@odd.example")
    by_body = TicketFactory(department=support, subject="Help")
    MessageFactory(ticket=by_body, body_text="The courier lost my parcel yesterday")
    assert numbers(agent_client.get("/staff/tickets/?q=invoice+7781")) == [by_subject.pk]
    assert numbers(agent_client.get("/staff/tickets/?q=odd.example")) == [by_email.pk]
    assert numbers(agent_client.get("/staff/tickets/?q=parcel")) == [by_body.pk]
    assert numbers(agent_client.get(f"/staff/tickets/?q=%23{by_body.pk}")) == [by_body.pk]


def test_keyset_pagination_walks_forward_and_back(agent_client, support, settings):
    """Next and previous cursors page through the queue without repeats or gaps."""
    base = timezone.now() - timedelta(days=1)
    tickets = [TicketFactory(department=support, created_at=base + timedelta(minutes=i)) for i in range(7)]
    user = agent_client.get("/staff/tickets/").wsgi_request.user
    filters = queries.QueueFilter()
    first = queries.queue_page(user=user, filters=filters, limit=3)
    second = queries.queue_page(user=user, filters=filters, limit=3, after=first.next_cursor)
    third = queries.queue_page(user=user, filters=filters, limit=3, after=second.next_cursor)
    walked = [t.pk for p in (first, second, third) for t in p.rows]
    assert walked == [t.pk for t in tickets]
    assert third.next_cursor == "" and second.prev_cursor
    back = queries.queue_page(user=user, filters=filters, limit=3, before=second.prev_cursor)
    assert [t.pk for t in back.rows] == [t.pk for t in first.rows]
    assert back.prev_cursor == ""


def test_pagination_links_keep_the_filters(agent_client, support):
    """The next-page link carries the filters and a cursor."""
    for _ in range(55):
        TicketFactory(department=support)
    r = agent_client.get("/staff/tickets/?status=new")
    assert len(numbers(r)) == 50
    assert b'href="?status=new&amp;after=' in r.content
    nxt = r.context["page"].next_cursor
    r2 = agent_client.get(f"/staff/tickets/?status=new&after={nxt}")
    assert len(numbers(r2)) == 5 and not set(numbers(r2)) & set(numbers(r))


def test_status_counts_are_capped(agent_client, support):
    """Per-status counts stop at the cap."""
    for _ in range(4):
        TicketFactory(department=support)
    user = agent_client.get("/staff/tickets/").wsgi_request.user
    counts = queries.status_counts(user=user, cap=3)
    assert counts[status("new").pk] == 3


def test_htmx_refresh_returns_only_rows(agent_client, support):
    """The polling request gets the rows partial (and the counts out of band), not the page."""
    t = TicketFactory(department=support, subject="Polled ticket")
    r = agent_client.get("/staff/tickets/?status=new", HTTP_HX_REQUEST="true")
    body = r.content.decode()
    assert "Polled ticket" in body and f'data-ticket="{t.pk}"' in body
    assert "<html" not in body and 'hx-swap-oob="true"' in body


def test_saved_default_view(agent_client, agent, support):
    """An agent saves the current filter as their default; the bare queue URL then uses it."""
    mine = TicketFactory(department=support, assignee=agent)
    TicketFactory(department=support)
    r = agent_client.post("/staff/tickets/save-view/", {"query": "assignee=me&after=1.2.3"})
    assert r.status_code == 302
    assert QueuePreference.objects.get(user=agent).default_query == "assignee=me"
    r = agent_client.get("/staff/tickets/")
    assert r.context["query_source"] == "saved" and numbers(r) == [mine.pk]
    agent_client.post("/staff/tickets/save-view/", {"reset": "1"})
    assert agent_client.get("/staff/tickets/").context["query_source"] == "morning"


def test_bulk_assign_status_priority_department_close(agent_client, agent, support, technical):
    """Bulk actions change every selected visible ticket through the services (with events)."""
    a, b = TicketFactory(department=support), TicketFactory(department=support)
    post = lambda **data: agent_client.post("/staff/tickets/bulk/", {"ticket": [a.pk, b.pk], **data})  # noqa: E731
    post(action="assign", assignee="me")
    assert set(Ticket.objects.values_list("assignee", flat=True)) == {agent.pk}
    post(action="status", status="in-progress")
    assert set(Ticket.objects.values_list("status__slug", flat=True)) == {"in-progress"}
    post(action="priority", priority=priority("Urgent").pk)
    assert set(Ticket.objects.values_list("priority_level", flat=True)) == {4}
    post(action="close")
    assert all(t.closed_at for t in Ticket.objects.all())
    post(action="department", department=technical.pk)
    assert set(Ticket.objects.values_list("department", flat=True)) == {technical.pk}
    assert a.events.filter(kind="assignee").exists()


def test_bulk_merge_into_oldest(agent_client, support):
    """Merging keeps the oldest selected ticket and closes the others into it."""
    now = timezone.now()
    old = TicketFactory(department=support, created_at=now - timedelta(days=2))
    young = TicketFactory(department=support, created_at=now)
    agent_client.post("/staff/tickets/bulk/", {"ticket": [young.pk, old.pk], "action": "merge"})
    young.refresh_from_db()
    assert young.merged_into_id == old.pk and young.status.slug == TicketStatus.CLOSED


def test_bulk_ignores_tickets_outside_the_agents_departments(agent_client, technical):
    """A forged bulk post cannot touch a ticket the agent cannot see."""
    other = TicketFactory(department=technical)
    r = agent_client.post("/staff/tickets/bulk/", {"ticket": [other.pk], "action": "close"}, follow=True)
    other.refresh_from_db()
    assert other.closed_at is None
    assert "None of the selected tickets" in r.content.decode()


def test_anonymous_and_contacts_are_kept_out(client):
    """The queue needs a staff login; a customer account gets 404."""
    r = client.get("/staff/tickets/")
    assert r.status_code == 302 and "/staff/login/" in r["Location"]
    customer = StaffFactory(is_staff=False, email="cust@example.com")
    client.force_login(customer)
    assert client.get("/staff/tickets/").status_code == 404
    assert client.get("/staff/tickets/", HTTP_HX_REQUEST="true").status_code == 404
