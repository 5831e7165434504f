"""Outbound WhatsApp: agent replies, attachments, templates and ticket replies, through the Graph API.

A message is written first (status pending), then a task sends it once: the task claims the row
(pending -> sending) so a redelivered task never sends it twice. What Meta answers decides the
rest (REFERENCE §1.11): rate limits go back to pending and retry later; 131047 (24 h window
closed) fails and the page offers a template; 131026 fails for good; 190 fails and records the
token error on the account for the managers.
"""

import logging
import re
from dataclasses import dataclass

from celery import current_app
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from crm import services as crm_services
from tickets.models import Ticket, TicketMessage
from tickets.notifications import topbar
from whatsapp import services
from whatsapp.graph import Client, GraphError
from whatsapp.models import Account, Bot, Conversation, EventSend, Media, Message, MessageTemplate

logger = logging.getLogger(__name__)
MAX_TEXT = 4096
_VAR = re.compile(r"\{\{\s*(\d+)\s*\}\}")


class WindowClosed(Exception):
    """Free text outside the 24-hour customer-service window: only a template may go."""


class SendError(Exception):
    """The message cannot be written (empty, too long, no template)."""


@dataclass
class Outcome:
    sent: bool
    retry: bool = False
    error: str = ""


def _queue_send(message: Message) -> None:
    pk = message.pk
    transaction.on_commit(lambda: current_app.tasks["whatsapp.send_message"].delay(pk))


def _touch(conversation: Conversation, preview: str) -> None:
    Conversation.objects.filter(pk=conversation.pk).update(last_message_at=timezone.now(), last_preview=preview[:120])


@transaction.atomic
def send_text(*, conversation: Conversation, body: str, agent: object = None,
              attachment: tuple[str, bytes, str] | None = None, ticket_message: TicketMessage | None = None,
              bot: Bot | None = None) -> Message:
    """Write a free-text reply (an agent's, a ticket's or a bot's; optional attachment) and queue it.
    An agent's reply marks the conversation read; a bot's does not.

    Raises WindowClosed outside the 24-hour window and SendError for an empty or long text.
    """
    body = (body or "").strip()
    if not body and attachment is None:
        raise SendError(_("Write a message or attach a file."))
    if len(body) > MAX_TEXT:
        raise SendError(_("A WhatsApp message holds at most %(n)s characters.") % {"n": MAX_TEXT})
    if not conversation.window_open():
        raise WindowClosed(_("More than 24 hours have passed since the customer last wrote: send a template."))
    msg_type = "text"
    if attachment is not None:
        mime = attachment[2]
        msg_type = "image" if mime in ("image/jpeg", "image/png") else "document"
    message = Message.objects.create(
        conversation=conversation, direction=Message.Direction.OUT, type=msg_type, body=body,
        status=Message.Status.PENDING, sent_by=agent if getattr(agent, "pk", None) else None,
        ticket_message=ticket_message, bot=bot)
    if attachment is not None:
        name, content, mime = attachment
        media = Media(message=message, media_id="", mime_type=mime, filename=name[:255], size=len(content),
                      state=Media.State.STORED)
        from django.core.files.base import ContentFile

        media.file.save(name.replace("/", "_")[:200], ContentFile(content), save=False)
        media.save()
    _touch(conversation, body or attachment[0])
    if bot is None and Conversation.objects.filter(pk=conversation.pk, unread_count__gt=0).update(unread_count=0):
        topbar.forget_everyone()  # the agents' WhatsApp badges
    _queue_send(message)
    return message


def template_variables(template: MessageTemplate) -> int:
    return len(set(_VAR.findall(template.body_text)))


def render_template(template: MessageTemplate, params: list[str]) -> str:
    def fill(match: re.Match) -> str:
        index = int(match.group(1)) - 1
        return params[index] if 0 <= index < len(params) else match.group(0)

    return _VAR.sub(fill, template.body_text)


@transaction.atomic
def send_template(*, conversation: Conversation, template: MessageTemplate, params: list[str],
                  agent: object = None, buttons: list[dict] | None = None, queue: bool = True) -> Message:
    """Write a template message (allowed outside the window) and queue it.

    `buttons` are extra button components (a URL button's suffix); `queue=False` leaves the
    sending to the caller (deliver() now, e.g. when a failure must fall back to email at once).
    """
    if template.status.upper() != "APPROVED":
        raise SendError(_("Only approved templates can be sent."))
    needed = template_variables(template)
    params = [p.strip() for p in params][:needed]
    if len(params) < needed or any(not p for p in params):
        raise SendError(_("Fill in all %(n)s variables of the template.") % {"n": needed})
    components = [{"type": "body", "parameters": [{"type": "text", "text": p} for p in params]}] if params else []
    components += buttons or []
    message = Message.objects.create(
        conversation=conversation, direction=Message.Direction.OUT, type="template",
        body=render_template(template, params), template=template, status=Message.Status.PENDING,
        payload={"template": {"name": template.name, "language": {"code": template.language},
                              "components": components}},
        sent_by=agent if getattr(agent, "pk", None) else None)
    _touch(conversation, message.body)
    if queue:
        _queue_send(message)
    return message


