"""The filters every report reads: a period and the ticket dimensions a manager narrows by.

`ticket_q(prefix)` turns them into one Q on tickets (or on anything that reaches a ticket
through `prefix`, e.g. "invitation__ticket__" for survey invitations), so every figure on the
page uses the same definition of "the tickets in scope".
"""

from dataclasses import dataclass, replace
from datetime import datetime

from django.db.models import Q

# Dimension name -> the ticket field it groups by, and the field that labels it.
DIMENSIONS: dict[str, tuple[str, str]] = {
    "department": ("department_id", "department__name"),
    "agent": ("assignee_id", "assignee__full_name"),
    "service": ("service_id", "service__name"),
    "priority": ("priority_id", "priority__name"),
    "channel": ("channel", "channel"),
    "tier": ("client__tier", "client__tier"),
}
# Dimensions whose groups are named in the database: shown through tickets.labels.label
# (channels and tiers are gettext choices already).
NAMED = frozenset({"department", "service", "priority"})


@dataclass(frozen=True)
class ReportFilters:
    since: datetime
    until: datetime
    department_id: int | None = None
    agent_id: int | None = None
    service_id: int | None = None
    priority_id: int | None = None
    channel: str = ""
    tier: str = ""

    @property
    def days(self) -> float:
        return max((self.until - self.since).total_seconds() / 86400, 1 / 24)

    def previous(self) -> "ReportFilters":
        """The same filters over the period just before this one, of the same length."""
        length = self.until - self.since
        return replace(self, since=self.since - length, until=self.since)

    def ticket_q(self, prefix: str = "") -> Q:
        """Return the Q selecting the tickets in scope (the period is applied by each figure)."""
        q = Q()
        for field, value in (
            ("department_id", self.department_id),
            ("assignee_id", self.agent_id),
            ("service_id", self.service_id),
            ("priority_id", self.priority_id),
            ("channel", self.channel),
            ("client__tier", self.tier),
        ):
            if value not in (None, ""):
                q &= Q(**{prefix + field: value})
        return q
