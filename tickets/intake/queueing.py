"""Queue the processing of stored emails: one waiting task stands for a burst (a cache marker),
retries of replies that wait for their parent email, and the durable store the channels call."""

import logging
from collections.abc import Iterable
from datetime import timedelta

from celery import current_app
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from tickets.intake import store as inbound_store
from tickets.intake.store import QUEUED_KEY, QUEUED_SECONDS, StoreResult
from tickets.models import (
    InboundEmail,
)

logger = logging.getLogger(__name__)

State = InboundEmail.State

MAX_PARENT_WAITS = 5
PARENT_WAIT_SECONDS = 2  # the first wait; each further one doubles


class ParentPending(Exception):
    """The email answers one that is stored but not processed yet: process it again later."""


def _task() -> object:
    # Looked up by name: tasks sit above the services in the import layers.
    return current_app.tasks["tickets.process_inbound_email"]


def queue_inbound_email(inbound_id: int | None, *, coalesce: bool = True) -> None:
    """Queue processing of a stored email, unless a processing task is already waiting to start
    (it will take this email along). If the broker is down the sweep `requeue_inbound_emails`
    queues it later; the email is stored either way."""
    try:
        if coalesce and not cache.add(QUEUED_KEY, 1, QUEUED_SECONDS):
            return
    except Exception:  # no cache: one task per email
        logger.exception("inbound task marker unavailable")
    try:
        _task().delay(inbound_id)
    except Exception:
        logger.exception("could not queue inbound email; the sweep will", extra={"inbound_email": inbound_id})
        if coalesce:
            release_queue_marker()


def release_queue_marker() -> None:
    """A processing task started: emails stored from now on queue a task of their own."""
    try:
        cache.delete(QUEUED_KEY)
    except Exception:
        logger.exception("inbound task marker unavailable")


def queue_inbound_retry(inbound_id: int, *, countdown: float) -> None:
    """Queue another try of an email that waits for its parent email."""
    try:
        _task().apply_async((inbound_id,), countdown=countdown)
    except Exception:
        logger.exception("could not queue inbound email; the sweep will", extra={"inbound_email": inbound_id})


def parent_wait_seconds(waits: int) -> int:
    """Return how long an email waits for its parent the (waits + 1)th time."""
    return PARENT_WAIT_SECONDS * 2 ** waits


def store_inbound_email(
    *, raw: bytes, recipient: str = "", source: str = InboundEmail.Source.PIPE, queue: bool = True
) -> StoreResult:
    """Keep the raw email durably and queue its processing after commit.

    Raises NotAnEmail for input that is no email at all. A second delivery of the same email
    (same Message-ID, or same bytes when there is none) stores nothing and only counts the
    delivery on the first row. Database errors propagate (the pipe turns them into EX_TEMPFAIL).
    """
    return inbound_store.store_inbound_email(
        raw=raw, recipient=recipient, source=source, on_commit=queue_inbound_email if queue else None
    )


def record_parent_waits(*, inbound_ids: Iterable[int]) -> None:
    """Leave these emails waiting for their parent emails and queue their next try."""
    now = timezone.now()
    rows = list(InboundEmail.objects.filter(pk__in=list(inbound_ids), state=State.NEW).values_list(
        "pk", "parent_waits"))
    for pk, waits in rows:
        InboundEmail.objects.filter(pk=pk).update(
            parent_waits=waits + 1, retry_at=now + timedelta(seconds=parent_wait_seconds(waits))
        )
        transaction.on_commit(lambda pk=pk, waits=waits: queue_inbound_retry(pk, countdown=parent_wait_seconds(waits)))
