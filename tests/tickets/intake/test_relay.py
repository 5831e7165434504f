"""The receipt is no spam relay: it goes to the sender only, Cc'd people are recorded (capped)
and copied on staff replies only where the department allows it, strangers' names and subjects
are shortened, and strangers together may open only so many tickets per window."""

import pytest

from tests.factories import ContactFactory, ManagerFactory
from tests.tickets.intake.test_bulk import run_bulk
from tests.tickets.intake.test_email import build
from tickets import services
from tickets.models import InboundEmail, Ticket

pytestmark = pytest.mark.django_db

THOUSAND_CC = ", ".join(f"victim{n}@spam-target.example" for n in range(1000))


def spam(n: int = 0, **kwargs: object) -> bytes:
    return build(sender=kwargs.pop("sender", f"Cheap pills http://pills.example <seller{n}@spam.example>"),
                 subject=kwargs.pop("subject", "Buy now " * 60 + "http://pills.example"),
                 message_id=f"<spam{n}@spam.example>", headers={"Cc": THOUSAND_CC}, **kwargs)


def test_stranger_with_a_thousand_cc_gets_one_receipt_to_the_sender_only(deliver, mailoutbox, settings):
    """A stranger's mail with 1,000 Cc opens a ticket and gets exactly one receipt, to the sender,
    copied to nobody; at most HELPDESK_INBOUND_MAX_PARTICIPANTS participants are recorded."""
    row = deliver(spam())
    assert row.outcome == "ticket_opened"
    assert len(mailoutbox) == 1
    receipt = mailoutbox[0]
    assert receipt.to == ["seller0@spam.example"] and receipt.cc == [] and receipt.bcc == []
    assert receipt.recipients() == ["seller0@spam.example"]
    assert len(row.ticket.cc_emails) == settings.HELPDESK_INBOUND_MAX_PARTICIPANTS


def test_bulk_receipts_go_to_the_sender_only(departments, mailoutbox, django_capture_on_commit_callbacks):
    """The bulk path sends the same single receipt to the sender only."""
    run_bulk([spam(1), spam(2)], django_capture_on_commit_callbacks)
    assert sorted(m.recipients()[0] for m in mailoutbox) == ["seller1@spam.example", "seller2@spam.example"]
    assert all(len(m.recipients()) == 1 for m in mailoutbox)


def test_receipt_shortens_a_strangers_subject_and_greets_no_spam_name(deliver, mailoutbox):
    """A stranger's display name is no greeting and a long subject is cut short, in the receipt's
    subject line and its text."""
    deliver(spam())
    receipt = mailoutbox[0]
    assert len(receipt.subject) <= 100 and receipt.subject.endswith("\u2026")
    assert "pills.example" not in receipt.subject
    assert receipt.body.startswith("Hello there,")
    assert "Buy now " * 12 not in receipt.body


def test_staff_replies_copy_participants_only_where_the_department_allows(deliver, mailoutbox, departments,
                                                                          settings, django_capture_on_commit_callbacks):
    """Cc'd people of the customer's mail get no staff reply by default; where the department allows
    it they get it, at most HELPDESK_REPLY_MAX_CC of them."""
    settings.HELPDESK_REPLY_MAX_CC = 3
    ContactFactory(email="jane@client.example", first_name="Jane")
    cc = ", ".join(f"colleague{n}@client.example" for n in range(6))
    ticket = deliver(build(headers={"Cc": cc})).ticket
    assert len(ticket.cc_emails) == 6
    agent = ManagerFactory()
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.add_reply(ticket=ticket, body_text="On it.", kind="staff", author=agent)
    assert mailoutbox[0].to == ["jane@client.example"] and mailoutbox[0].cc == []
    departments["general"].copy_participants = True
    departments["general"].save()
    with django_capture_on_commit_callbacks(execute=True):
        services.add_reply(ticket=Ticket.objects.get(pk=ticket.pk), body_text="Done.", kind="staff", author=agent)
    assert mailoutbox[1].cc == ["colleague0@client.example", "colleague1@client.example", "colleague2@client.example"]


def test_strangers_together_are_held_over_the_global_limit(deliver, mailoutbox, settings):
    """Beyond HELPDESK_UNKNOWN_SENDERS_RATE_LIMIT new tickets from strangers per window, more mail
    from strangers is held (no ticket, no receipt) and the managers are told once; contacts still
    get their tickets."""
    settings.HELPDESK_UNKNOWN_SENDERS_RATE_LIMIT = 2
    manager = ManagerFactory(email="boss@company.com")
    ContactFactory(email="jane@client.example")
    rows = [deliver(build(sender=f"s{n}@else.example", subject=f"Help {n}", message_id=f"<g{n}@x>"))
            for n in range(4)]
    assert [r.outcome for r in rows] == ["ticket_opened", "ticket_opened", "held", "held"]
    assert [r.state for r in rows[2:]] == ["held", "held"]
    assert "unregistered senders" in rows[2].reason
    notices = [m for m in mailoutbox if m.to == [manager.email]]
    assert len(notices) == 1 and "unregistered senders" in notices[0].subject
    assert deliver(build(subject="From a contact", message_id="<c1@x>")).outcome == "ticket_opened"
    assert Ticket.objects.count() == 3


def test_bulk_holds_strangers_over_the_global_limit(departments, settings, django_capture_on_commit_callbacks):
    """The bulk path keeps to the same global limit."""
    settings.HELPDESK_UNKNOWN_SENDERS_RATE_LIMIT = 2
    rows = run_bulk([build(sender=f"s{n}@else.example", subject=f"Help {n}", message_id=f"<h{n}@x>")
                     for n in range(4)], django_capture_on_commit_callbacks)
    assert [r.outcome for r in rows] == ["ticket_opened", "ticket_opened", "held", "held"]
    assert InboundEmail.objects.filter(state="held").count() == 2
