""""View as the customer": staff who may see a ticket see its portal page as its contact does,
read only, without internal notes; others get 404."""

import pytest
from django.urls import reverse

from tests.factories import DepartmentFactory, ManagerFactory, StaffFactory
from tickets import services

pytestmark = pytest.mark.django_db


def test_staff_see_the_portal_page_read_only_without_notes(client, acme, agent):
    """The preview shows the public thread and portal status, hides notes, reply and resolve forms."""
    client.force_login(agent)
    page = client.get(f"/staff/tickets/{acme.ticket.pk}/").content.decode()
    assert reverse("portal:staff_preview", args=[acme.ticket.pk]) in page
    body = client.get(reverse("portal:staff_preview", args=[acme.ticket.pk])).content.decode()
    assert "It is burning" in body and "Please unplug it" in body and "Awaiting your reply" in body
    assert "SECRET NOTE" not in body and "internal.txt" not in body
    assert 'id="preview-banner"' in body and "Send reply" not in body and "Mark as resolved" not in body


def test_preview_follows_workspace_visibility(client, acme, agent):
    """Staff of another department get 404 until they follow the ticket; contacts never get in."""
    outsider = StaffFactory(departments=[DepartmentFactory(name="Billing")])
    client.force_login(outsider)
    url = reverse("portal:staff_preview", args=[acme.ticket.pk])
    assert client.get(url).status_code == 404
    services.follow_ticket(ticket=acme.ticket, user=outsider)
    assert client.get(url).status_code == 200
    client.force_login(acme.alice.user)
    assert client.get(url).status_code == 404


def test_view_as_a_contact_from_the_client_file(client, acme, agent):
    """The client file's contacts tab links to the contact's portal as they see it: their tickets
    (a primary contact: the whole client's), each ticket read only without internal notes."""
    client.force_login(agent)
    contacts_tab = client.get(f"/staff/clients/{acme.client.pk}/?tab=contacts").content.decode()
    list_url = reverse("portal:contact_preview", args=[acme.alice.pk])
    assert list_url in contacts_tab
    listing = client.get(list_url).content.decode()
    assert 'id="preview-banner"' in listing and "Alice" in listing
    assert acme.ticket.subject in listing and acme.bob_ticket.subject not in listing  # Bob's is not Alice's
    assert "Open a ticket</a>" not in listing.split("</header>", 1)[1]  # no action in the preview
    ticket_url = reverse("portal:contact_preview_ticket", args=[acme.alice.pk, acme.ticket.pk])
    assert ticket_url in listing
    page = client.get(ticket_url).content.decode()
    assert "It is burning" in page and "Please unplug it" in page
    assert "SECRET NOTE" not in page and "internal.txt" not in page and "Send reply" not in page
    # Bob's ticket is not on Alice's portal, so not in her preview either.
    assert client.get(reverse("portal:contact_preview_ticket", args=[acme.alice.pk, acme.bob_ticket.pk])
                      ).status_code == 404
    primary = client.get(reverse("portal:contact_preview", args=[acme.primary.pk])).content.decode()
    assert acme.ticket.subject in primary and acme.bob_ticket.subject in primary


def test_view_as_a_contact_only_for_staff_who_see_the_clients_tickets(client, acme, agent):
    """Staff of another department get no link and 404; following one ticket shows that ticket
    only (the banner says the others are hidden); a manager sees everything."""
    outsider = StaffFactory(departments=[DepartmentFactory(name="Billing")])
    client.force_login(outsider)
    url = reverse("portal:contact_preview", args=[acme.primary.pk])
    assert url not in client.get(f"/staff/clients/{acme.client.pk}/?tab=contacts").content.decode()
    assert client.get(url).status_code == 404
    services.follow_ticket(ticket=acme.ticket, user=outsider)
    body = client.get(url).content.decode()
    assert acme.ticket.subject in body and acme.bob_ticket.subject not in body
    assert "1 of this contact's tickets is in a department you do not work in" in body
    assert client.get(reverse("portal:contact_preview_ticket", args=[acme.primary.pk, acme.bob_ticket.pk])
                      ).status_code == 404
    client.force_login(ManagerFactory())
    body = client.get(url).content.decode()
    assert acme.ticket.subject in body and acme.bob_ticket.subject in body and "not shown" not in body
