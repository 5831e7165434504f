"""Fill a predefined reply's merge fields for one ticket and agent.

Only `{name}` placeholders from PredefinedReply.MERGE_FIELDS are replaced; anything else in
braces stays as typed. No str.format: a reply body must never reach attributes or format specs.
"""

import re

from tickets.models import PredefinedReply, Ticket

_FIELD = re.compile(r"\{\s*([a-z_]+)\s*\}")


def merge_values(*, ticket: Ticket, agent: object) -> dict[str, str]:
    """Return the merge field values for this ticket and agent."""
    contact = ticket.contact if ticket.contact_id else None
    contact_name = contact.full_name if contact else (ticket.requester_name or "")
    first = contact.first_name if contact else (contact_name.split(" ")[0] if contact_name else "")
    agent_name = agent.get_full_name() if agent is not None else ""
    return {
        "contact_first_name": first,
        "contact_name": contact_name,
        "client_name": ticket.client.name if ticket.client_id else "",
        "ticket_number": str(ticket.pk),
        "ticket_subject": ticket.subject,
        "agent_name": agent_name,
        "agent_first_name": agent_name.split(" ")[0] if agent_name else "",
        "department": ticket.department.name if ticket.department_id else "",
    }


def render_reply(*, reply: PredefinedReply, ticket: Ticket, agent: object) -> str:
    """Return the reply's body with its merge fields filled in (plain text, not escaped)."""
    values = merge_values(ticket=ticket, agent=agent)

    def fill(match: re.Match) -> str:
        key = match.group(1)
        return values[key] if key in values and key in PredefinedReply.MERGE_FIELDS else match.group(0)

    return _FIELD.sub(fill, reply.body)
