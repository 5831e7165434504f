"""Queue the processing of stored emails: one waiting task stands for a burst (a cache marker),
retries of replies that wait for their parent email, and the durable store the channels call."""

import logging
import traceback
from collections.abc import Iterable
from datetime import timedelta

from celery import current_app
from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

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


# --- emails that ran over their time budget ---------------------------------------------------

SLOW_QUEUE = "intake_slow"  # CELERY_TASK_ROUTES sends tickets.process_slow_inbound_email here
SLOW_TASK = "tickets.process_slow_inbound_email"
SLOW_LIMIT_CAP = 500  # seconds; the slow task's own Celery limits are 540 (soft) and 600


def mark_too_slow(inbound_id: int, exc: BaseException, *, seconds: float, retry: bool) -> None:
    """Keep an email that ran over its time budget as failed, with the reason and where it was
    stopped; with `retry`, queue its one retry on the slow queue after commit."""
    if retry:
        reason = _("Took longer than %(n)s s; retried on the slow queue.") % {"n": f"{seconds:g}"}
    else:
        reason = _("Took longer than %(n)s s on the slow queue too; kept as failed. "
                   "\"Process again\" runs it once more.") % {"n": f"{seconds:g}"}
    now = timezone.now()
    with transaction.atomic():
        InboundEmail.objects.filter(pk=inbound_id).update(
            state=State.FAILED,
            outcome=InboundEmail.Outcome.FAILED,
            reason=reason[:500],
            error="".join(traceback.format_exception(exc))[-8000:],
            attempts=F("attempts") + 1,
            processed_at=now,
            # While its slow retry may still run, replies to it wait for it (not_processed_yet).
            retry_at=now + timedelta(seconds=email_time_limit_seconds(slow=True) + 60) if retry else None,
        )
        if retry:
            transaction.on_commit(lambda: queue_slow_retry(inbound_id))
    logger.warning("inbound email ran over its time budget", extra={"inbound_email": inbound_id, "retry": retry})


def queue_slow_retry(inbound_id: int) -> None:
    """Queue the one retry of a slow email on the slow queue, with the larger budget. If the
    broker is down it stays failed with its reason, for "process again" in the admin."""
    try:
        current_app.tasks[SLOW_TASK].apply_async((inbound_id,), queue=SLOW_QUEUE)
    except Exception:
        logger.exception("could not queue the slow retry", extra={"inbound_email": inbound_id})


def not_processed_yet() -> Q:
    """Emails a reply should wait for: new, being processed, or failed with their slow retry
    still to come (retry_at in the future)."""
    return Q(state__in=[State.NEW, State.PROCESSING]) | Q(state=State.FAILED, retry_at__gt=timezone.now())


def email_time_limit_seconds(*, slow: bool = False) -> float:
    """The time budget of one email: HELPDESK_INBOUND_EMAIL_SOFT_LIMIT, or on the slow queue
    HELPDESK_INBOUND_EMAIL_SLOW_LIMIT, at most SLOW_LIMIT_CAP (0: no budget)."""
    if slow:
        return min(float(settings.HELPDESK_INBOUND_EMAIL_SLOW_LIMIT), SLOW_LIMIT_CAP)
    return float(settings.HELPDESK_INBOUND_EMAIL_SOFT_LIMIT)
