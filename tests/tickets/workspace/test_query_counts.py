"""The queue and the ticket page issue a fixed number of queries, whatever the number of rows."""

from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from crm.models import DeliveryNote, Invoice, Order
from tests.factories import ClientFactory, ContactFactory, MessageFactory, StaffFactory, TicketFactory
from tickets import services

pytestmark = pytest.mark.django_db


def count_queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_queue_query_count_is_constant(agent_client, support):
    """10 rows or 50 rows (with assignees, clients, contacts): the same number of queries."""
    def add(n: int) -> None:
        for _ in range(n):
            TicketFactory(department=support, assignee=StaffFactory(departments=[support]))

    add(10)
    agent_client.get("/staff/tickets/")  # session settles
    small = count_queries(agent_client, "/staff/tickets/")
    add(40)
    large = count_queries(agent_client, "/staff/tickets/")
    assert small == large
    # Includes the top bar's bell and WhatsApp unread counts, the staff announcements and the
    # queue's callbacks-due-today panel: one indexed query each, whatever the rows.
    assert large <= 15
    with_filters = "/staff/tickets/?status=new&q=ab&assignee=anyone&no_reply=1"
    agent_client.get(with_filters)
    assert count_queries(agent_client, with_filters) <= 15


def test_ticket_page_query_count_is_constant(agent_client, support, agent):
    """A ticket with 3 or 60 messages (with attachments, notes, orders) costs the same queries."""
    acme = ClientFactory()
    contact = ContactFactory(client=acme)
    for i in range(3):
        order = Order.objects.create(client=acme, number=f"O{i}")
        DeliveryNote.objects.create(order=order, awb_number=f"A{i}", carrier="DHL")
        Invoice.objects.create(client=acme, number=f"I{i}", amount=1, issued_on=date.today(),
                               due_on=date.today() - timedelta(days=1))
    ticket = services.open_ticket(subject="Load", body_text="x", department=support, contact=contact)

    def add(n: int) -> None:
        for i in range(n):
            services.add_reply(ticket=ticket, body_text=f"m{i}", kind="note" if i % 3 else "customer",
                               author=agent if i % 3 else None, contact=None if i % 3 else contact,
                               attachments=[services.NewAttachment(name="a.txt", content=b"x")] if i % 5 == 0 else [])
            MessageFactory(ticket=ticket, kind="staff", author=StaffFactory())

    add(2)
    url = f"/staff/tickets/{ticket.pk}/"
    agent_client.get(url)
    small = count_queries(agent_client, url)
    add(30)
    large = count_queries(agent_client, url)
    assert small == large
    assert large <= 33  # the top bar's counts and announcements, the callback and hand-off panels
