"""The Jinja2 environment of the workspace's hot fragments (queue rows, message cards).

settings.TEMPLATES registers it as the "fragments" engine; its templates live in
tickets/jinja2/. Autoescaping is on (Django's Jinja2 backend default), and the filters are the
workspace's own template helpers, so both engines show the same labels, sizes and SLA states.
"""

from typing import Any

from django.utils import timezone
from jinja2 import Environment

from tickets.workspace import templatetags


def environment(**options: Any) -> Environment:
    """Return the Jinja2 environment with the workspace's filters and helpers."""
    env = Environment(**options)
    env.filters.update({
        "attachments_of": templatetags.attachments_of,
        "channel_label": templatetags.channel_label,
        "clean_html": templatetags.clean_html,
        "filesize": templatetags.filesize,
        "kind_label": templatetags.kind_label,
        "localtime": timezone.localtime,
        "text_parts": templatetags.text_parts,
    })
    env.globals.update({"ago": templatetags.ago, "sla_facts": templatetags.sla_facts})
    return env
