"""Shared pieces of the ticket services: status and priority defaults, the event record,
attachment checks and storage, and keeping SLA dues true."""


import hashlib
import mimetypes
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import IO

from django.conf import settings
from django.core.files.base import ContentFile, File
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tickets import hooks
from tickets.exceptions import (
    AttachmentRejected,
    TicketError,
)
from tickets.models import (
    Attachment,
    Department,
    Priority,
    Ticket,
    TicketEvent,
    TicketMessage,
    TicketStatus,
)
from tickets.services.close_guards import check_can_close
from tickets.sla import calendar as sla
from tickets.sla import policy as sla_policy

MIN_ESCALATION_NOTE = 10


@dataclass
class NewAttachment:
    """An attachment to store: bytes or an open file, with its original name."""

    name: str
    content: bytes | IO[bytes]
    content_type: str = ""
    content_id: str = ""
    inline: bool = False
    size: int | None = field(default=None)


# --- small lookups -------------------------------------------------------------------------


def status_by_slug(slug: str) -> TicketStatus | None:
    """Return the built-in status with this key, or None if a manager removed it."""
    return TicketStatus.objects.filter(slug=slug).first()


def default_status() -> TicketStatus:
    status = TicketStatus.objects.filter(is_default=True).first() or TicketStatus.objects.filter(
        is_closed=False
    ).order_by("order").first()
    if status is None:
        raise TicketError(_("No open ticket status is configured."))
    return status


def closed_status() -> TicketStatus:
    status = status_by_slug(TicketStatus.CLOSED) or TicketStatus.objects.filter(is_closed=True).first()
    if status is None:
        raise TicketError(_("No closing ticket status is configured."))
    return status


def default_priority(department: Department | None = None) -> Priority:
    if department is not None and department.default_priority_id:
        return department.default_priority
    priority = Priority.objects.filter(is_default=True).first() or Priority.objects.order_by("level").first()
    if priority is None:
        raise TicketError(_("No ticket priority is configured."))
    return priority


def _record(
    ticket: Ticket,
    kind: str,
    *,
    actor: object = None,
    before: object = "",
    after: object = "",
    note: str = "",
    at: datetime | None = None,
) -> TicketEvent:
    return TicketEvent.objects.create(
        ticket=ticket,
        actor=actor if getattr(actor, "pk", None) else None,
        kind=kind,
        before=str(before or "")[:255],
        after=str(after or "")[:255],
        note=note,
        created_at=at or timezone.now(),
    )


def _actor_id(actor: object) -> int | None:
    return getattr(actor, "pk", None)


# --- attachments ---------------------------------------------------------------------------


def check_attachment(*, name: str, size: int) -> None:
    """Refuse a file whose type or size the settings do not allow, with a clear reason."""
    ext = os.path.splitext(name)[1].lower().lstrip(".")
    allowed = [e.lower().lstrip(".") for e in settings.ATTACHMENT_ALLOWED_EXTENSIONS]
    if ext not in allowed:
        raise AttachmentRejected(
            _("%(name)s: files of type .%(ext)s are not allowed (allowed: %(allowed)s).")
            % {"name": name, "ext": ext or "?", "allowed": ", ".join(allowed)}
        )
    if size > settings.ATTACHMENT_MAX_BYTES:
        raise AttachmentRejected(
            _("%(name)s is %(size).1f MB; the limit is %(limit).1f MB.")
            % {"name": name, "size": size / 1048576, "limit": settings.ATTACHMENT_MAX_BYTES / 1048576}
        )


def _store_attachments(
    message: TicketMessage, attachments: Sequence[NewAttachment], *, enforce_policy: bool
) -> list[Attachment]:
    stored = []
    for item in attachments:
        name = os.path.basename(item.name or "attachment") or "attachment"
        if isinstance(item.content, bytes):
            data_file: File = ContentFile(item.content)
            size = len(item.content)
            digest = hashlib.sha256(item.content).hexdigest()
        else:
            hasher = hashlib.sha256()
            size = 0
            for chunk in iter(lambda f=item.content: f.read(1024 * 1024), b""):
                hasher.update(chunk)
                size += len(chunk)
            item.content.seek(0)
            data_file = File(item.content)
            digest = hasher.hexdigest()
        if enforce_policy:
            check_attachment(name=name, size=size)
        content_type = item.content_type or mimetypes.guess_type(name)[0] or "application/octet-stream"
        attachment = Attachment(
            message=message,
            original_name=name[:255],
            content_type=content_type[:120],
            size=size,
            sha256=digest,
            content_id=item.content_id.strip("<>")[:255],
            is_inline=item.inline,
        )
        attachment.file.save(name, data_file, save=False)
        attachment.save()
        stored.append(attachment)
    return stored


def add_attachments(
    *, message: TicketMessage, attachments: Sequence[NewAttachment], enforce_policy: bool = True
) -> list[Attachment]:
    """Store files on an existing message (bulk intake creates messages first, then their files)."""
    return _store_attachments(message, attachments, enforce_policy=enforce_policy)


# --- SLA bookkeeping -----------------------------------------------------------------------


