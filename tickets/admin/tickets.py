"""Admin for tickets, messages, attachments, events and tasks: ticket changes go through
tickets.services so every one records its event and keeps its SLA dues true."""



from django import forms
from django.contrib import admin, messages
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from tickets import services
from tickets.admin.config import badge
from tickets.custom_fields import clean_value
from tickets.exceptions import TicketError
from tickets.labels import label
from tickets.models import (
    Attachment,
    CustomField,
    CustomFieldValue,
    Task,
    Ticket,
    TicketEvent,
    TicketMessage,
)

# --- tickets -------------------------------------------------------------------------------


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


class MessageInline(ReadOnlyInline):
    model = TicketMessage
    fields = ("created_at", "kind", "author_display", "excerpt", "channel", "delivery_status")
    readonly_fields = fields
    ordering = ("created_at", "id")
    verbose_name_plural = _("conversation (read-only: reply from the agent workspace)")

    def get_queryset(self, request: HttpRequest) -> QuerySet[TicketMessage]:
        return super().get_queryset(request).select_related("author", "author_contact")

    @admin.display(description=_("author"))
    def author_display(self, obj: TicketMessage) -> str:
        return obj.display_author

    @admin.display(description=_("message"))
    def excerpt(self, obj: TicketMessage) -> str:
        text = obj.body_text.strip()
        return text if len(text) <= 300 else text[:300] + "…"


class EventInline(ReadOnlyInline):
    model = TicketEvent
    fields = ("created_at", "kind", "actor", "before", "after", "note")
    readonly_fields = fields
    ordering = ("created_at", "id")
    verbose_name_plural = _("history")

    def get_queryset(self, request: HttpRequest) -> QuerySet[TicketEvent]:
        return super().get_queryset(request).select_related("actor")


def _parse_raw(field: CustomField, raw: str) -> object:
    raw = (raw or "").strip()
    if field.field_type == CustomField.FieldType.MULTISELECT:
        return [part.strip() for part in raw.split(",") if part.strip()]
    if field.field_type == CustomField.FieldType.CHECKBOX:
        return raw.lower() in ("yes", "true", "1", "on", "y")
    return raw


class CustomFieldValueForm(forms.ModelForm):
    raw_value = forms.CharField(
        label=_("value"),
        required=False,
        help_text=_("Multi-select: separate choices with commas. Checkbox: yes or no. Date: YYYY-MM-DD."),
    )

    class Meta:
        model = CustomFieldValue
        fields = ("field",)

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["raw_value"].initial = self.instance.display_value
            self.fields["field"].disabled = True  # change the value, not which field it belongs to

    def clean(self) -> dict:
        data = super().clean()
        field = data.get("field")
        if field is not None:
            try:
                data["parsed_value"] = clean_value(field, _parse_raw(field, data.get("raw_value", "")))
            except ValueError as exc:
                self.add_error("raw_value", str(exc))
        return data


class CustomFieldValueInline(admin.TabularInline):
    model = CustomFieldValue
    form = CustomFieldValueForm
    extra = 0
    can_delete = False
    fields = ("field", "raw_value")
    verbose_name_plural = _("custom fields")

    def get_formset(self, request: HttpRequest, obj: Ticket | None = None, **kwargs: object):
        formset = super().get_formset(request, obj, **kwargs)
        _no_related_buttons(formset.form)
        return formset


def _no_related_buttons(form: type[forms.BaseForm]) -> None:
    """Hide the add/edit/delete-related icons next to the ticket's selects: configuration is
    edited on its own page, not from inside a ticket (and never deleted from there)."""
    for formfield in form.base_fields.values():
        widget = formfield.widget
        for flag in ("can_add_related", "can_change_related", "can_delete_related", "can_view_related"):
            if hasattr(widget, flag):
                setattr(widget, flag, False)


class TicketAddForm(forms.ModelForm):
    """The phone ticket: what the agent types in while the customer is on the line."""

    body_text = forms.CharField(
        label=_("description"), widget=forms.Textarea(attrs={"rows": 8, "cols": 90}),
        help_text=_("The customer's request, with every detail from the call."),
    )

    class Meta:
        model = Ticket
        fields = ("subject", "department", "contact", "client", "requester_name", "requester_email", "channel",
                  "priority", "service", "assignee")

    def clean(self) -> dict:
        data = super().clean()
        if not data.get("contact") and not data.get("requester_email"):
            raise forms.ValidationError(gettext("Choose a contact, or give the requester's email address."))
        contact = data.get("contact")
        client = data.get("client")
        if contact and client and contact.client_id != client.pk:
            self.add_error("client", gettext("This contact belongs to %(c)s.") % {"c": contact.client})
        return data


