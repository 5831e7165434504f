"""Browser test: an L1 agent types in a phone call as a ticket (Chromium through Playwright)."""

import re

import pytest

from tests.factories import ClientFactory, ContactFactory, DepartmentFactory, StaffFactory
from tickets.models import Ticket, TicketEvent

pytestmark = pytest.mark.browser


@pytest.mark.django_db(transaction=True)
def test_l1_agent_creates_phone_ticket_picking_the_customer(live_server, page):
    """The agent searches the contact list, picks the customer, fills the form, and lands on the
    new ticket's page; the ticket is a phone ticket created by that agent."""
    support = DepartmentFactory(name="General Support", email="support@company.com")
    agent = StaffFactory(email="ana.l1@company.com", departments=[support])
    acme = ClientFactory(name="Acme Logistics")
    john = ContactFactory(client=acme, first_name="John", last_name="Doe", email="john@acme.example")
    ContactFactory(first_name="Jane", last_name="Other", email="jane@other.example")

    page.goto(f"{live_server.url}/staff/login/?next=/staff/tickets/new/")
    page.fill("#id_username", agent.email)
    page.fill("#id_password", "pw")
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"/staff/tickets/new/$"))

    page.fill("#customer-q", "acme")
    choice = page.locator("#contact-results label.contact-choice", has_text="John Doe")
    choice.wait_for()
    assert page.locator("#contact-results label.contact-choice", has_text="Jane").count() == 0
    choice.click()
    assert page.locator(f'input[name=contact][value="{john.pk}"]').is_checked()

    page.select_option("#id_department", str(support.pk))
    page.select_option("#id_channel", "phone")
    page.fill("#id_subject", "Invoice INV-1001 shows the wrong amount")
    page.fill("#id_description", "Customer called: the invoice total does not match the offer.")
    page.screenshot(path="/tmp/clients_new_ticket_filled.png", full_page=True)
    page.click("button[name=create]")

    page.wait_for_url(re.compile(r"/staff/tickets/\d+/$"))
    ticket = Ticket.objects.get()
    assert page.url.endswith(f"/staff/tickets/{ticket.pk}/")
    assert "Invoice INV-1001 shows the wrong amount" in page.content()
    assert page.locator(".flash").inner_text().startswith(f"Ticket #{ticket.pk}")
    assert ticket.channel == "phone" and ticket.contact == john
    assert ticket.events.get(kind=TicketEvent.Kind.CREATED).actor == agent
