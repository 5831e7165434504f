"""Forms of the callback pages: validation only; times are typed in the agent's or the
customer's time zone and turned into UTC by the views through services.local_to_utc."""

from django import forms
from django.utils.translation import gettext_lazy as _

ZONE_CHOICES = [("agent", _("my time zone")), ("customer", _("the customer's time zone"))]


class CallbackForm(forms.Form):
    starts_local = forms.DateTimeField(
        label=_("Date and time"), input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    entered_in = forms.ChoiceField(label=_("Time typed in"), choices=ZONE_CHOICES, initial="agent")
    duration_minutes = forms.IntegerField(label=_("Duration (minutes)"), min_value=5, max_value=480, initial=30)
    reminder_minutes = forms.IntegerField(label=_("Reminder (minutes before)"), min_value=0, max_value=10080,
                                          initial=30)
    agent = forms.TypedChoiceField(label=_("Responsible agent"), coerce=int)
    phone = forms.CharField(label=_("Phone to call"), max_length=40, required=False)
    notes = forms.CharField(label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    remind_customer = forms.BooleanField(label=_("Also remind the customer"), required=False)

    def __init__(self, *args: object, staff: list, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["agent"].choices = [(u.pk, u.get_full_name()) for u in staff]


class ScheduleForm(CallbackForm):
    confirm_to_customer = forms.BooleanField(label=_("Send the customer a confirmation with a calendar invite"),
                                             required=False, initial=True)


class FinishForm(forms.Form):
    outcome = forms.CharField(label=_("Outcome (goes on the ticket as an internal note)"),
                              widget=forms.Textarea(attrs={"rows": 4}))
    close_ticket = forms.BooleanField(label=_("Close the ticket"), required=False)


class CancelForm(forms.Form):
    reason = forms.CharField(label=_("Reason (told to the customer)"), required=False,
                             widget=forms.Textarea(attrs={"rows": 2}))
    tell_customer = forms.BooleanField(label=_("Send the customer the cancellation"), required=False, initial=True)


class NoShowForm(forms.Form):
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
