"""Workflow automation rules (trigger + conditions + actions, configured in the admin) and
the log of their runs. The engine is tickets.automation; validation of the JSON lists lives in
tickets.automation.schema so the admin shows clear messages.

A run row is the claim: (rule, ticket, occurrence) is unique, so two overlapping sweeps or a
redelivered task act on a ticket once per trigger occurrence.
"""

from collections.abc import Callable

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Trigger(models.TextChoices):
    TICKET_CREATED = "ticket_created", _("Ticket created")
    CUSTOMER_REPLIED = "customer_replied", _("Customer replied")
    STAFF_REPLIED = "staff_replied", _("Staff replied")
    STATUS_CHANGED = "status_changed", _("Status changed")
    PRIORITY_CHANGED = "priority_changed", _("Priority changed")
    FIRST_RESPONSE_BREACHED = "first_response_breached", _("First-response SLA breached")
    RESOLUTION_BREACHED = "resolution_breached", _("Resolution SLA breached")
    NO_STAFF_REPLY = "no_staff_reply", _("No staff reply for X hours")
    NO_CUSTOMER_REPLY = "no_customer_reply", _("No customer reply for X days while in a status")
    CLOSED = "closed", _("Ticket closed (after a delay)")


EVENT_TRIGGERS = {
    Trigger.TICKET_CREATED,
    Trigger.CUSTOMER_REPLIED,
    Trigger.STAFF_REPLIED,
    Trigger.STATUS_CHANGED,
    Trigger.PRIORITY_CHANGED,
}
SLA_TRIGGERS = {Trigger.FIRST_RESPONSE_BREACHED, Trigger.RESOLUTION_BREACHED}
TIME_TRIGGERS = {Trigger.NO_STAFF_REPLY, Trigger.NO_CUSTOMER_REPLY, Trigger.CLOSED}


# The rule schema (tickets.automation.schema) reads these models, so models cannot import it:
# TicketsConfig.ready() plugs its validator in here and clean() runs it (admin forms, full_clean).
RULE_VALIDATORS: list[Callable[["AutomationRule"], None]] = []


class AutomationRule(models.Model):
    name = models.CharField(_("name"), max_length=150, unique=True)
    order = models.PositiveSmallIntegerField(_("order"), default=100, help_text=_("Lower runs first."))
    is_active = models.BooleanField(_("active"), default=True)
    trigger = models.CharField(_("trigger"), max_length=32, choices=Trigger.choices)
    hours = models.PositiveIntegerField(
        _("hours"), null=True, blank=True, help_text=_("For “no staff reply for X hours”.")
    )
    days = models.PositiveIntegerField(
        _("days"), null=True, blank=True, help_text=_("For “no customer reply for X days”.")
    )
    delay_minutes = models.PositiveIntegerField(
        _("delay (minutes)"), null=True, blank=True, help_text=_("For “ticket closed”: act this long after closing.")
    )
    trigger_status = models.ForeignKey(
        "TicketStatus",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("status"),
        help_text=_("For “no customer reply” (the status it waits in) and “status changed” (the new status; "
                    "empty: any)."),
    )
    conditions = models.JSONField(
        _("conditions"), default=list, blank=True,
        help_text=_('All must hold. A list such as [{"field": "priority", "in": ["Urgent", "High"]}, '
                    '{"field": "assignee", "set": false}]. Fields: department, priority, status, service, channel, '
                    'client_tier (in / not_in), custom_field (slug, value), assignee (set), business_hours (value).'),
    )
    actions = models.JSONField(
        _("actions"), default=list,
        help_text=_('Run in order. A list such as [{"action": "set_status", "status": "escalated"}, '
                    '{"action": "email_staff", "to": "department", "subject": "…", "body": "…"}].'),
    )
    # Bookkeeping of actions that keep state between runs (round-robin pointer per department).
    state = models.JSONField(default=dict, blank=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["order", "id"]
        verbose_name = _("automation rule")
        indexes = [models.Index(fields=["trigger", "is_active", "order"], name="automation_rule_trigger")]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        for validate in RULE_VALIDATORS:
            validate(self)


class AutomationRun(models.Model):
    class State(models.TextChoices):
        PENDING = "pending", _("Pending")
        DONE = "done", _("Done")
        SKIPPED = "skipped", _("Skipped (no longer due)")
        FAILED = "failed", _("Failed")
        # A time rule's close refused by a close guard (a delivery return on its way): run again
        # once the guard lifts (tickets.automation.engine.release_held_runs).
        HELD = "held", _("Held (the ticket must stay open for now)")

    rule = models.ForeignKey(AutomationRule, on_delete=models.CASCADE, related_name="runs")
    ticket = models.ForeignKey("Ticket", on_delete=models.CASCADE, related_name="automation_runs")
    occurrence = models.CharField(_("trigger occurrence"), max_length=80)
    state = models.CharField(_("state"), max_length=16, choices=State.choices, default=State.PENDING)
    result = models.JSONField(_("what it did"), default=list, blank=True)
    error = models.TextField(_("error"), blank=True)
    created_at = models.DateTimeField(_("triggered"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("automation run")
        constraints = [
            models.UniqueConstraint(fields=["rule", "ticket", "occurrence"], name="automation_run_once")
        ]
        indexes = [
            models.Index(fields=["rule", "ticket", "created_at"], name="automation_run_rule_ticket"),
            models.Index(fields=["ticket", "created_at"], name="automation_run_ticket"),
            models.Index(fields=["ticket"], condition=models.Q(state="held"), name="automation_run_held"),
        ]

    def __str__(self) -> str:
        return f"{self.rule} on #{self.ticket_id} ({self.occurrence})"
