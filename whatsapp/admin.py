"""The manager's WhatsApp configuration: Meta connection (secrets write-only), numbers, quick
replies, templates (sync button), and the raw webhook events with "process again"."""

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils.translation import gettext_lazy as _

from whatsapp import bots, connection, message_templates, services
from whatsapp.models import (
    Account,
    Bot,
    Conversation,
    EventMapping,
    EventSend,
    Message,
    MessageTemplate,
    PhoneNumber,
    QuickReply,
    WebhookEvent,
)
from whatsapp.queries import forget_webhook_secrets

SECRETS = ("app_secret", "access_token", "verify_token")


class AccountForm(forms.ModelForm):
    # Write-only: stored encrypted and never rendered back; an empty field keeps the stored value.
    app_secret = forms.CharField(label=_("App Secret"), required=False,
                                 widget=forms.PasswordInput(render_value=False),
                                 help_text=_("Stored encrypted and never shown. Leave empty to keep it."))
    access_token = forms.CharField(label=_("access token"), required=False,
                                   widget=forms.PasswordInput(render_value=False),
                                   help_text=_("A System User token with whatsapp_business_messaging and "
                                               "whatsapp_business_management. Leave empty to keep it."))
    verify_token = forms.CharField(label=_("webhook verify token"), required=False,
                                   widget=forms.PasswordInput(render_value=False),
                                   help_text=_("The same string you type in Meta's webhook settings."))

    class Meta:
        model = Account
        fields = ["name", "business_id", "waba_id", "app_id", "app_secret", "access_token", "verify_token",
                  "graph_base_url", "graph_version", "auto_lead", "lead_status", "lead_source", "lead_owner",
                  "max_media_bytes"]

    def _keep(self, name: str) -> str:
        value = self.cleaned_data.get(name) or ""
        return value if value or not self.instance.pk else getattr(self.instance, name)

    def clean_app_secret(self) -> str:
        return self._keep("app_secret")

    def clean_access_token(self) -> str:
        return self._keep("access_token")

    def clean_verify_token(self) -> str:
        return self._keep("verify_token")


class PhoneNumberInline(admin.TabularInline):
    model = PhoneNumber
    extra = 0


@admin.register(Account)
class AccountAdmin(admin.ModelAdmin):
    form = AccountForm
    inlines = [PhoneNumberInline]
    list_display = ("name", "waba_id", "graph_version", "auto_lead", "token_error")
    readonly_fields = ("token_error",)
    actions = ["check_connection", "sync_templates"]

    def save_model(self, request: HttpRequest, obj: Account, form: forms.ModelForm, change: bool) -> None:
        super().save_model(request, obj, form, change)
        forget_webhook_secrets()

    @admin.action(description=_("Test the connection to Meta"))
    def check_connection(self, request: HttpRequest, queryset: QuerySet) -> None:
        for account in queryset:
            ok, text = connection.test_connection(account=account)
            self.message_user(request, f"{account}: {text}", messages.SUCCESS if ok else messages.ERROR)

    @admin.action(description=_("Sync message templates from Meta"))
    def sync_templates(self, request: HttpRequest, queryset: QuerySet) -> None:
        try:
            count = message_templates.sync_templates()
        except Exception as exc:  # shown to the manager, not a 500
            self.message_user(request, _("Sync failed: %(e)s") % {"e": exc}, messages.ERROR)
            return
        self.message_user(request, _("%(n)d templates synced.") % {"n": count}, messages.SUCCESS)


@admin.register(WebhookEvent)
class WebhookEventAdmin(admin.ModelAdmin):
    list_display = ("received_at", "state", "summary", "deliveries", "attempts", "processed_at")
    list_filter = ("state",)
    date_hierarchy = "received_at"
    actions = ["process_again"]
    readonly_fields = ("received_at", "sha256", "state", "summary", "error", "deliveries", "attempts",
                       "claimed_at", "processed_at", "body_preview")
    fields = readonly_fields

    @admin.display(description=_("body"))
    def body_preview(self, obj: WebhookEvent) -> str:
        text = bytes(obj.body)[:20000].decode("utf-8", errors="replace")
        return render_to_string("tickets/admin/_raw_preview.html", {"text": text})

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).defer("body")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    @admin.action(description=_("Process again (failed events)"), permissions=["view"])
    def process_again(self, request: HttpRequest, queryset: QuerySet) -> None:
        ids = list(queryset.filter(state=WebhookEvent.State.FAILED).values_list("pk", flat=True))
        done = services.reprocess_events(event_ids=ids)
        self.message_user(request, _("%(done)d of %(n)d failed events processed.") % {"done": done, "n": len(ids)},
                          messages.SUCCESS if done == len(ids) else messages.WARNING)


@admin.register(Conversation)
class ConversationAdmin(admin.ModelAdmin):
    list_display = ("__str__", "wa_id", "phone_number", "department", "assignee", "status", "unread_count",
                    "last_message_at")
    list_filter = ("status", "department", "phone_number")
    search_fields = ("profile_name", "wa_id")
    raw_id_fields = ("contact", "lead", "ticket", "assignee")


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    list_display = ("created_at", "conversation", "direction", "type", "status", "error_code", "wamid")
    list_filter = ("direction", "type", "status")
    search_fields = ("=wamid",)
    raw_id_fields = ("conversation", "ticket_message", "sent_by", "template")

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(QuickReply)
class QuickReplyAdmin(admin.ModelAdmin):
    list_display = ("keyword", "title", "is_active", "usage_count")
    search_fields = ("keyword", "title", "body")
    readonly_fields = ("usage_count",)


@admin.register(MessageTemplate)
class MessageTemplateAdmin(admin.ModelAdmin):
    list_display = ("name", "language", "status", "category", "variable_count", "synced_at")
    list_filter = ("status", "category", "language")
    search_fields = ("name",)
    readonly_fields = ("template_id", "name", "language", "status", "category", "components", "variable_count",
                       "synced_at")


@admin.register(Bot)
class BotAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "is_active", "department", "cooldown_minutes", "order")
    list_editable = ("is_active",)
    list_filter = ("kind", "is_active")
    readonly_fields = ("preview",)

    @admin.display(description=_("preview"))
    def preview(self, obj: Bot) -> str:
        """The answer as a customer of the bot's department would get it."""
        if not obj.pk:
            return "—"
        sample = Conversation(profile_name="Sheena Nelson", department=obj.department, wa_id="0")
        return bots.render(obj, sample)


@admin.register(EventMapping)
class EventMappingAdmin(admin.ModelAdmin):
    list_display = ("event", "template", "is_active")
    list_editable = ("is_active",)
    autocomplete_fields = ("template",)


@admin.register(EventSend)
class EventSendAdmin(admin.ModelAdmin):
    """What each invoice event sent (once per invoice and event), and why some were not sent."""

    list_display = ("key", "event", "client", "state", "note", "created_at")
    list_filter = ("event", "state")
    search_fields = ("key", "client__name", "invoice__number")
    readonly_fields = ("key", "event", "invoice", "client", "message", "state", "note", "created_at")
    list_select_related = ("client",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
