"""Re-runs of stored email: a batch processed with one configuration read (import_emails,
benchmarks), the admin's "process again", the beat sweep that queues what a lost task left
behind, and the IMAP poller's bookkeeping."""

from collections.abc import Iterable
from datetime import timedelta

from celery import current_app
from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from tickets.intake.queueing import (
    queue_inbound_email,
)
from tickets.intake.services import Intake, process_inbound_email
from tickets.models import (
    DepartmentMailbox,
    InboundEmail,
)

State = InboundEmail.State


def process_inbound_batch(*, inbound_ids: Iterable[int]) -> list[InboundEmail]:
    """Process many stored emails with one configuration read (import_emails, benchmarks).

    Each email runs in its own transaction so one failure never stops the batch.
    """
    intake = Intake.load()
    done = []
    for pk in inbound_ids:
        row = process_inbound_email(inbound_id=pk, intake=intake)
        if row is not None:
            done.append(row)
    return done


@transaction.atomic
def reprocess_inbound_emails(*, inbound_ids: Iterable[int]) -> int:
    """Queue failed or held emails for another run (the admin's "process again")."""
    ids = list(
        InboundEmail.objects.filter(pk__in=list(inbound_ids), state__in=[State.FAILED, State.HELD])
        .values_list("pk", flat=True)
    )
    for pk in ids:
        transaction.on_commit(
            lambda pk=pk: current_app.tasks["tickets.process_inbound_email"].apply_async((pk,), {"force": True})
        )
    return len(ids)


def record_mailbox_poll(
    *, mailbox: DepartmentMailbox, last_uid: int | None = None, uid_validity: int | None = None,
    error: str | None = None,
) -> None:
    """Remember how far an IMAP mailbox was read (after each stored message) and the last error."""
    changes: dict[str, object] = {"last_polled_at": timezone.now()}
    if last_uid is not None:
        changes["last_uid"] = mailbox.last_uid = last_uid
    if uid_validity is not None:
        changes["uid_validity"] = mailbox.uid_validity = uid_validity
    if error is not None:
        changes["last_error"] = mailbox.last_error = error[:2000]
    DepartmentMailbox.objects.filter(pk=mailbox.pk).update(**changes)


def requeue_inbound_emails(*, older_than_seconds: int = 120) -> int:
    """Queue stored emails that no task picked up (broker down at delivery, a killed worker);
    one task per batch of them. Return how many emails were found."""
    now = timezone.now()
    stale = now - timedelta(seconds=settings.HELPDESK_INBOUND_CLAIM_TIMEOUT_SECONDS)
    ids = list(
        InboundEmail.objects.filter(
            Q(state=State.NEW, received_at__lt=now - timedelta(seconds=older_than_seconds))
            | Q(state=State.PROCESSING, claimed_at__lt=stale)
        ).filter(Q(retry_at__isnull=True) | Q(retry_at__lte=now)).order_by("pk").values_list("pk", flat=True)[:10000]
    )
    for pk in ids[::max(settings.HELPDESK_INBOUND_BATCH, 1)]:
        queue_inbound_email(pk, coalesce=False)
    return len(ids)
