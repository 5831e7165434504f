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
