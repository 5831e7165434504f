"""Seed the lifecycle every install starts with: the manager guide's statuses, priorities and
services. Managers rename, recolour and retime them in the admin; the slugs stay stable."""

from django.db import migrations

STATUSES = [
    # slug, name, colour, order, is_closed, pauses_sla, is_default
    ("new", "New", "#1e88e5", 1, False, False, True),
    ("in-progress", "In Progress", "#fb8c00", 2, False, False, False),
    ("answered", "Answered", "#7cb342", 3, False, False, False),
    ("on-hold", "On Hold", "#9e9e9e", 4, False, True, False),
    ("escalated", "Escalated", "#e53935", 5, False, False, False),
    ("closed", "Closed", "#2e7d32", 6, True, False, False),
]
PRIORITIES = [
    # name, level, colour, first response minutes, resolution minutes, default
    ("Urgent", 4, "#d32f2f", 60, 8 * 60, False),
    ("High", 3, "#f57c00", 4 * 60, 24 * 60, False),
    ("Medium", 2, "#1976d2", 24 * 60, 72 * 60, True),
    ("Low", 1, "#607d8b", 48 * 60, 120 * 60, False),
]
SERVICES = [
    "Account & Access", "Billing", "Orders & Delivery", "Bug / Technical Error",
    "Feature Request", "Onboarding", "Contracts", "Other",
]


def seed(apps, schema_editor):
    TicketStatus = apps.get_model("tickets", "TicketStatus")
    Priority = apps.get_model("tickets", "Priority")
    Service = apps.get_model("tickets", "Service")
    for slug, name, colour, order, is_closed, pauses, default in STATUSES:
        TicketStatus.objects.get_or_create(
            slug=slug,
            defaults=dict(name=name, colour=colour, order=order, is_closed=is_closed, pauses_sla=pauses, is_default=default),
        )
    for name, level, colour, first, resolution, default in PRIORITIES:
        Priority.objects.get_or_create(
            name=name,
            defaults=dict(level=level, colour=colour, first_response_minutes=first, resolution_minutes=resolution,
                          is_default=default),
        )
    for order, name in enumerate(SERVICES, start=1):
        Service.objects.get_or_create(name=name, defaults={"order": order})


class Migration(migrations.Migration):
    dependencies = [("tickets", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
