"""Seed the automation rules every install starts with (the guides' defaults). They are data:
managers retime, edit or switch them off in the admin. The survey rule stays inactive until
the surveys app registers its "send_survey" action."""

from django.db import migrations, models

CLOSING_EMAIL = (
    "Hello {contact_first_name},\n\n"
    "We have not heard back from you for 7 days about ticket #{ticket_number} “{ticket_subject}”, "
    "so we are closing it now.\n\n"
    "If anything is still not working, simply reply to this email and the ticket will reopen.\n\n"
    "Thank you for contacting us,\n{department}"
)

RULES = [
    {
        "name": "Escalate when the first response is late",
        "order": 10,
        "trigger": "first_response_breached",
        "actions": [
            {"action": "set_status", "status": "escalated"},
            {"action": "add_note", "text": "First-response SLA breached: escalated automatically."},
            {
                "action": "email_staff",
                "to": "department",
                "kind": "escalated",
                "subject": "[Ticket ID: {ticket_number}] First-response SLA breached: {ticket_subject}",
                "body": "Ticket #{ticket_number} “{ticket_subject}” ({priority}) has had no first response "
                "within its SLA and was escalated.\n\n{ticket_url}",
            },
        ],
    },
    {
        "name": "Flag tickets without a staff reply for 4 hours",
        "order": 20,
        "trigger": "no_staff_reply",
        "hours": 4,
        # Flag when someone is at work to act on it (Zammad escalates only in business hours).
        "conditions": [{"field": "business_hours", "value": True}],
        "actions": [
            {"action": "add_note", "text": "No staff reply for more than 4 hours: treat urgently."},
            {
                "action": "email_staff",
                "to": "assignee_or_department",
                "kind": "automation",
                "subject": "[Ticket ID: {ticket_number}] No staff reply for 4 hours: {ticket_subject}",
                "body": "The customer has been waiting for more than 4 hours on ticket #{ticket_number} "
                "“{ticket_subject}” ({priority}).\n\n{ticket_url}",
            },
        ],
    },
    {
        "name": "Close tickets answered 7 days ago without a customer reply",
        "order": 30,
        "trigger": "no_customer_reply",
        "days": 7,
        "status": "answered",
        "actions": [
            {"action": "email_customer", "body": CLOSING_EMAIL},
            {"action": "set_status", "status": "closed"},
        ],
    },
    {
        "name": "Send the satisfaction survey 1 hour after closing",
        "order": 40,
        "trigger": "closed",
        "delay_minutes": 60,
        "is_active": False,
        "actions": [{"action": "send_survey"}],
    },
]


def seed(apps, schema_editor):
    Ticket = apps.get_model("tickets", "Ticket")
    # Tickets from before this migration: their last change stands in for the status change.
    Ticket.objects.filter(status_changed_at__isnull=True).update(status_changed_at=models.F("updated_at"))
    AutomationRule = apps.get_model("tickets", "AutomationRule")
    TicketStatus = apps.get_model("tickets", "TicketStatus")
    for spec in RULES:
        spec = dict(spec)
        slug = spec.pop("status", None)
        status = TicketStatus.objects.filter(slug=slug).first() if slug else None
        if slug and status is None:
            continue  # the manager removed the status before this migration ran
        AutomationRule.objects.get_or_create(
            name=spec.pop("name"),
            defaults={**spec, "trigger_status": status, "is_active": spec.get("is_active", True)},
        )


class Migration(migrations.Migration):
    dependencies = [("tickets", "0004_sla_automation_notifications")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
