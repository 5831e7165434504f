"""Ticket models, one module per area; import them all here so Django sees them."""

from tickets.models.automation import AutomationRule, AutomationRun  # noqa: F401, E402
from tickets.models.core import (  # noqa: F401
    Attachment,
    CustomField,
    CustomFieldValue,
    Department,
    PredefinedReply,
    Priority,
    Service,
    SpamFilter,
    Task,
    Ticket,
    TicketEvent,
    TicketMessage,
    TicketStatus,
)
from tickets.models.escalation import Escalation, TicketFollower  # noqa: F401, E402
from tickets.models.handoffs import TaskAttachment  # noqa: F401, E402
from tickets.models.inbound import DepartmentMailbox, InboundEmail  # noqa: F401,E402
from tickets.models.notifications import Notification, NotificationPreference  # noqa: F401, E402
from tickets.models.portal import AnnouncementDismissal, Deflection  # noqa: F401, E402
from tickets.models.reports import ReportDay, ReportPairDay, ReportReplyDay, ReportReplyPairDay, ReportRollupState  # noqa: F401, E402
from tickets.models.sla import (  # noqa: F401
    BusinessCalendar,
    BusinessHours,
    Holiday,
    SLAPolicy,
    SLATarget,
)
from tickets.models.workspace import QueuePreference  # noqa: F401,E402
