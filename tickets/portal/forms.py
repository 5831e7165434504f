"""Forms of the client portal: validation only. Custom fields are validated by the same rules as
the services use (tickets.custom_fields), attachments by the same policy (services.check_attachment)."""

from django import forms
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext_lazy as _

from tickets import services
from tickets.custom_fields import clean_values
from tickets.exceptions import AttachmentRejected, CustomFieldError
from tickets.labels import LabelledChoiceField, label
from tickets.models import CustomField, Department, Priority, Service

CF_PREFIX = "cf_"


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """A file input that accepts several files; each is checked against the attachment policy."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        kwargs.setdefault("widget", MultipleFileInput())
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data: object, initial: object = None) -> list[UploadedFile]:
        files = data if isinstance(data, list | tuple) else ([data] if data else [])
        errors = []
        cleaned = []
        for upload in files:
            upload = super().clean(upload, initial)
            try:
                services.check_attachment(name=upload.name, size=upload.size)
            except AttachmentRejected as exc:
                errors.append(str(exc))
            cleaned.append(upload)
        if errors:
            raise forms.ValidationError(errors)
        return cleaned


def new_attachments(files: list[UploadedFile]) -> list[services.NewAttachment]:
    return [services.NewAttachment(name=f.name, content=f, content_type=f.content_type or "") for f in files]


def portal_custom_fields() -> list[CustomField]:
    return list(CustomField.objects.filter(is_active=True, show_on_client_portal=True).order_by("order", "name"))


class _UncheckedChoiceField(forms.ChoiceField):
    """Renders the options; validation is left to tickets.custom_fields (one message, one rule)."""

    def validate(self, value: object) -> None:
        pass


class _UncheckedMultipleChoiceField(forms.MultipleChoiceField):
    def validate(self, value: object) -> None:
        pass


def _form_field(field: CustomField) -> forms.Field:
    kind = field.field_type
    common = {"label": label(field.name), "help_text": field.help_text, "required": False}
    attrs = {"required": True} if field.required and kind != CustomField.FieldType.MULTISELECT else {}
    choices = [(o, o) for o in field.option_list]
    if kind == CustomField.FieldType.TEXTAREA:
        return forms.CharField(widget=forms.Textarea(attrs={**attrs, "rows": 3}), **common)
    if kind == CustomField.FieldType.NUMBER:
        return forms.CharField(widget=forms.NumberInput(attrs={**attrs, "step": "any"}), **common)
    if kind == CustomField.FieldType.DATE:
        return forms.CharField(widget=forms.DateInput(attrs={**attrs, "type": "date"}), **common)
    if kind == CustomField.FieldType.DROPDOWN:
        return _UncheckedChoiceField(choices=[("", "—"), *choices], widget=forms.Select(attrs=attrs), **common)
    if kind == CustomField.FieldType.MULTISELECT:
        return _UncheckedMultipleChoiceField(choices=choices, widget=forms.CheckboxSelectMultiple, **common)
    if kind == CustomField.FieldType.CHECKBOX:
        return forms.BooleanField(widget=forms.CheckboxInput(attrs=attrs), **common)
    return forms.CharField(widget=forms.TextInput(attrs=attrs), **common)


def portal_priorities() -> list[Priority]:
    """Priorities a customer may choose: all but the most urgent level (staff set that after triage)."""
    if not settings.HELPDESK_PORTAL_PRIORITY_CHOICE:
        return []
    priorities = list(Priority.objects.order_by("-level"))
    return priorities[1:] if len(priorities) > 1 else priorities


class PortalTicketForm(forms.Form):
    department = LabelledChoiceField(
        label=_("Department"), queryset=Department.objects.none(), empty_label=None
    )
    subject = forms.CharField(label=_("Subject"), max_length=255)
    message = forms.CharField(label=_("Describe the problem"), widget=forms.Textarea(attrs={"rows": 8}))
    priority = LabelledChoiceField(
        label=_("Priority"), queryset=Priority.objects.none(), required=False, empty_label=None
    )
    service = LabelledChoiceField(
        label=_("Topic"), queryset=Service.objects.none(), required=False, empty_label=_("— not sure —")
    )
    attachments = MultipleFileField(
        label=_("Attachments"),
        help_text=_("You can attach several files."),
    )
    form_session = forms.CharField(widget=forms.HiddenInput, required=False, max_length=64)

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["department"].queryset = Department.objects.filter(is_active=True, show_on_portal=True)
        priorities = portal_priorities()
        if priorities:
            self.fields["priority"].queryset = Priority.objects.filter(pk__in=[p.pk for p in priorities])
            default = next((p for p in priorities if p.is_default), None)
            self.fields["priority"].initial = default.pk if default else None
        else:
            del self.fields["priority"]
        self.fields["service"].queryset = Service.objects.filter(is_active=True)
        self.custom_fields = portal_custom_fields()
        for cf in self.custom_fields:
            self.fields[CF_PREFIX + cf.slug] = _form_field(cf)

    @property
    def custom_field_names(self) -> list[str]:
        return [CF_PREFIX + cf.slug for cf in self.custom_fields]

    def raw_custom_values(self) -> dict[str, object]:
        raw: dict[str, object] = {}
        for cf in self.custom_fields:
            name = CF_PREFIX + cf.slug
            if cf.field_type == CustomField.FieldType.MULTISELECT:
                raw[cf.slug] = self.data.getlist(name) if hasattr(self.data, "getlist") else self.data.get(name, [])
            else:
                raw[cf.slug] = self.data.get(name, "")
        return raw

    def clean(self) -> dict[str, object]:
        cleaned = super().clean()
        try:
            cleaned["custom_values"] = clean_values(self.custom_fields, self.raw_custom_values())
        except CustomFieldError as exc:
            for slug, message in exc.errors.items():
                self.add_error(CF_PREFIX + slug, message)
        cleaned["custom_raw"] = self.raw_custom_values()
        return cleaned


class PortalReplyForm(forms.Form):
    message = forms.CharField(label=_("Your reply"), widget=forms.Textarea(attrs={"rows": 5}), required=False)
    attachments = MultipleFileField(label=_("Attachments"))

    def clean(self) -> dict[str, object]:
        cleaned = super().clean()
        if not (cleaned.get("message") or "").strip() and not cleaned.get("attachments") and not self.errors:
            raise forms.ValidationError(_("Write a message or attach a file."))
        return cleaned


class ResolveForm(forms.Form):
    note = forms.CharField(
        label=_("Anything to add? (optional)"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
