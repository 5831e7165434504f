"""Inbound WhatsApp: store the raw webhook first, then process it once (nothing lost, nothing twice).

1. `store_webhook_event` inserts the raw body (sha256 unique: Meta's retry of the same POST only
   counts a delivery) and queues processing after commit; the view answers 200 at once.
2. `process_webhook_event` claims the row (`UPDATE ... WHERE state='new'`) inside the transaction
   that writes the messages. Each message is inserted in its own savepoint with its wamid
   unique, so a wamid seen before (another event, another worker) is skipped. Statuses are
   stored per (wamid, status) and applied with a rank that never moves backwards.
   An error keeps the event (state failed, traceback) for "process again" in the admin.
3. Media are fetched by a separate task per file (whatsapp.media).
"""

import logging
import traceback
from datetime import datetime, timedelta

from celery import current_app
from django.conf import settings
from django.db import IntegrityError, InterfaceError, OperationalError, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from crm import services as crm_services
from crm.models import Contact, Lead
from tickets import services as ticket_services
from tickets.models import TicketMessage
from tickets.models.core import Channel
from whatsapp import payloads
from whatsapp.models import Bot, Conversation, Media, Message, MessageStatus, PhoneNumber, WebhookEvent
from whatsapp.payloads import InboundWa, StatusWa

logger = logging.getLogger(__name__)
State = WebhookEvent.State
RANK = {"pending": 0, "sending": 0, "accepted": 1, "sent": 2, "delivered": 3, "read": 4, "played": 4}


class UnknownNumber(Exception):
    """The webhook names a phone_number_id no WhatsApp number here has."""


def _queue(task: str, *args: object) -> None:
    transaction.on_commit(lambda: current_app.tasks[task].delay(*args))


# --- 1. store -------------------------------------------------------------------------------


def store_webhook_event(*, body: bytes, sha256: str) -> tuple[WebhookEvent | None, bool]:
    """Store a signed POST body; return (event, created). A repeat counts one more delivery."""
    try:
        with transaction.atomic():
            event = WebhookEvent.objects.create(body=body, sha256=sha256)
            _queue("whatsapp.process_event", event.pk)
            return event, True
    except IntegrityError:
        WebhookEvent.objects.filter(sha256=sha256).update(deliveries=F("deliveries") + 1)
        return None, False


# --- 2. process -----------------------------------------------------------------------------


def _claim(event_id: int, *, force: bool) -> bool:
    now = timezone.now()
    stale = now - timedelta(minutes=10)
    claimable = Q(state=State.NEW) | Q(state=State.PROCESSING, claimed_at__lt=stale)
    if force:
        claimable |= Q(state=State.FAILED)
    return bool(WebhookEvent.objects.filter(claimable, pk=event_id).update(
        state=State.PROCESSING, claimed_at=now, attempts=F("attempts") + 1))


def process_webhook_event(*, event_id: int, force: bool = False) -> WebhookEvent | None:
    """Turn a stored event into conversations, messages and statuses, once.

    `force` processes a failed event again (the admin action). Database outages propagate so
    the task retries; any other error is kept on the event and not raised.
    """
    try:
        with transaction.atomic():
            if not _claim(event_id, force=force):
                return WebhookEvent.objects.filter(pk=event_id).first()
            event = WebhookEvent.objects.get(pk=event_id)
            batch = payloads.parse(bytes(event.body))
            counts = {"messages": 0, "duplicates": 0, "statuses": 0}
            bots_on = Bot.objects.filter(is_active=True).exists() if batch.messages else False
            for inbound in batch.messages:
                counts["messages" if receive_message(inbound=inbound, run_bots=bots_on) else "duplicates"] += 1
            for status in batch.statuses:
                apply_status(status=status)
                counts["statuses"] += 1
            event.state = State.DONE
            event.processed_at = timezone.now()
            event.error = ""
            event.summary = ", ".join(f"{v} {k}" for k, v in counts.items() if v)
            if batch.other_fields:
                event.summary += f"; ignored fields: {', '.join(batch.other_fields)}"
            event.summary = event.summary[:300]
            event.save(update_fields=["state", "processed_at", "error", "summary"])
            return event
    except (OperationalError, InterfaceError):
        raise
    except Exception as exc:
        logger.exception("whatsapp event failed", extra={"whatsapp_event": event_id})
        WebhookEvent.objects.filter(pk=event_id).update(
            state=State.FAILED, processed_at=timezone.now(), summary=f"{type(exc).__name__}: {exc}"[:300],
            error="".join(traceback.format_exception(exc))[-8000:])
        return WebhookEvent.objects.filter(pk=event_id).first()


