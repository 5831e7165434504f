"""Reads for the managers' Escalations view: open escalations by age and department."""

from django.db.models import QuerySet
from django.http import Http404

from tickets.models import Escalation

ESCALATIONS_LIMIT = 500


def open_escalations(*, department_id: int | None = None, awaiting_only: bool = False) -> QuerySet[Escalation]:
    """Return escalations not sent back whose tickets are still open, oldest first (two joins)."""
    qs = (Escalation.objects.exclude(state=Escalation.State.SENT_BACK)
          .filter(ticket__closed_at__isnull=True, ticket__merged_into__isnull=True)
          .select_related("ticket", "ticket__status", "ticket__priority", "ticket__assignee",
                          "from_department", "to_department", "actor"))
    if department_id:
        qs = qs.filter(to_department_id=department_id)
    if awaiting_only:
        qs = qs.filter(state=Escalation.State.AWAITING_APPROVAL)
    return qs.order_by("created_at", "id")


def group_by_department(escalations: list[Escalation]) -> list[tuple[str, list[Escalation]]]:
    """Return [(department name, its escalations oldest first)], departments by name."""
    groups: dict[str, list[Escalation]] = {}
    for escalation in escalations:
        name = escalation.to_department.name if escalation.to_department_id else "—"
        groups.setdefault(name, []).append(escalation)
    return sorted(groups.items())


def get_escalation(*, pk: int) -> Escalation:
    try:
        return Escalation.objects.select_related("ticket").get(pk=pk)
    except Escalation.DoesNotExist:
        raise Http404