class TicketChangeForm(forms.ModelForm):
    class Meta:
        model = Ticket
        fields = ("department", "status", "priority", "service", "assignee")

    def clean_status(self) -> object:
        status = self.cleaned_data.get("status")
        if status is not None and status.is_closed and self.instance.pk and self.instance.closed_at is None:
            reason = services.close_blocker(self.instance.pk)
            if reason:  # the ticket must stay open for now (a delivery return on its way)
                raise forms.ValidationError(reason)
        return status


class TicketStateFilter(admin.SimpleListFilter):
    """The manager's supervision views: what is open, unassigned, late or escalated."""

    title = _("state")
    parameter_name = "state"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return [
            ("open", _("Open")),
            ("unassigned", _("Open and unassigned")),
            ("awaiting_first", _("Waiting for a first response")),
            ("first_breached", _("First response late")),
            ("resolution_breached", _("Resolution late")),
            ("merged", _("Merged into another ticket")),
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Ticket]) -> QuerySet[Ticket]:
        now = timezone.now()
        value = self.value()
        if value == "open":
            return queryset.filter(closed_at__isnull=True)
        if value == "unassigned":
            return queryset.filter(closed_at__isnull=True, assignee__isnull=True)
        if value == "awaiting_first":
            return queryset.filter(closed_at__isnull=True, first_response_at__isnull=True)
        if value == "first_breached":
            return queryset.filter(
                Q(first_response_breached=True)
                | Q(first_response_at__isnull=True, closed_at__isnull=True, first_response_due_at__lt=now)
            )
        if value == "resolution_breached":
            return queryset.filter(
                Q(resolution_breached=True) | Q(closed_at__isnull=True, resolution_due_at__lt=now)
            )
        if value == "merged":
            return queryset.filter(merged_into__isnull=False)
        return queryset


