"""Bulk intake (import_emails, busy workers) writes what the one-by-one path writes."""

import smtplib

import pytest

from tests.factories import ContactFactory, StaffFactory
from tests.tickets.intake.test_email import build
from tickets import services, tasks
from tickets.intake.bulk import process_inbound_bulk
from tickets.intake.reruns import requeue_inbound_emails
from tickets.intake.services import store_inbound_batch, store_inbound_email
from tickets.models import (
    AutomationRule,
    AutomationRun,
    InboundEmail,
    Notification,
    Ticket,
    TicketEvent,
    TicketMessage,
)
from tickets.models.automation import Trigger
from tickets.notifications import services as notifications

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
    from tickets.intake import bulk as inbound_bulk

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


# --- side effects of a batch: the same as one by one -----------------------------------------


def _notified(ticket: Ticket) -> set[tuple[str, str]]:
    return {(n.recipient.email, n.kind) for n in ticket.notifications.select_related("recipient")}


def test_bulk_notifies_the_same_staff_as_one_by_one(departments, deliver, django_capture_on_commit_callbacks):
    """Each new ticket of a batch is in the bell of its department's staff, and a customer reply
    in the bell of the ticket's assignee, exactly as when the emails come one at a time."""
    AutomationRule.objects.update(is_active=False)
    tech = [StaffFactory(departments=[departments["tech"]], email=f"tech{i}@company.com") for i in range(2)]
    StaffFactory(departments=[departments["general"]], email="general@company.com")
    assigned = services.open_ticket(subject="Assigned", body_text="x", department=departments["general"],
                                    requester_email="jane@client.example", message_id="<assigned@x>",
                                    assignee=tech[0])
    single = deliver(build(to="tech@company.com", subject="Alone", message_id="<alone@x>")).ticket
    rows = run_bulk([build(to="tech@company.com", subject="Batch one", message_id="<bulk1@x>"),
                     build(to="support@company.com", subject="Batch two", message_id="<bulk2@x>"),
                     build(subject="Re: Assigned", body="more", message_id="<bulk3@x>",
                           headers={"In-Reply-To": "<assigned@x>"})], django_capture_on_commit_callbacks)
    assert _notified(rows[0].ticket) == _notified(single) == {("tech0@company.com", "new_ticket"),
                                                             ("tech1@company.com", "new_ticket")}
    assert _notified(rows[1].ticket) == {("general@company.com", "new_ticket")}
    assert ("tech0@company.com", "customer_replied") in _notified(assigned)
    text = Notification.objects.get(recipient=tech[1], ticket=rows[0].ticket).text
    assert text == f"New ticket #{rows[0].ticket.pk} in Technical Support: Batch one"


def test_bulk_notification_emails_follow_preferences(departments, mailoutbox, django_capture_on_commit_callbacks):
    """A member who chose new-ticket emails gets one per ticket of the batch; the others none."""
    AutomationRule.objects.update(is_active=False)
    keen = StaffFactory(departments=[departments["tech"]], email="keen@company.com")
    StaffFactory(departments=[departments["tech"]], email="quiet@company.com")
    notifications.set_email_kinds(user=keen, kinds=["new_ticket"])
    run_bulk([build(to="tech@company.com", subject=f"Mail {i}", message_id=f"<pref{i}@x>") for i in range(3)],
             django_capture_on_commit_callbacks)
    staff_mail = [m for m in mailoutbox if m.to[0].endswith("@company.com")]
    assert sorted(m.subject for m in staff_mail if m.to == ["keen@company.com"]) == sorted(
        f"New ticket #{t.pk} in Technical Support: {t.subject}" for t in Ticket.objects.all())
    assert not [m for m in staff_mail if m.to == ["quiet@company.com"]]


