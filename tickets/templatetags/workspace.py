"""Template helpers of the agent workspace: SLA countdowns, file sizes, sanitised bodies."""

import re
from html import escape as html_escape

import nh3
from django import template
from django.utils import timezone, translation
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from tickets import sla
from tickets.sla_policy import display_target

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
            "just_now": _("just now"),
            "ago": _("%(t)s ago"),
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

# A quoted tail: "On <date>, <someone> wrote:" or the first of a run of "> " lines that
# continues to the end of the message.
_QUOTE_HEADER = re.compile(r"^(On .{4,200} wrote:|-----\s*Original Message\s*-----|From: .+)$", re.MULTILINE)


@register.simple_tag
def sla_badge(ticket: object, now: object = None) -> SafeString:
    """Render the target the ticket runs against now (tickets.sla.running_metric) as a countdown,
    'paused' or 'breached' (the state from sla_policy.display_target, as every SLA badge)."""
    metric = sla.running_metric(ticket)
    target = display_target(ticket, metric, now=now) if metric else None
    if target is None or target.state == "none":
        return mark_safe('<span class="muted">—</span>')
    labels = _labels()
    title = _e(f"{labels[metric]} {target.due_at:%Y-%m-%d %H:%M} UTC")
    left = sla.humanize_seconds(target.seconds)
    state = f' data-sla="{metric}" data-state="{target.state}"'
    if target.state == "breached":
        return mark_safe(f'<span class="tag danger"{state} title="{title}">{_e(labels["breached"])} · {left}</span>')
    if target.state == "paused":
        return mark_safe(f'<span class="tag"{state} title="{title}">{_e(labels["paused"])} · {left}</span>')
    colour = "warn" if target.state == "soon" else "ok"
    return mark_safe(f'<span class="tag {colour}"{state} title="{title}">{left}</span>')


@register.simple_tag
def due_status(ticket: object, metric: str) -> SafeString:
    """Render one target's due time with the time left, 'met', 'paused' or 'breached'."""
    target = display_target(ticket, metric)
    if target.state == "none":
        return mark_safe('<span class="muted">—</span>')
    when = timezone.localtime(target.due_at).strftime("%Y-%m-%d %H:%M")
    if target.state == "met":
        return format_html('{} <span class="tag ok" data-state="met">{}</span>', when, _("met"))
    if target.state == "breached":
        late = _("%(t)s late") % {"t": sla.humanize_seconds(target.seconds)} if target.seconds >= 60 else ""
        return format_html('{} <span class="tag danger" data-state="breached">{} {}</span>', when, _("breached"), late)
    if target.state == "paused":
        return format_html('{} <span class="tag" data-state="paused">{} · {}</span>', when, _("paused"),
                           _("%(t)s left") % {"t": sla.humanize_seconds(target.seconds)})
    return format_html('{} <span class="tag {}" data-state="{}">{}</span>', when,
                       "warn" if target.state == "soon" else "ok", target.state,
                       _("%(t)s left") % {"t": sla.humanize_seconds(target.seconds)})


@register.filter
def filesize(size: int) -> str:
    size = int(size or 0)
    if size < 1024:
        return f"{size} B"
    if size < 1024 * 1024:
        return f"{size / 1024:.1f} KB"
    return f"{size / 1048576:.1f} MB"


def split_quoted(text: str) -> tuple[str, str]:
    """Split a plain-text body into (what was written, the quoted history below it)."""
    match = _QUOTE_HEADER.search(text)
    if match and match.start() > 0:
        return text[: match.start()].rstrip(), text[match.start():]
    lines = text.splitlines()
    tail = len(lines)
    while tail > 0 and (lines[tail - 1].startswith(">") or not lines[tail - 1].strip()):
        tail -= 1
    if tail < len(lines) and any(line.startswith(">") for line in lines[tail:]) and tail > 0:
        return "\n".join(lines[:tail]).rstrip(), "\n".join(lines[tail:]).strip()
    return text, ""


def _e(value: object) -> str:
    """Escape for HTML like django.utils.html.escape, without its lazy-string wrapper (which costs
    more than the escaping in a 200-message thread); safe strings pass through."""
    if isinstance(value, SafeString):
        return value
    return html_escape(str(value))


