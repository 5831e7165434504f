"""Email intake rules: departments, threading, sender checks, merges, reopening, receipts,
automatic mail, spam filters, rate limits, and processing exactly once."""

from datetime import timedelta
from email.message import EmailMessage

import pytest
from django.utils import timezone

from tests.factories import ClientFactory, ContactFactory, ManagerFactory, status
from tests.tickets.conftest import EMAILS
from tickets import services
from tickets.intake.reruns import reprocess_inbound_emails
from tickets.intake.services import process_inbound_email, store_inbound_email
from tickets.models import InboundEmail, PredefinedReply, SpamFilter, Ticket, TicketEvent, TicketMessage
from tickets.threading import make_message_id

pytestmark = pytest.mark.django_db


def build(
    *,
    sender: str = "Jane Doe <jane@client.example>",
    to: str = "support@company.com",
    subject: str = "Printer offline",
    body: str = "The printer on floor 2 is offline.",
    message_id: str | None = None,
    headers: dict[str, str] | None = None,
) -> bytes:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = "Mon, 23 Nov 2026 10:00:00 +0000"
    msg["Message-ID"] = message_id or f"<{abs(hash((sender, subject, body)))}@client.example>"
    for name, value in (headers or {}).items():
        msg[name] = value
    msg.set_content(body)
    return msg.as_bytes()


def fixture(name: str, **values: str) -> bytes:
    raw = (EMAILS / name).read_bytes()
    for key, value in values.items():
        raw = raw.replace(f"{{{{{key}}}}}".encode(), value.encode())
    return raw


def our_reply(ticket: Ticket) -> TicketMessage:
    """A staff reply as we send it, with our signed Message-ID."""
    agent = ManagerFactory()
    message = services.add_reply(ticket=ticket, body_text="Please restart it.", kind="staff", author=agent,
                                 send=False)
    message.message_id = make_message_id(ticket_id=ticket.pk, message_ref=message.pk)
    TicketMessage.objects.filter(pk=message.pk).update(message_id=message.message_id)
    return message


# --- new tickets ---------------------------------------------------------------------------


def test_new_email_opens_ticket_in_department_of_first_matching_recipient(deliver, departments, mailoutbox):
    """To/Cc pick the department; the contact is matched case-insensitively; a receipt goes out."""
    contact = ContactFactory(email="jane@client.example", first_name="Jane")
    row = deliver(build(sender="Jane <JANE@Client.Example>", to="someone@else.example, tech@company.com"))
    ticket = row.ticket
    assert row.outcome == "ticket_opened"
    assert ticket.department == departments["tech"]
    assert ticket.contact == contact and ticket.client == contact.client
    assert ticket.subject == "Printer offline"
    assert ticket.priority.name == "Medium"
    assert ticket.cc_emails == ["someone@else.example"]
    receipt = ticket.messages.get(kind=TicketMessage.Kind.SYSTEM)
    assert f"[Ticket ID: {ticket.pk}]" in receipt.body_text and "Jane" in receipt.body_text
    assert len(mailoutbox) == 1 and mailoutbox[0].to == ["jane@client.example"]
    ticket.refresh_from_db()
    assert ticket.first_response_at is None, "the receipt never counts as a first response"


def test_department_from_delivered_to_and_envelope(deliver, departments):
    """Without a department in To/Cc, Delivered-To/X-Original-To or the envelope recipient decide."""
    row = deliver(build(to="undisclosed-recipients:;", headers={"Delivered-To": "billing@company.com"}))
    assert row.ticket.department == departments["billing"]
    row = deliver(build(to="list@lists.example", subject="Other"), recipient="tech@company.com")
    assert row.ticket.department == departments["tech"]
    row = deliver(build(to="nobody@elsewhere.example", subject="Third"))
    assert row.ticket.department == departments["general"]


def test_department_default_priority_applies(deliver, departments):
    """A department's default priority is the new ticket's priority."""
    from tickets.models import Department, Priority

    Department.objects.filter(pk=departments["tech"].pk).update(default_priority=Priority.objects.get(name="High"))
    row = deliver(build(to="tech@company.com"))
    assert row.ticket.priority.name == "High"


