"""Admin registrations: the manager's configuration console.

Configuration rows (departments, statuses, priorities, services, custom fields, predefined
replies, spam filters) are edited here directly. Tickets and tasks are different: every change
of a ticket must record its event, keep its timestamps and SLA dues true and notify people, so
the ticket form saves through tickets.services (open_ticket, change_status, change_priority,
assign, change_department, change_service, set_custom_values) and shows the fields that no
service changes as read-only. Messages and events are history: read-only everywhere.
"""

# Each module registers its models on import: configuration rows, tickets and their history,
# and the rooms' own admin (automation and SLA, inbound mail, the portal).
from tickets.admin import config, tickets  # noqa: F401
from tickets.automation import admin as automation_admin  # noqa: F401
from tickets.intake import admin as intake_admin  # noqa: F401
from tickets.portal import admin as portal_admin  # noqa: F401
