"""Which clock and which targets apply to a ticket (reads only; the services store the dues).

- Clock: the department's business calendar, else the default calendar, else 24/7.
- Targets: the client's tier decides the SLA policy, and an active contract with an SLA tier
  overrides the client's tier (the best tier wins when several contracts run). A policy's target
  for the ticket's priority overrides the priority's own targets; otherwise those apply.
"""

from collections.abc import Callable, Iterable
from datetime import date, time
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone

from tickets.batch_memo import in_batch, memoized, remember
from tickets.models import BusinessCalendar, Department, SLATarget, Ticket
from tickets.sla.calendar import Schedule, TargetState, ticket_target

TIER_RANK = {"basic": 1, "pro": 2, "enterprise": 3}


class _Holidays:
    """A calendar's holidays: its managed list plus the country's public holidays."""

    def __init__(self, managed: frozenset[date], country: str, subdivision: str) -> None:
        self.managed = managed
        self.public = _public_holidays(country, subdivision) if country else None

    def __contains__(self, day: object) -> bool:
        return day in self.managed or (self.public is not None and day in self.public)


@lru_cache(maxsize=32)
def _public_holidays(country: str, subdivision: str) -> object:
    import holidays

    return holidays.country_holidays(country, subdiv=subdivision or None)


def schedule_from_calendar(calendar: BusinessCalendar) -> Schedule | None:
    """Return the calendar as a tickets.sla.calendar.Schedule (None when it has no opening hours: 24/7)."""
    weekly: dict[int, list[tuple[time, time]]] = {}
    for weekday, opens, closes in calendar.hours.order_by("weekday", "opens").values_list(
        "weekday", "opens", "closes"
    ):
        weekly.setdefault(weekday, []).append((opens, closes))
    if not weekly:
        return None
    managed = frozenset(calendar.holidays.values_list("date", flat=True))
    return Schedule(
        tz=ZoneInfo(calendar.time_zone),
        weekly={day: tuple(spans) for day, spans in weekly.items()},
        holidays=_Holidays(managed, calendar.holiday_country, calendar.holiday_subdivision),
    )


def calendar_for(department_id: int | None) -> BusinessCalendar | None:
    calendar = None
    if department_id is not None:
        calendar = (
            BusinessCalendar.objects.filter(departments__pk=department_id).first()
        )
    return calendar or BusinessCalendar.objects.filter(is_default=True).first()


def schedule_for(department: Department | int | None) -> Schedule | None:
    """Return the business schedule of a department (None: the clock runs 24/7)."""
    department_id = getattr(department, "pk", department)

    def compute() -> Schedule | None:
        calendar = calendar_for(department_id)
        return schedule_from_calendar(calendar) if calendar else None

    return memoized(("sla-schedule", department_id), compute)


def tier_for(ticket: Ticket, *, today: date | None = None) -> str:
    """Return the SLA tier of the ticket's client: its best active contract's, else its own."""
    if not ticket.client_id:
        return ""
    today = today or timezone.localdate()
    return memoized(
        ("sla-tier", ticket.client_id, today),
        lambda: _best_tier(_contract_tiers([ticket.client_id], today)[ticket.client_id],
                           lambda: ticket.client.tier if ticket.client else ""),
    )


def _contract_tiers(client_ids: list[int], today: date) -> dict[int, set[str]]:
    from crm.models import Contract

    tiers: dict[int, set[str]] = {pk: set() for pk in client_ids}
    for client_id, tier in (
        Contract.objects.filter(client_id__in=client_ids, start_on__lte=today)
        .exclude(end_on__lt=today)
        .exclude(sla_tier="")
        .values_list("client_id", "sla_tier")
    ):
        tiers[client_id].add(tier)
    return tiers


def _best_tier(contract_tiers: set[str], own_tier: Callable[[], str]) -> str:
    if contract_tiers:
        return max(contract_tiers, key=lambda t: TIER_RANK.get(t, 0))
    return own_tier()


def prime_tiers(clients: Iterable[Any], *, today: date | None = None) -> None:
    """Read the tiers of many clients with one query, for the tier_for calls of this batch memo."""
    by_pk = {c.pk: c for c in clients if c is not None}
    if not by_pk or not in_batch():
        return
    today = today or timezone.localdate()
    for pk, tiers in _contract_tiers(list(by_pk), today).items():
        remember(("sla-tier", pk, today), _best_tier(tiers, lambda pk=pk: by_pk[pk].tier))


def targets_for(ticket: Ticket) -> tuple[int, int]:
    """Return (first response, resolution) target minutes for the ticket."""
    tier = tier_for(ticket)
    if tier:
        target = memoized(
            ("sla-target", tier, ticket.priority_id),
            lambda: SLATarget.objects.filter(
                policy__tier=tier, policy__is_active=True, priority_id=ticket.priority_id
            ).values_list("first_response_minutes", "resolution_minutes").first(),
        )
        if target:
            return target
    return ticket.priority.first_response_minutes, ticket.priority.resolution_minutes


def pause_first_response() -> bool:
    """Whether On Hold also pauses the first-response clock (the issue's "the clock pauses"; set
    HELPDESK_SLA_PAUSE_FIRST_RESPONSE=0 for REFERENCE §3.4's reading: a reply fulfils it)."""
    return bool(getattr(settings, "HELPDESK_SLA_PAUSE_FIRST_RESPONSE", True))


def display_target(ticket: Ticket, metric: str, *, now: object = None) -> TargetState:
    """Return where the ticket's target stands, with this installation's pause rule and warning lead
    time: what every SLA badge shows (the queue's countdown, the ticket page, {% sla_badge %})."""
    return ticket_target(
        ticket, metric, now=now or timezone.now(), pause_first_response=pause_first_response(),
        warning_seconds=int(settings.HELPDESK_SLA_WARNING_MINUTES) * 60,
    )
