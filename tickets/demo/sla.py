"""Demo SLA configuration: an office-hours calendar for the front-line departments (Technical
Support keeps the 24/7 clock), an Enterprise SLA policy with shorter targets, and the manager's
notification preferences. Found by name, so managers' later edits are kept."""

from datetime import time

from django.contrib.auth import get_user_model

from tickets.models import (
    BusinessCalendar,
    BusinessHours,
    Department,
    NotificationPreference,
    Priority,
    SLAPolicy,
    SLATarget,
)
from tickets.models.notifications import NotificationKind

OFFICE_DEPARTMENTS = ["General Support", "Billing", "Orders"]
ENTERPRISE_TARGETS = {  # priority: (first response, resolution) in business minutes
    "Urgent": (30, 4 * 60),
    "High": (2 * 60, 16 * 60),
    "Medium": (8 * 60, 48 * 60),
    "Low": (16 * 60, 80 * 60),
}


def seed_sla() -> str:
    calendar, created = BusinessCalendar.objects.get_or_create(
        name="Office hours (Bucharest)", defaults={"time_zone": "Europe/Bucharest", "holiday_country": "RO"}
    )
    if created:
        BusinessHours.objects.bulk_create(
            [BusinessHours(calendar=calendar, weekday=day, opens=time(9), closes=time(18)) for day in range(5)]
        )
        Department.objects.filter(name__in=OFFICE_DEPARTMENTS, business_calendar__isnull=True).update(
            business_calendar=calendar
        )
    policy, _ = SLAPolicy.objects.get_or_create(tier="enterprise", defaults={"name": "Enterprise SLA"})
    for priority in Priority.objects.filter(name__in=ENTERPRISE_TARGETS):
        first, resolution = ENTERPRISE_TARGETS[priority.name]
        SLATarget.objects.get_or_create(
            policy=policy, priority=priority,
            defaults={"first_response_minutes": first, "resolution_minutes": resolution},
        )
    manager = get_user_model().objects.filter(email="manager@company.com").first()
    if manager is not None:
        NotificationPreference.objects.get_or_create(
            user=manager,
            defaults={"email_kinds": [NotificationKind.ESCALATED, NotificationKind.SLA_BREACHED,
                                      NotificationKind.AUTOMATION]},
        )
    return (f"calendar “{calendar.name}” for {', '.join(OFFICE_DEPARTMENTS)}, "
            f"{policy.targets.count()} Enterprise SLA targets")


def settle_history() -> str:
    """Mark the demo's SLA breaches and log the automation the back-dated history would have
    triggered as skipped, so that beat's first sweeps do not escalate, flag or close weeks-old
    demo tickets (nor email anyone about them); new activity is automated as usual."""
    from django.utils import timezone

    from tickets import hooks
    from tickets.automation import engine
    from tickets.models import AutomationRule, AutomationRun, Ticket
    from tickets.models.automation import TIME_TRIGGERS
    from tickets.sla import sweep as sla_sweep

    now = timezone.now()
    with hooks.muted():
        breaches = sla_sweep.mark_breaches(now=now)
        sla_sweep.mark_warnings(now=now)
    claimed: list[int] = []
    for rule in AutomationRule.objects.filter(is_active=True):
        if rule.trigger in TIME_TRIGGERS:
            items = engine.due_items(rule, now=now)
        elif rule.trigger in engine.BREACH_TRIGGERS.values():
            metric = next(m for m, t in engine.BREACH_TRIGGERS.items() if t == rule.trigger)
            flag = f"{metric}_breached"
            items = [(pk, metric) for pk in Ticket.objects.filter(**{flag: True}).values_list("pk", flat=True)]
        else:
            continue
        claimed += engine.claim(rule, items, now=now)
    AutomationRun.objects.filter(pk__in=claimed).update(
        state=AutomationRun.State.SKIPPED, result=["demo history: not acted on"], finished_at=now
    )
    return (f"{len(breaches['first_response'])} + {len(breaches['resolution'])} SLA breaches marked, "
            f"{len(claimed)} automation runs logged as skipped")
