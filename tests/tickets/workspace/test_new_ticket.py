"""Manual tickets (/staff/tickets/new/) for phone and WhatsApp."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from tests.factories import ClientFactory, ContactFactory, DepartmentFactory, PortalContactFactory, StaffFactory
from tickets.models import CustomField, CustomFieldValue, Ticket, TicketEvent, TicketMessage

pytestmark = pytest.mark.django_db
URL = "/staff/tickets/new/"


@pytest.fixture
def support():
    return DepartmentFactory(name="General Support", email="support@company.com")


@pytest.fixture
def agent(support):
    return StaffFactory(departments=[support])


@pytest.fixture
def contact():
    client = ClientFactory(name="Acme Logistics")
    return ContactFactory(client=client, first_name="John", last_name="Doe", email="john@acme.example",
                          phone="+40721000111")


def _post(client, data, files=()):
    payload = {"channel": "phone", "priority": 2, **data}
    if files:
        payload["attachments"] = list(files)
    return client.post(URL, payload)


def _base(support, contact, **extra):
    from tickets.models import Priority

    return {"contact": contact.pk, "department": support.pk, "priority": Priority.objects.get(name="High").pk,
            "subject": "Printer offline", "description": "Customer called: the printer is offline.", **extra}


def test_url_name():
    assert reverse("staff:ticket_new") == URL


def test_contact_search_matches_name_email_phone_and_company(client, agent, contact):
    """The picker's htmx search finds a contact by name, email, phone or company, as a radio choice."""
    ContactFactory(first_name="Someone", last_name="Else")
    client.force_login(agent)
    for q in ("john doe", "john@acme", "0721000111", "Acme"):
        body = client.get(reverse("staff:ticket_new_contacts"), {"customer_q": q}).content.decode()
        assert f'name="contact" value="{contact.pk}"' in body, q
        assert "Someone" not in body


def test_creates_phone_ticket_with_event_by_the_agent(client, agent, support, contact):
    """A valid form opens a phone ticket for the picked contact, recorded as created by the agent,
    and lands on the ticket page with a flash message."""
    client.force_login(agent)
    response = _post(client, _base(support, contact, assign_to_me="on"))
    ticket = Ticket.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/staff/tickets/{ticket.pk}/"
    assert ticket.channel == "phone" and ticket.contact == contact and ticket.client == contact.client
    assert ticket.priority.name == "High" and ticket.assignee == agent
    message = ticket.messages.get()
    assert message.kind == TicketMessage.Kind.CUSTOMER and "printer is offline" in message.body_text
    event = ticket.events.get(kind=TicketEvent.Kind.CREATED)
    assert event.actor == agent
    page = client.get(response["Location"]).content.decode()
    assert f"Ticket #{ticket.pk}" in page and "created" in page


def test_typed_customer_without_contact(client, agent, support):
    """A customer typed as name and email opens a ticket without a contact (WhatsApp channel)."""
    client.force_login(agent)
    data = {"department": support.pk, "subject": "Hi", "description": "From WhatsApp", "channel": "whatsapp",
            "requester_name": "Walk In", "requester_email": "walk.in@example.org"}
    assert _post(client, data).status_code == 302
    ticket = Ticket.objects.get()
    assert ticket.contact is None and ticket.requester_email == "walk.in@example.org"
    assert ticket.channel == "whatsapp"


def test_typed_email_of_known_contact_links_the_contact(client, agent, support, contact):
    client.force_login(agent)
    data = {"department": support.pk, "subject": "Hi", "description": "x", "requester_email": "JOHN@acme.example"}
    _post(client, data)
    assert Ticket.objects.get().contact == contact


def test_customer_is_required(client, agent, support):
    client.force_login(agent)
    response = _post(client, {"department": support.pk, "subject": "Hi", "description": "x"})
    assert response.status_code == 200 and not Ticket.objects.exists()
    assert "Pick the customer from the list" in response.content.decode()


def test_custom_field_validation_error_keeps_the_input(client, agent, support, contact):
    """A custom field the service rejects shows its error on the field; the typed text stays."""
    CustomField.objects.create(name="Order number", slug="order-number", field_type="number", required=True)
    CustomField.objects.create(name="Product", slug="product", field_type="dropdown", options="Printer\nScanner")
    client.force_login(agent)
    response = _post(client, _base(support, contact, **{"cf_order-number": "abc", "cf_product": "Printer"}))
    assert response.status_code == 200 and not Ticket.objects.exists()
    body = response.content.decode()
    assert "Enter a number." in body
    assert "Customer called: the printer is offline." in body and 'value="Printer offline"' in body
    assert 'value="abc"' in body
    assert f'value="{contact.pk}" checked' in body  # the picked customer stays picked
    response = _post(client, _base(support, contact, **{"cf_order-number": "1234", "cf_product": "Printer"}))
    assert response.status_code == 302
    values = {v.field.slug: v.value for v in CustomFieldValue.objects.select_related("field")}
    assert values == {"order-number": 1234, "product": "Printer"}


def test_attachment_of_forbidden_type_is_rejected_with_text_kept(client, agent, support, contact):
    """A forbidden file type is refused with a clear message; nothing is created, the text stays."""
    client.force_login(agent)
    files = [SimpleUploadedFile("notes.txt", b"hello", "text/plain"),
             SimpleUploadedFile("virus.exe", b"MZ...", "application/octet-stream")]
    response = _post(client, _base(support, contact), files)
    assert response.status_code == 200 and not Ticket.objects.exists()
    body = response.content.decode()
    assert "virus.exe: files of type .exe are not allowed" in body
    assert "Customer called: the printer is offline." in body
    assert "attach the files again" in body


def test_several_attachments_are_stored(client, agent, support, contact):
    client.force_login(agent)
    files = [SimpleUploadedFile("a.txt", b"one", "text/plain"),
             SimpleUploadedFile("b.pdf", b"%PDF-1", "application/pdf")]
    assert _post(client, _base(support, contact), files).status_code == 302
    message = Ticket.objects.get().messages.get()
    assert sorted(a.original_name for a in message.attachments.all()) == ["a.txt", "b.pdf"]


def test_ticket_for_a_department_the_agent_is_not_in_goes_to_the_queue(client, agent, contact):
    """A ticket opened for another department (Workflow 5: Billing) is created; the agent lands on
    the queue with a message, not on a page they may not see."""
    billing = DepartmentFactory(name="Billing / Finance", email="billing@company.com")
    client.force_login(agent)
    response = _post(client, _base(billing, contact))
    assert response.status_code == 302 and response["Location"] == reverse("staff:ticket_list")
    assert Ticket.objects.get().department == billing


def test_prefills_from_client_file_links(client, agent, contact):
    """?contact= preselects the customer; ?client= lists that client's contacts to pick from."""
    client.force_login(agent)
    body = client.get(URL, {"contact": contact.pk}).content.decode()
    assert f'value="{contact.pk}" checked' in body
    body = client.get(URL, {"client": contact.client_id}).content.decode()
    assert f'name="contact" value="{contact.pk}"' in body


def test_new_ticket_is_staff_only(client):
    contact = PortalContactFactory()
    client.force_login(contact.user)
    assert client.get(URL).status_code == 404
    assert client.get(reverse("staff:ticket_new_contacts"), {"customer_q": "a"}).status_code == 404
