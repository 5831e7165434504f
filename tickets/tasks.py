"""Celery tasks of the tickets app: thin, take ids, call one service, own the retry policy."""

import logging

from celery import shared_task
from django.conf import settings
from django.db import InterfaceError, OperationalError

from tickets import channels
from tickets.intake import bulk as inbound_bulk
from tickets.intake import receipts, reruns
from tickets.intake import services as inbound_services
from tickets.models import TicketMessage
from tickets.outbound import sweep as outbound_sweep

logger = logging.getLogger(__name__)


@shared_task(
    name="tickets.deliver_message",
    autoretry_for=(OSError,),
    retry_backoff=30,
    retry_backoff_max=outbound_sweep.RETRY_COUNTDOWN_MAX,
    max_retries=outbound_sweep.MAX_ATTEMPTS - 1,
    time_limit=120,
    soft_time_limit=100,
    acks_late=True,
)
def deliver_message(message_id: int) -> None:
    """Send a staff reply through its ticket's channel; SMTP errors retry with backoff."""
    channel = TicketMessage.objects.filter(pk=message_id).values_list("channel", flat=True).first()
    if channel is None:
        logger.warning("message to deliver is gone", extra={"ticket_message": message_id})
        return
    channels.sender_for(channel)(message_id)


@shared_task(
    name="tickets.deliver_messages",
    bind=True,
    max_retries=outbound_sweep.MAX_ATTEMPTS - 1,
    time_limit=600,
    soft_time_limit=540,
    acks_late=True,
    ignore_result=True,
)
def deliver_messages(self: object, message_ids: list[int]) -> None:
    """Send many messages (a bulk batch's receipts) over one connection per channel; the ones
    that failed with a connection or SMTP error are retried together with backoff. Safe to run
    twice: each message is marked sent right after it went out and is never sent again."""
    retry = channels.send_many(message_ids=message_ids)
    if retry:
        countdown = min(30 * 2 ** self.request.retries, outbound_sweep.RETRY_COUNTDOWN_MAX)
        raise self.retry(args=(retry,), countdown=countdown, exc=OSError(f"{len(retry)} message(s) not sent"))


# --- SLA, automation and notifications (beat schedules the sweeps in helpdesk/beat.py) -----


@shared_task(name="tickets.sla_sweep", time_limit=300, soft_time_limit=280, ignore_result=True)
def sla_sweep() -> dict[str, int] | None:
    """Mark SLA breaches and warnings; skip if the previous sweep is still running."""
    from tickets.locks import sweep_lock
    from tickets.sla.sweep import run_sla_sweep

    with sweep_lock("sla-sweep") as acquired:
        if not acquired:
            logger.info("sla sweep still running, skipped")
            return None
        return run_sla_sweep().counts()


@shared_task(name="tickets.automation_sweep", time_limit=300, soft_time_limit=280, ignore_result=True)
def automation_sweep() -> dict[str, int] | None:
    """Claim and queue the runs of time-triggered automation rules; one sweep at a time."""
    from tickets.automation.engine import sweep_time_rules
    from tickets.locks import sweep_lock

    with sweep_lock("automation-sweep") as acquired:
        if not acquired:
            logger.info("automation sweep still running, skipped")
            return None
        return sweep_time_rules()


@shared_task(
    name="tickets.execute_automation_runs", acks_late=True, time_limit=300, soft_time_limit=280, ignore_result=True
)
def execute_automation_runs(run_ids: list[int], chain: list[int] | None = None) -> None:
    """Execute claimed automation runs (each runs once: a redelivered task finds them done)."""
    from tickets.automation.engine import execute_runs

    execute_runs(run_ids, chain or ())


@shared_task(
    name="tickets.send_notification_emails",
    autoretry_for=(OSError,),
    retry_backoff=30,
    max_retries=5,
    time_limit=120,
    soft_time_limit=100,
    ignore_result=True,
)
def send_notification_emails(notification_ids: list[int], subject: str = "", body: str = "") -> None:
    """Email staff notifications (each at most once)."""
    from tickets.notifications.services import send_emails

    send_emails(notification_ids=notification_ids, subject=subject, body=body)


@shared_task(name="tickets.recompute_client_sla", time_limit=300, soft_time_limit=280, ignore_result=True)
def recompute_client_sla(client_id: int) -> int:
    """Recompute the SLA dues of a client's open tickets (its tier or contracts changed)."""
    from tickets.services import recompute_sla

    return recompute_sla(client_id=client_id)


