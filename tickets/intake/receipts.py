"""Automatic mail of the intake: the receipt for a new ticket (a predefined reply with merge
fields, sent through the ticket services so it is part of the thread) and the notices to a
refused sender or to the managers when a sender's mail is held."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.mail import EmailMessage
from django.core.mail import get_connection as get_mail_connection
from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from crm.models import Contact, User
from helpdesk.languages import group_by_language, in_language, in_language_of
from tickets import services
from tickets.labels import label
from tickets.models import (
    Department,
    InboundEmail,
    PredefinedReply,
    Ticket,
    TicketMessage,
)
from tickets.threading import make_message_id

if TYPE_CHECKING:
    from tickets.intake.services import Intake

# Used when no predefined reply is titled HELPDESK_RECEIPT_REPLY_TITLE. It is also the text the
# seeded reply starts with (migration 0005): while that reply is unchanged the receipt is written
# in the customer's language; a reply a manager edited is sent as the manager wrote it.
RECEIPT_FALLBACK = gettext_noop(
    "Hello {contact_first_name},\n\n"
    "We received your ticket [Ticket ID: {ticket_number}] “{ticket_subject}”. "
    "Our {department} team will answer as soon as possible.\n"
    "To add information, reply to this email and keep the ticket number in the subject.\n\n"
    "This is an automatic message."
)


_FIELD = re.compile(r"\{(\w+)\}")


def render_merge_fields(body: str, values: dict[str, str]) -> str:
    """Fill {merge_fields} in a predefined reply; unknown ones stay as written."""
    return _FIELD.sub(lambda m: str(values.get(m.group(1), m.group(0))), body)


def receipt_template(department: Department | None) -> str:
    replies = PredefinedReply.objects.filter(title=settings.HELPDESK_RECEIPT_REPLY_TITLE, is_active=True)
    reply = None
    if department is not None:
        reply = replies.filter(department=department).first()
    reply = reply or replies.filter(department__isnull=True).first()
    return reply.body if reply else RECEIPT_FALLBACK


# What a stranger wrote reaches the receipt only as a short name and a short, one-line subject:
# a spammer's display name or subject ("Cheap pills at http://...") is no message of ours.
RECEIPT_SUBJECT_CHARS = 80
_PLAIN_NAME = re.compile(r"^[^\W\d_][\w'\u2019-]{0,29}$")


def _short(text: str, limit: int) -> str:
    text = " ".join("".join(ch for ch in text if ch.isprintable()).split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "\u2026"


def _greeting_name(name: str) -> str:
    first = (name or "").split(" ")[0].strip("\"'")
    return first if _PLAIN_NAME.match(first) else _("there")


def receipt_values(ticket: Ticket) -> dict[str, str]:
    """Return the merge fields of a receipt for this ticket (names and subject shortened and
    reduced to plain text for senders who are no contact of ours)."""
    contact = ticket.contact
    return {
        "contact_first_name": contact.first_name if contact else _greeting_name(ticket.requester_name),
        "contact_name": contact.full_name if contact else _short(ticket.requester_name, 60) or ticket.requester_email,
        "client_name": ticket.client.name if ticket.client_id else "",
        "ticket_number": str(ticket.pk),
        "ticket_subject": _short(ticket.subject, RECEIPT_SUBJECT_CHARS),
        "department": label(ticket.department.name),
        "agent_name": "",
        "agent_first_name": "",
    }


def receipt_text(template: str, ticket: Ticket) -> str:
    """Return the receipt of this ticket in its contact's language (the site's for strangers and
    contacts without one): the built-in text translated, the merge fields filled in."""
    with in_language_of(ticket.contact if ticket.contact_id else None):
        if template == RECEIPT_FALLBACK:
            template = _(RECEIPT_FALLBACK)
        return render_merge_fields(template, receipt_values(ticket))


def send_receipt(*, ticket: Ticket, intake: Intake | None = None) -> TicketMessage:
    """Send the automatic receipt for a new ticket; it never counts as a first response."""
    template = intake.receipt_for(ticket.department) if intake else receipt_template(ticket.department)
    return services.add_reply(
        ticket=ticket,
        kind=TicketMessage.Kind.SYSTEM,
        body_text=receipt_text(template, ticket),
        is_automatic=True,
        author_name=ticket.department.name,
        send=True,
    )


def _notice_email(subject: str, body: str, to: Iterable[str]) -> EmailMessage:
    return EmailMessage(
        subject=subject,
        body=body,
        to=list(to),
        headers={
            "Auto-Submitted": "auto-replied",
            "X-Auto-Response-Suppress": "All",
            # Signed like our ticket mail (ticket 0: none), so it is known as ours if it comes back.
            "Message-ID": make_message_id(ticket_id=0),
        },
    )


def _inbound_notice(notice: str, inbound: InboundEmail) -> tuple[str, str] | None:
    """Return (subject, body) of a notice in the active language, None for an unknown notice."""
    if notice == "held_unknown":
        return (
            _("Email from unregistered senders is being held"),
            _("More than %(n)d new tickets from unregistered senders arrived within %(m)d minutes. Further "
              "new tickets from senders who are no contact are held, not dropped: review them in the admin "
              "under Inbound emails (state: held) and use “process again” to open tickets from "
              "them.")
            % {"n": settings.HELPDESK_UNKNOWN_SENDERS_RATE_LIMIT, "m": settings.HELPDESK_SENDER_RATE_WINDOW_MINUTES},
        )
    if notice == "held":
        return (
            _("Email from %(sender)s is being held") % {"sender": inbound.from_email},
            _("%(sender)s sent more than %(n)d new tickets within %(m)d minutes. Further email from this "
              "address is held, not dropped: review it in the admin under Inbound emails (state: held) and "
              "use “process again” to open tickets from it.")
            % {"sender": inbound.from_email, "n": settings.HELPDESK_SENDER_RATE_LIMIT,
               "m": settings.HELPDESK_SENDER_RATE_WINDOW_MINUTES},
        )
    if notice == "refused":
        body = _("Hello,\n\nThank you for your email “%(subject)s”. We can only open support "
                 "tickets for registered contacts, and %(sender)s is not one of them. Please write from "
                 "the address registered with us, or ask your company's account administrator to add "
                 "you.\n\nThis is an automatic message.")
    elif notice == "too_large":
        body = _("Hello,\n\nYour email “%(subject)s” is larger than we can accept. Please send "
                 "it again with smaller attachments, or share them through a link.\n\nThis is an "
                 "automatic message.")
    else:
        return None
    return (_("We could not open a ticket from your email"),
            body % {"subject": inbound.subject, "sender": inbound.from_email})


def send_inbound_notice(*, inbound_id: int, notice: str) -> None:
    """Send the polite refusal to a sender, or tell the managers that mail is being held; each in
    the recipient's language (a manager's, a known contact's, else the site's)."""
    inbound = InboundEmail.objects.filter(pk=inbound_id).select_related("department").first()
    if inbound is None:
        return
    department = inbound.department
    from_email = f"{department.name} <{department.email}>" if department and department.email else None
    if notice in ("held", "held_unknown"):
        recipients = list(
            User.objects.filter(is_active=True, is_staff=True)
            .filter(Q(is_superuser=True) | Q(staff_profile__role="manager"))
            .values_list("email", "language")
        )
    elif notice in ("refused", "too_large"):
        if not inbound.from_email:
            return
        # A refused sender is no contact (the site's language); a too-large email may be a contact's.
        language = Contact.objects.filter(email__iexact=inbound.from_email).values_list("language", flat=True).first()
        recipients = [(inbound.from_email, language or "")]
    else:
        return
    if not recipients:
        return
    for language, group in group_by_language(recipients, lambda r: r[1]).items():
        with in_language(language):
            subject, body = _inbound_notice(notice, inbound)
        email = _notice_email(subject, body, [address for address, _lang in group])
        if from_email:
            email.from_email = from_email
        email.connection = get_mail_connection()
        email.send(fail_silently=False)


def on_tickets_created(*, payloads: list[dict], **_kwargs: object) -> None:
    """Send the receipt for new tickets of the other channels listed in HELPDESK_RECEIPT_CHANNELS
    (portal and phone by default); email tickets get theirs from the intake itself."""
    from tickets.models.core import Channel

    channels = set(settings.HELPDESK_RECEIPT_CHANNELS) - {Channel.EMAIL}
    if not channels:
        return
    tickets = (Ticket.objects.filter(pk__in=[p["ticket_id"] for p in payloads], channel__in=channels,
                                     is_spam=False)
               .select_related("contact", "client", "department"))
    for ticket in tickets:
        if ticket.reply_email and not ticket.messages.filter(kind=TicketMessage.Kind.SYSTEM).exists():
            send_receipt(ticket=ticket)
