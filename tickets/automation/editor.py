"""The admin's rule editor: rows of (field, operator, value) and (action, parameters) over the
same JSON lists the engine runs. static/js/rule_editor.js builds the rows from the metadata
given here (a json_script element next to each textarea) and writes the JSON back into the
textarea, so the form posts exactly what a power user would type and schema.py validates it
as before. Without JavaScript the textarea is all there is, as before."""

import re
from typing import Any

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tickets.automation.registry import available_actions
from tickets.automation.schema import CHOICE_FIELDS, LIST_FIELDS
from tickets.models import CustomField
from tickets.models.core import Channel
from tickets.models.sla import Tier

FIELD_LABELS = {
    "department": gettext_lazy("Department"),
    "priority": gettext_lazy("Priority"),
    "service": gettext_lazy("Service"),
    "status": gettext_lazy("Status"),
    "channel": gettext_lazy("Channel"),
    "client_tier": gettext_lazy("Client tier"),
    "custom_field": gettext_lazy("Custom field"),
    "assignee": gettext_lazy("Assignee"),
    "business_hours": gettext_lazy("Business hours"),
}
STATIC_CHOICES = {"channel": Channel.choices, "client_tier": Tier.choices}


def _list_choices(name: str) -> list[list[str]]:
    if name in STATIC_CHOICES:
        return [[value, str(label)] for value, label in STATIC_CHOICES[name]]
    model, attr = LIST_FIELDS[name]
    if name == "priority":
        return [[value, value] for value in model.objects.order_by("-level").values_list(attr, flat=True)]
    if attr == "slug":
        return [[slug, label] for slug, label in model.objects.order_by("order", "name").values_list("slug", "name")]
    return [[value, value] for value in model.objects.order_by(attr).values_list(attr, flat=True)]


def _mode_texts() -> dict[str, str]:
    return {"json_mode": _("Edit as JSON"), "rows_mode": _("Edit as rows"),
            "bad_json": _("This JSON cannot be shown as rows: edit it here, or fix it and choose “Edit as rows”.")}


def condition_metadata() -> dict[str, Any]:
    """The condition fields, their operators and the values each offers (read per form)."""
    fields: list[dict[str, Any]] = []
    for name in ("department", "priority", "status", "service", *CHOICE_FIELDS):
        fields.append({
            "name": name, "label": str(FIELD_LABELS[name]), "kind": "list",
            "operators": [["in", _("is one of")], ["not_in", _("is none of")]],
            "choices": _list_choices(name),
        })
    custom = CustomField.objects.order_by("order", "name")
    fields.append({
        "name": "custom_field", "label": str(FIELD_LABELS["custom_field"]), "kind": "custom",
        "operators": [["equals", _("equals")]],
        "fields": [{"slug": f.slug, "label": f.name, "options": f.option_list} for f in custom],
    })
    fields.append({
        "name": "assignee", "label": str(FIELD_LABELS["assignee"]), "kind": "flag", "key": "set",
        "operators": [["true", _("is set")], ["false", _("is not set")]],
    })
    fields.append({
        "name": "business_hours", "label": str(FIELD_LABELS["business_hours"]), "kind": "flag", "key": "value",
        "operators": [["true", _("inside business hours")], ["false", _("outside business hours")]],
    })
    return {"fields": fields, "texts": {
        "add": _("Add condition"), "remove": _("Remove"), "row": _("Condition"), "field": _("Field"),
        "operator": _("Operator"), "value": _("Value"), "key": _("Which field"),
        "empty": _("No conditions: the rule applies to every ticket of its trigger."),
        "all": _("All of these must hold (for “any of”, make one rule per alternative)."),
        "choose": _("— choose —"), **_mode_texts(),
    }}


def action_metadata() -> dict[str, Any]:
    """The registered actions (built-in and from plugins) with their parameters."""
    actions = []
    for action in available_actions():
        params = None
        if action.params is not None:
            params = [{"name": p.name, "label": str(p.label), "kind": p.kind, "required": p.required,
                       "help": str(p.help), "choices": [[v, lbl] for v, lbl in p.choice_list()]}
                      for p in action.params]
        actions.append({"name": action.name, "label": str(action.label), "params": params})
    return {"actions": actions, "texts": {
        "add": _("Add action"), "remove": _("Remove"), "row": _("Action"), "action": _("Action"),
        "up": _("Move up"), "down": _("Move down"), "none": _("No parameters."),
        "json": _("Parameters (JSON object)"), "choose": _("— choose —"),
        "order": _("Run in this order."), **_mode_texts(),
    }}


def row_errors(messages: list[str], kind: str) -> list[dict[str, Any]]:
    """Attach each validation message to the row it names ("Condition 2: ...", "Action 1 (x): ...")."""
    word = (_("Condition %(n)d") if kind == "conditions" else _("Action %(n)d")) % {"n": 0}
    pattern = re.compile("^" + re.escape(word).replace("0", r"(\d+)", 1) + r"(?!\d)")
    result = []
    for message in messages:
        match = pattern.match(message)
        result.append({"row": int(match.group(1)) if match else None, "message": message})
    return result


class RuleJSONWidget(forms.Textarea):
    """The JSON textarea, with what the rule editor needs to offer rows instead."""

    template_name = "tickets/admin/rule_json_widget.html"

    def __init__(self, kind: str, attrs: dict[str, Any] | None = None) -> None:
        self.kind = kind
        super().__init__(attrs={"rows": 8, "cols": 100, "class": "vLargeTextField", **(attrs or {})})
        self.errors: list[str] = []

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        context = super().get_context(name, value, attrs)
        widget = context["widget"]
        meta = condition_metadata() if self.kind == "conditions" else action_metadata()
        meta["errors"] = row_errors(self.errors, self.kind)
        meta["kind"] = self.kind
        widget["rule_meta"] = meta
        widget["meta_id"] = f"{widget['attrs'].get('id') or name}-editor-meta"
        widget["attrs"]["data-rule-editor"] = self.kind
        widget["attrs"]["data-meta"] = widget["meta_id"]
        return context

    def __deepcopy__(self, memo: dict) -> "RuleJSONWidget":
        copy = super().__deepcopy__(memo)
        copy.errors = []
        return copy