def test_subject_noise_is_stripped(deliver):
    """Re:/Fwd:/AW:/SV:/RE[2]: prefixes are not part of a new ticket's subject."""
    row = deliver(build(subject="AW: SV: RE[2]: Fwd: Invoice question"))
    assert row.ticket.subject == "Invoice question"


def test_unknown_sender_opens_ticket_with_name_and_address(deliver, settings):
    """Unregistered senders get a ticket with their name and address when allowed."""
    settings.HELPDESK_ALLOW_NON_REGISTERED_SENDERS = True
    row = deliver(build(sender="Bob Stranger <bob@nowhere.example>"))
    assert row.ticket.contact is None
    assert (row.ticket.requester_name, row.ticket.requester_email) == ("Bob Stranger", "bob@nowhere.example")


def test_unknown_sender_is_refused_politely_when_not_allowed(deliver, settings, mailoutbox):
    """With non-registered senders off, the email is kept as refused and the sender gets a polite note."""
    settings.HELPDESK_ALLOW_NON_REGISTERED_SENDERS = False
    row = deliver(build(sender="Bob <bob@nowhere.example>"))
    assert row.outcome == "refused" and Ticket.objects.count() == 0
    assert len(mailoutbox) == 1 and mailoutbox[0].to == ["bob@nowhere.example"]
    assert mailoutbox[0].extra_headers["Auto-Submitted"] == "auto-replied"
    assert "registered" in mailoutbox[0].body


def test_receipt_uses_predefined_reply_template(deliver, mailoutbox):
    """The receipt text comes from the seeded predefined reply, with merge fields filled."""
    template = PredefinedReply.objects.get(title="Email receipt (automatic)")
    PredefinedReply.objects.filter(pk=template.pk).update(body="Got it, {contact_first_name}: #{ticket_number}.")
    ContactFactory(email="jane@client.example", first_name="Jane")
    row = deliver(build())
    assert mailoutbox[0].body.startswith(f"Got it, Jane: #{row.ticket.pk}.")


# --- client shapes -------------------------------------------------------------------------


def test_apple_mail_new_ticket_keeps_inline_image_and_trims_quote(deliver, departments):
    """Apple Mail: encoded subject, RFC 2231 non-ASCII file name, inline cid image, '>' quote trimmed."""
    row = deliver(fixture("apple_mail_new.eml"))
    ticket, message = row.ticket, row.ticket_message
    assert ticket.department == departments["billing"]
    assert ticket.subject == "Factură dublată for November"
    assert message.body_text.endswith("Maria")
    assert "Your invoice INV-2026-11 is attached" in message.original_text
    image = message.attachments.get()
    assert image.original_name == "captură ecran.png" and image.is_inline
    assert image.content_id == "F1E2D3C4-0001@client.example"
    assert "cid:F1E2D3C4-0001@client.example" in message.body_html
    assert "blockquote" not in message.body_html


def test_outlook_reply_threads_by_token_and_trims_history(deliver, departments):
    """Outlook: a reply from the contact with the token joins the ticket; the From:/Sent: block is
    cut; windows-1252 decodes; winmail.dat is kept; script is sanitised away."""
    contact = ContactFactory(email="jan.kohler@client.example", first_name="Jan")
    ticket = services.open_ticket(subject="Printer offline", body_text="Offline", department=departments["general"],
                                  contact=contact)
    row = deliver(fixture("outlook_reply.eml", TICKET=str(ticket.pk), IN_REPLY_TO="<unknown@elsewhere.example>"))
    assert row.outcome == "reply_added" and row.ticket == ticket
    message = row.ticket_message
    assert message.kind == TicketMessage.Kind.CUSTOMER and message.author_contact == contact
    assert "Café floor" in message.body_text
    assert "Please restart the printer" not in message.body_text
    assert "Please restart the printer" in message.original_text
    assert "<script" not in message.body_html and "divRplyFwdMsg" not in message.body_html
    assert [a.original_name for a in message.attachments.all()] == ["winmail.dat"]
    ticket.refresh_from_db()
    assert "petra@client.example" in ticket.cc_emails


