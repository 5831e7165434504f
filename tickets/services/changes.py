"""Change a ticket: status, assignee, priority, department, service, custom fields,
escalation and merging. Each records its TicketEvent and announces it after commit."""


from collections.abc import Sequence
from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tickets import hooks
from tickets.custom_fields import clean_values
from tickets.exceptions import (
    EscalationNoteRequired,
    InvalidMerge,
    TicketError,
)
from tickets.models import (
    CustomField,
    CustomFieldValue,
    Department,
    Priority,
    Service,
    Task,
    Ticket,
    TicketEvent,
    TicketMessage,
    TicketStatus,
)
from tickets.services.close_guards import close_blockers
from tickets.services.common import (
    MIN_ESCALATION_NOTE,
    _actor_id,
    _locked,
    _record,
    _set_status,
    closed_status,
    refresh_sla,
    status_by_slug,
)
from tickets.services.conversation import add_reply
from tickets.services.escalations import escalation_is_major, record_escalation


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
    is_major: bool = False,
    created_at: datetime | None = None,
) -> Ticket:
    """Escalate in one step: an internal note (required: what was investigated and why), then
    department and/or assignee and/or priority, and the status (Escalated by default).

    The escalating agent follows the ticket (read access, told of replies and status changes).
    An `Escalation` row records the hand-off; a major one (asked for, or automatically for the
    most urgent priority of an Enterprise client) waits for a manager's approval.
    Emits `escalated` with the new department, whose staff and both departments' leads are told.
    """
    note = (note or "").strip()
    if len(note) < MIN_ESCALATION_NOTE:
        raise EscalationNoteRequired(
            _("Escalation needs an internal note saying what you investigated and why you escalate.")
        )
    if department is None and assignee is None and priority is None:
        raise TicketError(_("Choose a department, an assignee or a priority to escalate to."))
    at = created_at
    from_department_id = ticket.department_id
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
    is_major = is_major or escalation_is_major(ticket=ticket)
    escalation = record_escalation(
        ticket=ticket, actor=actor, note=note, from_department_id=from_department_id,
        assignee=assignee, is_major=is_major, created_at=at,
    )
    _record(
        ticket, TicketEvent.Kind.ESCALATED, actor=actor,
        after=f"{ticket.department} / {ticket.assignee or '-'} / {ticket.priority}",
        note=note if not is_major else f"{note}\n\n{_('Major escalation: waits for a manager to approve.')}", at=at,
    )
    hooks.emit(
        "escalated", ticket_id=ticket.pk, actor_id=_actor_id(actor), department_id=ticket.department_id,
        from_department_id=from_department_id, escalation_id=escalation.pk,
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
    blocked = close_blockers(t.pk for t in locked if t.closed_at is None)
    if blocked:  # merging closes the sources: one that must stay open cannot be merged away
        number, reason = min(blocked.items())
        raise InvalidMerge(_("Ticket #%(n)s cannot be merged (it would close): %(why)s") % {"n": number, "why": reason})
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


def record_history(
    *, ticket: Ticket, kind: str, actor: object = None, before: object = "", after: object = "", note: str = ""
) -> TicketEvent:
    """Write an event of `kind` into the ticket's history: what plugged-in apps (callbacks) and
    hand-offs did to it. Changes nothing else on the ticket."""
    if kind not in TicketEvent.Kind.values:
        raise TicketError(_("Unknown history event %(kind)s.") % {"kind": kind})
    return _record(ticket, kind, actor=actor, before=before, after=after, note=note)


# --- tasks ---------------------------------------------------------------------------------
