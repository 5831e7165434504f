"""Tickets as seen by the KB metrics page ("tickets on topics that have an article").

kb cannot import tickets, so tickets feeds it: TicketsConfig.ready() registers
answered_tickets_since() with kb.metrics. Only staff replies that contain a KB article link are
loaded (the report only asks whether the link was sent), so the read stays small.
"""

from collections import defaultdict
from collections.abc import Iterator
from datetime import datetime

from django.db.models import OuterRef, Subquery

from kb.metrics import TicketSample
from tickets.models import Ticket, TicketMessage

KB_LINK_MARK = "/knowledge-base/article/"


def answered_tickets_since(since: datetime) -> Iterator[TicketSample]:
    """Yield the tickets created since `since` that got at least one public staff reply."""
    first_staff_author = (
        TicketMessage.objects.filter(ticket=OuterRef("pk"), kind=TicketMessage.Kind.STAFF, author__isnull=False)
        .order_by("created_at", "id")
        .values("author__full_name")[:1]
    )
    tickets = (
        Ticket.objects.filter(created_at__gte=since, is_spam=False, merged_into__isnull=True)
        .filter(messages__kind=TicketMessage.Kind.STAFF)
        .distinct()
        .annotate(replier=Subquery(first_staff_author))
        .select_related("assignee")
        .only("pk", "subject", "assignee__full_name", "assignee__email")
        .order_by("pk")
    )
    links: dict[int, list[str]] = defaultdict(list)
    linked = TicketMessage.objects.filter(
        kind=TicketMessage.Kind.STAFF, ticket__created_at__gte=since, body_text__contains=KB_LINK_MARK
    ).values_list("ticket_id", "body_text")
    for ticket_id, body in linked:
        links[ticket_id].append(body)
    for ticket in tickets.iterator(chunk_size=2000):
        agent = ticket.assignee.get_full_name() if ticket.assignee_id else (ticket.replier or "")
        yield TicketSample(
            number=ticket.pk,
            subject=ticket.subject,
            agent=agent or "—",
            url=ticket.get_absolute_url(),
            staff_reply_texts=tuple(links.get(ticket.pk, ())),
        )
