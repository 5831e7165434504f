"""Celery tasks of the tickets app: thin, take ids, call one service, own the retry policy."""

import logging

from celery import shared_task
from django.conf import settings
from django.db import InterfaceError, OperationalError

from tickets import channels, inbound_bulk, inbound_services
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
def process_inbound_email(inbound_id: int, force: bool = False) -> str:
    """Turn a stored email into a ticket or a reply. Safe to run twice: rows are claimed in the
    same transaction that writes the tickets, so a redelivered task finds them done.

    Under a burst the task takes other waiting emails along (oldest first, in bulk); their own
    tasks then find nothing to do.
    """
    if force:
        row = inbound_services.process_inbound_email(inbound_id=inbound_id, force=True)
        return f"{row.state}:{row.outcome}" if row is not None else "gone"
    if not inbound_services.is_waiting(inbound_id):
        return "nothing to do"
    inbound_bulk.process_inbound_bulk(inbound_ids=[inbound_id], take_waiting=settings.HELPDESK_INBOUND_BATCH - 1)
    return "processed"


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
    inbound_services.send_inbound_notice(inbound_id=inbound_id, notice=notice)


@shared_task(name="tickets.requeue_inbound_emails", time_limit=120, soft_time_limit=100, acks_late=True)
def requeue_inbound_emails() -> int:
    """Beat sweep: queue stored emails that no task picked up."""
    return inbound_services.requeue_inbound_emails()


@shared_task(name="tickets.poll_mailboxes", time_limit=600, soft_time_limit=540, acks_late=True)
def poll_mailboxes() -> int:
    """Beat: fetch new mail from every active department IMAP mailbox."""
    from tickets.imap_polling import poll_all

    return poll_all()
