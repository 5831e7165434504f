"""Forms of the agent desk pages: manual (phone / WhatsApp) tickets and follow-up tasks.

Forms check the shape of the input only. Business rules (custom field validation, attachment
types and sizes) are the services' job; the views map the services' errors back onto fields.
"""

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from crm.models import Contact
from tickets.labels import LabelledChoiceField, label
from tickets.models import CustomField, Department, Priority, Service, Task
from tickets.models.core import Channel

MANUAL_CHANNELS = (Channel.PHONE, Channel.WHATSAPP, Channel.EMAIL, Channel.PORTAL)
CUSTOM_PREFIX = "cf_"


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files from one <input type=file multiple>; returns a list (maybe empty)."""

    widget = MultipleFileInput

    def clean(self, data: object, initial: object = None) -> list:
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data if item]
        return [single(data, initial)] if data else []


class RawField(forms.Field):
    """Pass the submitted value (a string or a list) through untouched: the service validates it."""

    def to_python(self, value: object) -> object:
        return value


def _staff_users() -> object:
    return get_user_model().objects.filter(is_staff=True, is_active=True).order_by("full_name", "email")


def custom_form_field(field: CustomField) -> forms.Field:
    """Return the form field for a custom field: the right widget, no validation of its own."""
    kind = field.field_type
    options = {"required": False, "label": label(field.name), "help_text": field.help_text}
    if kind == CustomField.FieldType.TEXTAREA:
        form_field: forms.Field = RawField(widget=forms.Textarea(attrs={"rows": 3}), **options)
    elif kind == CustomField.FieldType.NUMBER:
        form_field = RawField(widget=forms.TextInput(attrs={"inputmode": "decimal"}), **options)
    elif kind == CustomField.FieldType.DATE:
        form_field = RawField(widget=forms.DateInput(attrs={"type": "date"}), **options)
    elif kind == CustomField.FieldType.DROPDOWN:
        choices = [("", "—")] + [(o, o) for o in field.option_list]
        form_field = RawField(widget=forms.Select(choices=choices), **options)
    elif kind == CustomField.FieldType.MULTISELECT:
        form_field = RawField(
            widget=forms.CheckboxSelectMultiple(choices=[(o, o) for o in field.option_list]), **options
        )
    elif kind == CustomField.FieldType.CHECKBOX:
        form_field = forms.BooleanField(**options)
    else:
        form_field = RawField(widget=forms.TextInput(), **options)
    form_field.is_required_custom = field.required
    form_field.custom_slug = field.slug
    return form_field


class NewTicketForm(forms.Form):
    """A ticket typed in by an agent: the customer picked from the contacts or typed by hand."""

    contact = forms.ModelChoiceField(
        queryset=Contact.objects.filter(is_active=True).select_related("client"),
        required=False,
        widget=forms.RadioSelect,
        label=_("Customer"),
    )
    requester_name = forms.CharField(label=_("Name"), max_length=200, required=False)
    requester_email = forms.EmailField(label=_("Email"), required=False)
    department = LabelledChoiceField(queryset=Department.objects.filter(is_active=True), label=_("Department"))
    channel = forms.ChoiceField(
        label=_("Channel"), choices=[(c.value, c.label) for c in MANUAL_CHANNELS], initial=Channel.PHONE
    )
    priority = LabelledChoiceField(queryset=Priority.objects.order_by("-level"), label=_("Priority"))
    service = LabelledChoiceField(
        queryset=Service.objects.filter(is_active=True), required=False, label=_("Service"), empty_label="—"
    )
    subject = forms.CharField(label=_("Subject"), max_length=255)
    description = forms.CharField(
        label=_("Description"),
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_("What the customer said: the discussion, or the relevant part of the chat."),
    )
    assign_to_me = forms.BooleanField(label=_("Assign to me"), required=False)
    attachments = MultipleFileField(
        label=_("Attachments"), required=False, widget=MultipleFileInput(attrs={"multiple": True})
    )

    def __init__(self, *args: object, custom_fields: list[CustomField] = (), **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.custom_fields = list(custom_fields)
        for field in self.custom_fields:
            self.fields[CUSTOM_PREFIX + field.slug] = custom_form_field(field)

    def custom_bound_fields(self) -> list[forms.BoundField]:
        return [self[CUSTOM_PREFIX + field.slug] for field in self.custom_fields]

    def custom_values(self) -> dict[str, object]:
        """Return the raw custom field input keyed by slug, for the service to validate."""
        return {field.slug: self.cleaned_data.get(CUSTOM_PREFIX + field.slug) for field in self.custom_fields}

    def clean(self) -> dict:
        data = super().clean()
        if not data.get("contact") and not data.get("requester_email"):
            raise forms.ValidationError(
                _("Pick the customer from the list, or type their name and email address.")
            )
        return data


class TaskForm(forms.Form):
    """A follow-up task, standalone or for a ticket (by number)."""

    title = forms.CharField(label=_("Title"), max_length=200)
    description = forms.CharField(label=_("Description"), widget=forms.Textarea(attrs={"rows": 4}), required=False)
    ticket = forms.IntegerField(label=_("Ticket number"), required=False, min_value=1)
    assignee = forms.ModelChoiceField(queryset=Task.objects.none(), required=False, label=_("Assignee"))
    department = LabelledChoiceField(
        queryset=Department.objects.filter(is_active=True), required=False, label=_("Department")
    )
    due_at = forms.DateTimeField(
        label=_("Due"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d"],
    )
    priority = LabelledChoiceField(
        queryset=Priority.objects.order_by("-level"), required=False, label=_("Priority")
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = _staff_users()

    def clean(self) -> dict:
        data = super().clean()
        if not data.get("assignee") and not data.get("department"):
            raise forms.ValidationError(_("Give the task to a person or a department."))
        return data


class KBDraftForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    group = forms.TypedChoiceField(label=_("Group"), coerce=int)
    body = forms.CharField(
        label=_("Article (Markdown)"), widget=forms.Textarea(attrs={"rows": 16}),
        help_text=_("Prefilled from the conversation: remove names, addresses, numbers and anything "
                               "personal before saving."),
    )

    def __init__(self, *args: object, groups: list, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["group"].choices = [(g.pk, g.name) for g in groups]
