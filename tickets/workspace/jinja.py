"""The Jinja2 environment of the workspace's hot fragments (queue rows, message cards).

settings.TEMPLATES registers it as the "fragments" engine; its templates live in
tickets/jinja2/. Autoescaping is on (Django's Jinja2 backend default), and the filters are the
workspace's own template helpers, so both engines show the same labels, sizes and SLA states;
moments go through helpdesk.datetimes (the `moment`/`day` filters, the `ago` global) as
{% load datetimes %} does in Django's templates.
"""

from typing import Any

from django.utils import timezone, translation
from jinja2 import Environment

from helpdesk import datetimes
from tickets import labels
from tickets.workspace import templatetags


def environment(**options: Any) -> Environment:
    """Return the Jinja2 environment with the workspace's filters and helpers."""
    options.setdefault("extensions", [])
    options["extensions"] = [*options["extensions"], "jinja2.ext.i18n"]
    env = Environment(**options)
    # {{ _("...") }} and {% trans %} in the fragments use Django's catalogue of the active language.
    env.install_gettext_callables(translation.gettext, translation.ngettext, newstyle=True)
    env.filters.update({
        "attachments_of": templatetags.attachments_of,
        "channel_label": templatetags.channel_label,
        "clean_html": templatetags.clean_html,
        "filesize": templatetags.filesize,
        "kind_label": templatetags.kind_label,
        "label": labels.label,
        "localtime": timezone.localtime,
        "moment": datetimes.moment,
        "day": datetimes.day,
        "text_parts": templatetags.text_parts,
    })
    env.globals.update({"ago": datetimes.ago, "sla_facts": templatetags.sla_facts})
    return env
