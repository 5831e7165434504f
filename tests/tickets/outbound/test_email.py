"""Outbound email against a real SMTP server: a permanent refusal (5xx) fails the message at once
with the server's text, a temporary one (4xx) keeps it pending for the task's retries."""

import smtplib

import pytest

from tests.factories import ContactFactory, StaffFactory, TicketFactory
from tests.tickets.intake.test_email import build
from tests.tickets.intake.test_pipe_command import pipe_in_process
from tickets.models import TicketMessage
from tickets.outbound.email import send_ticket_message, send_ticket_messages
from tickets.services import add_reply

pytestmark = pytest.mark.django_db


def staff_reply(ticket, text: str = "Here is the fix.") -> TicketMessage:
    return add_reply(ticket=ticket, body_text=text, kind=TicketMessage.Kind.STAFF, author=StaffFactory())


def test_receipt_refused_with_550_fails_at_once_with_the_servers_text(departments, smtp_server,
                                                                        django_capture_on_commit_callbacks):
    """A receipt whose recipient the server refuses (550 User unknown) is failed with that text,
    not retried and not left pending."""
    smtp_server.refuse("jane@client.example", "550 5.1.1 <jane@client.example>: User unknown")
    with django_capture_on_commit_callbacks(execute=True):
        code, err = pipe_in_process(build(message_id="<refused@client.example>"))
    assert code == 0, err
    receipt = TicketMessage.objects.get(kind=TicketMessage.Kind.SYSTEM)
    assert receipt.delivery_status == "failed"
    assert "550" in receipt.delivery_error and "User unknown" in receipt.delivery_error
    assert smtp_server.messages == []


def test_staff_reply_refused_with_550_fails_without_retry(departments, smtp_server, django_capture_on_commit_callbacks):
    """A staff reply refused for good is failed with the server's text; the task raises nothing
    (so Celery does not retry it)."""
    ticket = TicketFactory(department=departments["tech"], contact=ContactFactory(email="gone@client.example"))
    smtp_server.refuse("gone@client.example")
    with django_capture_on_commit_callbacks(execute=True):
        message = staff_reply(ticket)
    message.refresh_from_db()
    assert message.delivery_status == "failed"
    assert message.delivery_error == "gone@client.example: 550 5.1.1 User unknown"


def test_temporary_refusal_stays_pending_and_is_raised_for_retry(departments, smtp_server):
    """A 4xx refusal is raised for the task's retry; the message stays pending with the reason."""
    ticket = TicketFactory(department=departments["tech"], contact=ContactFactory(email="busy@client.example"))
    message = TicketMessage.objects.create(ticket=ticket, kind=TicketMessage.Kind.STAFF, body_text="Hi")
    smtp_server.refuse("busy@client.example", "450 4.2.1 Mailbox busy")
    with pytest.raises(smtplib.SMTPRecipientsRefused):
        send_ticket_message(message_id=message.pk)
    message.refresh_from_db()
    assert message.delivery_status != "failed"
    assert "450" in message.delivery_error and message.delivery_error.startswith("will retry")


def test_batch_fails_the_refused_sends_the_rest_and_retries_only_temporary(departments, smtp_server):
    """In a batch over one connection a 550 fails its message and the next still goes out; a 450
    is returned for retry."""
    refused, busy, fine = (
        TicketMessage.objects.create(
            ticket=TicketFactory(department=departments["tech"],
                                 contact=ContactFactory(email=f"{name}@client.example")),
            kind=TicketMessage.Kind.SYSTEM, body_text="Received")
        for name in ("refused", "busy", "fine")
    )
    smtp_server.refuse("refused@client.example")
    smtp_server.refuse("busy@client.example", "451 4.3.0 Try later")
    assert send_ticket_messages(message_ids=[refused.pk, busy.pk, fine.pk]) == [busy.pk]
    states = {m.pk: (m.delivery_status, m.delivery_error[:40]) for m in TicketMessage.objects.all()}
    assert states[refused.pk] == ("failed", "refused@client.example: 550 5.1.1 User u")
    assert states[busy.pk][0] == "" and states[busy.pk][1].startswith("will retry")
    assert states[fine.pk] == ("sent", "")
    assert [m["To"] for m in smtp_server.messages] == ["fine@client.example"]
