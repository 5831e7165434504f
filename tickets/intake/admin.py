"""Admin for the email intake: the list of inbound emails (failures, held and blocked mail with
their reasons, an action to process again) and the department IMAP mailboxes."""

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from tickets.intake.reruns import reprocess_inbound_emails
from tickets.models import DepartmentMailbox, InboundEmail

RAW_PREVIEW_BYTES = 20000


@admin.register(InboundEmail)
class InboundEmailAdmin(admin.ModelAdmin):
    list_display = ("received_at", "from_email", "subject", "state", "outcome", "ticket_link", "reason_short",
                    "source", "deliveries")
    list_filter = ("state", "outcome", "source", "department")
    search_fields = ("from_email", "subject", "message_id", "=sha256")
    date_hierarchy = "received_at"
    list_select_related = ("ticket",)
    actions = ["process_again"]
    readonly_fields = (
        "received_at", "source", "from_email", "subject", "message_id", "recipient", "sha256", "size", "state",
        "outcome", "reason", "error", "attempts", "deliveries", "claimed_at", "processed_at", "department",
        "ticket", "ticket_message", "raw_preview",
    )
    fields = readonly_fields

    @admin.display(description=_("ticket"))
    def ticket_link(self, obj: InboundEmail) -> str:
        if not obj.ticket_id:
            return "—"
        return render_to_string("tickets/admin/_ticket_link.html", {"ticket_id": obj.ticket_id})

    @admin.display(description=_("reason"))
    def reason_short(self, obj: InboundEmail) -> str:
        return (obj.reason or "")[:80]

    @admin.display(description=_("raw email (start)"))
    def raw_preview(self, obj: InboundEmail) -> str:
        text = obj.raw_bytes()[:RAW_PREVIEW_BYTES].decode("utf-8", errors="replace")
        return render_to_string("tickets/admin/_raw_preview.html", {"text": text})

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).defer("raw")  # loaded only when the preview needs it

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    @admin.action(description=_("Process again (failed or held emails)"), permissions=["view"])
    def process_again(self, request: HttpRequest, queryset: QuerySet) -> None:
        count = reprocess_inbound_emails(inbound_ids=list(queryset.values_list("pk", flat=True)))
        skipped = queryset.count() - count
        self.message_user(
            request,
            ngettext("%(n)d email queued for processing.", "%(n)d emails queued for processing.", count)
            % {"n": count}
            + (str(_(" %(n)d skipped: only failed or held emails are processed again.")) % {"n": skipped}
               if skipped else ""),
            messages.SUCCESS if count else messages.WARNING,
        )


class DepartmentMailboxForm(forms.ModelForm):
    # Write-only: never rendered back (it is stored encrypted); an empty field keeps it.
    password = forms.CharField(
        label=_("password"), required=False, widget=forms.PasswordInput(render_value=False),
        help_text=_("Stored encrypted and never shown. Leave empty to keep the current password."),
    )

    class Meta:
        model = DepartmentMailbox
        fields = ["department", "host", "port", "use_ssl", "username", "password", "folder", "is_active", "last_uid"]

    def clean_password(self) -> str:
        password = self.cleaned_data.get("password") or ""
        if not password and self.instance.pk:
            return self.instance.password
        return password


@admin.register(DepartmentMailbox)
class DepartmentMailboxAdmin(admin.ModelAdmin):
    form = DepartmentMailboxForm
    list_display = ("__str__", "department", "is_active", "last_uid", "last_polled_at", "last_error")
    list_filter = ("is_active", "department")
    readonly_fields = ("last_polled_at", "last_error")