def test_gmail_reply_threads_by_our_message_id(deliver, departments):
    """Gmail: In-Reply-To our signed Message-ID threads the reply, whatever the subject says."""
    contact = ContactFactory(email="ana.pop@gmail.com")
    ticket = services.open_ticket(subject="VPN drops every hour", body_text="Drops", department=departments["tech"],
                                  contact=contact)
    ours = our_reply(ticket)
    row = deliver(fixture("gmail_reply.eml", TICKET="999999", IN_REPLY_TO=ours.message_id))
    assert row.outcome == "reply_added" and row.ticket == ticket
    assert row.ticket_message.body_text == "Thanks, the new profile works — no drops since this morning."
    assert "gmail_quote" not in row.ticket_message.body_html
    ticket.refresh_from_db()
    assert ticket.status.slug == "in-progress", "a customer reply moves an answered ticket back"


# --- threading and sender checks -----------------------------------------------------------


def test_stranger_with_valid_token_does_not_join(deliver, departments):
    """A valid ticket number from someone not on the ticket opens a new ticket, and its history says why."""
    owner = ContactFactory(email="owner@client.example")
    ticket = services.open_ticket(subject="Secret", body_text="x", department=departments["general"], contact=owner)
    row = deliver(build(sender="mallory@evil.example", subject=f"Re: [Ticket ID: {ticket.pk}] Secret"))
    assert row.outcome == "ticket_opened" and row.ticket != ticket
    assert ticket.messages.filter(kind=TicketMessage.Kind.CUSTOMER).count() == 1
    note = row.ticket.events.get(kind=TicketEvent.Kind.NOTE).note
    assert f"#{ticket.pk}" in note and "mallory@evil.example" in note


def test_colleague_and_participant_may_reply_by_token(deliver, departments):
    """Another contact of the same client, and an address already on the ticket, join by token."""
    client = ClientFactory()
    owner = ContactFactory(email="owner@client.example", client=client)
    ContactFactory(email="colleague@client.example", client=client)
    ticket = services.open_ticket(subject="Shared", body_text="x", department=departments["general"], contact=owner,
                                  cc_emails=["partner@agency.example"])
    for sender in ("colleague@client.example", "partner@agency.example", "OWNER@client.example"):
        row = deliver(build(sender=sender, subject=f"Re: [Ticket ID: {ticket.pk}] Shared", body=f"from {sender}"))
        assert (row.outcome, row.ticket) == ("reply_added", ticket), sender


def test_forged_message_id_threads_nothing(deliver, departments):
    """An In-Reply-To that looks like ours but has a wrong signature does not thread."""
    ticket = services.open_ticket(subject="A", body_text="x", department=departments["general"],
                                  requester_email="a@client.example")
    forged = f"<t{ticket.pk}.m1.0000000000000000@helpdesk.local>"
    row = deliver(build(sender="z@other.example", subject="Hello", headers={"In-Reply-To": forged}))
    assert row.outcome == "ticket_opened" and row.ticket != ticket


def test_reply_threads_by_stored_customer_message_id(deliver, departments):
    """References to a Message-ID we stored from an earlier customer email thread the reply."""
    first = deliver(build(message_id="<first@client.example>"))
    row = deliver(build(subject="Re: Printer offline", body="Still broken",
                        headers={"References": "<other@x.example> <first@client.example>"}))
    assert (row.outcome, row.ticket) == ("reply_added", first.ticket)


def test_reply_to_merged_ticket_lands_in_target(deliver, departments):
    """A reply to a merged ticket is added to the ticket it was merged into."""
    contact = ContactFactory(email="jane@client.example")
    source = services.open_ticket(subject="S", body_text="x", department=departments["general"], contact=contact)
    target = services.open_ticket(subject="T", body_text="y", department=departments["general"], contact=contact)
    services.merge_tickets(target=target, sources=[source])
    row = deliver(build(subject=f"Re: [Ticket ID: {source.pk}] S"))
    assert (row.outcome, row.ticket) == ("reply_added", target)


