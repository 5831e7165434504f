"""Customers see customer-facing statuses on every portal page, never internal names or staff-set
priorities; receipts and the auto-close notice are part of the portal thread; portal and phone
tickets get a receipt like email tickets (HELPDESK_RECEIPT_CHANNELS)."""

import pytest
from django.urls import reverse

from tests.factories import ContactFactory, TicketFactory, status
from tickets import services
from tickets.models import TicketMessage, TicketStatus

pytestmark = pytest.mark.django_db

PAGES = ("portal:dashboard", "portal:ticket_list", "portal:ticket_detail")


def _pages(client, ticket) -> dict[str, str]:
    return {
        name: client.get(reverse(name, args=[ticket.pk]) if name.endswith("detail") else reverse(name))
        .content.decode()
        for name in PAGES
    }


@pytest.mark.parametrize("slug,label", [
    ("escalated", "In progress"), ("on-hold", "In progress"), ("answered", "Awaiting your reply"),
])
def test_internal_statuses_show_their_portal_label_on_every_page(acme, department, login, slug, label):
    """Escalated and On Hold read "In progress", Answered "Awaiting your reply", on every page."""
    ticket = TicketFactory(contact=acme.alice, department=department, status=status(slug), subject="Label check")
    internal = TicketStatus.objects.get(slug=slug).name
    for name, body in _pages(login(acme.alice), ticket).items():
        assert label in body, name
        if internal != label:
            assert f">{internal}<" not in body, name


def test_a_new_internal_status_is_never_shown_as_it_is(acme, department, login):
    """A status a manager adds without a portal label shows as "In progress" (open) to customers."""
    secret = TicketStatus.objects.create(name="Waiting for vendor XYZ", slug="vendor", colour="#123456", order=9)
    ticket = TicketFactory(contact=acme.alice, department=department, status=secret, subject="Vendor")
    in_progress = TicketStatus.objects.get(slug="in-progress")
    for name, body in _pages(login(acme.alice), ticket).items():
        assert "Waiting for vendor XYZ" not in body and "#123456" not in body, name
        assert "In progress" in body, name
    assert f"--c: {in_progress.colour}" in _pages(login(acme.alice), ticket)["portal:ticket_detail"]


def test_priorities_are_not_shown_to_customers(acme, department, login):
    """The staff-set priority appears on no portal page."""
    ticket = TicketFactory(contact=acme.alice, department=department, subject="Prio",
                           priority=services.default_priority().__class__.objects.get(name="Urgent"))
    for name, body in _pages(login(acme.alice), ticket).items():
        assert "Urgent" not in body and ">Priority<" not in body, name


def test_status_filters_offer_labels_not_internal_statuses(acme, login):
    """The list's filter tabs are the labels customers see (one tab for several statuses)."""
    labels = [f.label for f in login(acme.alice).get(reverse("portal:ticket_list")).context["filters"]]
    assert "Escalated" not in labels and "On Hold" not in labels
    assert labels.count("In progress") == 1 and "Awaiting your reply" in labels


def test_receipt_and_auto_close_notice_are_in_the_portal_thread(acme, login, django_capture_on_commit_callbacks):
    """Automatic messages sent to the customer are shown, marked automatic; unsent ones are not."""
    services.add_reply(ticket=acme.ticket, kind=TicketMessage.Kind.SYSTEM, body_text="We closed your ticket "
                       "after 7 days without an answer.", is_automatic=True, author_name="General Support")
    services.add_reply(ticket=acme.ticket, kind=TicketMessage.Kind.SYSTEM, body_text="INTERNAL automation",
                       send=False)
    body = login(acme.alice).get(reverse("portal:ticket_detail", args=[acme.ticket.pk])).content.decode()
    assert "after 7 days without an answer" in body and "Automatic message" in body
    assert "INTERNAL automation" not in body


def test_links_and_files_of_shown_automatic_messages_open(acme, login, django_capture_on_commit_callbacks):
    """Whatever the portal thread shows can be linked and downloaded: the sent auto-close notice's
    link and file open; an unsent automatic message, hidden from the thread, stays 404."""
    sent = services.add_reply(ticket=acme.ticket, kind=TicketMessage.Kind.SYSTEM, body_text="We closed your ticket.",
                              is_automatic=True, author_name="General Support", enforce_attachment_policy=False,
                              attachments=[services.NewAttachment(name="summary.txt", content=b"closed",
                                                                  content_type="text/plain")])
    unsent = services.add_reply(ticket=acme.ticket, kind=TicketMessage.Kind.SYSTEM, body_text="INTERNAL automation",
                                send=False, enforce_attachment_policy=False,
                                attachments=[services.NewAttachment(name="internal.txt", content=b"x",
                                                                    content_type="text/plain")])
    client = login(acme.alice)
    page = client.get(reverse("portal:ticket_detail", args=[acme.ticket.pk])).content.decode()
    assert f'id="msg-{sent.pk}"' in page and "summary.txt" in page and "internal.txt" not in page
    link = client.get(reverse("portal:message", args=[sent.pk]))
    assert link.status_code == 302 and link["Location"].endswith(f"/portal/tickets/{acme.ticket.pk}/#msg-{sent.pk}")
    download = client.get(reverse("portal:attachment", args=[sent.attachments.get().pk]))
    assert download.status_code == 200 and b"".join(download.streaming_content) == b"closed"
    assert client.get(reverse("portal:message", args=[unsent.pk])).status_code == 404
    assert client.get(reverse("portal:attachment", args=[unsent.attachments.get().pk])).status_code == 404


@pytest.mark.parametrize("channel", ["portal", "phone"])
def test_portal_and_phone_tickets_get_a_receipt(department, channel, mailoutbox, django_capture_on_commit_callbacks):
    """A new portal or phone ticket gets the automatic receipt, like an email ticket."""
    contact = ContactFactory(email=f"{channel}@client.example")
    with django_capture_on_commit_callbacks(execute=True):
        ticket = services.open_ticket(subject="Need help", body_text="x", department=department, contact=contact,
                                      channel=channel)
    receipt = ticket.messages.get(kind=TicketMessage.Kind.SYSTEM)
    assert f"{ticket.pk}" in receipt.body_text and receipt.delivery_status != ""
    ticket.refresh_from_db()
    assert ticket.first_response_at is None


def test_receipt_channels_is_a_setting(department, settings, django_capture_on_commit_callbacks):
    """Without "phone" in HELPDESK_RECEIPT_CHANNELS a phone ticket gets no receipt."""
    settings.HELPDESK_RECEIPT_CHANNELS = ["email", "portal"]
    with django_capture_on_commit_callbacks(execute=True):
        ticket = services.open_ticket(subject="Call", body_text="x", department=department,
                                      contact=ContactFactory(), channel="phone")
    assert not ticket.messages.filter(kind=TicketMessage.Kind.SYSTEM).exists()
