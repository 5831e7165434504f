"""Ticket-side reads of the client list and the client file.

The ticket figures a staff member sees are those of the tickets they may see (tickets.queries.
visible_tickets): an agent's counts and lists cover their departments only, a manager's all.
Counts for a page of clients come from one grouped query, never one query per row.
"""

from collections.abc import Iterable

from django.db.models import Count, Q, QuerySet

from tickets.models import Ticket
from tickets.workspace.queries import visible_tickets

CLIENT_TICKET_SCOPES = ("open", "closed", "all")


def open_ticket_counts(*, user: object, client_ids: Iterable[int]) -> dict[int, int]:
    """Return {client id: open tickets this user may see} for the given clients (one query)."""
    ids = list(client_ids)
    if not ids:
        return {}
    rows = (
        visible_tickets(user=user)
        .filter(client_id__in=ids, closed_at__isnull=True, merged_into__isnull=True)
        .order_by()
        .values("client_id")
        .annotate(n=Count("pk"))
    )
    return {row["client_id"]: row["n"] for row in rows}


def client_tickets(*, user: object, client_id: int, scope: str = "all") -> QuerySet[Ticket]:
    """Return the client's tickets this user may see, newest first, ready for a table row.

    `scope` is "open", "closed" or "all"; merged tickets are left out (their thread lives on in
    the ticket they were merged into).
    """
    qs = visible_tickets(user=user).filter(client_id=client_id, merged_into__isnull=True)
    if scope == "open":
        qs = qs.filter(closed_at__isnull=True)
    elif scope == "closed":
        qs = qs.filter(closed_at__isnull=False)
    # Related rows come by prefetch (one small "id IN" query each), not by joins: PostgreSQL spends
    # far longer planning a six-table join over the ticket table's many indexes than running it.
    return qs.prefetch_related("status", "priority", "department", "assignee", "contact").order_by(
        "-created_at", "-pk"
    )


def client_ticket_count(*, user: object, client_id: int) -> dict[str, int]:
    """Return {"open": n, "all": n} of the client's tickets this user may see (one query)."""
    return visible_tickets(user=user).filter(client_id=client_id, merged_into__isnull=True).aggregate(
        open=Count("pk", filter=Q(closed_at__isnull=True)), all=Count("pk")
    )
