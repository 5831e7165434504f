"""Validate custom field input by type; used by the services, the staff form and the portal form."""

from datetime import date
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _

from tickets.exceptions import CustomFieldError
from tickets.models import CustomField

NUMBER_LIMIT = 10**15


def clean_value(field: CustomField, raw: object) -> object:
    """Return the stored JSON value for `raw`, or raise ValueError with a readable reason."""
    empty = raw is None or raw == "" or raw == [] or raw is False
    kind = field.field_type
    if kind == CustomField.FieldType.CHECKBOX:
        value = raw in (True, "on", "true", "1", 1, "yes")
        if field.required and not value:
            raise ValueError(_("This box must be ticked."))
        return value
    if empty:
        if field.required:
            raise ValueError(_("This field is required."))
        return None
    if kind in (CustomField.FieldType.TEXT, CustomField.FieldType.TEXTAREA):
        text = str(raw).strip()
        limit = 255 if kind == CustomField.FieldType.TEXT else 5000
        if len(text) > limit:
            raise ValueError(_("At most %(n)d characters.") % {"n": limit})
        return text
    if kind == CustomField.FieldType.NUMBER:
        try:
            number = Decimal(str(raw).strip())
        except InvalidOperation:
            raise ValueError(_("Enter a number."))
        if not number.is_finite():
            raise ValueError(_("Enter a number."))
        # Beyond this a JSON number loses digits (and 1e999999 would be a million-digit int).
        if abs(number) >= NUMBER_LIMIT:
            raise ValueError(_("Enter a number smaller than %(limit)s.") % {"limit": f"{NUMBER_LIMIT:,}"})
        return int(number) if number == number.to_integral_value() else float(number)
    if kind == CustomField.FieldType.DATE:
        try:
            return (raw if isinstance(raw, date) else date.fromisoformat(str(raw).strip())).isoformat()
        except ValueError:
            raise ValueError(_("Enter a date as YYYY-MM-DD."))
    options = field.option_list
    if kind == CustomField.FieldType.DROPDOWN:
        if str(raw) not in options:
            raise ValueError(_("Choose one of: %(options)s.") % {"options": ", ".join(options)})
        return str(raw)
    values = list(dict.fromkeys(str(v) for v in (raw if isinstance(raw, list | tuple) else [raw])))
    unknown = [v for v in values if v not in options]
    if unknown:
        raise ValueError(_("Unknown choice: %(v)s.") % {"v": ", ".join(unknown)})
    return values


def clean_values(fields: list[CustomField], raw: dict[str, object]) -> dict[int, object]:
    """Validate every field of `fields` against `raw` (keyed by slug); raise CustomFieldError."""
    cleaned: dict[int, object] = {}
    errors: dict[str, str] = {}
    for field in fields:
        try:
            cleaned[field.pk] = clean_value(field, raw.get(field.slug))
        except ValueError as exc:
            errors[field.slug] = str(exc)
    if errors:
        raise CustomFieldError(errors)
    return cleaned
