"""Build and send the email for a staff reply: subject token, our signed Message-ID,
In-Reply-To/References to the customer's last message, the agent's signature, attachments."""

import logging

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.utils import timezone

from tickets.models import Ticket, TicketMessage
from tickets.threading import make_message_id, subject_with_token

logger = logging.getLogger(__name__)


def _references(ticket: Ticket, upto: TicketMessage) -> tuple[str, list[str]]:
    ids = list(
        TicketMessage.objects.filter(ticket=ticket, created_at__lte=upto.created_at)
        .exclude(pk=upto.pk)
        .exclude(message_id="")
        .exclude(kind=TicketMessage.Kind.NOTE)
        .order_by("created_at", "id")
        .values_list("message_id", "kind")
    )
    customer_ids = [mid for mid, kind in ids if kind == TicketMessage.Kind.CUSTOMER]
    in_reply_to = customer_ids[-1] if customer_ids else (ids[-1][0] if ids else "")
    return in_reply_to, [mid for mid, _ in ids][-20:]


def build_email(message: TicketMessage) -> EmailMultiAlternatives:
    """Return the outgoing email for a staff reply or automatic message (not yet sent)."""
    ticket = message.ticket
    department = ticket.department
    from_email = f"{department.name} <{department.email}>" if department.email else settings.DEFAULT_FROM_EMAIL
    body = message.body_text
    profile = getattr(message.author, "staff_profile", None) if message.author_id else None
    if profile and profile.signature:
        body = f"{body.rstrip()}\n\n-- \n{profile.signature}"
    in_reply_to, references = _references(ticket, message)
    headers = {
        "Message-ID": message.message_id,
        "X-Helpdesk-Ticket": str(ticket.pk),
    }
    if message.kind == TicketMessage.Kind.SYSTEM:
        headers["Auto-Submitted"] = "auto-replied"
        headers["X-Auto-Response-Suppress"] = "All"
    if in_reply_to:
        headers["In-Reply-To"] = in_reply_to
    if references:
        headers["References"] = " ".join(references)
    email = EmailMultiAlternatives(
        subject=subject_with_token(ticket_id=ticket.pk, subject=ticket.subject),
        body=body,
        from_email=from_email,
        to=[ticket.reply_email],
        cc=[a for a in ticket.cc_emails if a.lower() != ticket.reply_email.lower()],
        headers=headers,
        reply_to=[department.email] if department.email else None,
    )
    for attachment in message.attachments.all():
        with attachment.file.open("rb") as fh:
            email.attach(attachment.original_name, fh.read(), attachment.content_type)
    return email


def send_ticket_message(*, message_id: int) -> None:
    """Send one staff reply by email and record the outcome on the message."""
    message = TicketMessage.objects.select_related(
        "ticket__department", "ticket__contact", "author__staff_profile"
    ).get(pk=message_id)
    if message.kind not in (TicketMessage.Kind.STAFF, TicketMessage.Kind.SYSTEM):
        return
    if message.delivery_status == "sent":
        return
    if not message.ticket.reply_email:
        TicketMessage.objects.filter(pk=message.pk).update(delivery_status="failed", delivery_error="no address")
        return
    if not message.message_id:
        message.message_id = make_message_id(ticket_id=message.ticket_id, message_ref=message.pk)
        TicketMessage.objects.filter(pk=message.pk).update(message_id=message.message_id)
    started = timezone.now()
    build_email(message).send(fail_silently=False)
    TicketMessage.objects.filter(pk=message.pk).update(delivery_status="sent", delivery_error="")
    logger.info(
        "reply emailed",
        extra={"ticket": message.ticket_id, "ticket_message": message.pk,
               "ms": int((timezone.now() - started).total_seconds() * 1000)},
    )