@admin.register(Ticket)
class TicketAdmin(admin.ModelAdmin):
    list_display = ("number", "subject", "status_badge", "priority_badge", "department", "assignee", "requester",
                    "channel", "created_at", "first_response_at")
    list_display_links = ("number", "subject")
    list_filter = (TicketStateFilter, "status", "priority", "department",
                   ("assignee", admin.RelatedOnlyFieldListFilter), "channel", "service", "created_at")
    search_fields = ("=id", "subject", "requester_email", "requester_name", "contact__email", "client__name")
    ordering = ("-created_at",)
    date_hierarchy = "created_at"
    list_select_related = ("status", "priority", "department", "assignee", "contact", "client")
    list_per_page = 50
    show_full_result_count = False
    autocomplete_fields = ("contact", "client", "assignee")
    actions = ["close_tickets", "assign_to_me", "merge_into_oldest"]
    readonly_fields = (
        "number", "subject", "requester", "contact", "client", "channel", "created_at", "updated_at",
        "first_response_at", "first_response_due_at", "last_staff_reply_at", "last_customer_reply_at",
        "closed_at", "resolution_due_at", "sla_paused_at", "first_response_breached", "resolution_breached",
        "merged_into", "linked_ticket",
    )
    change_fieldsets = (
        (None, {"fields": ("number", "subject", "requester", "contact", "client", "channel")}),
        (
            _("Routing (saved through the ticket services: recorded in the history)"),
            {"fields": ("department", "status", "priority", "service", "assignee")},
        ),
        (
            _("Timestamps and SLA"),
            {
                "classes": ("collapse",),
                "fields": (
                    "created_at", "updated_at", "first_response_at", "first_response_due_at",
                    "last_staff_reply_at", "last_customer_reply_at", "closed_at", "resolution_due_at",
                    "sla_paused_at", "first_response_breached", "resolution_breached", "merged_into",
                    "linked_ticket",
                ),
            },
        ),
    )
    add_fieldsets = (
        (None, {"fields": ("subject", "body_text", "department", "channel", "priority", "service", "assignee")}),
        (_("Customer"), {"fields": ("contact", "client", "requester_name", "requester_email")}),
    )

    def get_form(self, request: HttpRequest, obj: Ticket | None = None, change: bool = False, **kwargs: object):
        kwargs["form"] = TicketChangeForm if obj is not None else TicketAddForm
        form = super().get_form(request, obj, change=change, **kwargs)
        _no_related_buttons(form)
        return form

    def get_fieldsets(self, request: HttpRequest, obj: Ticket | None = None) -> tuple:
        return self.change_fieldsets if obj is not None else self.add_fieldsets

    def get_readonly_fields(self, request: HttpRequest, obj: Ticket | None = None) -> tuple:
        return self.readonly_fields if obj is not None else ()

    def get_inlines(self, request: HttpRequest, obj: Ticket | None) -> list:
        return [CustomFieldValueInline, MessageInline, EventInline] if obj is not None else []

    def get_changeform_initial_data(self, request: HttpRequest) -> dict:
        initial = super().get_changeform_initial_data(request)
        initial.setdefault("channel", "phone")
        return initial

    @admin.display(description=_("number"), ordering="id")
    def number(self, obj: Ticket) -> str:
        return f"#{obj.pk}"

    @admin.display(description=_("status"), ordering="status__order")
    def status_badge(self, obj: Ticket) -> str:
        return badge(obj.status.colour, label(obj.status.name))

    @admin.display(description=_("priority"), ordering="-priority_level")
    def priority_badge(self, obj: Ticket) -> str:
        return badge(obj.priority.colour, label(obj.priority.name))

    @admin.display(description=_("requester"))
    def requester(self, obj: Ticket) -> str:
        return f"{obj.requester_display} <{obj.reply_email}>" if obj.reply_email else obj.requester_display

    def save_model(self, request: HttpRequest, obj: Ticket, form: forms.ModelForm, change: bool) -> None:
        data = form.cleaned_data
        if not change:
            ticket = services.open_ticket(
                subject=data["subject"], body_text=data["body_text"], department=data["department"],
                channel=data["channel"], contact=data.get("contact"), client=data.get("client"),
                requester_name=data.get("requester_name", ""), requester_email=data.get("requester_email", ""),
                priority=data.get("priority"), service=data.get("service"), assignee=data.get("assignee"),
                actor=request.user,
            )
            obj.pk = ticket.pk
            obj._state.adding = False
            obj.refresh_from_db()
            return
        ticket = Ticket.objects.get(pk=obj.pk)
        actor = request.user
        changed = set(form.changed_data)
        if "department" in changed:
            services.change_department(ticket=ticket, department=data["department"], actor=actor)
        if "priority" in changed:
            services.change_priority(ticket=ticket, priority=data["priority"], actor=actor)
        if "assignee" in changed:
            services.assign(ticket=ticket, assignee=data["assignee"], actor=actor)
        if "service" in changed:
            services.change_service(ticket=ticket, service=data["service"], actor=actor)
        if "status" in changed:
            services.change_status(ticket=ticket, status=data["status"], actor=actor)
        obj.refresh_from_db()

    def save_formset(self, request: HttpRequest, form: forms.ModelForm, formset: object, change: bool) -> None:
        # Nothing is saved by the formsets themselves: messages and events are read-only, and
        # custom values are validated and stored by the service (which records the events).
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        if formset.model is not CustomFieldValue:
            return
        values = {
            f.cleaned_data["field"].slug: f.cleaned_data.get("parsed_value")
            for f in formset.forms
            if f.cleaned_data and f.cleaned_data.get("field") and f.has_changed()
        }
        if values:
            services.set_custom_values(ticket=form.instance, values=values, actor=request.user)

    @admin.action(description=_("Close selected tickets"), permissions=["change"])
    def close_tickets(self, request: HttpRequest, queryset: QuerySet[Ticket]) -> None:
        count = 0
        todo = list(queryset.filter(closed_at__isnull=True))
        blocked = services.close_blockers(t.pk for t in todo)
        for ticket in todo:
            if ticket.pk not in blocked:
                services.close_ticket(ticket=ticket, actor=request.user)
                count += 1
        self.message_user(request, ngettext("Closed %d ticket.", "Closed %d tickets.", count) % count)
        if blocked:
            self.message_user(request, gettext("Left open: %(why)s") % {
                "why": "; ".join(f"#{n}: {why}" for n, why in sorted(blocked.items()))}, messages.WARNING)

    @admin.action(description=_("Assign selected tickets to me"), permissions=["change"])
    def assign_to_me(self, request: HttpRequest, queryset: QuerySet[Ticket]) -> None:
        for ticket in queryset:
            services.assign(ticket=ticket, assignee=request.user, actor=request.user)
        self.message_user(request, gettext("Assigned to you."))

    @admin.action(description=_("Merge selected tickets into the oldest one"), permissions=["change"])
    def merge_into_oldest(self, request: HttpRequest, queryset: QuerySet[Ticket]) -> None:
        tickets = list(queryset.order_by("created_at", "id"))
        if len(tickets) < 2:
            self.message_user(request, gettext("Select at least two tickets to merge."), messages.ERROR)
            return
        try:
            target = services.merge_tickets(target=tickets[0], sources=tickets[1:], actor=request.user)
        except TicketError as exc:
            self.message_user(request, str(exc), messages.ERROR)
            return
        self.message_user(request, gettext("Merged into #%(n)s.") % {"n": target.pk})


