"""Escalations and the people who follow a ticket.

An `Escalation` records one hand-off (from which department to which, by whom, with which note)
and, when it is major, the manager's decision. A `TicketFollower` keeps read access to a ticket
for a staff member outside its department (the agent who escalated it follows it).
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class TicketFollower(models.Model):
    """A staff member who follows a ticket: read access, notified of replies and status changes."""

    ticket = models.ForeignKey("Ticket", on_delete=models.CASCADE, related_name="followers")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="followed_tickets")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "ticket"], name="tickets_follower_unique")]
        indexes = [models.Index(fields=["ticket"], name="tkf_ticket")]

    def __str__(self) -> str:
        return f"{self.user} follows #{self.ticket_id}"


class Escalation(models.Model):
    """One escalation of a ticket; major ones wait for a manager's approval."""

    class State(models.TextChoices):
        OPEN = "open", _("Open")
        AWAITING_APPROVAL = "awaiting_approval", _("Awaiting approval")
        SENT_BACK = "sent_back", _("Sent back")

    ticket = models.ForeignKey("Ticket", on_delete=models.CASCADE, related_name="escalations")
    from_department = models.ForeignKey(
        "Department", null=True, on_delete=models.SET_NULL, related_name="escalations_out"
    )
    to_department = models.ForeignKey(
        "Department", null=True, on_delete=models.SET_NULL, related_name="escalations_in"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="escalations_made"
    )
    assignee = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="+")
    note = models.TextField(_("note"))
    is_major = models.BooleanField(_("major"), default=False)
    state = models.CharField(_("state"), max_length=20, choices=State.choices, default=State.OPEN)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField(_("manager's note"), blank=True)
    created_at = models.DateTimeField(_("escalated"), default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["created_at"], condition=~Q(state="sent_back"), name="esc_open_age"),
            models.Index(fields=["ticket", "-created_at"], name="esc_ticket"),
        ]

    def __str__(self) -> str:
        return f"#{self.ticket_id} → {self.to_department}"

    @property
    def awaiting_approval(self) -> bool:
        return self.state == self.State.AWAITING_APPROVAL
