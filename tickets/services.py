"""Every write to a ticket. Views, commands, webhooks and tasks call these; nothing else saves.

Each service runs in one transaction, records TicketEvents and keeps the timestamps true:
- first_response_at is set by the first public staff reply only (never notes or automatic mail);
- a customer reply to a closed ticket reopens it;
- SLA dues are recomputed when priority, status or department change; a status that pauses
  the SLA stops the clock and leaving it resumes with the time that was left.
Side effects (email, notifications, automation) run after commit through tickets.hooks and
tickets.channels.
"""

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
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from tickets import channels, hooks, sla, sla_policy
from tickets.custom_fields import clean_values
from tickets.exceptions import (
    AttachmentRejected,
    EscalationNoteRequired,
    InvalidMerge,
    StatusInUse,
    TicketError,
)
from tickets.models import (
    Attachment,
    CustomField,
    CustomFieldValue,
    Department,
    PredefinedReply,
    Priority,
    Service,
    Task,
    Ticket,
    TicketEvent,
    TicketMessage,
    TicketStatus,
)
from tickets.models.core import Channel

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


@transaction.atomic
def open_ticket(
    *,
    subject: str,
    body_text: str,
    department: Department,
    channel: str = Channel.EMAIL,
    body_html: str = "",
    original_text: str = "",
    contact: object = None,
    client: object = None,
    requester_name: str = "",
    requester_email: str = "",
    cc_emails: Iterable[str] = (),
    priority: Priority | None = None,
    service: Service | None = None,
    assignee: object = None,
    status: TicketStatus | None = None,
    custom_values: dict[str, object] | None = None,
    portal_fields_only: bool = False,
    attachments: Sequence[NewAttachment] = (),
    enforce_attachment_policy: bool = True,
    message_id: str = "",
    actor: object = None,
    created_at: datetime | None = None,
    linked_ticket: Ticket | None = None,
) -> Ticket:
    """Open a ticket with its first customer message, validate custom fields, compute SLA dues.

    `actor` is the staff member who typed it in (phone, WhatsApp) or None for customer channels.
    Emits `ticket_created` after commit (notifications, automation, receipts).
    """
    subject = (subject or "").strip()[:255] or _("(no subject)")
    now = created_at or timezone.now()
    if contact is not None:
        client = client or contact.client
        requester_email = requester_email or contact.email
        requester_name = requester_name or contact.full_name
    priority = priority or default_priority(department)
    status = status or default_status()
    field_qs = CustomField.objects.filter(is_active=True)
    if portal_fields_only:
        field_qs = field_qs.filter(show_on_client_portal=True)
    fields = list(field_qs)
    cleaned = clean_values(fields, custom_values or {}) if (fields and custom_values is not None) else {}

    ticket = Ticket(
        subject=subject,
        client=client,
        contact=contact,
        requester_name=requester_name[:200],
        requester_email=(requester_email or "").lower(),
        cc_emails=sorted({e.lower() for e in cc_emails if e}),
        department=department,
        status=status,
        priority=priority,
        priority_level=priority.level,
        service=service,
        assignee=assignee,
        channel=channel,
        created_at=now,
        updated_at=now,
        last_customer_reply_at=now,
        last_reply_at=now,
        last_replier_name=requester_name[:200] or requester_email,
        linked_ticket=linked_ticket,
        status_changed_at=now,
    )
    refresh_sla(ticket, now=now)
    if status.is_closed:
        ticket.closed_at = now
    if _is_sla_paused(status, ticket.closed_at):
        ticket.sla_paused_at = now
    ticket.save()

    message = TicketMessage.objects.create(
        ticket=ticket,
        kind=TicketMessage.Kind.CUSTOMER,
        author_contact=contact,
        author_name=requester_name[:200],
        author_email=(requester_email or "").lower(),
        body_text=body_text,
        body_html=body_html,
        original_text=original_text,
        channel=channel,
        message_id=message_id[:998],
        cc_emails=ticket.cc_emails,
        created_at=now,
    )
    _store_attachments(message, attachments, enforce_policy=enforce_attachment_policy)
    CustomFieldValue.objects.bulk_create(
        # Only what was filled in: an empty optional field is no row at all.
        [
            CustomFieldValue(ticket=ticket, field_id=fid, value=value)
            for fid, value in cleaned.items()
            if value is not None
        ]
    )
    _record(
        ticket,
        TicketEvent.Kind.CREATED,
        actor=actor,
        after=f"{department} / {status} / {priority}",
        note=_("Opened via %(channel)s") % {"channel": ticket.get_channel_display()},
        at=now,
    )
    if linked_ticket is not None:
        _record(linked_ticket, TicketEvent.Kind.NOTE, note=_("Follow-up ticket #%(n)s opened") % {"n": ticket.pk})
    hooks.emit("ticket_created", ticket_id=ticket.pk, actor_id=_actor_id(actor), message_id=message.pk)
    return ticket


