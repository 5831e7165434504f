""""View as the customer": staff who may see a ticket see its portal page as its contact does,
read only, without internal notes; others get 404."""

import pytest
from django.urls import reverse

from tests.factories import DepartmentFactory, StaffFactory
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
