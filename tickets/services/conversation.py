"""Open a ticket and add replies: the writes every channel makes (email, portal, WhatsApp,
phone, the agent UI)."""


from collections.abc import Iterable, Sequence
from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tickets import channels, hooks
from tickets.custom_fields import clean_values
from tickets.exceptions import (
    TicketError,
)
from tickets.models import (
    CustomField,
    CustomFieldValue,
    Department,
    Priority,
    Service,
    Ticket,
    TicketEvent,
    TicketMessage,
    TicketStatus,
)
from tickets.models.core import Channel
from tickets.services.close_guards import check_can_close
from tickets.services.common import (
    NewAttachment,
    _actor_id,
    _deadline_passed,
    _is_sla_paused,
    _record,
    _set_status,
    _store_attachments,
    default_priority,
    default_status,
    refresh_sla,
    status_by_slug,
)
from tickets.sla import policy as sla_policy


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
    if status_after is not None and status_after.is_closed and ticket.closed_at is None:
        check_can_close(ticket.pk)  # refuse "reply and close" before anything is stored or sent
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
