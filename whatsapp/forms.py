"""Forms of the agent inbox: reply, template, assignment and ticket creation."""

from django import forms
from django.utils.translation import gettext_lazy as _

from tickets.labels import LabelledChoiceField
from tickets.models import Department, Priority
from whatsapp.models import MessageTemplate

MAX_ATTACHMENT = 16 * 1024 * 1024
ATTACHMENT_TYPES = {"image/jpeg", "image/png", "application/pdf", "text/plain",
                    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


class ReplyForm(forms.Form):
    body = forms.CharField(label=_("Reply"), required=False, max_length=4096, widget=forms.Textarea(attrs={"rows": 4}))
    attachment = forms.FileField(label=_("Attachment"), required=False)

    def clean_attachment(self) -> object:
        upload = self.cleaned_data.get("attachment")
        if upload is None:
            return None
        if upload.size > MAX_ATTACHMENT:
            raise forms.ValidationError(_("Attachments go up to 16 MB."))
        if (upload.content_type or "") not in ATTACHMENT_TYPES:
            raise forms.ValidationError(_("WhatsApp accepts JPEG and PNG images, PDF, text and Office files here."))
        return upload

    def clean(self) -> dict:
        data = super().clean()
        if not (data.get("body") or "").strip() and not data.get("attachment"):
            raise forms.ValidationError(_("Write a message or attach a file."))
        return data


class TemplateForm(forms.Form):
    template = forms.ModelChoiceField(queryset=MessageTemplate.objects.filter(status__iexact="APPROVED"),
                                      label=_("Approved template"))

    def params(self, data: object) -> list[str]:
        return [v for v in data.getlist("param")]


class TicketForm(forms.Form):
    subject = forms.CharField(label=_("Subject"), max_length=255)
    department = LabelledChoiceField(queryset=Department.objects.filter(is_active=True).order_by("name"),
                                        label=_("Department"))
    priority = LabelledChoiceField(queryset=Priority.objects.order_by("-level"), label=_("Priority"),
                                      required=False)
    messages = forms.TypedMultipleChoiceField(coerce=int, label=_("Messages for the description"))

    def __init__(self, *args: object, message_choices: list[tuple[int, str]] = (), **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["messages"].choices = message_choices
