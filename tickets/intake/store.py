"""Store raw inbound email durably, once: the first step of the email pipe.

A unique index on the email's fingerprint (Message-ID, sender, date, subject, body digest:
tickets.intake.email.fingerprint) makes a second delivery of the same email, even a
simultaneous one and whatever Received/Delivered-To headers it gained on the way, fail to
insert; it then only counts a delivery on the first row. A different email under a reused
Message-ID has another fingerprint and is stored as its own. This module imports only the ORM
and the header peek, because `manage.py pipe_email` (tickets/intake/pipe.py) starts for every
email a mail server hands over; queueing the processing is the caller's (`on_commit`).
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import F

from tickets.intake.email import NotAnEmail, check_raw, peek, sha256
from tickets.models.inbound import InboundEmail

__all__ = ["NotAnEmail", "StoreResult", "store_inbound_batch", "store_inbound_email"]

# The cache entry that says "a processing task is queued and has not started": emails stored
# meanwhile queue no task of their own (tickets.intake.services.queue_inbound_email). After
# QUEUED_SECONDS a task that has not started (a busy worker, or a task lost with the broker)
# no longer stops a new one; the next email's task then takes the waiting ones along.
QUEUED_KEY = "tickets:inbound-task-queued"
QUEUED_SECONDS = 10


@dataclass
class StoreResult:
    inbound: InboundEmail
    created: bool


def store_inbound_email(
    *,
    raw: bytes,
    recipient: str = "",
    source: str = InboundEmail.Source.PIPE,
    on_commit: Callable[[int], None] | None = None,
) -> StoreResult:
    """Keep the raw email durably; after commit, call `on_commit` with its id (to queue it).

    Raises NotAnEmail for input that is no email at all. A second delivery of the same email
    (same fingerprint) stores nothing and only counts the delivery on the first row. Database
    errors propagate (the pipe turns them into EX_TEMPFAIL).
    """
    check_raw(raw)
    head = peek(raw)
    digest = sha256(raw)
    inbound = InboundEmail(
        sha256=digest,
        fingerprint=head.fingerprint,
        message_id=head.message_id,
        recipient=(recipient or "").strip().lower()[:254],
        from_email=head.from_email,
        subject=head.subject,
        source=source,
        size=len(raw),
    )
    if len(raw) > settings.HELPDESK_INBOUND_DB_MAX_BYTES:
        inbound.raw_file.save(f"{digest}.eml", ContentFile(raw), save=False)
    else:
        inbound.raw = raw
    try:
        with transaction.atomic():
            inbound.save()
            if on_commit is not None:
                transaction.on_commit(lambda: on_commit(inbound.pk))
    except IntegrityError:
        if inbound.raw_file:
            inbound.raw_file.delete(save=False)
        existing = _existing(head.fingerprint)
        if existing is None:  # not a duplicate after all: a real integrity problem
            raise
        InboundEmail.objects.filter(pk=existing.pk).update(deliveries=F("deliveries") + 1)
        return StoreResult(inbound=existing, created=False)
    return StoreResult(inbound=inbound, created=True)


def store_inbound_batch(
    *, raws: list[bytes], recipient: str = "", source: str = InboundEmail.Source.IMPORT
) -> list[StoreResult | NotAnEmail]:
    """Store many emails with a few queries (import, benchmarks); nothing is queued.

    Returns, per input, a StoreResult or the NotAnEmail that rejected it. Duplicates (already
    stored, or repeated within the batch) count a delivery on the first row.
    """
    results: list[StoreResult | NotAnEmail | None] = [None] * len(raws)
    fresh: dict[str, int] = {}
    rows: list[tuple[int, InboundEmail]] = []
    for index, raw in enumerate(raws):
        try:
            check_raw(raw)
        except NotAnEmail as exc:
            results[index] = exc
            continue
        head = peek(raw)
        digest = sha256(raw)
        key = head.fingerprint
        if key in fresh:
            results[index] = fresh[key]  # type: ignore[assignment]  (resolved below)
            continue
        fresh[key] = index
        row = InboundEmail(
            sha256=digest, fingerprint=key, message_id=head.message_id, recipient=recipient.lower()[:254],
            from_email=head.from_email, subject=head.subject, source=source, size=len(raw),
        )
        if len(raw) > settings.HELPDESK_INBOUND_DB_MAX_BYTES:
            row.raw_file.save(f"{digest}.eml", ContentFile(raw), save=False)
        else:
            row.raw = raw
        rows.append((index, row))
    existing = {
        e.fingerprint: e
        for e in InboundEmail.objects.filter(fingerprint__in=[r.fingerprint for _, r in rows]).defer("raw")
    } if rows else {}
    to_insert = []
    for index, row in rows:
        found = existing.get(row.fingerprint)
        if found is not None:
            results[index] = StoreResult(inbound=found, created=False)
        else:
            to_insert.append((index, row))
    try:
        with transaction.atomic():
            InboundEmail.objects.bulk_create([row for _, row in to_insert])
        for index, row in to_insert:
            results[index] = StoreResult(inbound=row, created=True)
    except IntegrityError:  # a concurrent delivery won a race: fall back to one at a time
        for index, row in to_insert:
            results[index] = store_inbound_email(raw=row.raw_bytes() if row.raw is not None else raws[index],
                                                 recipient=recipient, source=source)
    duplicates: dict[int, int] = {}
    for index, value in enumerate(results):
        if isinstance(value, int):
            first = results[value]
            results[index] = StoreResult(inbound=first.inbound, created=False)  # type: ignore[union-attr]
        value = results[index]
        if isinstance(value, StoreResult) and not value.created:
            duplicates[value.inbound.pk] = duplicates.get(value.inbound.pk, 0) + 1
    for pk, count in duplicates.items():
        InboundEmail.objects.filter(pk=pk).update(deliveries=F("deliveries") + count)
    return results  # type: ignore[return-value]


def _existing(fingerprint: str) -> InboundEmail | None:
    return InboundEmail.objects.filter(fingerprint=fingerprint).first()
