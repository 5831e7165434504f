"""Followers and the record of escalations (the escalate service itself is in changes.py;
a manager's approval or sending back is in escalation_review.py)."""

from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from tickets.models import Escalation, Priority, Ticket, TicketFollower
from tickets.services.common import _actor_id


def escalation_is_major(*, ticket: Ticket) -> bool:
    """Return True when the ticket is at the most urgent priority and its client is Enterprise."""
    if ticket.client_id is None:
        return False
    top = Priority.objects.order_by("-level").values_list("level", flat=True).first()
    if top is None or ticket.priority_level < top:
        return False
    from crm.models import Client

    return Client.objects.filter(pk=ticket.client_id, tier=Client.Tier.ENTERPRISE).exists()


def record_escalation(
    *,
    ticket: Ticket,
    actor: object,
    note: str,
    from_department_id: int | None,
    assignee: object = None,
    is_major: bool = False,
    created_at: datetime | None = None,
) -> Escalation:
    """Record one escalation and make its actor follow the ticket (part of `escalate`)."""
    escalation = Escalation.objects.create(
        ticket=ticket,
        from_department_id=from_department_id,
        to_department_id=ticket.department_id,
        actor_id=_actor_id(actor),
        assignee=assignee,
        note=note,
        is_major=is_major,
        state=Escalation.State.AWAITING_APPROVAL if is_major else Escalation.State.OPEN,
        created_at=created_at or timezone.now(),
    )
    if actor is not None and getattr(actor, "is_staff", False):
        follow_ticket(ticket=ticket, user=actor)
    return escalation


def follow_ticket(*, ticket: Ticket, user: object) -> TicketFollower:
    """Make a staff member follow a ticket (idempotent)."""
    existing = TicketFollower.objects.filter(ticket=ticket, user=user).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            return TicketFollower.objects.create(ticket=ticket, user=user)
    except IntegrityError:  # a concurrent follow won
        return TicketFollower.objects.get(ticket=ticket, user=user)


def unfollow_ticket(*, ticket: Ticket, user: object) -> int:
    """Stop following a ticket; return how many follow rows were removed (0 or 1)."""
    deleted, _rows = TicketFollower.objects.filter(ticket=ticket, user=user).delete()
    return deleted
