import pytest

from tests.factories import ContactFactory, DepartmentFactory, StaffFactory, status
from tickets import services
from tickets.models import TicketMessage

pytestmark = pytest.mark.django_db


def test_first_public_staff_reply_sets_first_response(django_capture_on_commit_callbacks, mailoutbox):
    """The first public staff reply sets first_response_at, answers the ticket and emails the customer."""
    dept = DepartmentFactory(name="General Support", email="support@company.com")
    agent = StaffFactory(departments=[dept])
    contact = ContactFactory()
    with django_capture_on_commit_callbacks(execute=True):
        ticket = services.open_ticket(subject="Cannot log in", body_text="Help", department=dept, contact=contact)
        services.add_reply(ticket=ticket, body_text="Internal", kind=TicketMessage.Kind.NOTE, author=agent)
    ticket.refresh_from_db()
    assert ticket.first_response_at is None
    assert mailoutbox == []
    with django_capture_on_commit_callbacks(execute=True):
        services.add_reply(ticket=ticket, body_text="Try again", kind=TicketMessage.Kind.STAFF, author=agent)
    ticket.refresh_from_db()
    assert ticket.first_response_at is not None
    assert ticket.status == status("answered")
    assert len(mailoutbox) == 1
    assert mailoutbox[0].subject == f"[Ticket ID: {ticket.pk}] Cannot log in"
    assert mailoutbox[0].to == [contact.email]
