"""A time budget per email: a pathological email is stopped, rolled back, kept failed with its
reason and retried once on the slow queue, while the other emails of its batch go on at once."""

import signal
import threading
import time
from email.message import EmailMessage

import pytest
from django.db import connection
from django.urls import reverse

from tests.factories import ManagerFactory
from tests.tickets.intake.test_email import build
from tickets import tasks
from tickets.intake import email as inbound_email
from tickets.intake import services as inbound_services
from tickets.intake.bulk import process_inbound_bulk
from tickets.intake.queueing import SLOW_QUEUE
from tickets.intake.services import store_inbound_batch
from tickets.intake.timelimit import EmailTookTooLong, email_time_limit
from tickets.models import InboundEmail, Ticket

pytestmark = pytest.mark.django_db

real_sanitise = inbound_email.sanitise_html


def html_email(subject: str, html: str, message_id: str) -> bytes:
    msg = EmailMessage()
    msg["From"] = "Jane Doe <jane@client.example>"
    msg["To"] = "support@company.com"
    msg["Subject"] = subject
    msg["Message-ID"] = message_id
    msg.set_content("text part")
    msg.add_alternative(html, subtype="html")
    return msg.as_bytes()


@pytest.fixture
def slow_sanitiser(monkeypatch):
    """The sanitiser takes 30 s on any HTML that says SLOW (a stand-in for an HTML bomb)."""

    def sanitise(html: str) -> str:
        if "SLOW" in html:
            time.sleep(30)
        return real_sanitise(html)

    monkeypatch.setattr(inbound_email, "sanitise_html", sanitise)
    return monkeypatch


@pytest.fixture
def budgets(settings):
    settings.HELPDESK_INBOUND_EMAIL_SOFT_LIMIT = 0.5
    settings.HELPDESK_INBOUND_EMAIL_SLOW_LIMIT = 1
    return settings


@pytest.fixture
def slow_sends(monkeypatch):
    """Record the queue every slow retry is sent to (then run it: tasks are eager in tests)."""
    sent: list[tuple[tuple, dict]] = []
    original = tasks.process_slow_inbound_email.apply_async

    def apply_async(args=None, kwargs=None, **options):
        sent.append((tuple(args or ()), options))
        return original(args, kwargs, **options)

    monkeypatch.setattr(tasks.process_slow_inbound_email, "apply_async", apply_async)
    return sent


def test_slow_email_in_a_batch_is_retried_once_on_the_slow_queue_then_kept_failed(
    departments, budgets, slow_sanitiser, slow_sends, client, django_capture_on_commit_callbacks
):
    raws = [build(subject=f"Normal {n}", message_id=f"<normal{n}@x>") for n in range(3)]
    raws.insert(1, html_email("Bomb", "<p>SLOW</p>", "<bomb@x>"))
    ids = [r.inbound.pk for r in store_inbound_batch(raws=raws)]

    started = time.monotonic()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        result = process_inbound_bulk(inbound_ids=ids)
    elapsed = time.monotonic() - started
    rows = {row.pk: row for row in InboundEmail.objects.filter(pk__in=ids)}
    bomb = rows[ids[1]]
    # The normal ones became tickets within the budget of the slow one (not its 30 s).
    assert elapsed < 5
    assert [rows[pk].outcome for pk in ids if pk != bomb.pk] == ["ticket_opened"] * 3
    assert result.slow == [bomb.pk]
    assert (bomb.state, bomb.outcome, bomb.ticket_id) == ("failed", "failed", None)
    assert bomb.reason == "Took longer than 0.5 s; retried on the slow queue."
    assert "EmailTookTooLong" in bomb.error and "sanitise" in bomb.error
    assert not Ticket.objects.filter(subject="Bomb").exists()

    # After the batch commits, the retry goes to the slow queue, runs over its own larger
    # budget there and stays failed for good (no third run).
    started = time.monotonic()
    for callback in callbacks:
        callback()
    assert 1 <= time.monotonic() - started < 5
    assert slow_sends == [((bomb.pk,), {"queue": SLOW_QUEUE})]
    bomb.refresh_from_db()
    assert (bomb.state, bomb.outcome) == ("failed", "failed")
    assert bomb.reason.startswith("Took longer than 1 s on the slow queue too; kept as failed.")
    assert "EmailTookTooLong" in bomb.error
    assert not Ticket.objects.filter(subject="Bomb").exists()

    # Managers see it among the failed emails with its reason, and "process again" still works
    # (here once the sanitiser is fast again).
    client.force_login(ManagerFactory(is_superuser=True))
    url = reverse("admin:tickets_inboundemail_changelist")
    page = client.get(url, {"state__exact": "failed"})
    assert b"Bomb" in page.content and b"on the slow queue too" in page.content
    slow_sanitiser.undo()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, {"action": "process_again", "_selected_action": [bomb.pk]})
    bomb.refresh_from_db()
    assert bomb.outcome == "ticket_opened" and bomb.ticket.subject == "Bomb"


