"""Bounces, mailing lists, the mail server's spam verdict and our own mail coming back: none of
them gets a receipt; bounces and spam open no ticket; a loop is kept, never dropped."""

from pathlib import Path

import pytest

from tests.tickets.conftest import EMAILS
from tests.tickets.intake.test_bulk import run_bulk
from tests.tickets.intake.test_email import build
from tickets.intake.email import parse_email
from tickets.intake.services import process_inbound_email
from tickets.models import InboundEmail, Ticket
from tickets.threading import make_message_id

pytestmark = pytest.mark.django_db

CORPUS = EMAILS / "corpus"
CORPUS_BOUNCES = [
    "chatwoot/bounced_gmail.eml",
    "chatwoot/bounced_with_no_from.eml",
    *(f"ruby-mail/multipart_report_emails/{p.name}" for p in sorted((CORPUS / "ruby-mail/multipart_report_emails")
                                                                     .glob("*.eml"))),
]


def _dsn_nested() -> bytes:
    """A delivery report wrapped in multipart/mixed (as some gateways forward it), from an
    ordinary-looking address with an ordinary Return-Path and subject."""
    return (
        b"From: Mail Gateway <gateway@mx.client.example>\r\nTo: support@company.com\r\nSubject: Notice\r\n"
        b"Message-ID: <nested-dsn@mx.client.example>\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/mixed; boundary="outer"\r\n\r\n'
        b"--outer\r\nContent-Type: text/plain\r\n\r\nSee the report.\r\n"
        b'--outer\r\nContent-Type: multipart/report; report-type=delivery-status; boundary="inner"\r\n\r\n'
        b"--inner\r\nContent-Type: text/plain\r\n\r\nYour message was returned.\r\n"
        b"--inner\r\nContent-Type: message/delivery-status\r\n\r\n"
        b"Reporting-MTA: dns; mx.client.example\r\n\r\n"
        b"Final-Recipient: rfc822; gone@client.example\r\nAction: failed\r\nStatus: 5.1.1\r\n"
        b"--inner--\r\n--outer--\r\n"
    )


@pytest.mark.parametrize("raw", [
    build(sender="Mail Delivery Subsystem <mail@mx.client.example>", subject="Returned mail: see transcript",
          headers={"Return-Path": "<MAILER-DAEMON@mx.client.example>"}, message_id="<b1@mx>"),
    build(sender="System Administrator <admin@mx.client.example>", subject="Undeliverable: Printer offline",
          body="Delivery has failed to these recipients:\n\ngone@client.example\n550 5.1.1 User unknown",
          message_id="<b2@mx>"),
    build(sender="Mail System <noreply@mx.client.example>", subject="Undelivered Mail Returned to Sender",
          body="This is the mail system. The message could not be delivered.", headers={"Return-Path": "<>"},
          message_id="<b3@mx>"),
], ids=["return-path-mailer-daemon", "dsn-subject-and-text", "null-return-path-dsn-text"])
def test_bounces_open_nothing_and_get_no_receipt(deliver, mailoutbox, raw):
    """Bounces are recognised by a MAILER-DAEMON/postmaster Return-Path, by a DSN subject with DSN
    text, and a null Return-Path with DSN text: no ticket, no receipt."""
    row = deliver(raw)
    assert row.outcome == "bounce", row.reason
    assert Ticket.objects.count() == 0 and mailoutbox == []


def test_multipart_report_anywhere_is_a_bounce(deliver, mailoutbox):
    """A message/delivery-status part anywhere in the tree makes a bounce."""
    message = parse_email(_dsn_nested())
    assert message.auto_kind == "bounce"
    assert deliver(_dsn_nested()).outcome == "bounce" and mailoutbox == []


@pytest.mark.parametrize("name", CORPUS_BOUNCES)
def test_real_bounces_of_the_corpus_are_bounces(deliver, mailoutbox, name):
    """Every real delivery report of the corpus is a bounce, without a receipt."""
    row = deliver((CORPUS / name).read_bytes())
    assert row.outcome == "bounce", (name, row.outcome, row.reason)
    assert mailoutbox == []


