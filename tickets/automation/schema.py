"""Validation of a rule: trigger parameters, conditions and actions, with messages a manager
can act on. Names in conditions are normalised to the stored spelling so lookups are exact."""

from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from tickets.automation.registry import available_actions, get_action
from tickets.models import Department, Priority, Service, TicketStatus
from tickets.models.automation import Trigger
from tickets.models.core import Channel, CustomField
from tickets.models.sla import Tier

LIST_FIELDS = {
    "department": (Department, "name"),
    "priority": (Priority, "name"),
    "service": (Service, "name"),
    "status": (TicketStatus, "slug"),
}
CHOICE_FIELDS = {"channel": Channel.values, "client_tier": Tier.values}
CONDITION_FIELDS = sorted([*LIST_FIELDS, *CHOICE_FIELDS, "custom_field", "assignee", "business_hours"])


def _canonical(model: type, attr: str, values: list[Any], where: str) -> list[str]:
    """Return the stored spellings of `values` (names or keys, case-insensitive; ids allowed)."""
    known = {str(v).lower(): v for v in model.objects.values_list(attr, flat=True)}
    if attr == "slug":  # statuses may also be named by their display name
        known.update({n.lower(): s for n, s in model.objects.values_list("name", "slug")})
    by_id = dict(model.objects.values_list("pk", attr))
    result = []
    for value in values:
        if isinstance(value, int) and value in by_id:
            result.append(by_id[value])
        elif str(value).lower() in known:
            result.append(known[str(value).lower()])
        else:
            raise ValidationError(
                _("%(where)s: “%(value)s” is not a known %(what)s (known: %(known)s).")
                % {"where": where, "value": value, "what": model._meta.verbose_name,
                   "known": ", ".join(sorted(set(map(str, known.values()))))}
            )
    return result


def clean_conditions(conditions: Any) -> list[dict[str, Any]]:
    """Return the conditions normalised, or raise ValidationError saying what is wrong."""
    if conditions in (None, ""):
        return []
    if not isinstance(conditions, list):
        raise ValidationError(_("Conditions must be a list, e.g. [{\"field\": \"priority\", \"in\": [\"Urgent\"]}]."))
    cleaned = []
    for index, cond in enumerate(conditions, start=1):
        where = _("Condition %(n)d") % {"n": index}
        if not isinstance(cond, dict) or "field" not in cond:
            raise ValidationError(_("%(where)s needs a \"field\" (one of %(fields)s).")
                                  % {"where": where, "fields": ", ".join(CONDITION_FIELDS)})
        name = cond["field"]
        if name in LIST_FIELDS or name in CHOICE_FIELDS:
            ops = [op for op in ("in", "not_in") if op in cond]
            if len(ops) != 1 or not isinstance(cond[ops[0]], list) or not cond[ops[0]]:
                raise ValidationError(_("%(where)s (%(field)s) needs either \"in\" or \"not_in\" with a non-empty "
                                        "list.") % {"where": where, "field": name})
            op = ops[0]
            if name in LIST_FIELDS:
                model, attr = LIST_FIELDS[name]
                values = _canonical(model, attr, cond[op], where)
            else:
                allowed = CHOICE_FIELDS[name]
                values = [str(v).lower() for v in cond[op]]
                bad = [v for v in values if v not in allowed]
                if bad:
                    raise ValidationError(_("%(where)s: %(bad)s not allowed for %(field)s (choose from %(ok)s).")
                                          % {"where": where, "bad": ", ".join(bad), "field": name,
                                             "ok": ", ".join(allowed)})
            cleaned.append({"field": name, op: values})
        elif name == "custom_field":
            slug = cond.get("slug")
            if not slug or not CustomField.objects.filter(slug=slug).exists():
                raise ValidationError(_("%(where)s: \"slug\" must name an existing custom field.") % {"where": where})
            if "value" not in cond:
                raise ValidationError(_("%(where)s: give the custom field \"value\" to match.") % {"where": where})
            cleaned.append({"field": name, "slug": slug, "value": cond["value"]})
        elif name == "assignee":
            if not isinstance(cond.get("set"), bool):
                raise ValidationError(_("%(where)s: assignee needs \"set\": true or false.") % {"where": where})
            cleaned.append({"field": name, "set": cond["set"]})
        elif name == "business_hours":
            if not isinstance(cond.get("value"), bool):
                raise ValidationError(_("%(where)s: business_hours needs \"value\": true (inside) or false.")
                                      % {"where": where})
            cleaned.append({"field": name, "value": cond["value"]})
        else:
            raise ValidationError(_("%(where)s: unknown field “%(field)s” (choose from %(fields)s).")
                                  % {"where": where, "field": name, "fields": ", ".join(CONDITION_FIELDS)})
    return cleaned


def clean_actions(actions: Any) -> list[dict[str, Any]]:
    """Validate each action with its registered validator; unknown actions are refused."""
    if not isinstance(actions, list) or not actions:
        raise ValidationError(_("A rule needs at least one action, e.g. [{\"action\": \"add_note\", "
                                "\"text\": \"Check this\"}]."))
    offered = ", ".join(a.name for a in available_actions())
    for index, params in enumerate(actions, start=1):
        where = _("Action %(n)d") % {"n": index}
        if not isinstance(params, dict) or "action" not in params:
            raise ValidationError(_("%(where)s needs an \"action\" (one of %(offered)s).")
                                  % {"where": where, "offered": offered})
        action = get_action(params["action"])
        if action is None:
            raise ValidationError(_("%(where)s: “%(name)s” is not an available action (available: %(offered)s).")
                                  % {"where": where, "name": params["action"], "offered": offered})
        if action.validate is not None:
            try:
                action.validate(params)
            except ValidationError as exc:
                raise ValidationError(f"{where} ({action.name}): {' '.join(exc.messages)}")
    return actions


def validate_rule(rule: Any) -> None:
    """Validate a rule in place (the model's clean()); errors are keyed by field."""
    errors: dict[str, list[str]] = {}
    needs = {
        Trigger.NO_STAFF_REPLY: ("hours", _("Give the number of hours without a staff reply.")),
        Trigger.NO_CUSTOMER_REPLY: ("days", _("Give the number of days without a customer reply.")),
    }
    if rule.trigger in needs:
        attr, message = needs[rule.trigger]
        if not getattr(rule, attr):
            errors[attr] = [message]
    if rule.trigger == Trigger.NO_CUSTOMER_REPLY and not rule.trigger_status_id:
        errors["trigger_status"] = [_("Choose the status the ticket waits in (e.g. Answered).")]
    if rule.trigger_status_id and rule.trigger not in (Trigger.NO_CUSTOMER_REPLY, Trigger.STATUS_CHANGED):
        errors["trigger_status"] = [_("A status only applies to “no customer reply” and “status changed”.")]
    try:
        rule.conditions = clean_conditions(rule.conditions)
    except ValidationError as exc:
        errors["conditions"] = exc.messages
    try:
        rule.actions = clean_actions(rule.actions)
    except ValidationError as exc:
        errors["actions"] = exc.messages
    if errors:
        raise ValidationError(errors)
