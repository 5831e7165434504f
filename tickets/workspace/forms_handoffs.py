"""Forms of the hand-offs from a ticket or the client file: validation only."""

from django import forms
from django.utils.translation import gettext_lazy as _

from crm import activity
from crm.models import Opportunity


class ForwardInvoiceForm(forms.Form):
    note = forms.CharField(label=_("What is wrong with the invoice"), widget=forms.Textarea(attrs={"rows": 4}))


class NotifyOrdersForm(forms.Form):
    note = forms.CharField(label=_("The problem with the order"), widget=forms.Textarea(attrs={"rows": 3}))


class DeliveryReturnForm(forms.Form):
    reason = forms.CharField(label=_("Reason for the return"), widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args: object, lines: list, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.lines = lines
        for line in lines:
            self.fields[f"qty_{line.pk}"] = forms.IntegerField(
                label=str(line), min_value=0, max_value=line.quantity, initial=0, required=False)

    def items(self) -> list[tuple[object, int]]:
        return [(line, self.cleaned_data.get(f"qty_{line.pk}") or 0) for line in self.lines]

    def line_fields(self) -> list[tuple[object, forms.BoundField]]:
        return [(line, self[f"qty_{line.pk}"]) for line in self.lines]


class OpportunityForm(forms.Form):
    name = forms.CharField(label=_("Opportunity"), max_length=200)
    value = forms.DecimalField(label=_("Estimated value"), min_value=0, max_digits=12, decimal_places=2)
    stage = forms.ChoiceField(label=_("Stage"), choices=Opportunity.Stage.choices, initial=Opportunity.Stage.PROSPECT)
    owner = forms.TypedChoiceField(label=_("Owner in sales"), coerce=int)
    notes = forms.CharField(label=_("What the customer wants"), required=False,
                            widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args: object, owners: list, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].choices = [(u.pk, u.get_full_name()) for u in owners]


class ITTaskForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200, required=False)
    steps = forms.CharField(label=_("Steps to reproduce"), widget=forms.Textarea(attrs={"rows": 5}))
    browser = forms.CharField(label=_("Browser / device"), max_length=200, required=False)
    error = forms.CharField(label=_("Exact error message"), required=False, widget=forms.Textarea(attrs={"rows": 3}))


class ActivityForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"))
    description = forms.CharField(label=_("What happened"), widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = activity.typed_in_choices()