def refresh_sla(ticket: Ticket, *, now: datetime | None = None) -> None:
    """Recompute the ticket's due times (in memory; the caller saves).

    Dues run from the opening in the department's business time, with the targets of the
    ticket's priority and client tier (or contract), plus every business second spent paused,
    including a pause still running. A met first response and a closed ticket keep their dues;
    breached flags are never cleared (reports count late answers as breached).
    """
    if ticket.closed_at is not None:
        return
    now = now or timezone.now()
    schedule = sla_policy.schedule_for(ticket.department_id)
    first_minutes, resolution_minutes = sla_policy.targets_for(ticket)
    paused = ticket.sla_paused_seconds
    if ticket.sla_paused_at is not None:
        paused += int(sla.business_seconds_between(ticket.sla_paused_at, now, schedule))
    dues = sla.compute_dues(
        opened_at=ticket.created_at,
        first_response_minutes=first_minutes,
        resolution_minutes=resolution_minutes,
        paused_seconds=paused,
        pause_first_response=sla_policy.pause_first_response(),
        schedule=schedule,
    )
    warn_after = now + timedelta(minutes=settings.HELPDESK_SLA_WARNING_MINUTES)
    if ticket.first_response_at is None:
        ticket.first_response_due_at = dues.first_response_due_at
        if dues.first_response_due_at and dues.first_response_due_at > warn_after:
            ticket.first_response_warned = False
    ticket.resolution_due_at = dues.resolution_due_at
    if dues.resolution_due_at and dues.resolution_due_at > warn_after:
        ticket.resolution_warned = False


def _is_sla_paused(status: TicketStatus, closed_at: datetime | None) -> bool:
    return bool(status.pauses_sla or closed_at is not None)


def _apply_pause(ticket: Ticket, *, was_paused: bool, paused_since: datetime | None, now: datetime) -> None:
    """Start or end a pause after a status change. Ending one adds the business time it lasted to
    sla_paused_seconds and recomputes the dues, so the ticket resumes with the time it had left."""
    paused = _is_sla_paused(ticket.status, ticket.closed_at)
    if paused and not was_paused:
        ticket.sla_paused_at = now
    elif was_paused and not paused:
        if paused_since is not None:
            schedule = sla_policy.schedule_for(ticket.department_id)
            ticket.sla_paused_seconds += int(sla.business_seconds_between(paused_since, now, schedule))
        ticket.sla_paused_at = None
        refresh_sla(ticket, now=now)


def _deadline_passed(ticket: Ticket, due: datetime | None, now: datetime, *, pausable: bool) -> bool:
    """Return True when `due` passed before `now`, or before the pause that is still running."""
    if due is None:
        return False
    if pausable and ticket.sla_paused_at is not None:
        return ticket.sla_paused_at > due
    return now > due


def recompute_sla(*, client_id: int | None = None, ticket_ids: Iterable[int] | None = None) -> int:
    """Recompute the dues of open tickets (of a client whose tier or contracts changed, or the
    given tickets); save only those whose dues moved and return how many did."""
    qs = Ticket.objects.filter(closed_at__isnull=True)
    if client_id is not None:
        qs = qs.filter(client_id=client_id)
    if ticket_ids is not None:
        qs = qs.filter(pk__in=list(ticket_ids))
    changed = 0
    for pk in qs.values_list("pk", flat=True).iterator():
        with transaction.atomic():
            ticket = Ticket.objects.select_for_update(of=("self",)).select_related("priority", "client").get(pk=pk)
            before = (ticket.first_response_due_at, ticket.resolution_due_at)
            refresh_sla(ticket)
            if (ticket.first_response_due_at, ticket.resolution_due_at) != before:
                ticket.save(update_fields=[
                    "first_response_due_at", "resolution_due_at", "first_response_warned", "resolution_warned"
                ])
                _record(ticket, TicketEvent.Kind.SLA, before=before[1] or "", after=ticket.resolution_due_at or "",
                        note=_("SLA dues recomputed (client tier or contract changed)"))
                changed += 1
    return changed


# --- opening -------------------------------------------------------------------------------


def _set_status(ticket: Ticket, status: TicketStatus, *, actor: object, now: datetime, note: str = "") -> None:
    if status.is_closed and ticket.closed_at is None:
        check_can_close(ticket.pk)  # e.g. a delivery return not received yet: nothing changes
    old = ticket.status
    was_paused = _is_sla_paused(old, ticket.closed_at)
    paused_since = ticket.sla_paused_at or ticket.closed_at
    ticket.status = status
    ticket.updated_at = now
    ticket.status_changed_at = now
    if status.is_closed and ticket.closed_at is None:
        if _deadline_passed(ticket, ticket.resolution_due_at, now, pausable=True):
            ticket.resolution_breached = True
        ticket.closed_at = now
        _record(ticket, TicketEvent.Kind.CLOSED, actor=actor, before=old, after=status, note=note, at=now)
        hooks.emit("closed", ticket_id=ticket.pk, actor_id=_actor_id(actor))
    elif not status.is_closed and ticket.closed_at is not None:
        ticket.closed_at = None
        _record(ticket, TicketEvent.Kind.REOPENED, actor=actor, before=old, after=status, note=note, at=now)
    else:
        _record(ticket, TicketEvent.Kind.STATUS, actor=actor, before=old, after=status, note=note, at=now)
    _apply_pause(ticket, was_paused=was_paused, paused_since=paused_since, now=now)
    hooks.emit(
        "status_changed", ticket_id=ticket.pk, actor_id=_actor_id(actor), before_id=old.pk, after_id=status.pk
    )


def _locked(ticket: Ticket) -> Ticket:
    return Ticket.objects.select_for_update().select_related("status", "priority", "department").get(pk=ticket.pk)
