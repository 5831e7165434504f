"""The portal's ticket list, ticket page, reply and "mark as resolved"."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.factories import TicketFactory, status
from tickets.models import TicketEvent, TicketMessage

pytestmark = pytest.mark.django_db


def test_ticket_page_hides_internal_notes_and_their_files(acme, login):
    """The conversation shows customer and staff messages, never internal notes or their files."""
    response = login(acme.alice).get(reverse("portal:ticket_detail", args=[acme.ticket.pk]))
    body = response.content.decode()
    assert "It is burning" in body and "Please unplug it" in body
    assert "SECRET NOTE" not in body
    assert "internal.txt" not in body
    assert "manual.pdf" in body and "photo.png" in body
    assert [m.kind for m in response.context["conversation"]] == ["customer", "staff"]


def test_ticket_page_hides_automatic_messages_and_events(acme, login):
    """System messages and ticket events (assignments, status changes) are not shown to customers."""
    from tickets import services

    services.add_reply(ticket=acme.ticket, body_text="AUTOMATION internal", kind=TicketMessage.Kind.SYSTEM, send=False)
    body = login(acme.alice).get(reverse("portal:ticket_detail", args=[acme.ticket.pk])).content.decode()
    assert "AUTOMATION internal" not in body
    assert "Anna Agent" in body  # the staff reply's author is shown
    assert TicketEvent.objects.filter(ticket=acme.ticket).exists()
    assert "Internal note added" not in body


def test_attachment_download_serves_the_file(acme, login):
    """A public attachment downloads with its original name."""
    response = login(acme.alice).get(reverse("portal:attachment", args=[acme.attachment.pk]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"%PDF-1.4 manual"
    assert 'filename="manual.pdf"' in response["Content-Disposition"]


@pytest.mark.parametrize("name,content_type", [("page.html", "text/html"), ("logo.svg", "image/svg+xml")])
def test_html_and_svg_attachments_download_sandboxed(acme, login, name, content_type):
    """HTML and SVG files download (Content-Disposition attachment) with the same sandboxing
    Content-Security-Policy as staff downloads, so a script in them never runs on our origin."""
    from tickets import services

    services.add_reply(ticket=acme.ticket, body_text="file", kind="customer", enforce_attachment_policy=False,
                       attachments=[services.NewAttachment(name=name, content=b"<script>alert(1)</script>",
                                                           content_type=content_type)])
    attachment = acme.ticket.messages.order_by("-id").first().attachments.get()
    response = login(acme.alice).get(reverse("portal:attachment", args=[attachment.pk]))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_reply_adds_customer_message_and_reopens_answered_ticket(acme, login, django_capture_on_commit_callbacks):
    """A portal reply is a customer message (channel portal) with its files; Answered goes back to In Progress."""
    acme.ticket.refresh_from_db()
    assert acme.ticket.status.slug == "answered"
    upload = SimpleUploadedFile("log.txt", b"error 42", content_type="text/plain")
    with django_capture_on_commit_callbacks(execute=True):
        response = login(acme.alice).post(
            reverse("portal:ticket_reply", args=[acme.ticket.pk]), {"message": "Still smoking", "attachments": [upload]}
        )
    assert response.status_code == 302
    message = acme.ticket.messages.order_by("-id").first()
    assert message.kind == "customer" and message.channel == "portal"
    assert message.author_contact == acme.alice and message.body_text == "Still smoking"
    assert [a.original_name for a in message.attachments.all()] == ["log.txt"]
    acme.ticket.refresh_from_db()
    assert acme.ticket.status.slug == "in-progress"
    assert acme.ticket.last_customer_reply_at == message.created_at


def test_reply_with_rejected_attachment_keeps_the_text(acme, login):
    """A forbidden file type is refused with a clear message; the typed reply is kept, nothing is saved."""
    upload = SimpleUploadedFile("virus.exe", b"MZ", content_type="application/octet-stream")
    response = login(acme.alice).post(
        reverse("portal:ticket_reply", args=[acme.ticket.pk]), {"message": "My long reply", "attachments": [upload]}
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "virus.exe: files of type .exe are not allowed" in body
    assert "My long reply" in body
    assert acme.ticket.messages.count() == 3


def test_empty_reply_is_refused(acme, login):
    """A reply without text or file is refused."""
    response = login(acme.alice).post(reverse("portal:ticket_reply", args=[acme.ticket.pk]), {"message": "  "})
    assert response.status_code == 400
    assert "Write a message or attach a file." in response.content.decode()


def test_mark_as_resolved_closes_the_ticket_with_a_note(acme, login):
    """"Mark as resolved" closes the ticket through the services and records who did it."""
    client = login(acme.alice)
    response = client.post(reverse("portal:ticket_resolve", args=[acme.ticket.pk]), {"note": "Fixed by unplugging"})
    assert response.status_code == 302
    acme.ticket.refresh_from_db()
    assert acme.ticket.is_closed and acme.ticket.status == status("closed")
    event = TicketEvent.objects.get(ticket=acme.ticket, kind=TicketEvent.Kind.CLOSED)
    assert "Marked as resolved by Alice" in event.note and "Fixed by unplugging" in event.note
    assert event.actor == acme.alice.user
    page = client.get(reverse("portal:ticket_detail", args=[acme.ticket.pk])).content.decode()
    assert "Mark as resolved" not in page and "Reply to reopen this ticket" in page


def test_status_filter_and_pagination(acme, department, login):
    """The list filters by open/closed/the label customers see and pages 25 at a time."""
    for _ in range(30):
        TicketFactory(contact=acme.alice, department=department, status=status("on-hold"))
    client = login(acme.alice)
    page1 = client.get(reverse("portal:ticket_list"), {"status": "in-progress"})
    assert len(page1.context["tickets"]) == 25 and page1.context["page"].paginator.count == 30
    page2 = client.get(reverse("portal:ticket_list"), {"status": "in-progress", "page": 2})
    assert len(page2.context["tickets"]) == 5
    closed = client.get(reverse("portal:ticket_list"), {"status": "closed"})
    assert list(closed.context["tickets"]) == []
    answered = client.get(reverse("portal:ticket_list"), {"status": "awaiting-your-reply"})
    assert [t.pk for t in answered.context["tickets"]] == [acme.ticket.pk]


def test_ticket_list_query_count_is_constant(acme, department, login):
    """The list costs the same number of queries with 2 rows as with 25 (client-wide view)."""
    client = login(acme.primary)

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(reverse("portal:ticket_list")).status_code == 200
        return len(ctx.captured_queries)

    few = count()
    for i in range(40):
        TicketFactory(contact=acme.bob if i % 2 else acme.alice, department=department)
    assert count() == few


def test_dashboard_shows_open_tickets_with_status_colours(acme, login):
    """The dashboard lists the contact's open tickets with the status colour from the database."""
    body = login(acme.alice).get(reverse("portal:dashboard")).content.decode()
    acme.ticket.refresh_from_db()
    assert f"#{acme.ticket.pk}" in body
    assert f"--c: {acme.ticket.status.colour}" in body
    assert acme.bob_ticket.subject not in body
