"""Outbound deliveries lost with a killed worker are sent by the beat sweep, once: a pending
receipt whose task never ran goes out after the grace period (not before), a message waiting for
its retry is left alone until its countdown passed, two deliveries racing for one message send
one email, sent and failed messages are never touched, and a message that keeps failing for the
time being ends failed after the same tries as before."""

import threading
from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.utils import timezone

from tests.factories import ContactFactory, StaffFactory, TicketFactory
from tests.tickets.intake.test_email import build
from tickets import tasks
from tickets.intake.services import process_inbound_email, store_inbound_email
from tickets.models import TicketMessage
from tickets.outbound import email as outbound_email
from tickets.outbound import sweep
from tickets.outbound.email import send_ticket_message, send_ticket_messages

T0 = timezone.now().replace(microsecond=0)
GRACE = 600


@pytest.fixture(autouse=True)
def _grace(settings):
    settings.HELPDESK_OUTBOUND_GRACE_SECONDS = GRACE


def lost_receipt() -> TicketMessage:
    """An email turned into a ticket whose receipt task was lost (its after-commit work never ran)."""
    stored = store_inbound_email(raw=build(message_id="<lost@client.example>"), recipient="", queue=False)
    process_inbound_email(inbound_id=stored.inbound.pk)  # the test's transaction never commits
    return TicketMessage.objects.get(kind=TicketMessage.Kind.SYSTEM)


def pending_reply(email: str = "jane@client.example", **fields) -> TicketMessage:
    ticket = TicketFactory(contact=ContactFactory(email=email))
    return TicketMessage.objects.create(ticket=ticket, kind=TicketMessage.Kind.STAFF, author=StaffFactory(),
                                        body_text="Here is the fix.", delivery_status="pending", **fields)


@pytest.mark.django_db
def test_lost_receipt_is_sent_by_the_sweep_after_the_grace_period_and_not_before(departments, smtp_server):
    with time_machine.travel(T0, tick=False):
        receipt = lost_receipt()
    assert receipt.delivery_status == "pending" and smtp_server.messages == []

    with time_machine.travel(T0 + timedelta(seconds=GRACE - 60), tick=False):
        assert tasks.requeue_outbound_messages() == 0
    assert smtp_server.messages == []

    with time_machine.travel(T0 + timedelta(seconds=GRACE + 60), tick=False):
        assert tasks.requeue_outbound_messages() == 1
        assert tasks.requeue_outbound_messages() == 0  # sent: nothing left
    receipt.refresh_from_db()
    assert receipt.delivery_status == "sent" and receipt.delivery_attempts == 1
    assert [m["To"] for m in smtp_server.messages] == ["jane@client.example"]
    assert smtp_server.messages[0]["Message-ID"] == receipt.message_id
    assert smtp_server.messages[0]["Auto-Submitted"] == "auto-replied"


@pytest.mark.django_db
def test_message_waiting_for_its_retry_is_left_alone_until_the_countdown_passed(departments, smtp_server):
    reply = pending_reply("busy@client.example")
    smtp_server.refuse("busy@client.example", "450 4.2.1 Mailbox busy")
    with time_machine.travel(T0, tick=False), pytest.raises(OSError):
        send_ticket_message(message_id=reply.pk)  # the task's first try; Celery retries later
    reply.refresh_from_db()
    assert reply.delivery_status == "pending" and reply.delivery_attempts == 1
    assert reply.delivery_error.startswith("will retry") and reply.delivery_attempted_at == T0

    smtp_server._sink.refusals.clear()  # the mailbox is free again
    for minutes in (1, 20, 30, 39):  # the task's retry may still come (countdown up to 30 min)
        with time_machine.travel(T0 + timedelta(minutes=minutes), tick=False):
            assert tasks.requeue_outbound_messages() == 0
    assert smtp_server.messages == []

    with time_machine.travel(T0 + timedelta(seconds=sweep.RETRY_COUNTDOWN_MAX + GRACE + 60), tick=False):
        assert tasks.requeue_outbound_messages() == 1
    reply.refresh_from_db()
    assert (reply.delivery_status, reply.delivery_error, reply.delivery_attempts) == ("sent", "", 2)
    assert [m["To"] for m in smtp_server.messages] == ["busy@client.example"]


