"""The queue and the ticket page issue a fixed number of queries, whatever the number of rows.

The top bar's counts (bell and WhatsApp), the staff announcements and the queue's callbacks-today
panel are cached for a few seconds: a page costs their queries only when the cache has expired
or a change forgot it ("cold"), and none otherwise ("warm")."""

from datetime import date, timedelta

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from appointments.services import today_panel_key
from crm.models import DeliveryNote, Invoice, Order
from tests.factories import ClientFactory, ContactFactory, MessageFactory, StaffFactory, TicketFactory
from tickets import services
from tickets.notifications import topbar

pytestmark = pytest.mark.django_db


def count_queries(client, url: str, *, cold_top_bar_for=None) -> int:
    if cold_top_bar_for is not None:  # as if the top bar's cached values had just expired
        cache.delete_many([topbar._user_key(cold_top_bar_for.pk), topbar._ANNOUNCEMENTS_KEY,
                           today_panel_key(cold_top_bar_for.pk)])
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_queue_query_count_is_constant(agent_client, support, agent):
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
    assert large <= 10  # was 15 before the top bar was cached and the profile loaded with the user
    # Cold: one query for every count of the top bar, one for the announcements, one for the
    # callbacks-due-today panel, whatever the rows.
    assert count_queries(agent_client, "/staff/tickets/", cold_top_bar_for=agent) == large + 3
    with_filters = "/staff/tickets/?status=new&q=ab&assignee=anyone&no_reply=1"
    agent_client.get(with_filters)
    assert count_queries(agent_client, with_filters) <= 10


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
    assert large <= 29  # was 33 before the top bar was cached and the profile loaded with the user
    assert count_queries(agent_client, url, cold_top_bar_for=agent) == large + 2  # counts, announcements
