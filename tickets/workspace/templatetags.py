"""Template helpers of the agent workspace: SLA facts, file sizes, sanitised bodies, "x ago".

They return facts and text; the markup is in templates: the due dates in tickets/_due_status.html
(Django), the queue's rows and the conversation's message cards in tickets/jinja2/tickets/ (Jinja2,
autoescaped, rendered by {% queue_rows %} and {% message_cards %}: the two fragments that repeat
fifty and two hundred times a page, where Django's engine doubled the page's CPU time).
"""


import nh3
from django import template
from django.template import engines
from django.utils import timezone, translation
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from helpdesk import datetimes
from tickets.quoting import split_quoted
from tickets.sla import calendar as sla
from tickets.sla.policy import display_target

register = template.Library()

_LABELS: dict[str, dict[str, str]] = {}


def _labels() -> dict[str, str]:
    """Return the row labels translated once per language (a page shows fifty rows)."""
    language = translation.get_language() or ""
    labels = _LABELS.get(language)
    if labels is None:
        from tickets.models.core import Channel

        labels = {
            "first_response": _("first response"),
            "resolution": _("resolution"),
            "breached": _("breached"),
            "paused": _("paused"),
            "unassigned": _("Unassigned"),
            "kind:note": _("Internal note · staff only"),
            "kind:staff": _("Staff reply"),
            "kind:system": _("Automatic message"),
            "kind:customer": _("Customer"),
            "not_delivered": _("not delivered"),
            "sending": _("sending…"),
            "show_quoted": _("Show quoted history"),
            **{f"channel:{value}": str(label) for value, label in Channel.choices},
        }
        _LABELS[language] = labels
    return labels



def sla_facts(ticket: object, now: object = None) -> dict[str, object]:
    """Return the facts of the queue's SLA badge: the target the ticket runs against now
    (sla.calendar.running_metric) as a countdown, 'paused' or 'breached' (the state from
    sla.policy.display_target, as every SLA badge)."""
    metric = sla.running_metric(ticket)
    target = display_target(ticket, metric, now=now) if metric else None
    if target is None or target.state == "none":
        return {"state": "none"}
    labels = _labels()
    return {
        "metric": metric,
        "state": target.state,
        "title": f"{labels[metric]} {datetimes.moment(target.due_at)}",
        "left": datetimes.duration(target.seconds),
        "label": labels.get(target.state, ""),
        "colour": {"breached": "danger", "paused": "", "soon": "warn"}.get(target.state, "ok"),
    }


def _fragment(name: str, context: dict[str, object]) -> SafeString:
    # The Jinja2 engine autoescapes; its output is the finished fragment.
    return mark_safe(engines["fragments"].get_template(name).render(context))  # noqa: S308


# Comfortable rows show these under the subject; compact rows give them a column of their own.
SUBJECT_LINE_COLUMNS = ("requester", "client")
DEFAULT_ROW_COLUMNS = ("requester", "client", "department", "status", "priority", "assignee", "last_reply", "sla")


def row_cells(columns: object, compact: bool) -> list[str]:
    """Return the optional columns that are table cells: all of them in compact rows; in
    comfortable rows the requester and client are on the subject's second line instead."""
    return [c for c in columns if compact or c not in SUBJECT_LINE_COLUMNS]


@register.simple_tag
def queue_rows(rows: object, now: object, ticket_base: str, query_string: str,
               columns: object = DEFAULT_ROW_COLUMNS, compact: bool = False) -> SafeString:
    """Render the queue's rows (tickets/jinja2/tickets/queue_rows.html) with the agent's columns and density."""
    return _fragment("tickets/queue_rows.html", {
        "rows": rows, "now": now, "ticket_base": ticket_base, "query_string": query_string, "labels": _labels(),
        "cells": row_cells(columns, compact), "compact": compact,
        "sub": [] if compact else [c for c in columns if c in SUBJECT_LINE_COLUMNS],
    })


@register.simple_tag
def message_cards(messages: object, download_base: str) -> SafeString:
    """Render the conversation's message cards (tickets/jinja2/tickets/message_cards.html)."""
    return _fragment("tickets/message_cards.html", {
        "messages": messages, "download_base": download_base, "labels": _labels(),
    })


@register.inclusion_tag("tickets/_due_status.html")
def due_status(ticket: object, metric: str) -> dict[str, object]:
    """Show one target's due time with the time left, 'met', 'paused' or 'breached'."""
    target = display_target(ticket, metric)
    if target.state == "none":
        return {"state": "none"}
    facts: dict[str, object] = {"state": target.state, "when": timezone.localtime(target.due_at)}
    if target.state == "breached":
        facts["detail"] = _("%(t)s late") % {"t": datetimes.duration(target.seconds)} if target.seconds >= 60 else ""
    elif target.state != "met":
        facts["detail"] = _("%(t)s left") % {"t": datetimes.duration(target.seconds)}
    facts["colour"] = {"met": "ok", "breached": "danger", "paused": "", "soon": "warn"}.get(target.state, "ok")
    return facts


@register.filter
def filesize(size: int) -> str:
    size = int(size or 0)
    if size < 1024:
        return f"{size} B"
    if size < 1024 * 1024:
        return f"{size / 1024:.1f} KB"
    return f"{size / 1048576:.1f} MB"


@register.filter
def clean_html(html: str) -> SafeString:
    """Return stored HTML sanitised again (defence in depth: it was sanitised when stored)."""
    return mark_safe(nh3.clean(html or "", link_rel="noopener noreferrer nofollow"))  # noqa: S308  nh3 output


@register.filter
def text_parts(message: object) -> tuple[str, str]:
    """Return (what was written, the quoted history) of a plain-text message."""
    main, quoted = split_quoted(message.body_text or "")
    if not quoted and message.original_text and message.original_text.strip() != main.strip():
        quoted = message.original_text
    return main, quoted


@register.simple_tag
def ago(moment: object, now: object = None) -> str:
    """Return 'x min ago' for a past moment (helpdesk.datetimes.ago, the product's one helper)."""
    return datetimes.ago(moment, now)


@register.filter
def kind_label(kind: str) -> str:
    """Return the label of a message kind ("Staff reply", "Internal note · staff only", ...)."""
    return _labels().get(f"kind:{kind}", "")


@register.filter
def channel_label(channel: str) -> str:
    """Return the label of a ticket channel."""
    return _labels().get(f"channel:{channel}", channel)


@register.filter
def attachments_of(message: object) -> object:
    """Return a message's attachments: grouped by the page (queries.ticket_messages) when it did."""
    return message.files if hasattr(message, "files") else message.attachments.all()
