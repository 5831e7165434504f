"""Tasks linked to tickets: create, change status, edit."""


from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tickets import hooks
from tickets.exceptions import (
    TicketError,
)
from tickets.models import (
    Department,
    Priority,
    Task,
    Ticket,
    TicketEvent,
)
from tickets.services.common import _actor_id, _record


@transaction.atomic
def create_task(
    *,
    title: str,
    actor: object,
    description: str = "",
    ticket: Ticket | None = None,
    assignee: object = None,
    department: Department | None = None,
    due_at: datetime | None = None,
    priority: Priority | None = None,
    created_at: datetime | None = None,
) -> Task:
    """Create a follow-up task, linked to its ticket (which records it in its history)."""
    if not (title or "").strip():
        raise TicketError(_("A task needs a title."))
    task = Task.objects.create(
        title=title.strip()[:200], description=description, ticket=ticket, assignee=assignee,
        department=department, due_at=due_at, priority=priority, created_by=actor,
        created_at=created_at or timezone.now(),
    )
    if ticket is not None:
        _record(ticket, TicketEvent.Kind.TASK, actor=actor, after=task.title,
                note=_("Task created for %(who)s") % {"who": assignee or department or "-"}, at=task.created_at)
    hooks.emit("task_created", task_id=task.pk, ticket_id=getattr(ticket, "pk", None), actor_id=_actor_id(actor))
    return task


@transaction.atomic
def set_task_status(*, task: Task, status: str, actor: object = None) -> Task:
    """Move a task to open / in progress / done; done records completed_at."""
    task = Task.objects.select_for_update().get(pk=task.pk)
    if status not in Task.Status.values:
        raise TicketError(_("Unknown task status."))
    task.status = status
    task.completed_at = timezone.now() if status == Task.Status.DONE else None
    task.save(update_fields=["status", "completed_at"])
    if task.ticket_id:
        _record(task.ticket, TicketEvent.Kind.TASK, actor=actor, after=f"{task.title}: {task.get_status_display()}")
    hooks.emit("task_status_changed", task_id=task.pk, ticket_id=task.ticket_id, status=status,
               actor_id=_actor_id(actor))
    return task


TASK_EDITABLE_FIELDS = ("title", "description", "ticket", "assignee", "department", "due_at", "priority")


@transaction.atomic
def update_task(*, task: Task, changes: dict[str, object], actor: object = None) -> Task:
    """Change a task's details (not its status: see set_task_status); the linked ticket's history
    records which fields changed."""
    unknown = set(changes) - set(TASK_EDITABLE_FIELDS)
    if unknown:
        raise TicketError(_("These task fields cannot be changed here: %(f)s.") % {"f": ", ".join(sorted(unknown))})
    if "title" in changes and not str(changes["title"] or "").strip():
        raise TicketError(_("A task needs a title."))
    task = Task.objects.select_for_update().get(pk=task.pk)
    changed = [name for name, value in changes.items() if getattr(task, name) != value]
    if not changed:
        return task
    for name in changed:
        setattr(task, name, changes[name])
    task.save(update_fields=changed)
    if task.ticket_id:
        _record(task.ticket, TicketEvent.Kind.TASK, actor=actor, after=task.title,
                note=_("Task changed: %(fields)s") % {"fields": ", ".join(changed)})
    return task


# --- configuration writes ------------------------------------------------------------------