def test_many_slow_emails_leave_the_rest_of_the_batch_to_the_next_task(
    departments, budgets, slow_sanitiser, slow_sends, django_capture_on_commit_callbacks
):
    """Three bombs ahead of two plain emails: after two budgets the batch commits what it has and
    leaves the rest new for a task queued at once, which opens the plain emails' tickets."""
    budgets.HELPDESK_INBOUND_EMAIL_SOFT_LIMIT = 0.3
    raws = [html_email(f"Bomb {n}", "<p>SLOW</p>", f"<bomb{n}@x>") for n in range(3)]
    raws += [build(subject=f"Plain {n}", message_id=f"<plain{n}@x>") for n in range(2)]
    ids = [r.inbound.pk for r in store_inbound_batch(raws=raws)]
    started = time.monotonic()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        result = process_inbound_bulk(inbound_ids=ids, defer_when_slow=True)  # as the worker's task does
    assert time.monotonic() - started < 3
    assert result.slow == ids[:2] and result.deferred == ids[2:]
    assert set(InboundEmail.objects.filter(pk__in=ids[2:]).values_list("state", flat=True)) == {"new"}
    with django_capture_on_commit_callbacks(execute=True):
        for callback in callbacks:
            callback()
    rows = list(InboundEmail.objects.filter(pk__in=ids).order_by("pk"))
    assert [r.outcome for r in rows] == ["failed"] * 3 + ["ticket_opened"] * 2
    assert sorted(args[0] for args, _ in slow_sends) == ids[:3]
    assert {options["queue"] for _, options in slow_sends} == {SLOW_QUEUE}


def test_a_reply_to_a_slow_email_waits_for_its_slow_retry(
    departments, budgets, monkeypatch, slow_sends, django_capture_on_commit_callbacks
):
    """The reply in the same batch as its slow parent waits instead of opening a ticket of its
    own, and joins the parent's ticket once the slow queue has opened it."""

    def sanitise(html: str) -> str:
        if "SLOW" in html:
            time.sleep(0.8)
        return real_sanitise(html)

    monkeypatch.setattr(inbound_email, "sanitise_html", sanitise)
    raws = [html_email("Heavy", "<p>SLOW</p>", "<heavy@x>"),
            build(subject="Re: Heavy", body="And another thing", message_id="<re-heavy@x>",
                  headers={"In-Reply-To": "<heavy@x>"})]
    parent_id, reply_id = (r.inbound.pk for r in store_inbound_batch(raws=raws))
    with django_capture_on_commit_callbacks(execute=False):
        result = process_inbound_bulk(inbound_ids=[parent_id, reply_id])
    assert result.slow == [parent_id] and result.waiting == [reply_id]
    reply = InboundEmail.objects.get(pk=reply_id)
    assert (reply.state, reply.parent_waits, reply.ticket_id) == ("new", 1, None)

    assert InboundEmail.objects.get(pk=parent_id).retry_at > reply.retry_at  # it waits for the slow retry

    # As in a worker: the slow retry starts at once, the reply's next try 2 s later (eager tasks
    # ignore countdowns, so the two are run here in that order).
    budgets.HELPDESK_INBOUND_EMAIL_SLOW_LIMIT = 10
    with django_capture_on_commit_callbacks(execute=True):
        tasks.process_slow_inbound_email.apply_async((parent_id,), queue=SLOW_QUEUE)
        tasks.process_inbound_email.delay(reply_id)
    parent, reply = InboundEmail.objects.get(pk=parent_id), InboundEmail.objects.get(pk=reply_id)
    assert parent.outcome == "ticket_opened" and reply.outcome == "reply_added"
    assert reply.ticket == parent.ticket and Ticket.objects.count() == 1