# --- replies -------------------------------------------------------------------------------


def _resolve_merged(ticket: Ticket) -> Ticket:
    seen = set()
    while ticket.merged_into_id and ticket.pk not in seen:
        seen.add(ticket.pk)
        ticket = Ticket.objects.select_for_update().get(pk=ticket.merged_into_id)
    return ticket


@transaction.atomic
def add_reply(
    *,
    ticket: Ticket,
    body_text: str,
    kind: str,
    author: object = None,
    contact: object = None,
    author_name: str = "",
    author_email: str = "",
    body_html: str = "",
    original_text: str = "",
    status_after: TicketStatus | None = None,
    attachments: Sequence[NewAttachment] = (),
    enforce_attachment_policy: bool = True,
    channel: str | None = None,
    message_id: str = "",
    in_reply_to: str = "",
    cc_emails: Iterable[str] = (),
    is_automatic: bool = False,
    send: bool = True,
    created_at: datetime | None = None,
) -> TicketMessage:
    """Add a customer message, a staff reply or an internal note to a ticket.

    - A reply to a merged ticket lands in the ticket it was merged into.
    - Staff public reply: the first one sets first_response_at; the status becomes
      `status_after` (Answered by default) and the reply is sent to the customer after commit.
    - Internal note: visible to staff only, sends nothing, changes no reply timestamp.
    - Customer message: reopens a closed ticket (to In Progress) and moves an Answered one back.
    - `is_automatic` marks receipts and automation mail: they never count as a first response.
    """
    if kind not in TicketMessage.Kind.values:
        raise TicketError(_("Unknown message kind %(kind)s.") % {"kind": kind})
    if not (body_text or "").strip() and not attachments:
        raise TicketError(_("Write a message or attach a file."))
    ticket = _resolve_merged(Ticket.objects.select_for_update().get(pk=ticket.pk))
    now = created_at or timezone.now()
    if kind == TicketMessage.Kind.STAFF and is_automatic:
        kind = TicketMessage.Kind.SYSTEM
    if contact is not None:
        author_name = author_name or contact.full_name
        author_email = author_email or contact.email
    if author is not None and not author_name:
        author_name = str(author)

    message = TicketMessage.objects.create(
        ticket=ticket,
        kind=kind,
        author=author if getattr(author, "pk", None) else None,
        author_contact=contact,
        author_name=author_name[:200],
        author_email=(author_email or "").lower(),
        body_text=body_text or "",
        body_html=body_html,
        original_text=original_text,
        channel=channel or (Channel.EMAIL if kind == TicketMessage.Kind.CUSTOMER else ticket.channel),
        message_id=message_id[:998],
        in_reply_to=in_reply_to[:998],
        cc_emails=sorted({e.lower() for e in cc_emails if e}),
        delivery_status="pending" if kind in (TicketMessage.Kind.STAFF, TicketMessage.Kind.SYSTEM) and send else "",
        created_at=now,
    )
    _store_attachments(message, attachments, enforce_policy=enforce_attachment_policy)
    ticket.updated_at = now
    new_cc = set(ticket.cc_emails) | set(message.cc_emails)
    if new_cc != set(ticket.cc_emails):
        ticket.cc_emails = sorted(new_cc)

    target_status = status_after
    if kind == TicketMessage.Kind.CUSTOMER:
        ticket.last_customer_reply_at = now
        ticket.last_reply_at = now
        ticket.last_replier_name = author_name[:200]
        ticket.last_reply_by_staff = False
        _record(ticket, TicketEvent.Kind.CUSTOMER_REPLIED, actor=author, after=author_name, at=now)
        if target_status is None and (ticket.status.is_closed or ticket.status.slug == TicketStatus.ANSWERED):
            target_status = status_by_slug(TicketStatus.IN_PROGRESS) or default_status()
    elif kind == TicketMessage.Kind.STAFF:
        if ticket.first_response_at is None:
            ticket.first_response_at = now
            if _deadline_passed(
                ticket, ticket.first_response_due_at, now, pausable=sla_policy.pause_first_response()
            ):
                ticket.first_response_breached = True
        ticket.last_staff_reply_at = now
        ticket.last_reply_at = now
        ticket.last_replier_name = author_name[:200]
        ticket.last_reply_by_staff = True
        _record(ticket, TicketEvent.Kind.STAFF_REPLIED, actor=author, after=author_name, at=now)
        if target_status is None:
            target_status = status_by_slug(TicketStatus.ANSWERED)
    elif kind == TicketMessage.Kind.NOTE:
        _record(ticket, TicketEvent.Kind.NOTE_ADDED, actor=author, note=(body_text or "")[:500], at=now)

    if target_status is not None and target_status.pk != ticket.status_id:
        _set_status(ticket, target_status, actor=author, now=now)
    ticket.save()

    if message.delivery_status == "pending":
        transaction.on_commit(lambda: channels.deliver(message_id=message.pk))
    event = {
        TicketMessage.Kind.CUSTOMER: "customer_replied",
        TicketMessage.Kind.STAFF: "staff_replied",
        TicketMessage.Kind.NOTE: "note_added",
        TicketMessage.Kind.SYSTEM: "system_message",
    }[kind]
    hooks.emit(event, ticket_id=ticket.pk, actor_id=_actor_id(author), message_id=message.pk)
    return message


