"""Ticket models, one module per area; import them all here so Django sees them."""

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
from tickets.models.inbound import DepartmentMailbox, InboundEmail  # noqa: F401,E402