def _payload(message: Message, client: Client, phone_number_id: str) -> dict:
    to = message.conversation.wa_id
    if message.type == "template":
        return {"to": to, "type": "template", "template": message.payload["template"]}
    media = message.media.first()
    if media is not None and media.file:
        with media.file.open("rb") as fh:
            media_id = client.upload(phone_number_id=phone_number_id, name=media.filename, content=fh.read(),
                                     mime_type=media.mime_type)
        Media.objects.filter(pk=media.pk).update(media_id=media_id)
        obj: dict = {"id": media_id}
        if message.type == "document":
            obj["filename"] = media.filename
        if message.body:
            obj["caption"] = message.body
        return {"to": to, "type": message.type, message.type: obj}
    payload = {"to": to, "type": "text", "text": {"preview_url": False, "body": message.body}}
    return payload


def deliver(*, message_id: int) -> Outcome:
    """Send a pending outbound message once; return what happened (retry=True: try again later)."""
    claimed = Message.objects.filter(pk=message_id, status=Message.Status.PENDING).update(
        status=Message.Status.SENDING, attempts=F("attempts") + 1)
    if not claimed:
        return Outcome(sent=False, error="not pending")
    message = Message.objects.select_related("conversation__phone_number__account").get(pk=message_id)
    number = message.conversation.phone_number
    account: Account = number.account
    client = Client(account)
    try:
        wamid = client.send(phone_number_id=number.phone_number_id, payload=_payload(message, client,
                                                                                   number.phone_number_id))
    except GraphError as exc:
        return _failed(message, exc, account)
    with transaction.atomic():
        message = Message.objects.select_for_update().get(pk=message_id)
        message.wamid, message.status = wamid, Message.Status.ACCEPTED
        message.error_code, message.error_title = None, ""
        message.save(update_fields=["wamid", "status", "error_code", "error_title"])
        services.apply_stored_statuses(message=message)
        if message.ticket_message_id:
            TicketMessage.objects.filter(pk=message.ticket_message_id).update(delivery_status="sent", delivery_error="")
    if account.token_error:
        Account.objects.filter(pk=account.pk).update(token_error="")
    return Outcome(sent=True)


def _failed(message: Message, exc: GraphError, account: Account) -> Outcome:
    if exc.code == 190:
        Account.objects.filter(pk=account.pk).update(token_error=exc.title)
        logger.error("whatsapp access token rejected", extra={"account": account.pk})
    if exc.retry and message.attempts < 6:
        Message.objects.filter(pk=message.pk).update(status=Message.Status.PENDING, error_code=exc.code,
                                                     error_title=_("Retrying: %(e)s") % {"e": exc.title})
        return Outcome(sent=False, retry=True, error=exc.title)
    Message.objects.filter(pk=message.pk).update(status=Message.Status.FAILED, error_code=exc.code,
                                                 error_title=exc.title)
    if message.ticket_message_id:
        TicketMessage.objects.filter(pk=message.ticket_message_id).update(
            delivery_status="failed", delivery_error=f"WhatsApp {exc.code or ''}: {exc.title}"[:1000])
    _event_send_failed(message, exc)
    return Outcome(sent=False, error=exc.title)


def _event_send_failed(message: Message, exc: GraphError) -> None:
    """A template sent for an invoice event failed at Meta: say so on the client's timeline."""
    send = EventSend.objects.filter(message_id=message.pk).select_related("invoice").first()
    if send is None:
        return
    note = f"WhatsApp {exc.code or ''}: {exc.title}"[:300]
    EventSend.objects.filter(pk=send.pk).update(state=EventSend.State.FAILED, note=note)
    crm_services.record_activity(
        client_id=send.client_id, kind="whatsapp", link=message.conversation.get_absolute_url(),
        description=_("WhatsApp template %(t)s for invoice %(n)s (%(e)s) failed: %(err)s") % {
            "t": message.template.name if message.template_id else "", "n": send.invoice.number if send.invoice
            else "", "e": send.get_event_display(), "err": note})


# --- the reply channel tickets calls (registered in apps.py) --------------------------------


def conversation_for_ticket(*, ticket_id: int) -> Conversation | None:
    return Conversation.objects.filter(ticket_id=ticket_id).select_related("phone_number").order_by("-pk").first()


def send_ticket_reply(message_id: int) -> None:
    """Deliver a staff reply on a WhatsApp ticket through the linked conversation, once."""
    tm = TicketMessage.objects.filter(pk=message_id).select_related("ticket").first()
    if tm is None or tm.delivery_status == "sent" or Message.objects.filter(ticket_message_id=message_id).exists():
        return
    conversation = conversation_for_ticket(ticket_id=tm.ticket_id)
    if conversation is None:
        TicketMessage.objects.filter(pk=message_id).update(delivery_status="failed",
                                                           delivery_error="no WhatsApp conversation linked")
        return
    try:
        message = send_text(conversation=conversation, body=tm.body_text, agent=tm.author, ticket_message=tm)
    except (WindowClosed, SendError) as exc:
        TicketMessage.objects.filter(pk=message_id).update(delivery_status="failed", delivery_error=str(exc)[:1000])
        return
    logger.info("ticket reply queued on whatsapp", extra={"ticket_message": message_id, "whatsapp_message": message.pk})


def ticket_is_open(ticket: Ticket) -> bool:
    return ticket.closed_at is None