def test_reply_to_recently_closed_ticket_reopens_it(deliver, departments):
    """A reply within HELPDESK_REOPEN_WITHIN_DAYS reopens the closed ticket."""
    contact = ContactFactory(email="jane@client.example")
    ticket = services.open_ticket(subject="S", body_text="x", department=departments["general"], contact=contact)
    services.close_ticket(ticket=ticket)
    row = deliver(build(subject=f"Re: [Ticket ID: {ticket.pk}] S"))
    ticket.refresh_from_db()
    assert row.ticket == ticket and ticket.closed_at is None and ticket.status == status("in-progress")


def test_reply_to_long_closed_ticket_opens_linked_ticket(deliver, departments, settings):
    """After HELPDESK_REOPEN_WITHIN_DAYS a reply opens a new ticket linking the old one."""
    settings.HELPDESK_REOPEN_WITHIN_DAYS = 30
    contact = ContactFactory(email="jane@client.example")
    ticket = services.open_ticket(subject="S", body_text="x", department=departments["general"], contact=contact)
    services.close_ticket(ticket=ticket)
    Ticket.objects.filter(pk=ticket.pk).update(closed_at=timezone.now() - timedelta(days=31))
    row = deliver(build(subject=f"Re: [Ticket ID: {ticket.pk}] S"))
    assert row.outcome == "ticket_opened" and row.ticket != ticket
    assert row.ticket.linked_ticket == ticket
    ticket.refresh_from_db()
    assert ticket.closed_at is not None


# --- automatic mail, loops, spam, rate limits ----------------------------------------------


@pytest.mark.parametrize(
    "headers",
    [
        {"Auto-Submitted": "auto-replied"},
        {"X-Autoreply": "yes"},
        {"X-Autorespond": "Out of office"},
        {"X-Auto-Response-Suppress": "All"},
        {"Precedence": "auto_reply"},
    ],
)
def test_auto_replies_open_no_ticket_and_get_no_receipt(deliver, headers, mailoutbox):
    """Out-of-office and other auto-replies are kept with their reason; nothing is sent."""
    row = deliver(build(sender="ooo@client.example", headers=headers))
    assert row.outcome == "auto_reply" and row.reason
    assert Ticket.objects.count() == 0 and mailoutbox == []


@pytest.mark.parametrize("headers", [{"Precedence": "bulk"}, {"Precedence": "list"},
                                     {"Auto-Submitted": "auto-generated"}, {"Precedence": "junk"}])
def test_bulk_mail_opens_ticket_without_receipt(deliver, headers, mailoutbox):
    """List and generated mail may open a ticket but never gets a receipt (no loops)."""
    row = deliver(build(sender="monitor@client.example", headers=headers))
    assert row.outcome == "ticket_opened" and row.reason
    assert mailoutbox == [] and not row.ticket.messages.filter(kind=TicketMessage.Kind.SYSTEM).exists()


def test_auto_reply_to_a_ticket_is_kept_but_not_a_customer_reply(deliver, departments):
    """An out-of-office answering our reply is stored on the ticket as an automatic message."""
    contact = ContactFactory(email="jane@client.example")
    ticket = services.open_ticket(subject="S", body_text="x", department=departments["general"], contact=contact)
    ours = our_reply(ticket)
    row = deliver(build(headers={"In-Reply-To": ours.message_id, "Auto-Submitted": "auto-replied"}))
    assert (row.outcome, row.ticket) == ("auto_reply", ticket)
    assert row.ticket_message.kind == TicketMessage.Kind.SYSTEM
    ticket.refresh_from_db()
    assert ticket.status.slug == "answered"


def test_bounce_of_our_reply_is_noted_on_the_ticket(deliver, departments, mailoutbox):
    """A delivery report for one of our emails becomes an internal note on its ticket; no reply."""
    contact = ContactFactory(email="gone@client.example")
    ticket = services.open_ticket(subject="S", body_text="x", department=departments["general"], contact=contact)
    ours = our_reply(ticket)
    original = EmailMessage()
    original["From"] = "support@company.com"
    original["Message-ID"] = ours.message_id
    original.set_content("hi")
    report = EmailMessage()
    report["From"] = "Mail Delivery System <MAILER-DAEMON@mx.client.example>"
    report["To"] = "support@company.com"
    report["Subject"] = "Undelivered Mail Returned to Sender"
    report["Message-ID"] = "<bounce-1@mx.client.example>"
    report.set_content("I'm sorry to have to inform you that your message could not be delivered.")
    report.add_attachment(original)
    row = deliver(report.as_bytes())
    assert (row.outcome, row.ticket) == ("bounce", ticket)
    assert row.ticket_message.kind == TicketMessage.Kind.NOTE
    assert mailoutbox == []