# --- field changes -------------------------------------------------------------------------


def _set_status(ticket: Ticket, status: TicketStatus, *, actor: object, now: datetime, note: str = "") -> None:
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


@transaction.atomic
def change_status(
    *,
    ticket: Ticket,
    status: TicketStatus,
    actor: object = None,
    note: str = "",
    created_at: datetime | None = None,
) -> Ticket:
    """Move the ticket to `status`; closing sets closed_at, reopening clears it; On Hold pauses SLA.

    `created_at` backdates the change (imports, demo data); it defaults to now.
    """
    ticket = _locked(ticket)
    if ticket.status_id != status.pk:
        _set_status(ticket, status, actor=actor, now=created_at or timezone.now(), note=note)
        ticket.save()
    return ticket


def close_ticket(
    *, ticket: Ticket, actor: object = None, note: str = "", created_at: datetime | None = None
) -> Ticket:
    """Close the ticket (status Closed)."""
    return change_status(ticket=ticket, status=closed_status(), actor=actor, note=note, created_at=created_at)


@transaction.atomic
def assign(
    *, ticket: Ticket, assignee: object, actor: object = None, created_at: datetime | None = None
) -> Ticket:
    """Assign the ticket to a staff member (or unassign with None); emits `assigned`."""
    ticket = _locked(ticket)
    if ticket.assignee_id == getattr(assignee, "pk", None):
        return ticket
    if assignee is not None and not assignee.is_staff:
        raise TicketError(_("Only staff members can be assigned tickets."))
    before = ticket.assignee
    ticket.assignee = assignee
    ticket.updated_at = created_at or timezone.now()
    ticket.save(update_fields=["assignee", "updated_at"])
    _record(
        ticket, TicketEvent.Kind.ASSIGNEE, actor=actor, before=before or "", after=assignee or "",
        at=ticket.updated_at,
    )
    hooks.emit("assigned", ticket_id=ticket.pk, actor_id=_actor_id(actor), assignee_id=getattr(assignee, "pk", None))
    return ticket


