"""The KPI reports' daily rollup (tickets.reports.rollup fills it; tickets.reports.kpis reads it).

`ReportDay` holds what the ticket KPIs sum, per local day (settings.TIME_ZONE) and department,
in total and broken down by each other dimension: tickets created that day and their first
responses (count, wall-clock and business-hours sums, SLA due/met), tickets closed that day
(count, wall-clock and business-hours resolution sums, first-contact resolutions). Not the full
cube day x department x agent x service x priority x channel x tier: over a million tickets that
cube had as many rows as tickets (1,044,664 rows, 14,072 combinations spread thin over the days)
and summing a month of it was slower than reading the tickets. The page needs totals and one-
dimension breakdowns; `ReportPairDay` adds the pairs of dimensions a filter on agent, service,
priority, channel or tier needs (a priority or a channel is a quarter of the tickets or more:
read live, a year of one took 4 s over the bench's million tickets).
`ReportReplyDay` keeps the replying agent as a key ("agents who replied" is a distinct count).

Dimensions are plain integers, not foreign keys: the rollup is derived data, rebuilt from the
tickets, and must never block deleting a department or a user. NULL keys are equal in the unique
constraints (PostgreSQL 15 NULLS NOT DISTINCT), so ON CONFLICT finds the row of a ticket with no
assignee or no client.
"""

from django.db import models


class TicketFigures(models.Model):
    """What the ticket KPIs sum (rollup.TICKET_SUMS): tickets created and their first responses
    (count, wall-clock and business-hours sums, SLA due/met), tickets closed (count, resolution
    sums, first-contact resolutions). Shared by `ReportDay` and `ReportPairDay`."""

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
        abstract = True


class ReportDay(TicketFigures):
    """The ticket figures of one local day and department: the department's totals (dimension
    "") and its breakdown by one other dimension ("agent", "service", "priority", "channel",
    "tier"; `value` is that dimension's key as text, NULL for "none"). A ticket counts once in
    each dimension, so summing the rows of one dimension gives the totals exactly."""

    day = models.DateField()
    department_id = models.IntegerField(null=True)
    dimension = models.CharField(max_length=12, blank=True)
    value = models.CharField(max_length=32, null=True)

    class Meta(TicketFigures.Meta):
        constraints = [
            models.UniqueConstraint(fields=["day", "department_id", "dimension", "value"], nulls_distinct=False,
                                    name="report_day_key"),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.dimension}={self.value}: {self.created} created, {self.closed} closed"


class ReportReplyDay(models.Model):
    """Staff replies and predefined-reply uses of one local day, department and replying agent."""

    day = models.DateField()
    department_id = models.IntegerField(null=True)
    actor_id = models.IntegerField(null=True)
    replies = models.IntegerField(default=0)
    predefined = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["day", "department_id", "actor_id"], nulls_distinct=False,
                                    name="report_reply_day_key"),
        ]

    def __str__(self) -> str:
        return f"{self.day} actor {self.actor_id}: {self.replies} replies"


class ReportPairDay(TicketFigures):
    """The same figures as `ReportDay` for one value of a filter dimension broken down by another:
    day x department x (dimension, value) x (by_dimension, by_value), for every ordered pair of
    agent, service, priority, channel and tier. With the page filtered by one of them (and at most
    a department) the rollup answers every breakdown table: `ReportDay`'s rows of that dimension
    give the totals and the department table, these rows the other tables. Each pair is stored
    both ways round (one index, dimension and value first, answers every filter): 880,000 rows,
    219 MB, for the bench's year of a million tickets (about 2,400 a day)."""

    day = models.DateField()
    department_id = models.IntegerField(null=True)
    dimension = models.CharField(max_length=12)
    value = models.CharField(max_length=32, null=True)
    by_dimension = models.CharField(max_length=12)
    by_value = models.CharField(max_length=32, null=True)

    class Meta(TicketFigures.Meta):
        constraints = [
            models.UniqueConstraint(fields=["dimension", "value", "day", "department_id", "by_dimension", "by_value"],
                                    nulls_distinct=False, name="report_pair_day_key"),
        ]
        indexes = [models.Index(fields=["day"], name="report_pair_day_day")]

    def __str__(self) -> str:
        return f"{self.day} {self.dimension}={self.value} by {self.by_dimension}={self.by_value}"


class ReportReplyPairDay(models.Model):
    """`ReportReplyDay` for the tickets of one value of agent, service, priority, channel or tier
    (the ticket's, not the replying agent's): what a period filtered by one of them sums."""

    day = models.DateField()
    department_id = models.IntegerField(null=True)
    dimension = models.CharField(max_length=12)
    value = models.CharField(max_length=32, null=True)
    actor_id = models.IntegerField(null=True)
    replies = models.IntegerField(default=0)
    predefined = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["dimension", "value", "day", "department_id", "actor_id"],
                                    nulls_distinct=False, name="report_reply_pair_day_key"),
        ]
        indexes = [models.Index(fields=["day"], name="report_reply_pair_day_day")]

    def __str__(self) -> str:
        return f"{self.day} {self.dimension}={self.value} actor {self.actor_id}: {self.replies} replies"


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
    # The days before it are in ReportPairDay and ReportReplyPairDay too (None: not built yet;
    # the filters read live).
    pairs_through = models.DateField(null=True)

    def __str__(self) -> str:
        return f"rollup through {self.built_through}"
