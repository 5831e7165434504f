"""Reads for the report pages: labels of report groups, the agent's "My day" panel."""

from datetime import datetime, time, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.utils import timezone

from crm.models import Client
from tickets.models import Department, Priority, Service, Ticket
from tickets.models.core import Channel


def dimension_labels(dimension: str, keys: list[Any]) -> dict[Any, str]:
    """Return {group key: label} for the keys of a breakdown by `dimension`."""
    ids = [k for k in keys if k is not None]
    if dimension == "department":
        labels = dict(Department.objects.filter(pk__in=ids).values_list("pk", "name"))
    elif dimension == "agent":
        labels = {u.pk: u.get_full_name() for u in get_user_model().objects.filter(pk__in=ids)
                  .only("full_name", "email")}
    elif dimension == "service":
        labels = dict(Service.objects.filter(pk__in=ids).values_list("pk", "name"))
    elif dimension == "priority":
        labels = dict(Priority.objects.filter(pk__in=ids).values_list("pk", "name"))
    elif dimension == "channel":
        labels = {k: str(Channel(k).label) for k in ids if k in Channel.values}
    else:
        labels = {k: str(Client.Tier(k).label) for k in ids if k in Client.Tier.values}
    return {k: labels.get(k, "—") for k in keys}


def my_week(*, user: Any, now: datetime) -> dict[str, Any]:
    """Return the agent's "My day" panel: FRT, resolution and FCR since Monday, open Urgent tickets
    (how many, and the 20 oldest). Whole days come from the reports' rollup, today is read live."""
    from tickets.reports import cards, kpis
    from tickets.reports.filters import ReportFilters

    local = timezone.localtime(now)
    monday = timezone.make_aware(datetime.combine(local.date() - timedelta(days=local.weekday()), time.min),
                                 timezone.get_current_timezone())
    figures = kpis.ticket_figures(ReportFilters(since=monday, until=now + timedelta(seconds=1), agent_id=user.pk))
    mine = figures.get(None, kpis.TicketFigures())
    open_urgent = Ticket.objects.filter(assignee=user, closed_at__isnull=True, is_spam=False,
                                        priority_id__in=kpis.urgent_priority_ids())
    urgent = (
        open_urgent
        .select_related("status", "priority").only("pk", "subject", "created_at", "status__name", "status__colour",
                                                   "priority__name", "priority__colour")
        .order_by("created_at")[:20]
    )
    return {
        "since": monday,
        "frt": cards.duration(mine.frt_seconds),
        "frt_met": None if mine.frt is None else mine.frt <= cards.FRT_TARGET,
        "resolution": cards.duration(mine.resolution_seconds),
        "resolution_met": None if mine.resolution is None else mine.resolution <= cards.RESOLUTION_TARGET,
        "fcr": cards.pct(mine.fcr_pct),
        "fcr_met": None if mine.fcr_pct is None else mine.fcr_pct >= cards.FCR_TARGET,
        "figures": mine,
        "urgent": list(urgent),  # the 20 oldest
        "urgent_count": open_urgent.count(),
    }
