"""SLA targets are stored in minutes and shown in hours, the same in the admin's lists and forms:
hours with up to two decimals (0.5 h = 30 minutes; 0.01 h is less than a minute, so every whole
number of minutes comes back unchanged after a round trip through the form)."""

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

STEP = Decimal("0.01")


def hours_text(minutes: int | None) -> str:
    """Minutes as hours, two decimals at most and no trailing zeros: 90 -> "1.5", 25 -> "0.42"."""
    if minutes is None:
        return ""
    text = f"{(Decimal(minutes) / 60).quantize(STEP, rounding=ROUND_HALF_UP):f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def format_hours(minutes: int | None) -> str:
    """What the lists show: "1.5 h" (or "—")."""
    return f"{hours_text(minutes)} h" if minutes is not None else "—"


def to_minutes(hours: Decimal) -> int:
    return int((hours * 60).to_integral_value(rounding=ROUND_HALF_UP))


class TargetHoursForm(forms.ModelForm):
    """First response and resolution targets typed in hours, stored in the model's minutes."""

    first_response_hours = forms.DecimalField(
        label=_("first response target (hours)"), min_value=Decimal("0.05"), max_digits=8, decimal_places=2,
        help_text=_("In hours: 0.5 = 30 minutes, 4 = 4 hours, 24 = one day."),
    )
    resolution_hours = forms.DecimalField(
        label=_("resolution target (hours)"), min_value=Decimal("0.05"), max_digits=8, decimal_places=2,
        help_text=_("In hours: 24 = one day, 72 = three days."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ("first_response", "resolution"):
            minutes = getattr(self.instance, f"{name}_minutes", None)
            if minutes:
                self.fields[f"{name}_hours"].initial = hours_text(minutes)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        first, resolution = data.get("first_response_hours"), data.get("resolution_hours")
        if first is not None and resolution is not None:
            if resolution < first:
                self.add_error("resolution_hours",
                               _("The resolution target cannot be shorter than the first response."))
            else:
                self.instance.first_response_minutes = to_minutes(first)
                self.instance.resolution_minutes = to_minutes(resolution)
        return data
