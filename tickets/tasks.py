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
