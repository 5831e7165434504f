"""The KPI reports' daily rollup (tickets.reports.rollup fills it; tickets.reports.kpis reads it).

One `ReportDay` row per local day (settings.TIME_ZONE) x department x assignee x service x
priority x channel x client tier, holding what the ticket KPIs sum: tickets created that day and
their first responses (count, wall-clock and business-hours sums, SLA due/met), tickets closed that
day (count, wall-clock and business-hours resolution sums, first-contact resolutions).
`ReportReplyDay` adds the reply actor for the staff replies and predefined-reply uses (the
"agents who replied" figure is a distinct count, so the actor must stay a key).

Dimensions are plain integers, not foreign keys: the rollup is derived data, rebuilt from the
tickets, and must never block deleting a department or a user. NULL keys are equal in the unique
constraints (PostgreSQL 15 NULLS NOT DISTINCT), so ON CONFLICT finds the row of a ticket with no
assignee or no client.
"""

from django.db import models

DIMENSION_FIELDS = ["department_id", "agent_id", "service_id", "priority_id", "channel", "tier"]


class ReportDay(models.Model):
    day = models.DateField()
    department_id = models.IntegerField(null=True)
    agent_id = models.IntegerField(null=True)
    service_id = models.IntegerField(null=True)
    priority_id = models.IntegerField(null=True)
    channel = models.CharField(max_length=16)
    tier = models.CharField(max_length=16, null=True)
    created = models.IntegerField(default=0)
    answered = models.IntegerField(default=0)
    frt_sum = models.DurationField(null=True)
    frt_business_sum = models.DurationField(null=True)
    sla_total = models.IntegerField(default=0)
    sla_met = models.IntegerField(default=0)
    closed = models.IntegerField(default=0)
    resolution_sum = models.DurationField(null=True)
    resolution_business_sum = models.DurationField(null=True)
    fcr = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["day", *DIMENSION_FIELDS], nulls_distinct=False,
                                    name="report_day_key"),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.created} created, {self.closed} closed"


class ReportReplyDay(models.Model):
    day = models.DateField()
    department_id = models.IntegerField(null=True)
    agent_id = models.IntegerField(null=True)
    service_id = models.IntegerField(null=True)
    priority_id = models.IntegerField(null=True)
    channel = models.CharField(max_length=16)
    tier = models.CharField(max_length=16, null=True)
    actor_id = models.IntegerField(null=True)
    replies = models.IntegerField(default=0)
    predefined = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["day", *DIMENSION_FIELDS, "actor_id"], nulls_distinct=False,
                                    name="report_reply_day_key"),
        ]

    def __str__(self) -> str:
        return f"{self.day} actor {self.actor_id}: {self.replies} replies"


class ReportRollupState(models.Model):
    """One row (pk 1): which days the rollup holds and when it was last refreshed.

    Whole days before `built_through` are in the rollup; the reports read later moments live.
    `since` is the start of the refresh that wrote it: the next refresh re-reads every ticket
    touched after it (minus a safety margin).
    """

    built_through = models.DateField(null=True)
    refreshed_since = models.DateTimeField(null=True)
    time_zone = models.CharField(max_length=64, blank=True)
    calendar_fingerprint = models.CharField(max_length=64, blank=True)
    last_duration_ms = models.IntegerField(default=0)
    last_days = models.IntegerField(default=0)

    def __str__(self) -> str:
        return f"rollup through {self.built_through}"
