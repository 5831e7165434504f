"""Outbound deliveries sent once, and none left behind.

The claim: a send holds its message's row (`SELECT ... FOR UPDATE SKIP LOCKED`, only while the
message is neither sent nor failed) from just before it talks to the mail server until its
outcome is recorded. A second delivery of the same message (a redelivered task, a task the sweep
queued, a late retry) skips a row that is being sent and finds a sent one done, so the email goes
out once. Each claim counts an attempt and stamps its time (`delivery_attempts`,
`delivery_attempted_at`); after MAX_ATTEMPTS tries that failed for the time being the message is
failed with its last error. A worker killed mid-send holds nothing: its transaction, and the
attempt, are rolled back with its connection.

The backstop (`requeue_pending_messages`, beat's `tickets.requeue_outbound_messages`): a message
still pending well after it should have gone, because its task was lost (a worker killed after
taking it from Redis, the broker down after commit), is queued again through
`channels.deliver_many`. "Well after": never tried and older than HELPDESK_OUTBOUND_GRACE_SECONDS,
or last tried longer ago than the longest retry countdown plus that grace (a retry still waiting
for its countdown is left alone).
"""

import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Case, F, Q, QuerySet, Value, When
from django.utils import timezone

from tickets import channels
from tickets.models import TicketMessage

logger = logging.getLogger(__name__)

# The deliver tasks' tries: the first and 8 retries (tickets.tasks uses these).
MAX_ATTEMPTS = 9
# The longest countdown between two tries of a deliver task, seconds.
RETRY_COUNTDOWN_MAX = 1800
# At most this many messages per sweep (the next sweep takes the rest).
SWEEP_LIMIT = 5000
DONE = ("sent", "failed")


@contextmanager
def claim(message_id: int) -> Iterator[int | None]:
    """Hold one message for one send: yield this attempt's number, or None when the message went
    out, failed for good, or another delivery is sending it right now.

    The row stays locked until the block ends: send and record the outcome inside it. An error
    escaping the block rolls the attempt back; record failures inside (`failed_attempt`).
    """
    with transaction.atomic():
        attempts = (
            TicketMessage.objects.select_for_update(skip_locked=True)
            .filter(pk=message_id).exclude(delivery_status__in=DONE)
            .values_list("delivery_attempts", flat=True).first()
        )
        if attempts is None:
            yield None
            return
        attempt = attempts + 1
        TicketMessage.objects.filter(pk=message_id).update(
            delivery_attempts=attempt, delivery_attempted_at=timezone.now()
        )
        yield attempt


def _error_text(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


def failed_attempt(message_id: int, exc: BaseException, *, attempt: int) -> bool:
    """Record a failed try of a claimed message. Return True when it is to be tried again (its
    error kept as "will retry: ..."), False when that was its last try: it is failed with the error."""
    text = _error_text(exc)
    pending = TicketMessage.objects.filter(pk=message_id).exclude(delivery_status__in=DONE)
    if attempt >= MAX_ATTEMPTS:
        pending.update(delivery_status="failed", delivery_error=text[:1000])
        logger.warning("message not delivered after its last try",
                       extra={"ticket_message": message_id, "attempts": attempt, "error": text[:200]})
        return False
    pending.update(delivery_error=f"will retry: {text}"[:1000])
    return True


def unreached(message_ids: Sequence[int], exc: BaseException) -> list[int]:
    """Count a try that never reached these messages (the mail server did not answer) against each
    that nobody is sending now; fail those at their last try. Return the ids to try again."""
    text = _error_text(exc)
    last = MAX_ATTEMPTS - 1
    with transaction.atomic():
        ids = list(
            TicketMessage.objects.select_for_update(skip_locked=True)
            .filter(pk__in=list(message_ids)).exclude(delivery_status__in=DONE)
            .values_list("pk", flat=True)
        )
        TicketMessage.objects.filter(pk__in=ids).update(
            delivery_attempts=F("delivery_attempts") + 1,
            delivery_attempted_at=timezone.now(),
            delivery_status=Case(When(delivery_attempts__gte=last, then=Value("failed")),
                                 default=F("delivery_status")),
            delivery_error=Case(When(delivery_attempts__gte=last, then=Value(text[:1000])),
                                default=Value(f"will retry: {text}"[:1000])),
        )
        return list(
            TicketMessage.objects.filter(pk__in=ids).exclude(delivery_status="failed")
            .order_by("pk").values_list("pk", flat=True)
        )


def stale_pending() -> QuerySet[TicketMessage]:
    """Return the outbound messages nothing will send any more (see the module's doc)."""
    now = timezone.now()
    grace = timedelta(seconds=max(settings.HELPDESK_OUTBOUND_GRACE_SECONDS, 0))
    return TicketMessage.objects.filter(
        delivery_status="pending",
        kind__in=(TicketMessage.Kind.STAFF, TicketMessage.Kind.SYSTEM),
        channel__in=channels.registered(),
        delivery_attempts__lt=MAX_ATTEMPTS,
    ).filter(
        Q(delivery_attempted_at__isnull=True, created_at__lt=now - grace)
        | Q(delivery_attempted_at__lt=now - grace - timedelta(seconds=RETRY_COUNTDOWN_MAX))
    )


def requeue_pending_messages() -> int:
    """Queue again, in batches through `channels.deliver_many`, the pending outbound messages
    whose delivery was lost; return how many. Each is stamped as tried now, so it is queued again
    only once another retry window passed; rows being sent right now are skipped."""
    with transaction.atomic():
        ids = list(
            stale_pending().select_for_update(skip_locked=True).order_by("pk")
            .values_list("pk", flat=True)[:SWEEP_LIMIT]
        )
        if ids:
            TicketMessage.objects.filter(pk__in=ids).update(delivery_attempted_at=timezone.now())
    if ids:
        logger.warning("outbound messages queued again: %d", len(ids), extra={"count": len(ids), "first": ids[0]})
        channels.deliver_many(message_ids=ids)
    return len(ids)