def test_bulk_runs_event_rules_once_per_ticket_and_reply(departments, django_capture_on_commit_callbacks):
    """A "ticket created" rule with a department condition runs for the batch's matching tickets
    only, once each; a "customer replied" rule runs once per reply."""
    AutomationRule.objects.update(is_active=False)
    created = AutomationRule.objects.create(
        name="Tech intake", trigger=Trigger.TICKET_CREATED,
        conditions=[{"field": "department", "in": ["Technical Support"]}],
        actions=[{"action": "add_note", "text": "triage {ticket_number}"}])
    replied = AutomationRule.objects.create(name="Reply seen", trigger=Trigger.CUSTOMER_REPLIED,
                                            actions=[{"action": "add_note", "text": "reply seen"}])
    rows = run_bulk([build(to="tech@company.com", subject="A", message_id="<ra@x>"),
                     build(to="tech@company.com", subject="B", message_id="<rb@x>"),
                     build(to="billing@company.com", subject="C", message_id="<rc@x>"),
                     build(subject="Re: A", body="one", message_id="<rd@x>", headers={"In-Reply-To": "<ra@x>"}),
                     build(subject="Re: A", body="two", message_id="<re@x>", headers={"In-Reply-To": "<ra@x>"})],
                    django_capture_on_commit_callbacks)
    a, b, c = (rows[i].ticket for i in range(3))
    assert sorted(AutomationRun.objects.filter(rule=created).values_list("ticket_id", "state")) == [
        (a.pk, "done"), (b.pk, "done")]
    for ticket in (a, b):
        assert ticket.messages.filter(kind="note", body_text=f"triage {ticket.pk}").count() == 1
    assert not c.messages.filter(kind="note").exists()
    assert a.messages.filter(kind="note", body_text="reply seen").count() == 2
    assert AutomationRun.objects.filter(rule=replied, ticket=a).count() == 2


def test_receipts_of_a_batch_survive_a_dropped_connection(departments, mailoutbox, monkeypatch,
                                                           django_capture_on_commit_callbacks):
    """If the mail server drops the connection halfway through a batch's receipts, the unsent
    ones are sent on the retry and none goes out twice."""
    from django.core.mail.backends.locmem import EmailBackend

    from helpdesk.celery import app

    monkeypatch.setitem(app.conf, "task_eager_propagates", False)  # let the eager task retry itself

    real = EmailBackend.send_messages
    dropped: list[str] = []

    def flaky(self, messages):
        if messages[0].to == ["second@client.example"] and not dropped:
            dropped.append(messages[0].to[0])
            raise smtplib.SMTPServerDisconnected("connection lost")
        return real(self, messages)

    monkeypatch.setattr(EmailBackend, "send_messages", flaky)
    run_bulk([build(sender=f"{who}@client.example", subject=f"Hello {who}", message_id=f"<{who}@x>")
              for who in ("first", "second", "third")], django_capture_on_commit_callbacks)
    assert dropped == ["second@client.example"]
    assert sorted(m.to[0] for m in mailoutbox) == ["first@client.example", "second@client.example",
                                                   "third@client.example"]
    assert set(TicketMessage.objects.filter(kind="system").values_list("delivery_status", flat=True)) == {"sent"}


# --- bursts: one queued task takes the waiting emails along ---------------------------------


def test_a_burst_queues_one_task_and_full_batches_queue_the_next(departments, settings, monkeypatch,
                                                                  django_capture_on_commit_callbacks):
    """Emails stored while a processing task waits to start queue no task of their own: that
    task takes them along, a full batch queues the next one at once, and every email is
    processed once. After the burst, the next email queues a task again."""
    settings.HELPDESK_INBOUND_BATCH = 2
    queued: list[tuple] = []
    monkeypatch.setattr(tasks.process_inbound_email, "delay", lambda *args: queued.append(args))
    with django_capture_on_commit_callbacks(execute=True):
        for i in range(5):
            store_inbound_email(raw=build(subject=f"Burst {i}", message_id=f"<burst{i}@x>"))
    assert len(queued) == 1
    runs = 0
    while queued:
        runs += 1
        with django_capture_on_commit_callbacks(execute=True):
            tasks.process_inbound_email(*queued.pop(0))
    assert runs == 3  # 2 + 2 + 1
    assert sorted(Ticket.objects.values_list("subject", flat=True)) == [f"Burst {i}" for i in range(5)]
    assert set(InboundEmail.objects.values_list("state", "attempts")) == {("done", 1)}
    with django_capture_on_commit_callbacks(execute=True):
        store_inbound_email(raw=build(subject="Later", message_id="<later@x>"))
    assert len(queued) == 1


def test_requeue_sweep_queues_one_task_per_batch_of_forgotten_emails(departments, settings, monkeypatch):
    """Emails no task picked up (lost with the broker) are queued again, one task per batch."""
    settings.HELPDESK_INBOUND_BATCH = 2
    queued: list[tuple] = []
    monkeypatch.setattr(tasks.process_inbound_email, "delay", lambda *args: queued.append(args))
    ids = [r.inbound.pk for r in store_inbound_batch(raws=[build(subject=f"Lost {i}", message_id=f"<lost{i}@x>")
                                                           for i in range(5)])]
    assert requeue_inbound_emails(older_than_seconds=0) == 5
    assert queued == [(ids[0],), (ids[2],), (ids[4],)]
