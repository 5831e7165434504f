"""Reads for the client portal pages, built on the scopes of tickets.portal_access."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.core.paginator import Page, Paginator
from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils.text import slugify
from django.utils.translation import gettext as _

from crm.models import Announcement, Contact
from tickets.models import AnnouncementDismissal, Attachment, Deflection, Ticket, TicketMessage, TicketStatus
from tickets.portal import access as portal_access

PAGE_SIZE = 25
# The list shows few of a ticket's ~40 columns; loading only these keeps a page cheap.
LIST_COLUMNS = (
    "subject", "requester_email", "created_at", "updated_at", "closed_at", "contact_id",
    "status_id",
    "contact__first_name", "contact__last_name",
)
OPEN = "open"
CLOSED = "closed"


@dataclass(frozen=True)
class StatusFilter:
    value: str
    label: str
    colour: str = ""


@dataclass(frozen=True)
class PortalStatus:
    """What a customer sees of a status: its portal label, in the colour of the first status
    (by order) that carries the same label, so an internal status's colour says nothing more."""

    label: str
    colour: str
    key: str
    slugs: tuple[str, ...]


def portal_statuses() -> dict[int, PortalStatus]:
    """Return {status id: what customers see} for every status (one query)."""
    statuses = list(TicketStatus.objects.order_by("order", "name"))
    groups: dict[str, list[TicketStatus]] = {}
    for status in statuses:
        groups.setdefault(status.portal_name, []).append(status)
    # Grouped and keyed by the stored name, so ?status=in-progress means the same in every language.
    shown = {name: PortalStatus(label=members[0].customer_label, colour=members[0].colour,
                                key=slugify(name) or "status", slugs=tuple(m.slug for m in members))
             for name, members in groups.items()}
    return {s.pk: shown[s.portal_name] for s in statuses}


def attach_portal_status(tickets: Iterable[Ticket], statuses: dict[int, PortalStatus] | None = None) -> None:
    """Set `portal_status` on each ticket (the templates show nothing else of its status)."""
    statuses = statuses if statuses is not None else portal_statuses()
    for ticket in tickets:
        ticket.portal_status = statuses.get(ticket.status_id)


def status_filters() -> list[StatusFilter]:
    """Return the ticket list's status filter: all, open, each label customers see on open
    tickets (several internal statuses may share one), then closed."""
    choices = [StatusFilter("", _("All")), StatusFilter(OPEN, _("Open"))]
    open_ids = set(TicketStatus.objects.filter(is_closed=False).values_list("pk", flat=True))
    seen: set[str] = set()
    for status_id, shown in portal_statuses().items():
        if status_id in open_ids and shown.key not in seen and shown.key not in (OPEN, CLOSED):
            seen.add(shown.key)
            choices.append(StatusFilter(shown.key, shown.label, shown.colour))
    choices.append(StatusFilter(CLOSED, _("Closed")))
    return choices


def filter_by_status(qs: QuerySet[Ticket], status: str) -> QuerySet[Ticket]:
    if status == OPEN:
        return qs.filter(closed_at__isnull=True)
    if status == CLOSED:
        return qs.filter(closed_at__isnull=False)
    if status:
        slugs = {slug for shown in portal_statuses().values() if shown.key == status for slug in shown.slugs}
        return qs.filter(status__slug__in=slugs)
    return qs


def ticket_page(*, contact: Contact, status: str = "", page: object = 1, staff: object = None) -> Page:
    """Return one page of the contact's tickets (client-wide for a primary contact), newest first.

    With `staff` (a "View as the customer" preview), only those that staff member may see.
    """
    base = (portal_access.portal_tickets(contact=contact) if staff is None
            else portal_access.staff_preview_tickets(user=staff, contact=contact))
    qs = filter_by_status(base, status)
    qs = qs.select_related("contact").only(*LIST_COLUMNS).order_by("-created_at", "-id")
    result = Paginator(qs, PAGE_SIZE).get_page(page)
    attach_portal_status(result.object_list)
    return result


def open_tickets(*, contact: Contact, limit: int = 10) -> list[Ticket]:
    """Return the contact's open tickets for the dashboard, most recently updated first."""
    qs = portal_access.portal_tickets(contact=contact).filter(closed_at__isnull=True)
    if contact.is_primary:
        # The dashboard is about the person; the client-wide view is the ticket list.
        qs = qs.filter(contact_id=contact.pk)
    tickets = list(qs.order_by("-updated_at", "-id")[:limit])
    attach_portal_status(tickets)
    return tickets


def visible_announcements(*, contact: Contact, user: object) -> list[Announcement]:
    """Return the current announcements for this contact that the user has not dismissed."""
    dismissed = AnnouncementDismissal.objects.filter(user_id=user.pk).values("announcement_id")
    return list(portal_access.portal_announcements(contact=contact).exclude(pk__in=dismissed).order_by("-starts_at"))


def conversation(*, ticket: Ticket) -> list[TicketMessage]:
    """Return the public messages of a visible ticket with their attachments."""
    return list(
        portal_access.public_messages(ticket=ticket)
        .select_related("author", "author_contact")
        .prefetch_related(Prefetch("attachments", queryset=Attachment.objects.order_by("id")))
    )


@dataclass(frozen=True)
class DeflectionStats:
    deflected: int
    suggestions_opened: int
    submitted_anyway: int


def deflection_stats(*, since: datetime, until: datetime) -> DeflectionStats:
    """Count portal form sessions in [since, until) where a suggested article was opened.

    A session is deflected when the customer opened an article and never submitted that form.
    """
    rows = (
        Deflection.objects.filter(opened_at__gte=since, opened_at__lt=until)
        .values("contact_id", "form_session")
        .annotate(tickets=Count("ticket", filter=Q(ticket__isnull=False)))
    )
    sessions = list(rows)
    deflected = sum(1 for r in sessions if r["tickets"] == 0)
    return DeflectionStats(
        deflected=deflected, suggestions_opened=len(sessions), submitted_anyway=len(sessions) - deflected
    )
