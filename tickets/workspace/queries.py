"""Every read of tickets that is more than a get, and the permission-checked access to a ticket.

Agents see the tickets of their departments; managers see everything.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import Q, QuerySet
from django.db.models.expressions import RawSQL
from django.http import Http404
from django.utils import timezone

from tickets.models import (
    Attachment,
    Department,
    Escalation,
    PredefinedReply,
    Priority,
    Service,
    Task,
    Ticket,
    TicketEvent,
    TicketFollower,
    TicketMessage,
    TicketStatus,
)
from tickets.workspace import queue_search


def visible_tickets(*, user: object) -> QuerySet[Ticket]:
    """Return the tickets this staff member may see (managers: all; agents: their departments'
    and the tickets they follow)."""
    qs = Ticket.objects.all()
    if getattr(user, "is_manager", False):
        return qs
    return qs.filter(
        Q(department__in=user.departments.values("pk"))
        | Q(pk__in=TicketFollower.objects.filter(user=user).values("ticket_id"))
    )


def workable_tickets(*, user: object) -> QuerySet[Ticket]:
    """Return the tickets this staff member may change in bulk (managers: all; agents: their
    departments'; followed tickets are read and reply only)."""
    qs = Ticket.objects.all()
    if getattr(user, "is_manager", False):
        return qs
    return qs.filter(department__in=user.departments.values("pk"))


def is_member_for(*, user: object, ticket: Ticket) -> bool:
    """Return True when the staff member works the ticket: a manager or in its department."""
    if not getattr(user, "is_staff", False):
        return False
    if user.is_manager:
        return True
    return user.departments.filter(pk=ticket.department_id).exists()


def is_follower(*, user: object, ticket: Ticket) -> bool:
    return TicketFollower.objects.filter(ticket_id=ticket.pk, user_id=user.pk).exists()


def can_see_ticket(*, user: object, ticket: Ticket) -> bool:
    """Managers, the ticket's department's staff and its followers may see it (one or two queries)."""
    if is_member_for(user=user, ticket=ticket):
        return True
    return bool(getattr(user, "is_staff", False)) and is_follower(user=user, ticket=ticket)


def followed_ticket_ids(*, user: object, limit: int = 1000) -> list[int]:
    """Return the ids of the tickets the staff member follows (newest follows first)."""
    return list(TicketFollower.objects.filter(user=user).order_by("-created_at")
                .values_list("ticket_id", flat=True)[:limit])


def get_ticket_for_agent(*, user: object, number: int) -> Ticket:
    """Return the ticket if this staff member may see it; 404 otherwise (never 403: no leaks).

    Its status, priority, department and service load lazily (one small query each), or a page
    that has them loaded attaches them (attach_lookups): see Lookups.
    """
    try:
        ticket = Ticket.objects.select_related("assignee", "contact", "client").order_by().get(pk=number)
    except Ticket.DoesNotExist:
        raise Http404
    if not can_see_ticket(user=user, ticket=ticket):
        raise Http404
    return ticket


@dataclass(frozen=True)
class Lookups:
    """The small configuration rows tickets point at, already loaded for this request (pickers).

    Ticket queries attach these instead of joining their tables: PostgreSQL takes about 10 ms to
    run a ticket joined to seven tables, against 1 ms for the ticket alone and a few tenths of a
    millisecond per small table read.
    """

    statuses: dict[int, TicketStatus]
    priorities: dict[int, Priority]
    departments: dict[int, Department]
    services: dict[int, Service]

    @classmethod
    def of(cls, *, statuses: Sequence, priorities: Sequence, departments: Sequence, services: Sequence) -> "Lookups":
        return cls(
            statuses={s.pk: s for s in statuses},
            priorities={p.pk: p for p in priorities},
            departments={d.pk: d for d in departments},
            services={s.pk: s for s in services},
        )


def attach_lookups(tickets: Sequence[Ticket], lookups: Lookups) -> None:
    """Point each ticket at the loaded status, priority, department and service (missing ones load lazily)."""
    tables = (("status", lookups.statuses), ("priority", lookups.priorities),
              ("department", lookups.departments), ("service", lookups.services))
    for ticket in tickets:
        for name, table in tables:
            found = table.get(getattr(ticket, f"{name}_id"))
            if found is not None:
                setattr(ticket, name, found)


# --- the agent queue -----------------------------------------------------------------------
#
# The queue is ordered by (priority_level desc, created_at, id) and paginated by keyset: a page
# asks for the rows after (or before) the cursor of the last (first) row it showed, so page 1
# and page 1000 cost the same and nothing counts the whole result. Counts per status are capped.

QUEUE_PAGE_SIZE = 50
STATUS_COUNT_CAP = 1000
# The queue's "50 of 1,234" counts up to this many matches, then says "1,000+" (as the status counts).
RESULT_COUNT_CAP = STATUS_COUNT_CAP
NO_STAFF_REPLY_HOURS = 4
SLA_DUE_SOON_MINUTES = 60
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MORNING_STATUSES = (TicketStatus.NEW, TicketStatus.IN_PROGRESS, TicketStatus.ON_HOLD, TicketStatus.ESCALATED)


@dataclass(frozen=True)
class QueueFilter:
    """The queue's filters, all optional and combinable (built by the queue filter form)."""

    statuses: tuple[int, ...] = ()
    department: int | None = None
    priority: int | None = None
    service: int | None = None
    assignee: str = "anyone"  # "me", "unassigned", "anyone" or a staff user's id
    channel: str = ""
    client: int | None = None
    created_from: date | None = None
    created_to: date | None = None
    no_staff_reply: bool = False
    sla_breached: bool = False
    sla_due_soon: bool = False
    following: bool = False
    q: str = ""


@dataclass(frozen=True)
class Cursor:
    priority_level: int
    created_at: datetime
    id: int

    def encode(self) -> str:
        micros = (self.created_at - _EPOCH) // timedelta(microseconds=1)
        return f"{self.priority_level}.{micros}.{self.id}"

    @classmethod
    def decode(cls, raw: str) -> "Cursor | None":
        try:
            level, micros, pk = raw.split(".")
            return cls(int(level), _EPOCH + timedelta(microseconds=int(micros)), int(pk))
        except (ValueError, TypeError, OverflowError):
            return None

    @classmethod
    def of(cls, ticket: Ticket) -> "Cursor":
        return cls(ticket.priority_level, ticket.created_at, ticket.pk)


@dataclass
class QueuePage:
    rows: list[Ticket]
    next_cursor: str = ""
    prev_cursor: str = ""
    now: datetime = field(default_factory=timezone.now)
    # How many tickets match the filters, counted up to `total_cap` (None: not counted).
    total: int | None = None
    total_cap: int = 0

    @property
    def total_capped(self) -> bool:
        return self.total is not None and self.total > self.total_cap


def capped_count_sql(qs: QuerySet[Ticket], cap: int) -> tuple[str, tuple]:
    """Return SQL counting the rows of `qs`, stopping at cap + 1 (cheap whatever the table's size)."""
    sql, params = qs.order_by().values("pk")[: cap + 1].query.sql_with_params()
    return f"SELECT COUNT(*) FROM ({sql}) capped", params


def _text_search(q: str) -> Q:
    """Match the ticket number, subject, requester name/email and message bodies.

    PostgreSQL: the most recent matches of each kind through the trigram and full-text indexes
    (tickets.queue_search); SQLite: LIKE scans.
    """
    q = q.strip()[:200]
    if connection.vendor == "postgresql":
        return Q(pk__in=sorted(queue_search.matching_ticket_ids(q)))
    number = int(q.lstrip("#")) if q.lstrip("#").isdigit() and len(q) < 19 else None
    cond = Q(pk=number) if number is not None else Q(pk__in=[])
    if len(q) >= 2:
        cond |= (
            Q(subject__icontains=q)
            | Q(requester_name__icontains=q)
            | Q(requester_email__icontains=q)
            | Q(pk__in=TicketMessage.objects.filter(body_text__icontains=q).values("ticket_id"))
        )
    return cond


def queue_tickets(
    *,
    user: object,
    filters: QueueFilter,
    now: datetime | None = None,
    open_status_ids: Sequence[int] = (),
    department_ids: Sequence[int] | None = None,
) -> QuerySet[Ticket]:
    """Return the visible, non-spam tickets matching every filter (unordered, unevaluated).

    `open_status_ids` are the ids of statuses that do not close a ticket; when every chosen status
    is one of them the query adds closed_at IS NULL so the open-queue index applies.
    `department_ids`, when given, must be the agent's own departments (see departments_for).
    """
    now = now or timezone.now()
    if filters.following:
        # Followed tickets may sit in any department: the follow rows are the access.
        qs = Ticket.objects.filter(pk__in=followed_ticket_ids(user=user), is_spam=False)
    elif department_ids is not None and not getattr(user, "is_manager", False):
        # A literal id list (not a subquery) lets the planner estimate and pick an ordered index.
        qs = Ticket.objects.filter(department_id__in=list(department_ids), is_spam=False)
    else:
        qs = visible_tickets(user=user).filter(is_spam=False)
    f = filters
    if f.statuses:
        qs = qs.filter(status_id__in=f.statuses)
        if open_status_ids and set(f.statuses) <= set(open_status_ids):
            qs = qs.filter(closed_at__isnull=True)
    if f.department:
        qs = qs.filter(department_id=f.department)
    if f.priority:
        qs = qs.filter(priority_id=f.priority)
    if f.service:
        qs = qs.filter(service_id=f.service)
    if f.assignee == "me":
        qs = qs.filter(assignee_id=user.pk)
    elif f.assignee == "unassigned":
        qs = qs.filter(assignee__isnull=True)
    elif f.assignee.isdigit():
        qs = qs.filter(assignee_id=int(f.assignee))
    if f.channel:
        qs = qs.filter(channel=f.channel)
    if f.client:
        qs = qs.filter(client_id=f.client)
    if f.created_from:
        qs = qs.filter(created_at__gte=_start_of(f.created_from))
    if f.created_to:
        qs = qs.filter(created_at__lt=_start_of(f.created_to + timedelta(days=1)))
    if f.no_staff_reply:
        qs = qs.filter(
            closed_at__isnull=True,
            last_reply_by_staff=False,
            last_customer_reply_at__lte=now - timedelta(hours=NO_STAFF_REPLY_HOURS),
        )
    if f.sla_breached:
        qs = qs.filter(closed_at__isnull=True).filter(
            Q(first_response_breached=True)
            | Q(resolution_breached=True)
            | Q(sla_paused_at__isnull=True, first_response_at__isnull=True, first_response_due_at__lt=now)
            | Q(sla_paused_at__isnull=True, resolution_due_at__lt=now)
        )
    if f.sla_due_soon:
        soon = now + timedelta(minutes=SLA_DUE_SOON_MINUTES)
        qs = qs.filter(closed_at__isnull=True, sla_paused_at__isnull=True).filter(
            Q(first_response_at__isnull=True, first_response_due_at__gt=now, first_response_due_at__lte=soon)
            | Q(resolution_due_at__gt=now, resolution_due_at__lte=soon)
        )
    if f.q.strip():
        qs = qs.filter(_text_search(f.q))
    return qs


def _start_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def _after(c: Cursor) -> Q:
    return Q(priority_level__lt=c.priority_level) | Q(priority_level=c.priority_level) & (
        Q(created_at__gt=c.created_at) | Q(created_at=c.created_at, id__gt=c.id)
    )


def _before(c: Cursor) -> Q:
    return Q(priority_level__gt=c.priority_level) | Q(priority_level=c.priority_level) & (
        Q(created_at__lt=c.created_at) | Q(created_at=c.created_at, id__lt=c.id)
    )


QUEUE_ORDER = ("-priority_level", "created_at", "id")
QUEUE_ORDER_REVERSED = ("priority_level", "-created_at", "-id")


def queue_page(
    *,
    user: object,
    filters: QueueFilter,
    after: str = "",
    before: str = "",
    limit: int | None = None,
    open_status_ids: Sequence[int] = (),
    department_ids: Sequence[int] | None = None,
    now: datetime | None = None,
    lookups: Lookups | None = None,
    count_cap: int = 0,
) -> QueuePage:
    """Return one page of the queue after (or before) a cursor, with cursors for its neighbours.

    Two queries: the page's keys from the narrow, indexed ticket table alone, then those rows
    with their contact, client and assignee (status, priority and department from `lookups`, or
    joined when none are given). With `count_cap`, the keys query also counts the matches up to
    that cap (an uncorrelated scalar subquery PostgreSQL runs once): no query is added.
    """
    now = now or timezone.now()
    limit = limit or QUEUE_PAGE_SIZE
    qs = queue_tickets(
        user=user, filters=filters, now=now, open_status_ids=open_status_ids, department_ids=department_ids
    )
    after_c = Cursor.decode(after) if after else None
    before_c = Cursor.decode(before) if before and not after_c else None
    fields = ["pk"]
    if count_cap:
        try:
            qs = qs.annotate(matches=RawSQL(*capped_count_sql(qs, count_cap)))
            fields.append("matches")
        except EmptyResultSet:  # a filter that matches nothing by construction (pk IN ())
            return QueuePage(rows=[], now=now, total=0, total_cap=count_cap)
    if before_c:
        found = list(qs.filter(_before(before_c)).order_by(*QUEUE_ORDER_REVERSED).values_list(*fields)
                     [: limit + 1])
        more_before, more_after = len(found) > limit, True
        found = found[:limit][::-1]
    else:
        if after_c:
            qs = qs.filter(_after(after_c))
        found = list(qs.order_by(*QUEUE_ORDER).values_list(*fields)[: limit + 1])
        more_before, more_after = after_c is not None, len(found) > limit
        found = found[:limit]
    keys = [row[0] for row in found]
    total = None
    if count_cap and found:
        total = found[0][1]
    elif count_cap and not after_c and not before_c:
        total = 0  # nothing matches at all (a later page's emptiness says nothing of the count)
    related = ("contact", "client", "assignee") if lookups else (
        "status", "priority", "department", "contact", "client", "assignee")
    by_pk = Ticket.objects.select_related(*related).order_by().in_bulk(keys) if keys else {}
    rows = [by_pk[k] for k in keys if k in by_pk]
    if lookups:
        attach_lookups(rows, lookups)
    page = QueuePage(rows=rows, now=now, total=total, total_cap=count_cap)
    if rows and more_after:
        page.next_cursor = Cursor.of(rows[-1]).encode()
    if rows and more_before:
        page.prev_cursor = Cursor.of(rows[0]).encode()
    return page


def queue_neighbours(
    *,
    user: object,
    filters: QueueFilter,
    ticket: Ticket,
    open_status_ids: Sequence[int] = (),
    department_ids: Sequence[int] | None = None,
) -> tuple[int | None, int | None]:
    """Return the numbers of the tickets before and after this one in the queue (j/k keys)."""
    qs = queue_tickets(user=user, filters=filters, open_status_ids=open_status_ids, department_ids=department_ids)
    c = Cursor.of(ticket)
    prev = qs.filter(_before(c)).order_by(*QUEUE_ORDER_REVERSED).values_list("pk", flat=True).first()
    nxt = qs.filter(_after(c)).order_by(*QUEUE_ORDER).values_list("pk", flat=True).first()
    return prev, nxt


STATUS_COUNTS_TTL = 15


def cached_status_counts(*, user: object, department_ids: Sequence[int]) -> dict[int, int]:
    """Return status_counts, shared for 15 s by everyone who sees the same departments."""
    scope = "all" if getattr(user, "is_manager", False) else ",".join(str(i) for i in sorted(department_ids))
    key = f"queue:status-counts:{scope}"
    counts = cache.get(key)
    if counts is None:
        counts = status_counts(user=user)
        cache.set(key, counts, STATUS_COUNTS_TTL)
    return counts


def status_counts(*, user: object, cap: int = STATUS_COUNT_CAP) -> dict[int, int]:
    """Return {status id: number of visible tickets}, each count capped at `cap` (one query)."""
    member_table = Department.members.through._meta.db_table
    params: list[object] = []
    visible = ""
    if not getattr(user, "is_manager", False):
        visible = f" AND t.department_id IN (SELECT department_id FROM {member_table} WHERE user_id = %s)"
        params.append(user.pk)
    sql = (
        "SELECT s.id, (SELECT COUNT(*) FROM (SELECT 1 FROM tickets_ticket t "
        f"WHERE t.status_id = s.id AND t.is_spam = %s{visible} LIMIT %s) capped) "
        "FROM tickets_ticketstatus s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [False, *params, cap])
        return {sid: n for sid, n in cursor.fetchall()}


def department_members(*, departments: Sequence[Department]) -> dict[int, list]:
    """Return {department id: its active staff, by name} for these departments (one query)."""
    through = Department.members.through
    rows = (through.objects.filter(department_id__in=[d.pk for d in departments], user__is_active=True,
                                   user__is_staff=True)
            .select_related("user").order_by("user__full_name", "user__email"))
    members: dict[int, list] = {}
    for row in rows:
        members.setdefault(row.department_id, []).append(row.user)
    return members


def ticket_escalation(*, ticket: Ticket) -> "Escalation | None":
    """Return the ticket's latest escalation that is still open or awaiting approval, or None."""
    return (Escalation.objects.filter(ticket_id=ticket.pk).exclude(state=Escalation.State.SENT_BACK)
            .select_related("actor", "from_department", "decided_by").order_by("-created_at", "-id").first())


def staff_members() -> QuerySet:
    """Return active staff, for assignee pickers."""
    return get_user_model().objects.filter(is_staff=True, is_active=True).order_by("full_name", "email")


# --- the ticket page -----------------------------------------------------------------------


def ticket_messages(*, ticket: Ticket) -> list[TicketMessage]:
    """Return the whole conversation, oldest first, with authors; each message's attachments are
    in `files` (two queries: the attachments are grouped here, as prefetch_related would build a
    queryset per message, which costs more than the rest of a 200-message thread)."""
    messages = list(
        TicketMessage.objects.filter(ticket=ticket)
        .select_related("author", "author_contact")
        .only(*MESSAGE_CARD_FIELDS)
        .order_by("created_at", "id")
    )
    files: dict[int, list[Attachment]] = {}
    if messages:
        for attachment in Attachment.objects.filter(message__ticket=ticket).order_by("id"):
            files.setdefault(attachment.message_id, []).append(attachment)
    for message in messages:
        message.files = files.get(message.pk, [])
    return messages


# What a message card shows (tickets.workspace.templatetags.message_card); the rest stays unloaded.
MESSAGE_CARD_FIELDS = (
    "id", "ticket_id", "kind", "author_name", "author_email", "body_text", "body_html", "original_text",
    "channel", "delivery_status", "delivery_error", "created_at",
    "author__id", "author__full_name", "author__email",
    "author_contact__id", "author_contact__first_name", "author_contact__last_name", "author_contact__email",
)


def ticket_events(*, ticket: Ticket) -> list[TicketEvent]:
    return list(TicketEvent.objects.filter(ticket=ticket).select_related("actor").order_by("-created_at", "-id"))


def ticket_tasks(*, ticket: Ticket) -> list[Task]:
    tasks = Task.objects.filter(ticket=ticket).select_related("assignee", "department")
    return list(tasks.order_by("status", "due_at", "id"))


def ticket_attachments(*, ticket: Ticket) -> list[Attachment]:
    """Return the ticket's attached files (not inline images), oldest first."""
    return list(Attachment.objects.filter(message__ticket=ticket, is_inline=False).order_by("pk"))


def predefined_replies_for(*, ticket: Ticket, query: str = "") -> QuerySet[PredefinedReply]:
    """Return the active predefined replies usable on this ticket (its department's and global)."""
    qs = PredefinedReply.objects.filter(is_active=True).filter(
        Q(department__isnull=True) | Q(department_id=ticket.department_id)
    )
    if query.strip():
        qs = qs.filter(Q(title__icontains=query.strip()) | Q(body__icontains=query.strip()))
    return qs.order_by("-usage_count", "title")


def get_attachment_for_agent(*, user: object, attachment_id: int) -> Attachment:
    """Return the attachment if its ticket is visible to this staff member; 404 otherwise."""
    try:
        attachment = Attachment.objects.select_related("message__ticket").get(pk=attachment_id)
    except Attachment.DoesNotExist:
        raise Http404
    if not can_see_ticket(user=user, ticket=attachment.message.ticket):
        raise Http404
    return attachment


@dataclass
class CustomerContext:
    other_open_tickets: list[Ticket] = field(default_factory=list)
    invoices: list = field(default_factory=list)
    orders: list = field(default_factory=list)
    contracts: list = field(default_factory=list)
    opportunities: list = field(default_factory=list)
    activities: list = field(default_factory=list)


def customer_context(*, user: object, ticket: Ticket, limit: int = 5) -> CustomerContext:
    """Return what the agent needs about the customer next to the conversation (fixed queries)."""
    from crm.models import Opportunity

    ctx = CustomerContext()
    others = visible_tickets(user=user).filter(closed_at__isnull=True).exclude(pk=ticket.pk)
    if ticket.client_id:
        others = others.filter(client_id=ticket.client_id)
    elif ticket.requester_email:
        others = others.filter(requester_email=ticket.requester_email)
    else:
        others = others.none()
    ctx.other_open_tickets = list(others.select_related("status", "priority").order_by("-created_at")[:limit])
    client = ticket.client
    if client is None:
        return ctx
    today = timezone.localdate()
    ctx.invoices = list(client.invoices.order_by("-issued_on")[:limit])
    ctx.orders = list(client.orders.prefetch_related("delivery_notes").order_by("-ordered_at")[:limit])
    ctx.contracts = list(
        client.contracts.filter(start_on__lte=today).filter(Q(end_on__isnull=True) | Q(end_on__gte=today))
        .order_by("-start_on")[:limit]
    )
    ctx.opportunities = list(
        client.opportunities.filter(stage__in=Opportunity.OPEN_STAGES).order_by("-created_at")[:limit]
    )
    ctx.activities = list(client.activities.select_related("actor").order_by("-created_at")[:limit])
    return ctx


@dataclass(frozen=True)
class QueueLayout:
    """The agent's queue preferences: saved default filter, row density and chosen columns."""

    default_query: str = ""
    density: str = "comfortable"
    columns: tuple[str, ...] = ()

    @property
    def compact(self) -> bool:
        return self.density == "compact"


def queue_layout(*, user: object) -> QueueLayout:
    """Return the agent's queue preferences (one query; defaults when never saved)."""
    from tickets.models import QueuePreference
    from tickets.models.workspace import DEFAULT_QUEUE_COLUMNS, QUEUE_COLUMNS

    row = QueuePreference.objects.filter(user=user).values_list("default_query", "density", "columns").first()
    if row is None:
        return QueueLayout(columns=DEFAULT_QUEUE_COLUMNS)
    known = {key for key, _label in QUEUE_COLUMNS}
    chosen = set(row[2]) if isinstance(row[2], list) else set(DEFAULT_QUEUE_COLUMNS)
    columns = tuple(key for key, _label in QUEUE_COLUMNS if key in chosen and key in known)
    return QueueLayout(default_query=row[0] or "", density=row[1] or "comfortable", columns=columns)


def departments_for(*, user: object) -> list[Department]:
    """Return the departments this staff member works in (managers: all active ones)."""
    if getattr(user, "is_manager", False):
        return list(Department.objects.filter(is_active=True).order_by("name"))
    return list(user.departments.order_by("name"))


def notifications_for(*, user: object) -> QuerySet:
    """Return the staff member's notifications, newest first, with their tickets."""
    from tickets.models import Notification

    return Notification.objects.filter(recipient=user).select_related("ticket").order_by("-created_at", "-id")


def get_notification_for_user(*, user: object, pk: int) -> object:
    """Return the user's own notification or 404."""
    from tickets.models import Notification

    try:
        return Notification.objects.get(pk=pk, recipient=user)
    except Notification.DoesNotExist:
        raise Http404


def email_kinds_of(*, user: object) -> list[str]:
    """Return the notification kinds the user receives by email (defaults if never chosen)."""
    from tickets.models import NotificationPreference
    from tickets.models.notifications import default_email_kinds

    pref = NotificationPreference.objects.filter(user=user).first()
    return list(pref.email_kinds) if pref else default_email_kinds()
