"""Agent writes on a conversation: read, assign, close and reopen, quick replies, and
Workflow 5 (open a ticket from selected messages, linked both ways)."""

import re

from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext as _

from helpdesk import datetimes
from tickets import services as ticket_services
from tickets.exceptions import TicketError
from tickets.models import Department, Priority, Ticket
from tickets.models.core import Channel
from tickets.notifications import topbar
from whatsapp import services
from whatsapp.models import Conversation, Message, QuickReply

_FIELD = re.compile(r"\{\s*([a-z_]+)\s*\}")


def badges_changed(**_kwargs: object) -> None:
    """A conversation was saved or deleted (signal): the agents' WhatsApp badges are counted again."""
    topbar.forget_everyone()


def mark_read(*, conversation: Conversation) -> None:
    """The agent opened the conversation: nothing unread remains."""
    if conversation.unread_count:
        Conversation.objects.filter(pk=conversation.pk).update(unread_count=0)
        conversation.unread_count = 0
        topbar.forget_everyone()  # the agents' WhatsApp badges


def assign(*, conversation: Conversation, assignee: object) -> Conversation:
    Conversation.objects.filter(pk=conversation.pk).update(assignee=assignee)
    conversation.assignee = assignee
    return conversation


def set_status(*, conversation: Conversation, status: str, actor: object = None) -> Conversation:
    """Open or close the conversation; closing it is written on the client's Activity tab."""
    if status not in Conversation.Status.values:
        raise ValueError(status)
    changed = Conversation.objects.filter(pk=conversation.pk).exclude(status=status).update(status=status)
    conversation.status = status
    if changed:
        topbar.forget_everyone()  # an open conversation's unread messages count in the badges
    if changed and status == Conversation.Status.CLOSED:
        services.record_conversation_activity(conversation=conversation, opened=False, actor=actor)
    return conversation


def merge_values(*, conversation: Conversation, agent: object) -> dict[str, str]:
    """The merge fields of predefined replies, filled for a conversation."""
    contact = conversation.contact
    name = contact.full_name if contact else conversation.profile_name
    agent_name = agent.get_full_name() if agent is not None else ""
    ticket = conversation.ticket
    return {
        "contact_first_name": contact.first_name if contact else (name.split(" ")[0] if name else ""),
        "contact_name": name,
        "client_name": contact.client.name if contact else "",
        "ticket_number": str(ticket.pk) if ticket else "",
        "ticket_subject": ticket.subject if ticket else "",
        "agent_name": agent_name,
        "agent_first_name": agent_name.split(" ")[0] if agent_name else "",
        "department": conversation.department.name if conversation.department_id else "",
    }


def render_quick_reply(*, reply: QuickReply, conversation: Conversation, agent: object) -> str:
    """Return the reply's text with merge fields filled (unknown braces stay as typed)."""
    values = merge_values(conversation=conversation, agent=agent)
    return _FIELD.sub(lambda m: values.get(m.group(1), m.group(0)), reply.body)


def use_quick_reply(*, reply: QuickReply, conversation: Conversation, agent: object) -> str:
    """Count one use of a quick reply and return its filled-in text (editable before sending)."""
    QuickReply.objects.filter(pk=reply.pk).update(usage_count=F("usage_count") + 1)
    return render_quick_reply(reply=reply, conversation=conversation, agent=agent)


def quote_messages(messages: list[Message]) -> str:
    """The selected messages as the ticket's description: time, who, what."""
    lines = []
    for message in messages:
        who = _("Customer") if message.direction == Message.Direction.IN else (
            message.sent_by.get_full_name() if message.sent_by_id else _("Agent"))
        lines.append(f"[{datetimes.moment(message.created_at)}] {who}: {message.body or '[' + message.type + ']'}")
    return "\n".join(lines)


@transaction.atomic
def open_ticket_from_conversation(*, conversation: Conversation, subject: str, department: Department,
                                  priority: Priority | None, message_ids: list[int], agent: object) -> Ticket:
    """Workflow 5: open a WhatsApp ticket for the conversation's customer with the selected messages
    as its description, and link ticket and conversation both ways. Later messages of the
    conversation are added to the ticket while it is open; staff replies on it go out on WhatsApp."""
    conversation = Conversation.objects.select_for_update(of=("self",)).select_related("contact__client", "ticket").get(
        pk=conversation.pk)
    if conversation.ticket_id and conversation.ticket.closed_at is None:
        raise TicketError(_("This conversation already has an open ticket (#%(n)s).") % {"n": conversation.ticket_id})
    selected = list(conversation.messages.filter(pk__in=message_ids).select_related("sent_by").order_by("created_at"))
    if not selected:
        raise TicketError(_("Select the messages that describe the issue."))
    contact = conversation.contact
    ticket = ticket_services.open_ticket(
        subject=subject, body_text=quote_messages(selected), department=department, channel=Channel.WHATSAPP,
        contact=contact, requester_name="" if contact else (conversation.profile_name or f"+{conversation.wa_id}"),
        priority=priority, actor=agent, assignee=agent if getattr(agent, "pk", None) else None)
    ticket_services.note_history(
        ticket=ticket, actor=agent,
        note=_("Opened from WhatsApp conversation %(url)s (+%(wa)s)") % {"url": conversation.get_absolute_url(),
                                                                        "wa": conversation.wa_id})
    conversation.ticket = ticket
    if conversation.assignee_id is None and getattr(agent, "pk", None):
        conversation.assignee = agent
    conversation.save(update_fields=["ticket", "assignee"])
    return ticket


def default_subject(conversation: Conversation) -> str:
    """The first words of the latest customer text: the essence of the issue, for the agent to edit."""
    text = (conversation.messages.filter(direction=Message.Direction.IN, type="text")
            .order_by("-created_at").values_list("body", flat=True).first() or "")
    text = " ".join(text.split())
    return text[:80] or _("WhatsApp conversation with %(name)s") % {"name": conversation}