@register.simple_tag
def message_body(message: object) -> SafeString:
    """Render a message body: sanitised HTML (again, defensively) or escaped text, with the
    quoted history collapsed in a <details>."""
    if message.body_html:
        clean = nh3.clean(message.body_html, link_rel="noopener noreferrer nofollow")
        return mark_safe(f'<div class="html-body">{clean}</div>')
    main, quoted = split_quoted(message.body_text or "")
    if not quoted and message.original_text and message.original_text.strip() != main.strip():
        quoted = message.original_text
    body = f'<div class="text-body">{_e(main)}</div>'
    if quoted:
        body += (f'<details class="quoted"><summary>{_e(_labels()["show_quoted"])}</summary>'
                 f'<pre>{_e(quoted)}</pre></details>')
    return mark_safe(body)


@register.simple_tag
def ago(moment: object, now: object = None) -> str:
    """Return 'x min ago' for a past moment (cheaper than naturaltime in long lists)."""
    if moment is None:
        return ""
    seconds = int(((now or timezone.now()) - moment).total_seconds())
    labels = _labels()
    if seconds < 60:
        return labels["just_now"]
    return labels["ago"] % {"t": sla.humanize_seconds(seconds)}


@register.simple_tag
def message_card(message: object, download_base: str) -> SafeString:
    """Render one message of the conversation (done in Python: a 200-message thread is the
    ticket page's main cost, and this is several times cheaper than a template per message)."""
    created = timezone.localtime(message.created_at)
    labels = _labels()
    delivery = ""
    if message.delivery_status == "failed":
        delivery = (f' <span class="tag danger" title="{_e(message.delivery_error)}">'
                    f'{_e(labels["not_delivered"])}</span>')
    elif message.delivery_status == "pending":
        delivery = f' <span class="tag">{_e(labels["sending"])}</span>'
    files = "".join(
        f'<a class="attachment" href="{_e(download_base)}{a.pk}/">{_e(a.original_name)} '
        f'<small>{filesize(a.size)}</small></a>'
        for a in (message.files if hasattr(message, "files") else message.attachments.all())
    )
    attachments = f'<div class="attachments">{files}</div>' if files else ""
    return mark_safe(
        f'<article class="msg {_e(message.kind)}" id="m{message.pk}"><header><span>'
        f'<strong>{_e(message.display_author)}</strong>'
        f'<span class="kind">{_e(labels.get(f"kind:{message.kind}", ""))}</span>{delivery}</span>'
        f'<time datetime="{created.isoformat()}">{created:%Y-%m-%d %H:%M}</time></header>'
        f'<div class="body">{message_body(message)}</div>{attachments}</article>'
    )


@register.simple_tag
def queue_row(t: object, now: object, ticket_base: str, query_string: str) -> SafeString:
    """Render one queue row (in Python: fifty rows per page, refreshed every 20 s by every agent)."""
    url = _e(f"{ticket_base}{t.pk}/")
    labels = _labels()
    client = ""
    if t.client_id:
        client = (f' · <a href="?{_e(query_string)}&amp;client={t.client_id}" class="client-link">'
                  f'{_e(t.client.name)}</a>')
    if t.assignee_id:
        assignee = _e(t.assignee.get_full_name())
    else:
        assignee = f'<span class="muted">{_e(labels["unassigned"])}</span>'
    if t.last_reply_at:
        last = (f'<span class="who {"staff" if t.last_reply_by_staff else "customer"}">{_e(t.last_replier_name or "—")}'
                f'</span><br><small>{_e(ago(t.last_reply_at, now))}</small>')
    else:
        last = '<span class="muted">—</span>'
    channel = labels.get(f"channel:{t.channel}", t.channel)
    return mark_safe(
        f'<tr class="queue-row{" urgent" if t.priority_level >= 4 else ""}" data-href="{url}" data-ticket="{t.pk}">'
        f'<td class="check"><input type="checkbox" name="ticket" value="{t.pk}" aria-label="#{t.pk}"></td>'
        f'<td class="num"><a href="{url}">{t.pk}</a></td>'
        f'<td class="subject"><a href="{url}">{_e(t.subject)}</a><div class="sub">{_e(t.requester_display)}{client} · '
        f'<span class="muted">{_e(channel)}</span></div></td>'
        f'<td>{_e(t.department.name)}</td>'
        f'<td><span class="badge" style="--c: {_e(t.status.colour)}">{_e(t.status.name)}</span></td>'
        f'<td><span class="badge" style="--c: {_e(t.priority.colour)}">{_e(t.priority.name)}</span></td>'
        f'<td>{assignee}</td><td class="last-reply">{last}</td><td>{sla_badge(t, now)}</td></tr>'
    )
