"""Reads of the WhatsApp inbox: the account, which conversations an agent sees, the list
(keyset-paginated on the indexed (last_message_at, id) order), unread counts and history."""

import time
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db.models import Prefetch, Q, QuerySet, Sum
from django.http import Http404

from whatsapp.models import Account, Conversation, Media, Message, MessageTemplate, QuickReply

PAGE_SIZE = 50


def get_account() -> Account | None:
    """Return the configured WhatsApp account (the first one), or None."""
    return Account.objects.order_by("pk").first()


_secrets_cache: dict[str, tuple[float, tuple[str, str]]] = {}
SECRETS_TTL_SECONDS = 10.0


def webhook_secrets() -> tuple[str, str]:
    """Return (verify token, app secret): the admin's values, else the environment's.

    Kept in the process for SECRETS_TTL_SECONDS: the webhook answers Meta on every message and
    a query plus two decryptions per POST is most of its own time; a changed secret applies
    within seconds.
    """
    cached = _secrets_cache.get("secrets")
    now = time.monotonic()
    if cached and now - cached[0] < SECRETS_TTL_SECONDS:
        return cached[1]
    account = get_account()
    verify = (account.verify_token if account else "") or getattr(settings, "WHATSAPP_VERIFY_TOKEN", "")
    secret = (account.app_secret if account else "") or getattr(settings, "WHATSAPP_APP_SECRET", "")
    _secrets_cache["secrets"] = (now, (verify, secret))
    return verify, secret


def forget_webhook_secrets() -> None:
    """Drop the cached secrets (the admin saved new ones; tests)."""
    _secrets_cache.clear()


def visible_conversations(*, user: object) -> QuerySet:
    """Conversations this staff member may open: managers all; agents those of their departments
    and those not yet routed to any department."""
    qs = Conversation.objects.all()
    if getattr(user, "is_manager", False):
        return qs
    return qs.filter(Q(department__isnull=True) | Q(department__in=user.departments.all()))


def get_conversation_for_agent(*, user: object, pk: int) -> Conversation:
    """Return the conversation if the agent may see it, else raise Http404."""
    conversation = (visible_conversations(user=user)
                    .select_related("phone_number__account", "contact__client", "lead", "assignee", "department",
                                    "ticket__status")
                    .filter(pk=pk).first())
    if conversation is None:
        raise Http404
    return conversation


@dataclass
class ListFilter:
    view: str = "all"  # all | mine | unassigned
    status: str = "open"  # open | closed | all
    department: int | None = None
    q: str = ""


@dataclass
class ListPage:
    rows: list[Conversation]
    next_cursor: str


def conversation_list(*, user: object, filters: ListFilter, cursor: str = "", size: int = PAGE_SIZE) -> ListPage:
    """Return one page of conversations, newest activity first, with the cursor of the next page."""
    qs = visible_conversations(user=user)
    if filters.status in ("open", "closed"):
        qs = qs.filter(status=filters.status)
    if filters.view == "mine":
        qs = qs.filter(assignee=user)
    elif filters.view == "unassigned":
        qs = qs.filter(assignee__isnull=True)
    if filters.department:
        qs = qs.filter(department_id=filters.department)
    term = filters.q.strip()
    if term:
        digits = "".join(ch for ch in term if ch.isdigit())
        match = Q(profile_name__icontains=term)
        if digits and len(digits) >= 3:
            match |= Q(wa_id__contains=digits)
        qs = qs.filter(match)
    if cursor:
        try:
            stamp, pk = cursor.rsplit("_", 1)
            when = datetime.fromisoformat(stamp)
            qs = qs.filter(Q(last_message_at__lt=when) | Q(last_message_at=when, pk__lt=int(pk)))
        except ValueError:
            pass
    rows = list(qs.select_related("assignee", "department", "contact").order_by("-last_message_at", "-pk")[:size + 1])
    next_cursor = ""
    if len(rows) > size:
        rows = rows[:size]
        last = rows[-1]
        next_cursor = f"{last.last_message_at.isoformat()}_{last.pk}"
    return ListPage(rows=rows, next_cursor=next_cursor)


def unread_conversations(user: object) -> QuerySet:
    """The open conversations this agent sees with unread messages (the partial index of
    conversations with unread messages): the top bar's badge sums their `unread_count`."""
    return visible_conversations(user=user).filter(unread_count__gt=0, status=Conversation.Status.OPEN)


def unread_total(*, user: object) -> int:
    """Return the unread messages in open conversations this agent sees."""
    return unread_conversations(user).aggregate(n=Sum("unread_count"))["n"] or 0


def conversation_messages(*, conversation: Conversation, limit: int = 200) -> list[Message]:
    """Return the latest messages, oldest first, with their media and who sent them."""
    rows = list(conversation.messages.exclude(type="reaction")
                .select_related("sent_by")
                .prefetch_related(Prefetch("media", queryset=Media.objects.order_by("pk")))
                .order_by("-created_at", "-pk")[:limit])
    rows.reverse()
    return rows


def approved_templates() -> list[MessageTemplate]:
    return list(MessageTemplate.objects.filter(status__iexact="APPROVED").order_by("name", "language"))


def quick_replies(*, term: str, limit: int = 8) -> list[QuickReply]:
    term = term.lstrip("/").strip()
    qs = QuickReply.objects.filter(is_active=True)
    if term:
        qs = qs.filter(Q(keyword__istartswith=term) | Q(title__icontains=term))
    return list(qs.order_by("-usage_count", "keyword")[:limit])


def media_for_agent(*, user: object, pk: int) -> Media:
    media = Media.objects.select_related("message__conversation").filter(pk=pk).first()
    if media is None or not visible_conversations(user=user).filter(pk=media.message.conversation_id).exists():
        raise Http404
    return media


def departments_for(*, user: object) -> list:
    """Departments for the list filter: the agent's own (managers: all active)."""
    from tickets.models import Department

    if getattr(user, "is_manager", False):
        return list(Department.objects.filter(is_active=True).order_by("name"))
    return list(user.departments.order_by("name"))


def agents_for(*, conversation: Conversation) -> QuerySet:
    """Staff who may take the conversation: the agents of its department (all staff when it has none)."""
    from crm.models import User

    qs = User.objects.filter(is_active=True, is_staff=True)
    if conversation.department_id:
        qs = qs.filter(Q(departments=conversation.department_id) | Q(staff_profile__role="manager")).distinct()
    return qs.order_by("full_name")
