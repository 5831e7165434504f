"""A manager decides on a major escalation: approve it, or send it back with a note.

Sending back returns the ticket to the department it came from, assigned to the agent who
escalated it, In Progress, with the manager's note as an internal note.
"""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tickets import hooks
from tickets.exceptions import TicketError
from tickets.models import Escalation, TicketEvent, TicketMessage, TicketStatus
from tickets.services.changes import assign, change_department, change_status
from tickets.services.common import _actor_id, _record, status_by_slug
from tickets.services.conversation import add_reply


def _pending(escalation: Escalation) -> Escalation:
    escalation = Escalation.objects.select_for_update(of=("self",)).select_related(
        "ticket", "from_department", "actor").get(pk=escalation.pk)
    if escalation.state != Escalation.State.AWAITING_APPROVAL:
        raise TicketError(_("This escalation is not waiting for approval."))
    return escalation


@transaction.atomic
def approve_escalation(*, escalation: Escalation, manager: object, note: str = "") -> Escalation:
    """Approve a major escalation; its agent and the receiving department's leads are told."""
    escalation = _pending(escalation)
    escalation.state = Escalation.State.OPEN
    escalation.decided_by = manager
    escalation.decided_at = timezone.now()
    escalation.decision_note = (note or "").strip()
    escalation.save(update_fields=["state", "decided_by", "decided_at", "decision_note"])
    _record(escalation.ticket, TicketEvent.Kind.ESCALATED, actor=manager, after=_("Approved"),
            note=escalation.decision_note or _("Major escalation approved."))
    hooks.emit("escalation_decided", ticket_id=escalation.ticket_id, actor_id=_actor_id(manager),
               escalation_id=escalation.pk, approved=True)
    return escalation


@transaction.atomic
def send_back_escalation(*, escalation: Escalation, manager: object, note: str) -> Escalation:
    """Send a major escalation back with a note (required): the ticket returns to where it came from."""
    note = (note or "").strip()
    if not note:
        raise TicketError(_("Say why the escalation goes back: the agent reads your note."))
    escalation = _pending(escalation)
    ticket = escalation.ticket
    add_reply(ticket=ticket, kind=TicketMessage.Kind.NOTE, author=manager,
              body_text=_("Escalation sent back: %(note)s") % {"note": note})
    if escalation.from_department is not None and escalation.from_department.is_active:
        change_department(ticket=ticket, department=escalation.from_department, actor=manager)
    if escalation.actor is not None and escalation.actor.is_active:
        assign(ticket=ticket, assignee=escalation.actor, actor=manager)
    in_progress = status_by_slug(TicketStatus.IN_PROGRESS)
    if in_progress is not None:
        change_status(ticket=ticket, status=in_progress, actor=manager)
    escalation.state = Escalation.State.SENT_BACK
    escalation.decided_by = manager
    escalation.decided_at = timezone.now()
    escalation.decision_note = note
    escalation.save(update_fields=["state", "decided_by", "decided_at", "decision_note"])
    _record(ticket, TicketEvent.Kind.ESCALATED, actor=manager, after=_("Sent back"), note=note)
    hooks.emit("escalation_decided", ticket_id=ticket.pk, actor_id=_actor_id(manager),
               escalation_id=escalation.pk, approved=False)
    return escalation
