"""Celery tasks of callbacks: thin, call one service (the beat entry is in helpdesk/beat.py)."""

import logging

from celery import shared_task

from appointments import services

logger = logging.getLogger(__name__)


@shared_task(name="appointments.send_callback_reminders", time_limit=120, soft_time_limit=100, ignore_result=True)
def send_callback_reminders() -> int:
    """Send the callback reminders that are due. Safe to overlap or retry: each callback is
    claimed with SKIP LOCKED and marked in the transaction that notifies, so it is sent once."""
    sent = services.send_due_reminders()
    if sent:
        logger.info("callback reminders sent", extra={"count": sent})
    return sent
