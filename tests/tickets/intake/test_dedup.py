"""Duplicates are the same email, not the same Message-ID: a redelivery (whatever Received or
Delivered-To headers it gained) is stored once; a different email under a reused Message-ID
(ServiceNow and Jira send several notifications under one) is stored and processed as its own."""

import pytest

from tests.factories import ContactFactory
from tests.tickets.intake.test_email import build
from tests.tickets.intake.test_pipe_command import broker_queue, fast_pipe, on_redis, pipe_in_process  # noqa: F401
from tickets.intake.email import peek
from tickets.intake.services import store_inbound_batch, store_inbound_email
from tickets.models import InboundEmail, Ticket

pytestmark = pytest.mark.django_db

SHARED = "<notification@servicenow.example>"


def relayed(raw: bytes, *, hop: str, to: str) -> bytes:
    """The same email as another relay hands it over: its own Received and Delivered-To on top."""
    return (f"Delivered-To: {to}\r\nReceived: from {hop} by mx.company.com; Mon, 23 Nov 2026 10:00:0{len(hop) % 9}"
            " +0000\r\n").encode() + raw


def test_redelivery_with_new_relay_headers_is_one_email(deliver):
    """The same email delivered again, and to two of our addresses, is stored and processed once."""
    raw = build(message_id="<once@client.example>")
    first = deliver(relayed(raw, hop="mx1.example", to="support@company.com"))
    again = deliver(relayed(raw, hop="mx2.relay.example", to="tech@company.com"))
    assert first.pk == again.pk and InboundEmail.objects.get().deliveries == 2
    assert Ticket.objects.count() == 1


def test_crlf_and_lf_copies_are_one_email():
    """A relay turning CRLF into LF line ends does not make another email."""
    raw = build(message_id="<ends@client.example>")
    assert peek(raw.replace(b"\n", b"\r\n")).fingerprint == peek(raw).fingerprint


def test_different_emails_under_one_message_id_are_both_kept(deliver):
    """Two notifications sharing a Message-ID are two emails: both stored, both open tickets."""
    one = deliver(build(sender="ServiceNow <sn@servicenow.example>", subject="INC001 opened", body="Opened.",
                        message_id=SHARED))
    two = deliver(build(sender="ServiceNow <sn@servicenow.example>", subject="INC001 resolved", body="Resolved.",
                        message_id=SHARED))
    assert one.pk != two.pk
    assert [one.outcome, two.outcome] == ["ticket_opened", "ticket_opened"]
    assert sorted(Ticket.objects.values_list("subject", flat=True)) == ["INC001 opened", "INC001 resolved"]


def test_same_subject_other_body_under_one_message_id_is_kept(deliver):
    """Only the body differs: still another email, kept and processed."""
    deliver(build(message_id=SHARED, body="Disk at 90%."))
    second = deliver(build(message_id=SHARED, body="Disk at 99%."))
    assert second.outcome != "duplicate" and InboundEmail.objects.count() == 2


def test_reply_to_a_shared_message_id_threads(deliver):
    """A reply naming a Message-ID two stored emails share threads to one of their tickets."""
    ContactFactory(email="jane@client.example")
    deliver(build(message_id=SHARED, body="First."))
    deliver(build(message_id=SHARED, body="Second."))
    reply = deliver(build(subject="Re: Printer offline", body="Any news?", message_id="<r@client.example>",
                          headers={"In-Reply-To": SHARED}))
    assert reply.outcome == "reply_added" and Ticket.objects.count() == 2


def test_batch_store_keeps_reused_ids_apart_and_redeliveries_together():
    """store_inbound_batch (imports) follows the same rule."""
    raw = build(message_id=SHARED, body="One.")
    results = store_inbound_batch(raws=[raw, relayed(raw, hop="mx9.example", to="x@company.com"),
                                        build(message_id=SHARED, body="Two.")])
    assert [r.created for r in results] == [True, False, True]
    assert InboundEmail.objects.count() == 2
    again = store_inbound_email(raw=relayed(raw, hop="mx3.example", to="support@company.com"))
    assert not again.created and again.inbound.pk == results[0].inbound.pk


def test_pipe_command_stores_an_email_reusing_a_message_id(departments):
    """pipe_email answers 0 and stores a different email that reuses a Message-ID."""
    assert pipe_in_process(build(message_id=SHARED, body="One."))[0] == 0
    assert pipe_in_process(build(message_id=SHARED, body="Two."))[0] == 0
    assert pipe_in_process(build(message_id=SHARED, body="Two."))[0] == 0
    assert InboundEmail.objects.count() == 2


@on_redis
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("broker_queue")
def test_fast_path_stores_an_email_reusing_a_message_id(departments):
    """The fast path keeps to the same rule."""
    assert fast_pipe(build(message_id=SHARED, body="One.")).returncode == 0
    assert fast_pipe(build(message_id=SHARED, body="Two.")).returncode == 0
    assert fast_pipe(relayed(build(message_id=SHARED, body="Two."), hop="mx.example", to="a@b.example")).returncode == 0
    assert sorted(InboundEmail.objects.values_list("deliveries", flat=True)) == [1, 2]
