"""Two client companies with portal contacts, and tickets written through the services."""

from dataclasses import dataclass

import pytest

from crm.models import Client, Contact
from tests.factories import ClientFactory, DepartmentFactory, PortalContactFactory, StaffFactory
from tickets import services
from tickets.models import Attachment, Department, Ticket, TicketMessage


@dataclass
class Company:
    client: Client
    primary: Contact
    alice: Contact
    bob: Contact
    ticket: Ticket  # opened by alice
    bob_ticket: Ticket
    staff_reply: TicketMessage
    note: TicketMessage
    attachment: Attachment  # on the staff reply
    customer_attachment: Attachment  # on alice's first message
    note_attachment: Attachment  # on the internal note


@pytest.fixture
def department(db) -> Department:
    return DepartmentFactory(name="General Support", email="support@company.com")


@pytest.fixture
def agent(department):
    return StaffFactory(departments=[department], full_name="Anna Agent")


def make_company(name: str, department: Department, agent: object) -> Company:
    client = ClientFactory(name=name)
    slug = name.split()[0].lower()
    primary = PortalContactFactory(client=client, is_primary=True, first_name="Pat", email=f"pat@{slug}.example")
    alice = PortalContactFactory(client=client, first_name="Alice", email=f"alice@{slug}.example")
    bob = PortalContactFactory(client=client, first_name="Bob", email=f"bob@{slug}.example")
    ticket = services.open_ticket(
        subject=f"{name}: printer on fire",
        body_text="It is burning",
        department=department,
        contact=alice,
        channel="portal",
        attachments=[services.NewAttachment(name="photo.png", content=b"\x89PNG fake")],
    )
    staff_reply = services.add_reply(
        ticket=ticket,
        body_text="Please unplug it",
        kind=TicketMessage.Kind.STAFF,
        author=agent,
        attachments=[services.NewAttachment(name="manual.pdf", content=b"%PDF-1.4 manual")],
    )
    note = services.add_reply(
        ticket=ticket,
        body_text=f"SECRET NOTE about {name}",
        kind=TicketMessage.Kind.NOTE,
        author=agent,
        attachments=[services.NewAttachment(name="internal.txt", content=b"internal only")],
    )
    bob_ticket = services.open_ticket(
        subject=f"{name}: bob cannot log in", body_text="Help", department=department, contact=bob
    )
    return Company(
        client=client,
        primary=primary,
        alice=alice,
        bob=bob,
        ticket=ticket,
        bob_ticket=bob_ticket,
        staff_reply=staff_reply,
        note=note,
        attachment=staff_reply.attachments.get(),
        customer_attachment=ticket.messages.get(kind="customer").attachments.get(),
        note_attachment=note.attachments.get(),
    )


@pytest.fixture
def acme(department, agent) -> Company:
    return make_company("Acme Corp", department, agent)


@pytest.fixture
def globex(department, agent) -> Company:
    return make_company("Globex Inc", department, agent)


@pytest.fixture
def login(client):
    """Log a contact in with the test client and return the client."""

    def _login(contact: Contact):
        client.force_login(contact.user)
        return client

    return _login