@transaction.atomic
def change_priority(
    *, ticket: Ticket, priority: Priority, actor: object = None, created_at: datetime | None = None
) -> Ticket:
    """Change the priority and recompute the SLA dues from the new targets."""
    ticket = _locked(ticket)
    if ticket.priority_id == priority.pk:
        return ticket
    before = ticket.priority
    ticket.priority = priority
    ticket.priority_level = priority.level
    ticket.updated_at = created_at or timezone.now()
    refresh_sla(ticket, now=ticket.updated_at)
    ticket.save()
    _record(ticket, TicketEvent.Kind.PRIORITY, actor=actor, before=before, after=priority, at=ticket.updated_at)
    hooks.emit("priority_changed", ticket_id=ticket.pk, actor_id=_actor_id(actor), before_id=before.pk)
    return ticket


@transaction.atomic
def change_department(
    *, ticket: Ticket, department: Department, actor: object = None, created_at: datetime | None = None
) -> Ticket:
    """Move the ticket to another department; its staff are notified through hooks."""
    ticket = _locked(ticket)
    if ticket.department_id == department.pk:
        return ticket
    before = ticket.department
    ticket.department = department
    ticket.updated_at = created_at or timezone.now()
    refresh_sla(ticket, now=ticket.updated_at)
    ticket.save()
    _record(ticket, TicketEvent.Kind.DEPARTMENT, actor=actor, before=before, after=department, at=ticket.updated_at)
    hooks.emit("department_changed", ticket_id=ticket.pk, actor_id=_actor_id(actor), before_id=before.pk)
    return ticket


@transaction.atomic
def change_service(
    *, ticket: Ticket, service: Service | None, actor: object = None, created_at: datetime | None = None
) -> Ticket:
    """Set the ticket's service (issue category, for reports)."""
    ticket = _locked(ticket)
    if ticket.service_id == getattr(service, "pk", None):
        return ticket
    before = ticket.service
    ticket.service = service
    ticket.updated_at = created_at or timezone.now()
    ticket.save(update_fields=["service", "updated_at"])
    _record(
        ticket, TicketEvent.Kind.SERVICE, actor=actor, before=before or "", after=service or "", at=ticket.updated_at
    )
    return ticket


@transaction.atomic
def set_custom_values(
    *, ticket: Ticket, values: dict[str, object], actor: object = None, portal_fields_only: bool = False
) -> Ticket:
    """Validate and store custom field values (by slug); each changed value is an event."""
    fields = CustomField.objects.filter(is_active=True, slug__in=list(values))
    if portal_fields_only:
        fields = fields.filter(show_on_client_portal=True)
    fields = list(fields)
    cleaned = clean_values(fields, values)
    existing = {v.field_id: v for v in CustomFieldValue.objects.filter(ticket=ticket, field__in=fields)}
    for f in fields:
        value = cleaned[f.pk]
        current = existing.get(f.pk)
        if current is None:
            CustomFieldValue.objects.create(ticket=ticket, field=f, value=value)
        elif current.value != value:
            before = current.display_value
            current.value = value
            current.save(update_fields=["value"])
        else:
            continue
        _record(
            ticket, TicketEvent.Kind.CUSTOM_FIELD, actor=actor,
            before=f"{f.name}: {before}" if current else f.name,
            after=CustomFieldValue(value=value).display_value,
        )
    return ticket


@transaction.atomic
def escalate(
    *,
    ticket: Ticket,
    actor: object,
    note: str,
    department: Department | None = None,
    assignee: object = None,
    priority: Priority | None = None,
    status: TicketStatus | None = None,
    created_at: datetime | None = None,
) -> Ticket:
    """Escalate in one step: an internal note (required: what was investigated and why), then
    department and/or assignee and/or priority, and the status (Escalated by default).

    Emits `escalated` with the new department, whose staff are notified.
    """
    note = (note or "").strip()
    if len(note) < MIN_ESCALATION_NOTE:
        raise EscalationNoteRequired(
            _("Escalation needs an internal note saying what you investigated and why you escalate.")
        )
    if department is None and assignee is None and priority is None:
        raise TicketError(_("Choose a department, an assignee or a priority to escalate to."))
    at = created_at
    add_reply(ticket=ticket, body_text=note, kind=TicketMessage.Kind.NOTE, author=actor, created_at=at)
    if department is not None:
        change_department(ticket=ticket, department=department, actor=actor, created_at=at)
    if assignee is not None:
        assign(ticket=ticket, assignee=assignee, actor=actor, created_at=at)
    if priority is not None:
        change_priority(ticket=ticket, priority=priority, actor=actor, created_at=at)
    status = status or status_by_slug(TicketStatus.ESCALATED)
    if status is not None:
        change_status(ticket=ticket, status=status, actor=actor, created_at=at)
    ticket = _locked(ticket)
    _record(
        ticket, TicketEvent.Kind.ESCALATED, actor=actor,
        after=f"{ticket.department} / {ticket.assignee or '-'} / {ticket.priority}", note=note, at=at,
    )
    hooks.emit(
        "escalated", ticket_id=ticket.pk, actor_id=_actor_id(actor), department_id=ticket.department_id,
    )
    return ticket


