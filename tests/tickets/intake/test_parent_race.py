"""A reply whose parent email is still being processed (by another worker, uncommitted) waits
for it instead of opening a ticket of its own."""

import threading

import pytest
from django.db import connection, transaction

from tests.tickets.intake.test_email import build
from tickets.intake import queueing
from tickets.intake.bulk import process_inbound_bulk
from tickets.intake.services import MAX_PARENT_WAITS, process_inbound_email, store_inbound_batch
from tickets.models import InboundEmail, Ticket

on_postgres = pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL (two transactions)")


@pytest.fixture
def retries(monkeypatch):
    """The retries a waiting email queued (not run: the test decides when its parent is done)."""
    queued: list[tuple[int, float]] = []
    monkeypatch.setattr(queueing, "queue_inbound_retry",
                        lambda pk, *, countdown: queued.append((pk, countdown)))
    return queued


def parent_and_reply() -> tuple[int, int]:
    rows = store_inbound_batch(raws=[
        build(subject="Printer offline", message_id="<parent@client.example>"),
        build(subject="Re: Printer offline", body="It is on fire now.", message_id="<reply@client.example>",
              headers={"In-Reply-To": "<parent@client.example>", "References": "<parent@client.example>"}),
    ])
    return rows[0].inbound.pk, rows[1].inbound.pk


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["bulk", "one by one"])
def test_reply_waits_for_its_unprocessed_parent_then_joins_its_ticket(path, departments, retries,
                                                                      django_capture_on_commit_callbacks):
    """Processed before its parent, a reply stays waiting (no ticket), is tried again a little
    later, and once the parent has its ticket the reply is added to it."""

    def process(pk: int) -> None:
        with django_capture_on_commit_callbacks(execute=True):
            if path == "bulk":
                process_inbound_bulk(inbound_ids=[pk])
            else:
                process_inbound_email(inbound_id=pk)

    parent, reply = parent_and_reply()
    process(reply)
    row = InboundEmail.objects.get(pk=reply)
    assert (row.state, row.parent_waits, row.ticket) == ("new", 1, None)
    assert row.retry_at is not None and retries == [(reply, 2)]
    assert Ticket.objects.count() == 0
    process(parent)
    process(reply)
    row.refresh_from_db()
    assert row.outcome == "reply_added" and row.retry_at is None
    assert Ticket.objects.count() == 1 and row.ticket == InboundEmail.objects.get(pk=parent).ticket


@pytest.mark.django_db
def test_reply_stops_waiting_after_the_last_try(departments, retries, django_capture_on_commit_callbacks):
    """A parent that never gets processed (stuck, failing) holds its reply only so long: after
    the last wait the reply is processed as before and opens a ticket."""
    parent, reply = parent_and_reply()
    InboundEmail.objects.filter(pk=reply).update(parent_waits=MAX_PARENT_WAITS)
    with django_capture_on_commit_callbacks(execute=True):
        process_inbound_bulk(inbound_ids=[reply])
    row = InboundEmail.objects.get(pk=reply)
    assert row.outcome == "ticket_opened" and retries == []
    assert InboundEmail.objects.get(pk=parent).state == "new"


@pytest.mark.django_db
def test_waiting_emails_are_not_taken_along_before_their_time(departments, retries, settings,
                                                              django_capture_on_commit_callbacks):
    """A busy worker's batch leaves a waiting reply alone until its retry time, so the reply
    does not use up its waits while the parent is still in another worker's batch."""
    _parent, reply = parent_and_reply()
    with django_capture_on_commit_callbacks(execute=True):
        process_inbound_bulk(inbound_ids=[reply])
    result = process_inbound_bulk(inbound_ids=[], take_waiting=10)
    assert reply not in result.taken


@on_postgres
@pytest.mark.django_db(transaction=True)
def test_two_workers_parent_uncommitted_reply_joins_the_parents_ticket(departments, retries):
    """Worker A holds the parent in its uncommitted batch; worker B gets the reply. B must not
    open a ticket for the reply: it waits, and after A commits the reply joins A's ticket."""
    parent, reply = parent_and_reply()
    written, release = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def worker_a() -> None:
        try:
            with transaction.atomic():  # the batch is written but not yet committed
                process_inbound_bulk(inbound_ids=[parent])
                written.set()
                release.wait(30)
        except BaseException as exc:  # noqa: BLE001 (reported by the test)
            errors.append(exc)
            written.set()
        finally:
            connection.close()

    a = threading.Thread(target=worker_a)
    a.start()
    assert written.wait(30)
    process_inbound_bulk(inbound_ids=[reply], take_waiting=10)  # worker B
    waiting = InboundEmail.objects.get(pk=reply)
    assert waiting.state == "new" and waiting.ticket is None and retries == [(reply, 2)]
    release.set()
    a.join(30)
    assert not errors
    process_inbound_bulk(inbound_ids=[reply])  # the queued retry
    rows = {r.pk: r for r in InboundEmail.objects.filter(pk__in=[parent, reply])}
    assert rows[reply].outcome == "reply_added"
    assert rows[reply].ticket_id == rows[parent].ticket_id
    assert Ticket.objects.count() == 1
