"""End-to-end checks of the real parts the suite relies on: browser, SMTP, Celery on Redis."""

import pytest

from tests.factories import ContactFactory, DepartmentFactory, StaffFactory
from tickets import services
from tickets.models import TicketMessage


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_staff_member_signs_in_and_lands_on_the_queue(live_server, page):
    """A staff member signs in at /staff/login/ and lands on the ticket queue."""
    dept = DepartmentFactory(name="General Support", email="support@company.com")
    StaffFactory(email="ana@company.com", departments=[dept])
    page.goto(f"{live_server.url}/staff/login/")
    page.fill("#id_username", "ana@company.com")
    page.fill("#id_password", "pw")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/staff/tickets/")
    assert page.locator("h1").first.inner_text() == "Tickets"


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_staff_reply_is_delivered_by_a_real_worker_over_smtp(smtp_server, celery_worker_redis):
    """A staff reply queued on Redis is sent by a real worker to the loopback SMTP server."""
    celery_worker_redis()
    dept = DepartmentFactory(name="General Support", email="support@company.com")
    agent = StaffFactory(departments=[dept])
    contact = ContactFactory(email="customer@client.example")
    ticket = services.open_ticket(subject="Printer on fire", body_text="Help", department=dept, contact=contact)
    services.add_reply(ticket=ticket, body_text="Water, then call us.", kind=TicketMessage.Kind.STAFF, author=agent)
    [message] = smtp_server.wait_for(1)
    assert message["Subject"] == f"[Ticket ID: {ticket.pk}] Printer on fire"
    assert message["To"] == "customer@client.example"
    assert "Water, then call us." in message.get_body(("plain",)).get_content()
