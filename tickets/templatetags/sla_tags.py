"""SLA display for the queue and the ticket page.

    {% load sla_tags %}
    {% sla_badge ticket "first_response" %}   {# or "resolution" #}

renders one of: "met", "breached" (answered late or overdue), "paused" (On Hold), or a countdown
to the due time ("due in 2 h 5 min", warning colour within the lead time). `{% sla_state ticket
"resolution" as s %}` gives the same facts as a dict for custom layouts.
"""

from datetime import datetime, timedelta
from typing import Any

from django import template
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from tickets.models import Ticket
from tickets.sla_policy import pause_first_response

register = template.Library()


def _duration(delta: timedelta) -> str:
    minutes = int(abs(delta.total_seconds()) // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        return _("%(d)d d %(h)d h") % {"d": days, "h": hours}
    if hours:
        return _("%(h)d h %(m)d min") % {"h": hours, "m": minutes}
    return _("%(m)d min") % {"m": minutes}


def sla_facts(ticket: Ticket, metric: str, now: datetime | None = None) -> dict[str, Any]:
    """Return {state, due_at, text, css} for the ticket's first_response or resolution target."""
    now = now or timezone.now()
    if metric == "first_response":
        due, done, breached = ticket.first_response_due_at, ticket.first_response_at, ticket.first_response_breached
        pausable = pause_first_response()
    else:
        due, done, breached = ticket.resolution_due_at, ticket.closed_at, ticket.resolution_breached
        pausable = True
    if due is None:
        return {"state": "none", "due_at": None, "text": "—", "css": "due"}
    if breached or (done is None and now > due and not (pausable and ticket.sla_paused_at)):
        late = (done or now) - due
        return {"state": "breached", "due_at": due, "css": "breached",
                "text": _("breached (%(t)s late)") % {"t": _duration(late)} if late > timedelta(0) else _("breached")}
    if done is not None:
        return {"state": "met", "due_at": due, "text": _("met"), "css": "met"}
    if pausable and ticket.sla_paused_at:
        return {"state": "paused", "due_at": due, "text": _("paused"), "css": "paused"}
    left = due - now
    soon = left <= timedelta(minutes=settings.HELPDESK_SLA_WARNING_MINUTES)
    return {"state": "soon" if soon else "due", "due_at": due, "css": "soon" if soon else "due",
            "text": _("due in %(t)s") % {"t": _duration(left)}}


@register.simple_tag
def sla_state(ticket: Ticket, metric: str = "first_response") -> dict[str, Any]:
    return sla_facts(ticket, metric)


@register.inclusion_tag("tickets/_sla_badge.html")
def sla_badge(ticket: Ticket, metric: str = "first_response") -> dict[str, Any]:
    facts = sla_facts(ticket, metric)
    labels = {"first_response": _("First response"), "resolution": _("Resolution")}
    return {**facts, "label": labels.get(metric, metric), "metric": metric}
