"""Callback appointments: an agent calls a customer back about a ticket at an agreed time.

Times are stored as aware UTC datetimes; the customer's IANA time zone is kept beside them so
the confirmation and reminders show the customer's wall-clock time (Appointly's date + "HH:MM"
string is ambiguous across DST changes). `remind_at` is `starts_at - reminder_minutes`, kept as
a column so the reminder sweep is one indexed range query.
"""

import uuid
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.models import validate_timezone
from helpdesk import datetimes


def new_uid() -> str:
    return f"callback-{uuid.uuid4()}@helpdesk"


class Callback(models.Model):
    class Status(models.TextChoices):
        SCHEDULED = "scheduled", _("Scheduled")
        FINISHED = "finished", _("Finished")
        CANCELLED = "cancelled", _("Cancelled")
        NO_SHOW = "no_show", _("No-show")

    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.CASCADE, related_name="callbacks")
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="callbacks",
        verbose_name=_("responsible agent"),
    )
    starts_at = models.DateTimeField(_("starts"))
    duration_minutes = models.PositiveSmallIntegerField(_("duration (minutes)"), default=30)
    reminder_minutes = models.PositiveSmallIntegerField(_("reminder (minutes before)"), default=30)
    remind_at = models.DateTimeField(_("reminder due"))
    remind_customer = models.BooleanField(_("also remind the customer"), default=False)
    customer_timezone = models.CharField(
        _("customer's time zone"), max_length=64, default="UTC", validators=[validate_timezone]
    )
    phone = models.CharField(_("phone to call"), max_length=40, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.SCHEDULED)
    outcome = models.TextField(_("outcome"), blank=True)
    uid = models.CharField(_("calendar UID"), max_length=120, unique=True, default=new_uid, editable=False)
    sequence = models.PositiveIntegerField(_("calendar sequence"), default=0)
    reminder_sent_at = models.DateTimeField(_("reminder sent"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    closed_at = models.DateTimeField(_("finished or cancelled"), null=True, blank=True)

    class Meta:
        ordering = ["starts_at", "pk"]
        indexes = [
            # The reminder sweep: scheduled, not reminded, due — a small partial index.
            models.Index(
                fields=["remind_at"], name="callback_reminder_due",
                condition=Q(status="scheduled", reminder_sent_at__isnull=True),
            ),
            models.Index(fields=["agent", "starts_at"], name="callback_agent_start"),
            models.Index(fields=["ticket", "starts_at"], name="callback_ticket_start"),
        ]

    def __str__(self) -> str:
        return f"{_('Callback')} #{self.ticket_id} {datetimes.moment(self.starts_at)}"

    def get_absolute_url(self) -> str:
        return reverse("appointments:detail", args=[self.pk])

    @property
    def ends_at(self) -> object:
        return self.starts_at + timedelta(minutes=self.duration_minutes)

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.SCHEDULED
