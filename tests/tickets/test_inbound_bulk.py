"""Bulk intake (import_emails, busy workers) writes what the one-by-one path writes."""

import pytest

from tests.factories import ContactFactory
from tests.tickets.test_inbound_email import build
from tickets import services, tasks
from tickets.inbound_bulk import process_inbound_bulk
from tickets.inbound_services import store_inbound_batch
from tickets.models import InboundEmail, Ticket, TicketEvent, TicketMessage

pytestmark = pytest.mark.django_db


def run_bulk(raws: list[bytes], capture) -> list[InboundEmail]:
    results = store_inbound_batch(raws=raws)
    ids = [r.inbound.pk for r in results]
    with capture(execute=True):
        process_inbound_bulk(inbound_ids=ids)
    return [InboundEmail.objects.get(pk=pk) for pk in ids]


def test_bulk_new_tickets_match_single_path(departments, mailoutbox, django_capture_on_commit_callbacks):
    """New tickets in bulk get contact, department, SLA dues, a CREATED event and a sent receipt."""
    contact = ContactFactory(email="jane@client.example", first_name="Jane")
    rows = run_bulk([build(subject="One", to="tech@company.com, boss@client.example", message_id="<b1@x>"),
                     build(sender="Stranger <s@else.example>", subject="Two", message_id="<b2@x>")],
                    django_capture_on_commit_callbacks)
    assert [r.outcome for r in rows] == ["ticket_opened", "ticket_opened"]
    one, two = rows[0].ticket, rows[1].ticket
    assert (one.contact, one.client, one.department) == (contact, contact.client, departments["tech"])
    assert one.cc_emails == ["boss@client.example"] and one.first_response_due_at is not None
    assert (two.contact, two.requester_name, two.department) == (None, "Stranger", departments["general"])
    assert rows[0].ticket_message.message_id == "<b1@x>"
    assert TicketEvent.objects.filter(kind="created").count() == 2
    receipts = TicketMessage.objects.filter(kind="system")
    assert receipts.count() == 2 and set(receipts.values_list("delivery_status", flat=True)) == {"sent"}
    assert sorted(m.to[0] for m in mailoutbox) == ["jane@client.example", "s@else.example"]
    assert "Jane" in next(m for m in mailoutbox if m.to == ["jane@client.example"]).body


def test_bulk_reply_to_ticket_of_same_batch_and_of_earlier_one(departments, django_capture_on_commit_callbacks):
    """A reply threads to a ticket opened earlier in the same batch, and to an older ticket."""
    old = services.open_ticket(subject="Old", body_text="x", department=departments["general"],
                               requester_email="jane@client.example", message_id="<old@x>")
    rows = run_bulk([
        build(subject="New", message_id="<n1@x>"),
        build(subject="Re: New", body="more", message_id="<r1@x>", headers={"In-Reply-To": "<n1@x>"}),
        build(subject="Re: Old", body="again", message_id="<r2@x>", headers={"References": "<old@x>"}),
    ], django_capture_on_commit_callbacks)
    assert [r.outcome for r in rows] == ["ticket_opened", "reply_added", "reply_added"]
    assert rows[1].ticket == rows[0].ticket and rows[2].ticket == old
    old.refresh_from_db()
    assert old.last_customer_reply_at == rows[2].ticket_message.created_at
    assert TicketEvent.objects.filter(ticket=old, kind="customer_replied").count() == 1


def test_bulk_sends_special_cases_through_the_rules(departments, settings, django_capture_on_commit_callbacks):
    """Closed tickets, tokens from strangers, auto-replies and rate limits behave as one by one."""
    settings.HELPDESK_SENDER_RATE_LIMIT = 2
    owner = ContactFactory(email="owner@client.example")
    closed = services.open_ticket(subject="Closed", body_text="x", department=departments["general"],
                                  contact=owner, message_id="<closed@x>")
    services.close_ticket(ticket=closed)
    rows = run_bulk([
        build(sender="owner@client.example", subject="Re: Closed", message_id="<c1@x>",
              headers={"In-Reply-To": "<closed@x>"}),
        build(sender="mallory@evil.example", subject=f"Re: [Ticket ID: {closed.pk}] Closed", message_id="<m1@x>"),
        build(sender="ooo@client.example", subject="Out of office", message_id="<o1@x>",
              headers={"Auto-Submitted": "auto-replied"}),
        *[build(sender="loop@client.example", subject=f"Storm {i}", message_id=f"<s{i}@x>") for i in range(3)],
    ], django_capture_on_commit_callbacks)
    assert [r.outcome for r in rows] == ["reply_added", "ticket_opened", "auto_reply", "ticket_opened",
                                         "ticket_opened", "held"]
    closed.refresh_from_db()
    assert closed.closed_at is None and rows[0].ticket == closed
    assert rows[1].ticket != closed and rows[1].ticket.events.filter(kind="note").exists()


def test_busy_worker_takes_waiting_emails_along(departments, django_capture_on_commit_callbacks):
    """One task processes the other waiting emails too; their own tasks then do nothing."""
    results = store_inbound_batch(raws=[build(subject=f"Wait {i}", message_id=f"<w{i}@x>") for i in range(5)])
    ids = [r.inbound.pk for r in results]
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.process_inbound_email(ids[2]) == "processed"
    assert Ticket.objects.count() == 5
    assert tasks.process_inbound_email(ids[0]) == "nothing to do"
    assert set(InboundEmail.objects.values_list("state", flat=True)) == {"done"}


def test_bulk_failure_of_one_email_does_not_stop_the_batch(departments, monkeypatch,
                                                           django_capture_on_commit_callbacks):
    """An email that cannot be parsed is marked failed; the others are processed."""
    from tickets import inbound_bulk

    real = inbound_bulk.parse_email

    def flaky(raw, **kwargs):
        if b"Broken" in raw:
            raise ValueError("cannot parse")
        return real(raw, **kwargs)

    monkeypatch.setattr(inbound_bulk, "parse_email", flaky)
    rows = run_bulk([build(subject="Fine", message_id="<f1@x>"), build(subject="Broken", message_id="<f2@x>")],
                    django_capture_on_commit_callbacks)
    assert [(r.state, r.outcome) for r in rows] == [("done", "ticket_opened"), ("failed", "failed")]
    assert "cannot parse" in rows[1].error
