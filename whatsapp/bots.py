"""Automatic answers to customer messages: FAQ, business hours, receipt confirmation.

For each inbound message at most one bot answers (FAQ first: it is the most specific; then
business hours; then the receipt), and none when:
- an agent is handling the conversation (it is assigned, or an agent wrote in the last
  AGENT_ACTIVE_HOURS hours);
- the same bot answered this conversation within its cool-down;
- the message is not something a person typed (reactions, system notices, our own echoes).
"""

import re
from datetime import datetime, timedelta

from django.db.models import Q
from django.utils import timezone

from tickets import services as ticket_services
from tickets.sla import calendar, policy
from whatsapp import sending
from whatsapp.models import Bot, Conversation, Message

AGENT_ACTIVE_HOURS = 4
ANSWERABLE = {"text", "interactive", "button", "image", "video", "audio", "voice", "document", "location",
              "contacts", "sticker"}
_KIND_ORDER = {Bot.Kind.FAQ: 0, Bot.Kind.BUSINESS_HOURS: 1, Bot.Kind.RECEIPT: 2}
_WORD = re.compile(r"\w+")


def _agent_handling(conversation: Conversation, now: datetime) -> bool:
    if conversation.assignee_id:
        return True
    since = now - timedelta(hours=AGENT_ACTIVE_HOURS)
    return conversation.messages.filter(direction=Message.Direction.OUT, sent_by__isnull=False,
                                        created_at__gte=since).exists()


def _cooling_down(bot: Bot, conversation: Conversation, now: datetime) -> bool:
    since = now - timedelta(minutes=bot.cooldown_minutes)
    return conversation.messages.filter(bot=bot, created_at__gte=since).exists()


def faq_matches(bot: Bot, text: str) -> bool:
    """Return whether the customer's text triggers this FAQ bot."""
    phrases = [p.strip().lower() for p in bot.phrases.splitlines() if p.strip()]
    text = " ".join(text.lower().split())
    if bot.match == Bot.Match.EXACT:
        return text.strip(" ?!.") in {p.strip(" ?!.") for p in phrases}
    words = set(_WORD.findall(text))
    return any((p in text) if " " in p else (p in words) for p in phrases)


def hours_text(department_id: int | None) -> str:
    """The department's opening hours as text, e.g. "Monday 09:00-17:00; Tuesday ..."."""
    cal = policy.calendar_for(department_id)
    if cal is None:
        return ""
    rows = [str(h) for h in cal.hours.order_by("weekday", "opens")]
    return "; ".join(rows) + (f" ({cal.time_zone})" if rows else "")


def render(bot: Bot, conversation: Conversation) -> str:
    """The bot's answer for this conversation, placeholders filled."""
    department = conversation.department
    priority = ticket_services.default_priority(department)
    sla_hours = max(1, round(priority.first_response_minutes / 60)) if priority else ""
    contact = conversation.contact
    first = contact.first_name if contact else (conversation.profile_name.split(" ")[0] if conversation.profile_name
                                                else "")
    values = {"hours": hours_text(conversation.department_id), "sla_hours": str(sla_hours),
              "contact_first_name": first}
    return re.sub(r"\{\s*([a-z_]+)\s*\}", lambda m: values.get(m.group(1), m.group(0)), bot.message)


def _applies(bot: Bot, message: Message, conversation: Conversation, now: datetime) -> bool:
    if bot.kind == Bot.Kind.FAQ:
        return faq_matches(bot, message.body)
    if bot.kind == Bot.Kind.BUSINESS_HOURS:
        schedule = policy.schedule_for(conversation.department_id)
        return schedule is not None and not calendar.is_open(now, schedule)
    if bot.kind == Bot.Kind.RECEIPT:
        return True
    return False


def choose(*, message: Message, now: datetime | None = None) -> Bot | None:
    """Return the bot that answers this message, or None."""
    now = now or timezone.now()
    conversation = message.conversation
    if message.direction != Message.Direction.IN or message.type not in ANSWERABLE:
        return None
    if _agent_handling(conversation, now):
        return None
    bots = Bot.objects.filter(is_active=True).filter(
        Q(department__isnull=True) | Q(department_id=conversation.department_id))
    for bot in sorted(bots, key=lambda b: (_KIND_ORDER.get(b.kind, 9), b.order, b.pk)):
        if _cooling_down(bot, conversation, now):
            continue
        if _applies(bot, message, conversation, now):
            return bot
    return None


def answer(*, message_id: int) -> Message | None:
    """Let one bot answer an inbound message; return the answer (queued for sending) or None."""
    message = Message.objects.select_related("conversation__department", "conversation__contact").filter(
        pk=message_id).first()
    if message is None:
        return None
    bot = choose(message=message)
    if bot is None:
        return None
    try:
        return sending.send_text(conversation=message.conversation, body=render(bot, message.conversation), bot=bot)
    except (sending.WindowClosed, sending.SendError):
        return None