def test_slow_queue_opens_the_ticket_when_the_larger_budget_is_enough(
    departments, budgets, monkeypatch, slow_sends, django_capture_on_commit_callbacks
):
    """An email that needs 0.8 s: over the batch budget of 0.5 s, within the slow queue's 1 s."""

    def sanitise(html: str) -> str:
        if "SLOW" in html:
            time.sleep(0.8)
        return real_sanitise(html)

    monkeypatch.setattr(inbound_email, "sanitise_html", sanitise)
    budgets.HELPDESK_INBOUND_EMAIL_SLOW_LIMIT = 10
    ids = [r.inbound.pk for r in store_inbound_batch(raws=[html_email("Heavy", "<p>SLOW</p>", "<heavy@x>")])]
    with django_capture_on_commit_callbacks(execute=True):
        tasks.process_inbound_email.delay(ids[0])
    row = InboundEmail.objects.get(pk=ids[0])
    assert slow_sends == [((row.pk,), {"queue": SLOW_QUEUE})]
    assert (row.state, row.outcome, row.ticket.subject) == ("done", "ticket_opened", "Heavy")


def test_email_over_budget_after_writing_is_rolled_back(departments, budgets, monkeypatch, slow_sends,
                                                        django_capture_on_commit_callbacks):
    """One by one (the admin's "process again", a batch's fallback): a stall after the ticket was
    written leaves no ticket behind, only the failed email and its slow retry."""
    real_receipt = inbound_services.send_receipt

    def stalling_receipt(**kwargs):
        time.sleep(30)
        return real_receipt(**kwargs)

    monkeypatch.setattr(inbound_services, "send_receipt", stalling_receipt)
    stored = inbound_services.store_inbound_email(raw=build(subject="Stalls"), queue=False).inbound
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        row = inbound_services.process_inbound_email(inbound_id=stored.pk)
    assert (row.state, row.reason) == ("failed", "Took longer than 0.5 s; retried on the slow queue.")
    assert not Ticket.objects.exists()
    monkeypatch.setattr(inbound_services, "send_receipt", real_receipt)
    for callback in callbacks:
        callback()
    row.refresh_from_db()
    assert slow_sends == [((row.pk,), {"queue": SLOW_QUEUE})]
    assert row.outcome == "ticket_opened" and Ticket.objects.count() == 1


def test_slow_task_is_routed_to_its_own_queue():
    from helpdesk.celery import app

    route = app.amqp.router.route({}, "tickets.process_slow_inbound_email")
    assert route["queue"].name == SLOW_QUEUE
    assert app.amqp.router.route({}, "tickets.process_inbound_email")["queue"].name == "celery"


def test_budget_waits_for_a_running_statement_then_raises():
    """A timer that fires during a query does not cut the driver off: the query finishes, the
    exception follows, and the connection is still usable."""
    started = time.monotonic()
    with pytest.raises(EmailTookTooLong), email_time_limit(0.1), connection.cursor() as cursor:
        cursor.execute("SELECT pg_sleep(0.4)" if connection.vendor == "postgresql" else "SELECT 1")
        time.sleep(5)
    assert time.monotonic() - started < 3
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        assert cursor.fetchone() == (1,)


def test_budget_gives_back_an_earlier_alarm_and_handler():
    """pytest-timeout (or anyone) may have armed SIGALRM first: it is put back afterwards."""
    fired: list[int] = []
    outer = signal.getitimer(signal.ITIMER_REAL)
    previous = signal.signal(signal.SIGALRM, lambda *a: fired.append(1))
    signal.setitimer(signal.ITIMER_REAL, 20)
    try:
        with email_time_limit(1) as armed:
            assert armed
        assert 18 < signal.getitimer(signal.ITIMER_REAL)[0] <= 20
        # An alarm due sooner than the budget is left alone (the budget is not armed).
        signal.setitimer(signal.ITIMER_REAL, 0.5)
        with email_time_limit(1) as armed:
            assert not armed
        time.sleep(0.7)
        assert fired == [1]
    finally:
        signal.signal(signal.SIGALRM, previous)
        signal.setitimer(signal.ITIMER_REAL, *outer)


def test_budget_is_a_no_op_outside_the_main_thread():
    seen: list[bool] = []

    def work():
        with email_time_limit(0.05) as armed:
            seen.append(armed)
            time.sleep(0.2)

    thread = threading.Thread(target=work)
    thread.start()
    thread.join()
    assert seen == [False]