def reprocess_events(*, event_ids: list[int]) -> int:
    """Process failed events again now (admin action); return how many succeeded."""
    done = 0
    for pk in event_ids:
        event = process_webhook_event(event_id=pk, force=True)
        done += bool(event and event.state == State.DONE)
    return done


def _conversation_for(inbound: InboundWa) -> tuple[Conversation, bool]:
    """Return the conversation of the message's sender (locked) and whether it was created now."""
    number = PhoneNumber.objects.select_related("account").filter(phone_number_id=inbound.phone_number_id).first()
    if number is None:
        raise UnknownNumber(f"no WhatsApp number with phone_number_id {inbound.phone_number_id!r}")
    conversation = (Conversation.objects.select_for_update()
                    .filter(phone_number=number, wa_id=inbound.wa_id).first())
    matched = created = False
    if conversation is None:
        matched = True
        try:
            with transaction.atomic():
                conversation = Conversation.objects.create(
                    phone_number=number, wa_id=inbound.wa_id, profile_name=inbound.profile_name[:200],
                    department_id=number.default_department_id, last_message_at=inbound.timestamp,
                    contact=_match_contact(inbound.wa_id))
                created = True
        except IntegrityError:  # another worker created it first
            conversation = Conversation.objects.select_for_update().get(phone_number=number, wa_id=inbound.wa_id)
    if inbound.profile_name and inbound.profile_name != conversation.profile_name:
        conversation.profile_name = inbound.profile_name[:200]
    if conversation.contact_id is None and conversation.lead_id is None:
        if not matched:  # a contact may have been given this number since
            conversation.contact = _match_contact(inbound.wa_id)
        if conversation.contact is None and number.account.auto_lead:
            conversation.lead = _lead_for(conversation, number)
    return conversation, created


def _match_contact(wa_id: str) -> Contact | None:
    return Contact.objects.filter(phone=f"+{wa_id}", is_active=True).select_related("client").first()


def _lead_for(conversation: Conversation, number: PhoneNumber) -> Lead:
    """Return the one Lead for this number: an existing one, else a new one. The conversation row
    is locked, so two messages from the same number never create two."""
    phone = f"+{conversation.wa_id}"
    lead = Lead.objects.filter(phone=phone).order_by("pk").first()
    if lead is None:
        account = number.account
        lead = Lead.objects.create(
            name=conversation.profile_name or phone, phone=phone, source=account.lead_source,
            status=account.lead_status, owner_id=account.lead_owner_id,
            notes=f"WhatsApp message to {number.display_number}")
    return lead


def receive_message(*, inbound: InboundWa, run_bots: bool = True) -> bool:
    """Store one customer message; return False if its wamid was already stored. `run_bots=False`
    skips queueing the bots (none is switched on)."""
    if inbound.wamid and Message.objects.filter(wamid=inbound.wamid).exists():
        return False
    conversation, created = _conversation_for(inbound)
    opened = created
    try:
        with transaction.atomic():
            message = Message.objects.create(
                conversation=conversation, wamid=inbound.wamid or None, direction=Message.Direction.IN,
                type=inbound.type, body=inbound.body, payload=inbound.raw, context_wamid=inbound.context_wamid,
                reaction=inbound.reaction_emoji, status=Message.Status.RECEIVED,
                error_code=inbound.error_code, error_title=inbound.error_title, created_at=inbound.timestamp)
    except IntegrityError:
        return False
    if inbound.type == "reaction" and inbound.reaction_to:
        # The target shows the emoji; an empty one (removal) clears it.
        Message.objects.filter(wamid=inbound.reaction_to).update(reaction=inbound.reaction_emoji)
    if inbound.media:
        media = Media.objects.create(message=message, media_id=inbound.media["id"],
                                     mime_type=inbound.media["mime_type"][:120], sha256=inbound.media["sha256"][:100],
                                     filename=inbound.media["filename"][:255])
        _queue("whatsapp.fetch_media", media.pk)
    if inbound.new_wa_id:
        _follow_number_change(conversation, inbound.new_wa_id)
    if inbound.type != "reaction" and inbound.type != "system":
        conversation.unread_count += 1
        conversation.last_inbound_at = max(filter(None, [conversation.last_inbound_at, inbound.timestamp]))
        conversation.last_preview = (inbound.body or f"[{inbound.type}]")[:120]
        if conversation.status == Conversation.Status.CLOSED:
            conversation.status = Conversation.Status.OPEN
            opened = True
    conversation.last_message_at = max(conversation.last_message_at, inbound.timestamp)
    conversation.save()  # the agents' WhatsApp badges follow (post_save: conversations.badges_changed)
    if opened:
        record_conversation_activity(conversation=conversation, opened=True, at=inbound.timestamp,
                                     preview=inbound.body or f"[{inbound.type}]")
    if inbound.type not in ("reaction", "system"):
        _add_to_ticket(conversation, message)
        if run_bots:
            _queue("whatsapp.run_bots", message.pk)
    return True


