"""Seed the predefined reply used as the automatic receipt for tickets opened by email."""

from django.db import migrations

TITLE = "Email receipt (automatic)"
BODY = (
    "Hello {contact_first_name},\n\n"
    "We received your ticket [Ticket ID: {ticket_number}] \u201c{ticket_subject}\u201d. "
    "Our {department} team will answer as soon as possible.\n"
    "To add information, reply to this email and keep the ticket number in the subject.\n\n"
    "This is an automatic message."
)


def seed(apps, schema_editor):
    PredefinedReply = apps.get_model("tickets", "PredefinedReply")
    if not PredefinedReply.objects.filter(title=TITLE).exists():
        PredefinedReply.objects.create(title=TITLE, body=BODY, is_active=True)


def unseed(apps, schema_editor):
    apps.get_model("tickets", "PredefinedReply").objects.filter(title=TITLE).delete()


class Migration(migrations.Migration):
    dependencies = [("tickets", "0004_inbound_email_and_mailboxes")]

    operations = [migrations.RunPython(seed, unseed)]
