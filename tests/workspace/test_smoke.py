import pytest

from tests.factories import MessageFactory, TicketFactory

pytestmark = pytest.mark.django_db


def test_queue_and_ticket_render(agent_client, support, contact):
    """The queue and the ticket page render for an agent of the ticket's department."""
    t = TicketFactory(department=support, contact=contact, subject="Printer on fire")
    MessageFactory(ticket=t, body_text="Hello\n\nOn Monday, Bob wrote:\n> old stuff")
    r = agent_client.get("/staff/tickets/")
    assert r.status_code == 200, r.content[:2000]
    assert b"Printer on fire" in r.content
    r = agent_client.get(f"/staff/tickets/{t.pk}/")
    assert r.status_code == 200
    assert b"Printer on fire" in r.content
    r = agent_client.get(f"/staff/tickets/{t.pk}/?tab=history")
    assert r.status_code == 200
