"""Reads of the agent desk pages: follow-up tasks (/staff/tasks/) and the manual ticket form.

A staff member sees the tasks assigned to them, those of their departments and those they
created; managers see every task. Due-date filters use the viewer's local day and week.
"""

from datetime import datetime, timedelta

from django.db.models import F, Q, QuerySet
from django.utils import timezone

from tickets.models import CustomField, Department, Priority, Task

SCOPES = ("all", "mine", "departments")
STATUS_FILTERS = ("pending", "open", "in_progress", "done", "any")
DUE_FILTERS = ("overdue", "today", "week", "none")


def visible_tasks(*, user: object) -> QuerySet[Task]:
    """Return the tasks this staff member may see and act on."""
    qs = Task.objects.all()
    if getattr(user, "is_manager", False):
        return qs
    return qs.filter(
        Q(assignee=user) | Q(created_by=user) | Q(department__in=user.departments.values("pk"))
    )


def _day_start(moment: datetime) -> datetime:
    local = timezone.localtime(moment)
    return local.replace(hour=0, minute=0, second=0, microsecond=0)


def task_list(
    *, user: object, scope: str = "all", status: str = "pending", due: str = "", now: datetime | None = None
) -> QuerySet[Task]:
    """Return the tasks to list, filtered by scope, status and due date, soonest due first.

    - scope: "mine" (assigned to me), "departments" (my departments'), "all" (everything I see);
    - status: "pending" (not done), "open", "in_progress", "done" or "any";
    - due: "overdue" (past due and not done), "today", "week" (until the end of this local week,
      Monday to Sunday), "none" (no due date) or "" for any.
    """
    now = now or timezone.now()
    qs = visible_tasks(user=user)
    if scope == "mine":
        qs = qs.filter(assignee=user)
    elif scope == "departments":
        qs = qs.filter(department__in=user.departments.values("pk"))
    if status == "pending":
        qs = qs.exclude(status=Task.Status.DONE)
    elif status in Task.Status.values:
        qs = qs.filter(status=status)
    today = _day_start(now)
    if due == "overdue":
        qs = qs.filter(due_at__lt=now).exclude(status=Task.Status.DONE)
    elif due == "today":
        qs = qs.filter(due_at__gte=today, due_at__lt=today + timedelta(days=1))
    elif due == "week":
        week_end = today + timedelta(days=7 - today.weekday())
        qs = qs.filter(due_at__gte=today - timedelta(days=today.weekday()), due_at__lt=week_end)
    elif due == "none":
        qs = qs.filter(due_at__isnull=True)
    # Prefetch, not joins: a page costs a few small "id IN" queries instead of one wide join.
    return qs.prefetch_related(
        "ticket", "ticket__status", "assignee", "department", "priority", "created_by"
    ).order_by(F("due_at").asc(nulls_last=True), "pk")


def get_task_for_staff(*, user: object, pk: int) -> Task | None:
    """Return the task if this staff member may see it, else None."""
    return visible_tasks(user=user).select_related("ticket").filter(pk=pk).first()


def active_custom_fields() -> list[CustomField]:
    """Return the custom fields a staff member fills in on a new ticket, in their order."""
    return list(CustomField.objects.filter(is_active=True).order_by("order", "name"))


def first_department(*, user: object) -> Department | None:
    """Return the staff member's first active department (the form's default), if any."""
    return user.departments.filter(is_active=True).order_by("name").first()


def default_priority() -> Priority | None:
    """Return the priority new tickets get unless told otherwise."""
    return Priority.objects.filter(is_default=True).first() or Priority.objects.order_by("level").first()