@transaction.atomic
def merge_tickets(
    *, target: Ticket, sources: Sequence[Ticket], actor: object = None, created_at: datetime | None = None
) -> Ticket:
    """Merge `sources` into `target`: their messages, attachments and tasks move to the target,
    each source is closed with merged_into set, and later replies to them land in the target.
    """
    target = _locked(target)
    if target.merged_into_id:
        raise InvalidMerge(_("Ticket #%(n)s was itself merged; merge into #%(m)s instead.")
                           % {"n": target.pk, "m": target.merged_into_id})
    source_ids = sorted({t.pk for t in sources} - {target.pk})
    if not source_ids:
        raise InvalidMerge(_("Choose at least one other ticket to merge into #%(n)s.") % {"n": target.pk})
    locked = list(Ticket.objects.select_for_update().filter(pk__in=source_ids).select_related("status"))
    for source in locked:
        if source.merged_into_id:
            raise InvalidMerge(_("Ticket #%(n)s is already merged.") % {"n": source.pk})
    closed = closed_status()
    now = created_at or timezone.now()
    TicketMessage.objects.filter(ticket_id__in=source_ids).update(ticket=target)
    Task.objects.filter(ticket_id__in=source_ids).update(ticket=target)
    Ticket.objects.filter(merged_into_id__in=source_ids).update(merged_into=target)
    for source in locked:
        old_status = source.status
        source.merged_into = target
        source.status = closed
        source.closed_at = source.closed_at or now
        source.updated_at = now
        source.save()
        _record(source, TicketEvent.Kind.MERGED, actor=actor, before=old_status, after=f"#{target.pk}",
                note=_("Merged into #%(n)s") % {"n": target.pk}, at=now)
    target.cc_emails = sorted(set(target.cc_emails).union(*(s.cc_emails for s in locked),
                                                          {s.requester_email for s in locked if s.requester_email}))
    # The moved messages count as the target's conversation: keep its "last reply" columns true.
    for column in ("last_customer_reply_at", "last_staff_reply_at"):
        latest = max(filter(None, [getattr(target, column), *(getattr(s, column) for s in locked)]), default=None)
        setattr(target, column, latest)
    latest_source = max(locked, key=lambda s: s.last_reply_at or s.created_at)
    latest_at = latest_source.last_reply_at
    if latest_at and (target.last_reply_at is None or latest_at > target.last_reply_at):
        target.last_reply_at = latest_at
        target.last_replier_name = latest_source.last_replier_name
        target.last_reply_by_staff = latest_source.last_reply_by_staff
    target.updated_at = now
    target.save()
    hooks.emit("merged", ticket_id=target.pk, actor_id=_actor_id(actor), source_ids=source_ids)
    _record(target, TicketEvent.Kind.MERGED, actor=actor, after=", ".join(f"#{i}" for i in source_ids),
            note=_("Merged tickets %(ids)s into this one") % {"ids": ", ".join(f"#{i}" for i in source_ids)}, at=now)
    return target


def note_history(*, ticket: Ticket, note: str, actor: object = None) -> TicketEvent:
    """Write a note into the ticket's history (not the conversation), e.g. why mail opened it."""
    return _record(ticket, TicketEvent.Kind.NOTE, actor=actor, note=note)


# --- tasks ---------------------------------------------------------------------------------


