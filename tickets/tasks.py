"""Celery tasks of the tickets app: thin, take ids, call one service, own the retry policy."""

import logging

from celery import shared_task

from tickets import channels
from tickets.models import TicketMessage

logger = logging.getLogger(__name__)


@shared_task(
    name="tickets.deliver_message",
    autoretry_for=(OSError,),
    retry_backoff=30,
    retry_backoff_max=1800,
    max_retries=8,
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


# --- SLA, automation and notifications (beat schedules the sweeps in helpdesk/beat.py) -----


@shared_task(name="tickets.sla_sweep", time_limit=300, soft_time_limit=280, ignore_result=True)
def sla_sweep() -> dict[str, int] | None:
    """Mark SLA breaches and warnings; skip if the previous sweep is still running."""
    from tickets.locks import sweep_lock
    from tickets.sla_sweep import run_sla_sweep

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
    from tickets.notifications import send_emails

    send_emails(notification_ids=notification_ids, subject=subject, body=body)


@shared_task(name="tickets.recompute_client_sla", time_limit=300, soft_time_limit=280, ignore_result=True)
def recompute_client_sla(client_id: int) -> int:
    """Recompute the SLA dues of a client's open tickets (its tier or contracts changed)."""
    from tickets.services import recompute_sla

    return recompute_sla(client_id=client_id)