def test_a_customer_writing_about_undeliverable_mail_is_no_bounce(deliver):
    """A person's question that mentions a failed delivery still opens a ticket."""
    row = deliver(build(subject="Our invoices are undeliverable", body="Customers say our mail bounces."))
    assert row.outcome == "ticket_opened"


@pytest.mark.parametrize("headers", [{"List-Id": "<users.lists.example.org>"},
                                     {"List-Unsubscribe": "<mailto:leave@lists.example.org>"}])
def test_list_mail_opens_a_ticket_without_receipt(deliver, mailoutbox, headers):
    """Mail from a mailing list opens a ticket but gets no receipt (it would go to the list)."""
    row = deliver(build(sender="Someone <someone@lists.example.org>", headers=headers))
    assert row.outcome == "ticket_opened" and "List-Id" in row.reason
    assert mailoutbox == []


def test_bulk_list_mail_gets_no_receipt(departments, mailoutbox, django_capture_on_commit_callbacks):
    """The bulk path sends no receipt to list mail either."""
    rows = run_bulk([build(headers={"List-Id": "<x.lists.example>"}, message_id="<l1@x>")],
                    django_capture_on_commit_callbacks)
    assert rows[0].outcome == "ticket_opened" and mailoutbox == []


@pytest.mark.parametrize("headers", [{"X-Spam-Flag": "YES"},
                                     {"X-Spam-Status": "Yes, score=12.3 required=5.0 tests=BAYES_99"}])
def test_spam_verdict_holds_without_receipt(deliver, mailoutbox, headers):
    """Mail the mail server marked as spam is held (kept, no ticket, no receipt); "process again"
    opens its ticket."""
    row = deliver(build(subject="You won", headers=headers))
    assert (row.state, row.outcome) == ("held", "held") and "spam" in row.reason
    assert Ticket.objects.count() == 0 and mailoutbox == []
    again = process_inbound_email(inbound_id=row.pk, force=True)
    assert again.outcome == "ticket_opened"


def test_bulk_spam_verdict_holds(departments, mailoutbox, django_capture_on_commit_callbacks):
    """The bulk path holds it too."""
    rows = run_bulk([build(headers={"X-Spam-Flag": "YES"}, message_id="<sp@x>")], django_capture_on_commit_callbacks)
    assert rows[0].outcome == "held" and mailoutbox == [] and Ticket.objects.count() == 0


def test_spam_status_no_is_ordinary_mail(deliver):
    """X-Spam-Status: No changes nothing."""
    assert deliver(build(headers={"X-Spam-Status": "No, score=0.1"})).outcome == "ticket_opened"


def test_mail_from_our_domain_without_our_signature_is_no_loop(deliver, settings):
    """A local user's mail whose Message-ID ends in our mail domain is a request, not a loop."""
    row = deliver(build(sender="colleague@company.com",
                        message_id=f"<20261202.1234@{settings.HELPDESK_MAIL_DOMAIN}>"))
    assert row.outcome == "ticket_opened"


def test_our_signed_mail_coming_back_is_a_kept_loop(deliver, mailoutbox):
    """Our own signed Message-ID coming back is a loop: kept with its reason, no ticket, no mail."""
    row = deliver(build(message_id=make_message_id(ticket_id=12345, message_ref=1)))
    assert row.outcome == "loop" and "signed" in row.reason
    assert InboundEmail.objects.filter(pk=row.pk).exists() and row.raw_bytes()
    assert Ticket.objects.count() == 0 and mailoutbox == []


def test_our_notices_carry_a_signed_message_id(deliver, mailoutbox, settings):
    """The refusal notice is signed like our ticket mail, so it is recognised if it comes back."""
    settings.HELPDESK_ALLOW_NON_REGISTERED_SENDERS = False
    deliver(build(sender="bob@nowhere.example"))
    notice = mailoutbox[0]
    assert parse_email(notice.message().as_bytes()).loop


def test_paths_exist():
    """(fixture check) The corpus bounces are there."""
    assert all(Path(CORPUS / name).exists() for name in CORPUS_BOUNCES) and len(CORPUS_BOUNCES) >= 6