@transaction.atomic
def create_task(
    *,
    title: str,
    actor: object,
    description: str = "",
    ticket: Ticket | None = None,
    assignee: object = None,
    department: Department | None = None,
    due_at: datetime | None = None,
    priority: Priority | None = None,
    created_at: datetime | None = None,
) -> Task:
    """Create a follow-up task, linked to its ticket (which records it in its history)."""
    if not (title or "").strip():
        raise TicketError(_("A task needs a title."))
    task = Task.objects.create(
        title=title.strip()[:200], description=description, ticket=ticket, assignee=assignee,
        department=department, due_at=due_at, priority=priority, created_by=actor,
        created_at=created_at or timezone.now(),
    )
    if ticket is not None:
        _record(ticket, TicketEvent.Kind.TASK, actor=actor, after=task.title,
                note=_("Task created for %(who)s") % {"who": assignee or department or "-"}, at=task.created_at)
    hooks.emit("task_created", task_id=task.pk, ticket_id=getattr(ticket, "pk", None), actor_id=_actor_id(actor))
    return task


@transaction.atomic
def set_task_status(*, task: Task, status: str, actor: object = None) -> Task:
    """Move a task to open / in progress / done; done records completed_at."""
    task = Task.objects.select_for_update().get(pk=task.pk)
    if status not in Task.Status.values:
        raise TicketError(_("Unknown task status."))
    task.status = status
    task.completed_at = timezone.now() if status == Task.Status.DONE else None
    task.save(update_fields=["status", "completed_at"])
    if task.ticket_id:
        _record(task.ticket, TicketEvent.Kind.TASK, actor=actor, after=f"{task.title}: {task.get_status_display()}")
    return task


TASK_EDITABLE_FIELDS = ("title", "description", "ticket", "assignee", "department", "due_at", "priority")


@transaction.atomic
def update_task(*, task: Task, changes: dict[str, object], actor: object = None) -> Task:
    """Change a task's details (not its status: see set_task_status); the linked ticket's history
    records which fields changed."""
    unknown = set(changes) - set(TASK_EDITABLE_FIELDS)
    if unknown:
        raise TicketError(_("These task fields cannot be changed here: %(f)s.") % {"f": ", ".join(sorted(unknown))})
    if "title" in changes and not str(changes["title"] or "").strip():
        raise TicketError(_("A task needs a title."))
    task = Task.objects.select_for_update().get(pk=task.pk)
    changed = [name for name, value in changes.items() if getattr(task, name) != value]
    if not changed:
        return task
    for name in changed:
        setattr(task, name, changes[name])
    task.save(update_fields=changed)
    if task.ticket_id:
        _record(task.ticket, TicketEvent.Kind.TASK, actor=actor, after=task.title,
                note=_("Task changed: %(fields)s") % {"fields": ", ".join(changed)})
    return task


# --- configuration writes ------------------------------------------------------------------


def check_status_deletable(*, status: TicketStatus) -> None:
    """Raise StatusInUse, saying how many tickets use it, when `status` may not be deleted."""
    in_use = Ticket.objects.filter(status=status).count()
    if in_use:
        raise StatusInUse(
            ngettext(
                "The status “%(name)s” is used by %(n)d ticket; move it to another status first.",
                "The status “%(name)s” is used by %(n)d tickets; move them to another status first.",
                in_use,
            )
            % {"name": status.name, "n": in_use}
        )


@transaction.atomic
def delete_status(*, status: TicketStatus) -> None:
    """Delete a status, refused while tickets use it (the message says how many)."""
    check_status_deletable(status=status)
    status.delete()


def count_predefined_reply_use(*, reply: PredefinedReply) -> None:
    """Count one use of a predefined reply (the manager's 'predefined reply usage' metric)."""
    PredefinedReply.objects.filter(pk=reply.pk).update(usage_count=F("usage_count") + 1)


def save_queue_default(*, user: object, query: str) -> None:
    """Store the agent's own default queue filter (the queue URL's query string; '' resets it)."""
    from tickets.models import QueuePreference

    QueuePreference.objects.update_or_create(user=user, defaults={"default_query": query[:2000]})