@shared_task(
    name="tickets.process_inbound_email",
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=10,
    retry_backoff_max=600,
    max_retries=20,
    time_limit=300,
    soft_time_limit=240,
    acks_late=True,
    reject_on_worker_lost=True,
)
def process_inbound_email(inbound_id: int | None = None, force: bool = False) -> str:
    """Turn stored emails into tickets or replies. Safe to run twice: rows are claimed in the
    same transaction that writes the tickets, so a redelivered task finds them done.

    The task takes other waiting emails along (oldest first, in bulk): under a burst one queued
    task stands for all of them (see inbound_services.queue_inbound_email), and a full batch
    queues the next one at once so the other worker processes share the burst.
    """
    if force and inbound_id is not None:
        row = inbound_services.process_inbound_email(inbound_id=inbound_id, force=True)
        return f"{row.state}:{row.outcome}" if row is not None else "gone"
    inbound_services.release_queue_marker()
    result = inbound_bulk.process_inbound_bulk(
        inbound_ids=[inbound_id] if inbound_id is not None else [],
        take_waiting=settings.HELPDESK_INBOUND_BATCH - (1 if inbound_id is not None else 0),
        on_full=lambda: inbound_services.queue_inbound_email(None),
        defer_when_slow=True,
    )
    return "processed" if result.taken else "nothing to do"


@shared_task(
    name="tickets.process_slow_inbound_email",
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=10,
    retry_backoff_max=600,
    max_retries=20,
    # Routed to the "intake_slow" queue (CELERY_TASK_ROUTES; queueing.SLOW_QUEUE), so a slow email
    # never holds up the normal queue; the email's own budget is HELPDESK_INBOUND_EMAIL_SLOW_LIMIT,
    # capped below these limits (queueing.SLOW_LIMIT_CAP).
    time_limit=600,
    soft_time_limit=540,
    acks_late=True,
    reject_on_worker_lost=True,
)
def process_slow_inbound_email(inbound_id: int) -> str:
    """The one retry of an email that ran over its time budget in a batch, with the larger
    budget; over that too it stays failed with its reason (the admin's "process again")."""
    row = inbound_services.process_inbound_email(inbound_id=inbound_id, slow_queue=True)
    return f"{row.state}:{row.outcome}" if row is not None else "gone"


@shared_task(
    name="tickets.send_inbound_notice",
    autoretry_for=(OSError,),
    retry_backoff=30,
    max_retries=8,
    time_limit=120,
    soft_time_limit=100,
    acks_late=True,
)
def send_inbound_notice(inbound_id: int, notice: str) -> None:
    """Send a refusal to a sender or a "mail held" note to the managers."""
    receipts.send_inbound_notice(inbound_id=inbound_id, notice=notice)


@shared_task(name="tickets.requeue_inbound_emails", time_limit=120, soft_time_limit=100, acks_late=True)
def requeue_inbound_emails() -> int:
    """Beat sweep: queue stored emails that no task picked up."""
    return reruns.requeue_inbound_emails()


@shared_task(name="tickets.requeue_outbound_messages", time_limit=120, soft_time_limit=100, ignore_result=True)
def requeue_outbound_messages() -> int | None:
    """Beat sweep: queue again the outbound messages (replies, receipts, notices) whose delivery
    task was lost; one sweep at a time (tickets.outbound.sweep)."""
    from tickets.locks import sweep_lock

    with sweep_lock("outbound-sweep") as acquired:
        if not acquired:
            logger.info("outbound sweep still running, skipped")
            return None
        return outbound_sweep.requeue_pending_messages()


@shared_task(name="tickets.poll_mailboxes", time_limit=600, soft_time_limit=540, acks_late=True)
def poll_mailboxes() -> int:
    """Beat: fetch new mail from every active department IMAP mailbox."""
    from tickets.intake.imap import poll_all

    return poll_all()


# --- KPI reports' rollup (helpdesk/beat.py) ------------------------------------------------


@shared_task(name="tickets.refresh_report_rollup", time_limit=900, soft_time_limit=840, ignore_result=True)
def refresh_report_rollup() -> dict | None:
    """Recompute the rollup's recent and touched days (PostgreSQL only; elsewhere reports read live)."""
    from django.db import connection

    from tickets.reports import rollup

    if connection.vendor != "postgresql":
        return None
    return rollup.refresh()


@shared_task(name="tickets.rebuild_report_rollup", time_limit=3600, soft_time_limit=3500, ignore_result=True)
def rebuild_report_rollup() -> dict | None:
    """Rebuild the whole rollup (nightly): picks up what a refresh cannot see, like a tier change."""
    from django.db import connection

    from tickets.reports import rollup

    if connection.vendor != "postgresql":
        return None
    return rollup.rebuild()
