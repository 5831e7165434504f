"""The staff profile's notification preferences form (validation only)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from tickets.models.notifications import NotificationKind


class NotificationPreferenceForm(forms.Form):
    email_kinds = forms.MultipleChoiceField(
        label=_("Also send me an email for"),
        choices=NotificationKind.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=_("Every notification appears under the bell; these also arrive by email."),
    )