def test_our_own_mail_coming_back_is_a_loop(deliver, departments, mailoutbox):
    """Mail carrying our X-Helpdesk-Ticket header or a department as sender opens nothing."""
    row = deliver(build(headers={"X-Helpdesk-Ticket": "5"}))
    assert row.outcome == "loop"
    row = deliver(build(sender="support@company.com", to="tech@company.com", subject="Loop"))
    assert row.outcome == "loop"
    assert Ticket.objects.count() == 0 and mailoutbox == []


def test_spam_filter_blocks_and_keeps(deliver, mailoutbox):
    """A matching spam filter blocks the email: kept, marked blocked, nothing sent."""
    SpamFilter.objects.create(kind=SpamFilter.Kind.SUBJECT, value="cheap pills")
    SpamFilter.objects.create(kind=SpamFilter.Kind.SENDER, value="@spam.example")
    assert deliver(build(subject="Cheap PILLS here")).outcome == "blocked"
    row = deliver(build(sender="x@spam.example", subject="hello"))
    assert row.outcome == "blocked" and "@spam.example" in row.reason
    assert Ticket.objects.count() == 0 and mailoutbox == []
    assert InboundEmail.objects.filter(outcome="blocked").count() == 2


def test_rate_limit_holds_the_rest_and_tells_managers(
    deliver, settings, mailoutbox, django_capture_on_commit_callbacks
):
    """Past the per-sender limit, new emails are held (not dropped) and managers are told once;
    processing a held email again opens its ticket."""
    settings.HELPDESK_SENDER_RATE_LIMIT = 3
    manager = ManagerFactory(email="boss@company.com")
    rows = [deliver(build(sender="loop@client.example", subject=f"Storm {i}", body=f"b{i}")) for i in range(5)]
    assert [r.outcome for r in rows] == ["ticket_opened"] * 3 + ["held"] * 2
    assert all(r.state == "held" for r in rows[3:])
    to_managers = [m for m in mailoutbox if m.to == [manager.email]]
    assert len(to_managers) == 1 and "loop@client.example" in to_managers[0].subject
    with django_capture_on_commit_callbacks(execute=True):
        assert reprocess_inbound_emails(inbound_ids=[rows[3].pk]) == 1
    rows[3].refresh_from_db()
    assert rows[3].outcome == "ticket_opened"


# --- exactly once --------------------------------------------------------------------------


def test_same_email_twice_yields_one_ticket(deliver):
    """The same Message-ID delivered twice is stored once; the second delivery is counted."""
    raw = build(message_id="<dup@client.example>")
    deliver(raw)
    stored = store_inbound_email(raw=raw, queue=False)
    assert not stored.created and Ticket.objects.count() == 1
    stored.inbound.refresh_from_db()
    assert stored.inbound.deliveries == 2


def test_same_bytes_without_message_id_stored_once(departments):
    """Without a Message-ID the sha256 of the bytes identifies the email."""
    raw = b"From: a@client.example\r\nTo: support@company.com\r\nSubject: no id\r\n\r\nbody\r\n"
    assert store_inbound_email(raw=raw, queue=False).created
    assert not store_inbound_email(raw=raw, queue=False).created
    assert InboundEmail.objects.count() == 1


def test_processing_twice_is_safe(deliver):
    """Running the task again for a processed email changes nothing."""
    row = deliver(build())
    again = process_inbound_email(inbound_id=row.pk)
    forced = process_inbound_email(inbound_id=row.pk, force=True)
    assert again.outcome == forced.outcome == "ticket_opened"
    assert Ticket.objects.count() == 1 and TicketMessage.objects.filter(kind="customer").count() == 1