@pytest.mark.django_db
def test_sent_and_failed_messages_are_never_touched(departments, smtp_server):
    with time_machine.travel(T0, tick=False):
        sent = pending_reply("a@client.example", message_id="<done@x>")
        failed = pending_reply("b@client.example")
        TicketMessage.objects.filter(pk=sent.pk).update(delivery_status="sent")
        TicketMessage.objects.filter(pk=failed.pk).update(delivery_status="failed", delivery_error="550 gone")
    with time_machine.travel(T0 + timedelta(days=2), tick=False):
        assert tasks.requeue_outbound_messages() == 0
        send_ticket_messages(message_ids=[sent.pk, failed.pk])  # a late original task, too
        send_ticket_message(message_id=failed.pk)
    assert smtp_server.messages == []
    rows = {m.pk: (m.delivery_status, m.delivery_error, m.delivery_attempts, m.delivery_attempted_at)
            for m in TicketMessage.objects.filter(pk__in=[sent.pk, failed.pk])}
    assert rows == {sent.pk: ("sent", "", 0, None), failed.pk: ("failed", "550 gone", 0, None)}


@pytest.mark.django_db
def test_a_sweep_queued_task_and_the_late_original_send_one_email(departments, smtp_server):
    with time_machine.travel(T0, tick=False):
        receipt = lost_receipt()
    with time_machine.travel(T0 + timedelta(seconds=GRACE + 60), tick=False):
        assert tasks.requeue_outbound_messages() == 1
        tasks.deliver_messages([receipt.pk])  # the lost task comes back after all
        tasks.deliver_message(receipt.pk)
    assert len(smtp_server.messages) == 1
    receipt.refresh_from_db()
    assert receipt.delivery_attempts == 1


@pytest.mark.django_db(transaction=True)
def test_two_deliveries_racing_for_one_message_send_one_email(departments, smtp_server, monkeypatch):
    """Two workers at once (PostgreSQL, two connections): the one that claimed the message sends
    it; the other, arriving while the first is talking to the mail server, skips it."""
    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL")
    reply = pending_reply()
    inside, done = threading.Event(), threading.Event()
    real_build = outbound_email.build_email

    def slow_build(message, **kwargs):
        inside.set()  # the first delivery holds the claim now
        assert done.wait(10)
        return real_build(message, **kwargs)

    monkeypatch.setattr(outbound_email, "build_email", slow_build)
    errors: list[BaseException] = []

    def first() -> None:
        try:
            send_ticket_messages(message_ids=[reply.pk])
        except BaseException as exc:  # noqa: BLE001 (reported by the test)
            errors.append(exc)
        finally:
            connection.close()

    worker = threading.Thread(target=first)
    worker.start()
    try:
        assert inside.wait(10)
        monkeypatch.setattr(outbound_email, "build_email", real_build)
        send_ticket_message(message_id=reply.pk)  # the second delivery: the row is locked
        assert send_ticket_messages(message_ids=[reply.pk]) == []
    finally:
        done.set()
        worker.join(20)
    assert not errors
    send_ticket_message(message_id=reply.pk)  # and once it is sent, a third finds it done
    assert len(smtp_server.messages) == 1
    reply.refresh_from_db()
    assert (reply.delivery_status, reply.delivery_attempts) == ("sent", 1)


@pytest.mark.django_db
def test_a_message_that_keeps_failing_for_now_ends_failed_after_its_tries(departments, smtp_server):
    reply = pending_reply("busy@client.example")
    smtp_server.refuse("busy@client.example", "451 4.3.0 Try later")
    for _ in range(sweep.MAX_ATTEMPTS - 1):
        with pytest.raises(OSError):
            send_ticket_message(message_id=reply.pk)
    send_ticket_message(message_id=reply.pk)  # the last try raises nothing: no more retries
    reply.refresh_from_db()
    assert reply.delivery_status == "failed" and reply.delivery_attempts == sweep.MAX_ATTEMPTS
    assert reply.delivery_error.startswith("SMTPRecipientsRefused") and "451" in reply.delivery_error
    with time_machine.travel(timezone.now() + timedelta(days=1), tick=False):
        assert tasks.requeue_outbound_messages() == 0


@pytest.mark.django_db
def test_a_batch_the_mail_server_never_answered_counts_a_try_and_is_retried(departments, settings):
    receipts = [pending_reply(f"c{i}@client.example") for i in range(3)]
    TicketMessage.objects.filter(pk=receipts[2].pk).update(delivery_attempts=sweep.MAX_ATTEMPTS - 1)
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 2  # nobody listens
    assert send_ticket_messages(message_ids=[m.pk for m in receipts]) == [receipts[0].pk, receipts[1].pk]
    rows = list(TicketMessage.objects.filter(pk__in=[m.pk for m in receipts]).order_by("pk")
                .values_list("delivery_status", "delivery_attempts"))
    assert rows == [("pending", 1), ("pending", 1), ("failed", sweep.MAX_ATTEMPTS)]
