"""Every email of the third-party corpus (fixtures/emails/corpus, see its README) becomes the
expected ticket, or is kept with a clear reason; none raises, none is left unaccounted for."""

from collections import Counter

import pytest
from django.core.management import call_command

from tests.tickets.conftest import EMAILS
from tickets.intake.bodies import clean_subject
from tickets.intake.email import parse_email
from tickets.models import InboundEmail, Ticket, TicketMessage

CORPUS = EMAILS / "corpus"
FILES = sorted(p for p in CORPUS.rglob("*.eml"))
OUTCOMES_WITHOUT_TICKET = {"bounce", "auto_reply", "loop", "blocked", "refused", "held"}

# Emails whose fate is known from their headers, checked by name.
EXPECTED_OUTCOME = {
    "chatwoot/auto_reply.eml": "auto_reply",  # X-Autoreply, Auto-Submitted: auto-replied
    "chatwoot/non_utf_encoded_mail.eml": "auto_reply",
    "chatwoot/bounced_gmail.eml": "bounce",
    "chatwoot/bounced_with_no_from.eml": "bounce",
    "ruby-mail/multipart_report_emails/multi_address_bounce1.eml": "bounce",
    "ruby-mail/multipart_report_emails/multi_address_bounce2.eml": "bounce",
    "ruby-mail/multipart_report_emails/multipart_report_multiple_status.eml": "bounce",
    "ruby-mail/multipart_report_emails/report_422.eml": "bounce",
    "ruby-mail/multipart_report_emails/report_530.eml": "bounce",
    "ruby-mail/mime_emails/raw_email_with_mimepart_without_content_type.eml": "bounce",  # MAILER-DAEMON
    "chatwoot/only_text.eml": "ticket_opened",
    "chatwoot/only_html.eml": "ticket_opened",
    "ruby-mail/multi_charset/japanese.eml": "ticket_opened",
    "ruby-mail/error_emails/empty_group_lists.eml": "held",  # X-Spam-Status: Yes
    "ruby-mail/plain_emails/raw_email_bad_time.eml": "held",  # X-Spam-Status: Yes
}


def _rel(path) -> str:
    return path.relative_to(CORPUS).as_posix()


def test_corpus_is_complete():
    """The copied corpus holds the 149 emails of the shared corpus."""
    assert len(FILES) == 149


@pytest.mark.parametrize("path", FILES, ids=_rel)
def test_corpus_email(path, deliver, departments, mailoutbox):
    """The email is processed without error into a ticket with the right fields, or kept with a reason."""
    raw = path.read_bytes()
    parsed = parse_email(raw)
    row = deliver(raw)

    held = InboundEmail.State.HELD if row.outcome == "held" else InboundEmail.State.DONE
    assert row.state == held, row.error
    assert row.outcome in {"ticket_opened", "reply_added", *OUTCOMES_WITHOUT_TICKET}
    if _rel(path) in EXPECTED_OUTCOME:
        assert row.outcome == EXPECTED_OUTCOME[_rel(path)]
    if row.outcome in OUTCOMES_WITHOUT_TICKET:
        assert row.reason, "kept without a ticket must say why"
        assert Ticket.objects.count() == 0
        assert mailoutbox == []
        return

    ticket = Ticket.objects.get()
    assert row.ticket == ticket
    first = ticket.messages.filter(kind=TicketMessage.Kind.CUSTOMER).get()
    assert row.ticket_message == first
    assert ticket.subject == (clean_subject(parsed.subject) or "(no subject)")[:255]
    assert ticket.requester_email == parsed.from_email
    assert ticket.department == departments["general"]
    assert first.body_text.strip() or first.attachments.exists() or not parsed.text.strip()
    assert first.attachments.count() == len(parsed.attachments)
    assert first.message_id == parsed.message_id
    receipts = ticket.messages.filter(kind=TicketMessage.Kind.SYSTEM)
    if parsed.auto_kind or parsed.list_reason or not parsed.from_email:
        assert receipts.count() == 0 and mailoutbox == []
    else:
        assert receipts.count() == 1
        assert len(mailoutbox) == 1
        assert mailoutbox[0].to == [parsed.from_email]
        assert f"[Ticket ID: {ticket.pk}]" in mailoutbox[0].subject
        assert mailoutbox[0].extra_headers["Auto-Submitted"] == "auto-replied"


def test_corpus_details(deliver, departments):
    """Spot checks: decoded subjects, non-ASCII attachment names, inline cid images, HTML-only bodies."""
    row = deliver((CORPUS / "ruby-mail/multi_charset/japanese.eml").read_bytes())
    assert row.ticket.subject == "まみむめも"

    row = deliver((CORPUS / "ruby-mail/attachment_emails/attachment_nonascii_filename.eml").read_bytes())
    assert [a.original_name for a in row.ticket_message.attachments.all()] == ["ciële.txt"]

    row = deliver((CORPUS / "chatwoot/cid_inline_images_without_disposition.eml").read_bytes())
    inline = row.ticket_message.attachments.get()
    assert inline.is_inline and inline.content_id
    assert f"cid:{inline.content_id}" in row.ticket_message.body_html

    row = deliver((CORPUS / "chatwoot/only_html.eml").read_bytes())
    message = row.ticket_message
    assert message.body_html and "<" in message.body_html
    assert message.body_text and "<" not in message.body_text

    row = deliver((CORPUS / "chatwoot/multiple_attachments.eml").read_bytes())
    assert row.ticket_message.attachments.count() == 30


def test_import_whole_corpus_accounts_for_every_email(departments, tmp_path, capsys):
    """import_emails over the corpus folder: every email is counted once in the summary."""
    call_command("import_emails", str(CORPUS), "--no-progress")
    out = capsys.readouterr().out
    rows = InboundEmail.objects.all()
    deliveries = sum(r.deliveries for r in rows)
    assert deliveries == 149
    assert rows.filter(state=InboundEmail.State.FAILED).count() == 0
    counts = Counter(rows.values_list("outcome", flat=True))
    assert counts["ticket_opened"] == Ticket.objects.count()
    duplicates = 149 - rows.count()
    assert f"duplicates skipped {duplicates}" in out
    assert f"new tickets {counts['ticket_opened']}" in out
