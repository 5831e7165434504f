"""Every read of tickets that is more than a get, and the permission-checked access to a ticket.

Agents see the tickets of their departments; managers see everything.
"""

from django.db.models import QuerySet
from django.http import Http404

from tickets.models import Ticket


def visible_tickets(*, user: object) -> QuerySet[Ticket]:
    """Return the tickets this staff member may see (managers: all; agents: their departments)."""
    qs = Ticket.objects.all()
    if getattr(user, "is_manager", False):
        return qs
    return qs.filter(department__in=user.departments.values("pk"))


def can_see_ticket(*, user: object, ticket: Ticket) -> bool:
    if not getattr(user, "is_staff", False):
        return False
    if user.is_manager:
        return True
    return user.departments.filter(pk=ticket.department_id).exists()


def get_ticket_for_agent(*, user: object, number: int) -> Ticket:
    """Return the ticket if this staff member may see it; 404 otherwise (never 403: no leaks)."""
    try:
        ticket = Ticket.objects.select_related(
            "status", "priority", "department", "service", "assignee", "contact", "client", "merged_into"
        ).get(pk=number)
    except Ticket.DoesNotExist:
        raise Http404
    if not can_see_ticket(user=user, ticket=ticket):
        raise Http404
    return ticket
