"""Reads of callbacks: the agenda, the week calendar, a ticket's callbacks, today's on the queue."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.core.cache import cache
from django.db.models import QuerySet
from django.http import Http404

from appointments.models import Callback
from appointments.services import TODAY_PANEL_SECONDS, today_panel_key, zone
from tickets.workspace import queries as ticket_queries

SCOPES = ("mine", "department")


def may_see_department(user: Any) -> bool:
    """Leads see their departments' callbacks: managers and L2 agents."""
    profile = getattr(user, "staff_profile", None)
    return bool(user.is_manager or (profile and profile.role == "l2"))


def visible_callbacks(*, user: Any, scope: str = "mine") -> QuerySet[Callback]:
    """Return the callbacks this staff member may list: their own, or (leads) their departments'."""
    qs = Callback.objects.select_related("ticket", "agent")
    if scope == "department" and may_see_department(user):
        if user.is_manager:
            return qs
        return qs.filter(ticket__department__in=user.departments.all())
    return qs.filter(agent=user)


def get_callback_for_agent(*, user: Any, pk: int) -> Callback:
    """Return the callback if the user may see its ticket; 404 otherwise."""
    callback = Callback.objects.select_related("ticket__contact", "ticket__department", "agent").filter(pk=pk).first()
    if callback is None or not (callback.agent_id == user.pk
                                or ticket_queries.can_see_ticket(user=user, ticket=callback.ticket)):
        raise Http404
    return callback


def agenda(*, user: Any, scope: str, status: str = "scheduled", start: datetime | None = None) -> QuerySet[Callback]:
    """Return callbacks from `start` on (scheduled ones by default), soonest first."""
    qs = visible_callbacks(user=user, scope=scope)
    if status:
        qs = qs.filter(status=status)
    if start is not None:
        qs = qs.filter(starts_at__gte=start)
    return qs.order_by("starts_at", "pk")


@dataclass
class Day:
    day: date
    callbacks: list[Callback]
    is_today: bool


def week(*, user: Any, scope: str, monday: date) -> list[Day]:
    """Return the seven days from `monday` (in the viewer's time zone) with their callbacks."""
    tz = zone(user.timezone)
    start = datetime.combine(monday, datetime.min.time(), tzinfo=tz)
    end = datetime.combine(monday + timedelta(days=7), datetime.min.time(), tzinfo=tz)
    rows = list(
        visible_callbacks(user=user, scope=scope).filter(starts_at__gte=start, starts_at__lt=end)
        .exclude(status=Callback.Status.CANCELLED).order_by("starts_at", "pk")
    )
    today = datetime.now(tz).date()
    days = [Day(day=monday + timedelta(days=i), callbacks=[], is_today=False) for i in range(7)]
    for day in days:
        day.is_today = day.day == today
    for callback in rows:
        index = (callback.starts_at.astimezone(tz).date() - monday).days
        if 0 <= index < 7:
            days[index].callbacks.append(callback)
    return days


def today_for(*, user: Any) -> list[Callback]:
    """Return the user's scheduled callbacks of today (their time zone), soonest first."""
    tz = zone(user.timezone)
    start = datetime.combine(datetime.now(tz).date(), datetime.min.time(), tzinfo=tz)
    return list(
        Callback.objects.filter(agent=user, status=Callback.Status.SCHEDULED, starts_at__gte=start,
                                starts_at__lt=start + timedelta(days=1))
        .select_related("ticket").order_by("starts_at")[:20]
    )


def for_ticket(*, ticket: Any) -> list[Callback]:
    return list(Callback.objects.filter(ticket=ticket).select_related("agent").order_by("-starts_at")[:10])


# --- panels plugged into the ticket page and the queue (tickets.workspace.extensions) ----------


def ticket_panel(*, user: Any, ticket: Any) -> dict[str, Any] | None:
    return {"callbacks": for_ticket(ticket=ticket), "ticket": ticket}


def queue_panel(*, user: Any) -> dict[str, Any] | None:
    """Today's callbacks above the queue: cached per agent (plain rows, for the agent's day and
    time zone) and forgotten by every change to their callbacks, so most queue loads ask nothing."""
    day = (datetime.now(zone(user.timezone)).date().isoformat(), user.timezone)
    key = today_panel_key(user.pk)
    entry = cache.get(key)
    if entry is not None and entry[0] == day:
        rows = entry[1]
    else:
        rows = [
            {"pk": c.pk, "starts_at": c.starts_at, "ticket_id": c.ticket_id, "ticket_url": c.ticket.get_absolute_url(),
             "subject": c.ticket.subject, "phone": c.phone}
            for c in today_for(user=user)
        ]
        cache.set(key, (day, rows), TODAY_PANEL_SECONDS)
    return {"callbacks": rows} if rows else None
