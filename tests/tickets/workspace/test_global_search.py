"""The staff top-bar search: tickets, clients and KB articles an agent may see."""

import pytest

from kb import services as kb_services
from tests.factories import ClientFactory, ContactFactory, TicketFactory

pytestmark = pytest.mark.django_db


def test_search_finds_tickets_clients_and_articles(agent_client, support):
    """One query shows matching tickets, clients and KB articles (staff-only ones included)."""
    acme = ClientFactory(name="Zephyr Freight")
    TicketFactory(subject="Zephyr invoice is wrong", department=support, contact=ContactFactory(client=acme))
    group = kb_services.save_group(name="Advanced", staff_only=True, order=1)
    kb_services.save_article(title="Zephyr escalation procedure", group=group, body_markdown="Steps.",
                             status="published", staff_only=True, search_keywords="")
    html = agent_client.get("/staff/search/", {"q": "zephyr"}).content.decode()
    assert "Zephyr invoice is wrong" in html
    assert "Zephyr Freight" in html
    assert "escalation procedure" in html and "staff only" in html


def test_search_hides_tickets_of_other_departments(agent_client, technical):
    """An agent's search never lists a ticket of a department they are not in."""
    TicketFactory(subject="Kangaroo firmware crash", department=technical)
    html = agent_client.get("/staff/search/", {"q": "kangaroo"}).content.decode()
    assert "Kangaroo firmware crash" not in html
    assert "No ticket matches." in html


def test_a_ticket_number_opens_the_ticket(agent_client, support, technical):
    """Searching a visible ticket's number goes straight to it; another department's is not revealed."""
    mine = TicketFactory(department=support)
    theirs = TicketFactory(department=technical)
    response = agent_client.get("/staff/search/", {"q": f"#{mine.pk}"})
    assert response.status_code == 302 and response["Location"] == f"/staff/tickets/{mine.pk}/"
    assert agent_client.get("/staff/search/", {"q": str(theirs.pk)}).status_code == 200


def test_contacts_cannot_use_the_staff_search(client):
    """A customer contact gets a 404 from the staff search."""
    contact = ContactFactory()
    from tests.factories import UserFactory

    user = UserFactory(email=contact.email)
    client.force_login(user)
    assert client.get("/staff/search/", {"q": "x"}).status_code == 404