def record_conversation_activity(*, conversation: Conversation, opened: bool, actor: object = None,
                                 at: datetime | None = None, preview: str = "") -> None:
    """Write "conversation opened/closed" on the Activity tab of the contact's client (if matched)."""
    contact = conversation.contact
    if contact is None:
        return
    who = contact.full_name or f"+{conversation.wa_id}"
    if opened:
        text = _("WhatsApp conversation opened by %(who)s (+%(wa)s): %(p)s") % {
            "who": who, "wa": conversation.wa_id, "p": preview[:200]}
    else:
        text = _("WhatsApp conversation with %(who)s (+%(wa)s) closed") % {"who": who, "wa": conversation.wa_id}
    crm_services.record_activity(client_id=contact.client_id, kind="whatsapp", description=text,
                                 actor=actor, link=conversation.get_absolute_url(), at=at)


def _follow_number_change(conversation: Conversation, new_wa_id: str) -> None:
    """The customer changed number: the conversation moves to the new wa_id (merging into the
    new number's conversation if there already is one)."""
    existing = Conversation.objects.filter(phone_number=conversation.phone_number, wa_id=new_wa_id).first()
    if existing is None:
        conversation.wa_id = new_wa_id
        return
    Message.objects.filter(conversation=existing).update(conversation=conversation)
    existing.delete()
    conversation.wa_id = new_wa_id


def _add_to_ticket(conversation: Conversation, message: Message) -> None:
    """Later messages of a conversation join its ticket while the ticket is open."""
    ticket = conversation.ticket
    if ticket is None or ticket.closed_at is not None:
        return
    text = message.body or f"[{message.type}]"
    reply = ticket_services.add_reply(
        ticket=ticket, body_text=text, kind=TicketMessage.Kind.CUSTOMER, contact=conversation.contact,
        author_name=conversation.profile_name or f"+{conversation.wa_id}", channel=Channel.WHATSAPP,
        message_id=f"whatsapp:{message.wamid}" if message.wamid else "", created_at=message.created_at)
    logger.info("whatsapp message added to ticket", extra={"ticket": ticket.pk, "ticket_message": reply.pk})


def apply_status(*, status: StatusWa) -> None:
    """Record a status report and move the message's status forward only (failed is terminal)."""
    if not status.wamid or not status.status:
        return
    MessageStatus.objects.get_or_create(
        wamid=status.wamid, status=status.status,
        defaults={"timestamp": status.timestamp, "error_code": status.error_code,
                  "error_title": status.error_title, "payload": status.raw})
    message = Message.objects.select_for_update().filter(wamid=status.wamid).first()
    if message is not None:
        _advance(message, status.status, status.error_code, status.error_title)


def _advance(message: Message, status: str, code: int | None, title: str) -> None:
    if message.status == Message.Status.FAILED:
        if status != "failed":
            logger.info("status after failure ignored", extra={"wamid": message.wamid, "status": status})
        return
    if status == "failed":
        message.status = Message.Status.FAILED
        message.error_code, message.error_title = code, title[:300]
    elif RANK.get(status, -1) > RANK.get(message.status, 0):
        message.status = "read" if status == "played" else status
    else:
        return
    message.save(update_fields=["status", "error_code", "error_title"])


def apply_stored_statuses(*, message: Message) -> None:
    """Apply statuses that arrived before the send call returned the wamid."""
    for row in MessageStatus.objects.filter(wamid=message.wamid).order_by("timestamp"):
        _advance(message, row.status, row.error_code, row.error_title)


def media_limit_bytes() -> int:
    return int(getattr(settings, "WHATSAPP_MEDIA_MAX_BYTES", 16 * 1024 * 1024))


def requeue_stale_events(*, older_than_minutes: int = 5) -> int:
    """Queue events that no task processed (broker down when the webhook stored them, a worker killed)."""
    cutoff = timezone.now() - timedelta(minutes=older_than_minutes)
    ids = list(WebhookEvent.objects.filter(state=State.NEW, received_at__lt=cutoff)
               .order_by("received_at").values_list("pk", flat=True)[:1000])
    for pk in ids:
        current_app.tasks["whatsapp.process_event"].delay(pk)
    return len(ids)
