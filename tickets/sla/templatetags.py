"""SLA display for the queue and the ticket page.

    {% load sla_tags %}
    {% sla_badge ticket "first_response" %}   {# or "resolution" #}

renders one of: "met", "breached" (answered late or overdue), "paused" (On Hold), or a countdown
to the due time ("due in 2 h 5 min", warning colour within the lead time). `{% sla_state ticket
"resolution" as s %}` gives the same facts as a dict for custom layouts.
"""

from datetime import datetime
from typing import Any

from django import template
from django.utils.translation import gettext as _

from helpdesk import datetimes
from tickets.models import Ticket
from tickets.sla.policy import display_target

register = template.Library()


def sla_facts(ticket: Ticket, metric: str, now: datetime | None = None) -> dict[str, Any]:
    """Return {state, due_at, text, css} for the ticket's first_response or resolution target."""
    target = display_target(ticket, metric, now=now)
    if target.state == "none":
        text = "—"
    elif target.state == "breached":
        late = datetimes.duration(target.seconds)
        text = _("breached (%(t)s late)") % {"t": late} if target.seconds >= 60 else _("breached")
    elif target.state == "met":
        text = _("met")
    elif target.state == "paused":
        text = _("paused")
    else:
        text = _("due in %(t)s") % {"t": datetimes.duration(target.seconds)}
    css = "due" if target.state == "none" else target.state
    return {"state": target.state, "due_at": target.due_at, "text": text, "css": css}


@register.simple_tag
def sla_state(ticket: Ticket, metric: str = "first_response") -> dict[str, Any]:
    return sla_facts(ticket, metric)


@register.inclusion_tag("tickets/_sla_badge.html")
def sla_badge(ticket: Ticket, metric: str = "first_response") -> dict[str, Any]:
    facts = sla_facts(ticket, metric)
    labels = {"first_response": _("First response"), "resolution": _("Resolution")}
    return {**facts, "label": labels.get(metric, metric), "metric": metric}
