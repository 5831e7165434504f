"""A rule's conditions as one queryset filter, so a sweep checks them for every due ticket in
the same indexed query, and a batch of events checks them with one query per rule. Business
hours are the one condition that is not SQL: it is checked per department with the
department's calendar."""

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet

from tickets.models import CustomFieldValue, Ticket
from tickets.sla import calendar as sla
from tickets.sla.policy import schedule_for

LOOKUPS = {
    "department": "department__name",
    "priority": "priority__name",
    "service": "service__name",
    "status": "status__slug",
    "channel": "channel",
    "client_tier": "client__tier",
}


def condition_filter(conditions: Iterable[dict[str, Any]]) -> Q:
    """Return a Q that holds for the tickets matching every SQL condition."""
    q = Q()
    for cond in conditions:
        name = cond["field"]
        if name in LOOKUPS:
            lookup = f"{LOOKUPS[name]}__in"
            if "in" in cond:
                q &= Q(**{lookup: cond["in"]})
            else:
                q &= ~Q(**{lookup: cond["not_in"]}) | Q(**{f"{LOOKUPS[name]}__isnull": True})
        elif name == "custom_field":
            q &= Q(
                Exists(
                    CustomFieldValue.objects.filter(
                        ticket=OuterRef("pk"), field__slug=cond["slug"], value=cond["value"]
                    )
                )
            )
        elif name == "assignee":
            q &= Q(assignee__isnull=not cond["set"])
    return q


def business_hours_condition(conditions: Iterable[dict[str, Any]]) -> bool | None:
    """Return the business-hours requirement (True inside, False outside) or None."""
    for cond in conditions:
        if cond["field"] == "business_hours":
            return bool(cond["value"])
    return None


def filter_tickets(qs: QuerySet[Ticket], conditions: list[dict[str, Any]], *, now: datetime) -> QuerySet[Ticket]:
    """Narrow `qs` to the tickets meeting every condition at `now`."""
    qs = qs.filter(condition_filter(conditions))
    wanted = business_hours_condition(conditions)
    if wanted is None:
        return qs
    department_ids = set(qs.order_by().values_list("department_id", flat=True).distinct())
    keep = [dept for dept in department_ids if sla.is_open(now, schedule_for(dept)) is wanted]
    return qs.filter(department_id__in=keep)

