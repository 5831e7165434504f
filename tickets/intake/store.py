"""Store raw inbound email durably, once: the first step of the email pipe.

A unique index on the Message-ID (or on the sha256 of the bytes when there is none) makes a
second delivery, even a simultaneous one, fail to insert; it then only counts a delivery on
the first row. This module imports only the ORM and the header peek, because
`manage.py pipe_email` (tickets/intake/pipe.py) starts for every email a mail server hands
over; queueing the processing is the caller's (`on_commit`).
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import F, Q

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
    (same Message-ID, or same bytes when there is none) stores nothing and only counts the
    delivery on the first row. Database errors propagate (the pipe turns them into EX_TEMPFAIL).
    """
    check_raw(raw)
    head = peek(raw)
    digest = sha256(raw)
    inbound = InboundEmail(
        sha256=digest,
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
        existing = _existing(head.message_id, digest)
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
        key = head.message_id or f"sha:{digest}"
        if key in fresh:
            results[index] = fresh[key]  # type: ignore[assignment]  (resolved below)
            continue
        fresh[key] = index
        row = InboundEmail(
            sha256=digest, message_id=head.message_id, recipient=recipient.lower()[:254],
            from_email=head.from_email, subject=head.subject, source=source, size=len(raw),
        )
        if len(raw) > settings.HELPDESK_INBOUND_DB_MAX_BYTES:
            row.raw_file.save(f"{digest}.eml", ContentFile(raw), save=False)
        else:
            row.raw = raw
        rows.append((index, row))
    message_ids = [r.message_id for _, r in rows if r.message_id]
    digests = [r.sha256 for _, r in rows if not r.message_id]
    existing = {
        (e.message_id or f"sha:{e.sha256}"): e
        for e in InboundEmail.objects.filter(
            Q(message_id__in=message_ids) | Q(sha256__in=digests, message_id="")
        ).defer("raw")
    } if rows else {}
    to_insert = []
    for index, row in rows:
        found = existing.get(row.message_id or f"sha:{row.sha256}")
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


def _existing(message_id: str, digest: str) -> InboundEmail | None:
    if message_id:
        return InboundEmail.objects.filter(message_id=message_id).first()
    return InboundEmail.objects.filter(sha256=digest, message_id="").first()
