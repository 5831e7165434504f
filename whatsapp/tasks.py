"""Celery tasks of the WhatsApp channel: thin, take ids, call one service, own the retry policy."""

import logging

from celery import shared_task

from whatsapp import media, sending, services
from whatsapp.graph import GraphError

logger = logging.getLogger(__name__)


@shared_task(name="whatsapp.process_event", autoretry_for=(OSError,), retry_backoff=10, max_retries=10,
             time_limit=120, soft_time_limit=100, acks_late=True, ignore_result=True)
def process_event(event_id: int) -> None:
    """Process one stored webhook event (database outages retry; other errors stay on the row)."""
    services.process_webhook_event(event_id=event_id)


@shared_task(name="whatsapp.fetch_media", bind=True, max_retries=6, time_limit=300, soft_time_limit=280,
             acks_late=True, ignore_result=True)
def fetch_media(self: object, media_pk: int) -> None:
    """Download an inbound media file; rate limits and connection failures retry with backoff."""
    try:
        media.fetch_media(media_pk=media_pk)
    except GraphError as exc:
        raise self.retry(countdown=min(30 * 2 ** self.request.retries, 1800), exc=exc) from exc


@shared_task(name="whatsapp.send_message", bind=True, max_retries=6, time_limit=120, soft_time_limit=100,
             acks_late=True, ignore_result=True)
def send_message(self: object, message_id: int) -> None:
    """Send one outbound message once; a rate limit sends it again later (never an error that retrying
    cannot fix, never one Meta may already have delivered)."""
    outcome = sending.deliver(message_id=message_id)
    if outcome.retry:
        raise self.retry(countdown=min(30 * 2 ** self.request.retries, 1800), exc=GraphError(outcome.error))


@shared_task(name="whatsapp.run_bots", time_limit=60, soft_time_limit=50, ignore_result=True)
def run_bots(message_id: int) -> None:
    """Let the configured bots answer an inbound message (whatsapp.bots)."""
    from whatsapp import bots

    bots.answer(message_id=message_id)


@shared_task(name="whatsapp.sync_templates", time_limit=300, soft_time_limit=280, ignore_result=True)
def sync_templates() -> int:
    """Fetch the message templates from Meta (hourly on beat and from the admin button)."""
    from whatsapp import message_templates

    return message_templates.sync_templates()


@shared_task(name="whatsapp.requeue_events", time_limit=120, soft_time_limit=100, ignore_result=True)
def requeue_events() -> int:
    """Queue stored webhook events no task picked up (beat, every 5 minutes)."""
    return services.requeue_stale_events()


@shared_task(name="whatsapp.send_invoice_event", autoretry_for=(OSError,), retry_backoff=30, max_retries=6,
             time_limit=60, soft_time_limit=50, acks_late=True, ignore_result=True)
def send_invoice_event(invoice_id: int, event: str) -> None:
    """Send the mapped template of an invoice event once (whatsapp.invoice_events)."""
    from whatsapp import invoice_events

    invoice_events.send_for_invoice(invoice_id=invoice_id, event=event)
