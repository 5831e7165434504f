"""Staff notifications (the bell in the workspace) and each staff member's email preferences."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class NotificationKind(models.TextChoices):
    NEW_TICKET = "new_ticket", _("New ticket in my department")
    ASSIGNED = "assigned", _("Ticket assigned to me")
    CUSTOMER_REPLIED = "customer_replied", _("Customer replied on my ticket")
    ESCALATED = "escalated", _("Escalation to my department")
    SLA_WARNING = "sla_warning", _("SLA about to breach")
    SLA_BREACHED = "sla_breached", _("SLA breached")
    AUTOMATION = "automation", _("Automation rule")
    FOLLOWED = "followed", _("Update on a ticket I follow")
    ESCALATION_APPROVAL = "escalation_approval", _("Major escalation to approve or decided")
    CALLBACK_REMINDER = "callback_reminder", _("Callback reminder")
    HANDOFF = "handoff", _("Hand-off to my department or to me")


DEFAULT_EMAIL_KINDS = [
    NotificationKind.ASSIGNED,
    NotificationKind.ESCALATED,
    NotificationKind.SLA_BREACHED,
    NotificationKind.AUTOMATION,
    NotificationKind.ESCALATION_APPROVAL,
]


def default_email_kinds() -> list[str]:
    return [str(kind) for kind in DEFAULT_EMAIL_KINDS]


class Notification(models.Model):
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(_("kind"), max_length=32, choices=NotificationKind.choices)
    ticket = models.ForeignKey(
        "Ticket", null=True, blank=True, on_delete=models.CASCADE, related_name="notifications"
    )
    text = models.CharField(_("text"), max_length=300)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)
    emailed = models.BooleanField(default=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["recipient", "-created_at"], name="notification_recipient"),
            models.Index(
                fields=["recipient"], condition=Q(read_at__isnull=True), name="notification_unread"
            ),
        ]

    def __str__(self) -> str:
        return self.text


class NotificationPreference(models.Model):
    """Which kinds of notification a staff member also receives by email (all appear in the bell)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preference"
    )
    email_kinds = models.JSONField(_("also by email"), default=default_email_kinds, blank=True)

    class Meta:
        verbose_name = _("notification preference")

    def __str__(self) -> str:
        return f"{self.user}: {', '.join(self.email_kinds)}"