def test_reprocessing_a_reset_row_does_not_duplicate_the_message(deliver):
    """A row reset to 'new' by hand is recognised as already on the ticket."""
    row = deliver(build())
    InboundEmail.objects.filter(pk=row.pk).update(state="new", ticket_message=None)
    again = process_inbound_email(inbound_id=row.pk)
    assert again.outcome == "duplicate" and Ticket.objects.count() == 1


def test_stale_processing_row_is_reclaimed_after_timeout(departments, settings):
    """A row stuck in 'processing' (worker killed) is processed once the claim times out."""
    settings.HELPDESK_INBOUND_CLAIM_TIMEOUT_SECONDS = 600
    stored = store_inbound_email(raw=build(), queue=False).inbound
    InboundEmail.objects.filter(pk=stored.pk).update(state="processing", claimed_at=timezone.now())
    assert process_inbound_email(inbound_id=stored.pk).state == "processing"
    InboundEmail.objects.filter(pk=stored.pk).update(claimed_at=timezone.now() - timedelta(seconds=601))
    assert process_inbound_email(inbound_id=stored.pk).outcome == "ticket_opened"


def test_worker_killed_mid_processing_leaves_email_to_redo(departments, monkeypatch):
    """If the worker dies while writing the ticket, the transaction rolls back and the row stays
    'new', so the redelivered task (acks_late) processes it."""
    from tickets.intake import services as inbound_services

    stored = store_inbound_email(raw=build(), queue=False).inbound
    real_open = services.open_ticket

    def killed(**kwargs):
        real_open(**kwargs)
        raise SystemExit("worker lost")

    monkeypatch.setattr(inbound_services.services, "open_ticket", killed)
    with pytest.raises(SystemExit):
        process_inbound_email(inbound_id=stored.pk)
    stored.refresh_from_db()
    assert stored.state == "new" and Ticket.objects.count() == 0
    monkeypatch.setattr(inbound_services.services, "open_ticket", real_open)
    assert process_inbound_email(inbound_id=stored.pk).outcome == "ticket_opened"
    assert Ticket.objects.count() == 1


def test_failure_keeps_raw_and_error_and_can_be_processed_again(departments, monkeypatch,
                                                                 django_capture_on_commit_callbacks):
    """An unexpected error marks the row failed with the error; "process again" then works."""
    from tickets.intake import services as inbound_services

    stored = store_inbound_email(raw=build(), queue=False).inbound
    monkeypatch.setattr(inbound_services, "parse_email", lambda *a, **k: 1 / 0)
    row = process_inbound_email(inbound_id=stored.pk)
    assert row.state == "failed" and "ZeroDivisionError" in row.error and row.raw_bytes()
    monkeypatch.undo()
    with django_capture_on_commit_callbacks(execute=True):
        reprocess_inbound_emails(inbound_ids=[row.pk])
    row.refresh_from_db()
    assert (row.state, row.outcome) == ("done", "ticket_opened")


def test_too_large_email_is_refused_and_kept(deliver, settings, mailoutbox):
    """Above HELPDESK_INBOUND_MAX_BYTES the email is kept (in file storage) and the sender told."""
    settings.HELPDESK_INBOUND_MAX_BYTES = 2000
    settings.HELPDESK_INBOUND_DB_MAX_BYTES = 1000
    row = deliver(build(body="x" * 5000))
    assert row.outcome == "too_large" and row.raw is None and row.raw_file
    assert b"xxxx" in row.raw_bytes()
    assert len(mailoutbox) == 1


def test_large_attachment_is_streamed_to_storage(deliver, settings):
    """A big attachment is spooled to a temporary file and stored whole."""
    msg = EmailMessage()
    msg["From"] = "jane@client.example"
    msg["To"] = "support@company.com"
    msg["Subject"] = "Logs"
    msg["Message-ID"] = "<big@client.example>"
    msg.set_content("see attached")
    payload = bytes(range(256)) * 8192  # 2 MiB
    msg.add_attachment(payload, maintype="application", subtype="octet-stream", filename="dump.bin")
    row = deliver(msg.as_bytes())
    attachment = row.ticket_message.attachments.get()
    assert attachment.size == len(payload)
    with attachment.file.open("rb") as fh:
        assert fh.read() == payload