class AttachmentInline(ReadOnlyInline):
    model = Attachment
    fields = ("original_name", "content_type", "size", "sha256", "is_inline")
    readonly_fields = fields


@admin.register(TicketMessage)
class TicketMessageAdmin(admin.ModelAdmin):
    """The conversation, read-only: messages are written by add_reply only."""

    list_display = ("ticket", "kind", "display_author", "channel", "created_at", "delivery_status")
    list_filter = ("kind", "channel", "delivery_status")
    search_fields = ("=ticket__id", "body_text", "author_email", "author_name", "message_id")
    ordering = ("-created_at",)
    date_hierarchy = "created_at"
    list_select_related = ("ticket", "author", "author_contact")
    show_full_result_count = False
    inlines = [AttachmentInline]
    exclude = ("body_html",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    @admin.display(description=_("author"))
    def display_author(self, obj: TicketMessage) -> str:
        return obj.display_author


@admin.register(Attachment)
class AttachmentAdmin(admin.ModelAdmin):
    """Files are downloaded through the permission-checked ticket views, never by media URL."""

    list_display = ("original_name", "message", "content_type", "size", "created_at")
    list_filter = ("content_type",)
    search_fields = ("original_name", "sha256", "=message__ticket__id")
    ordering = ("-created_at",)
    exclude = ("file",)
    list_select_related = ("message",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(TicketEvent)
class TicketEventAdmin(admin.ModelAdmin):
    """The audit trail: read-only."""

    list_display = ("created_at", "ticket", "kind", "actor", "before", "after")
    list_filter = ("kind", "created_at")
    search_fields = ("=ticket__id", "note", "before", "after")
    ordering = ("-created_at",)
    date_hierarchy = "created_at"
    list_select_related = ("ticket", "actor")
    show_full_result_count = False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(Task)
class TaskAdmin(admin.ModelAdmin):
    list_display = ("title", "ticket", "assignee", "department", "due_at", "status", "priority")
    list_filter = ("status", "department", "priority")
    search_fields = ("title", "description", "=ticket__id")
    ordering = ("status", "due_at")
    autocomplete_fields = ("ticket", "assignee")
    list_select_related = ("ticket", "assignee", "department", "priority")
    fields = ("title", "description", "ticket", "assignee", "department", "due_at", "priority", "status")

    def save_model(self, request: HttpRequest, obj: Task, form: forms.ModelForm, change: bool) -> None:
        data = form.cleaned_data
        if not change:
            task = services.create_task(
                title=data["title"], actor=request.user, description=data.get("description", ""),
                ticket=data.get("ticket"), assignee=data.get("assignee"), department=data.get("department"),
                due_at=data.get("due_at"), priority=data.get("priority"),
            )
            if data["status"] != Task.Status.OPEN:
                services.set_task_status(task=task, status=data["status"], actor=request.user)
            obj.pk = task.pk
            obj._state.adding = False
        else:
            task = Task.objects.get(pk=obj.pk)
            details = {name: data[name] for name in form.changed_data if name in services.TASK_EDITABLE_FIELDS}
            if details:
                services.update_task(task=task, changes=details, actor=request.user)
            if "status" in form.changed_data:
                services.set_task_status(task=task, status=data["status"], actor=request.user)
        obj.refresh_from_db()
