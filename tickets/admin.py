"""Admin registrations: the manager's configuration console.

Configuration rows (departments, statuses, priorities, services, custom fields, predefined
replies, spam filters) are edited here directly. Tickets and tasks are different: every change
of a ticket must record its event, keep its timestamps and SLA dues true and notify people, so
the ticket form saves through tickets.services (open_ticket, change_status, change_priority,
assign, change_department, change_service, set_custom_values) and shows the fields that no
service changes as read-only. Messages and events are history: read-only everywhere.
"""

from string import Formatter

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.actions import delete_selected
from django.contrib.admin.utils import unquote
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from tickets import services
from tickets.custom_fields import clean_value
from tickets.exceptions import StatusInUse, TicketError
from tickets.models import (
    Attachment,
    CustomField,
    CustomFieldValue,
    Department,
    PredefinedReply,
    Priority,
    Service,
    SpamFilter,
    Task,
    Ticket,
    TicketEvent,
    TicketMessage,
    TicketStatus,
)


def colour_swatch(colour: str) -> str:
    return format_html(
        '<span class="colour-swatch" style="display:inline-block;width:1.1em;height:1.1em;border-radius:3px;'
        'vertical-align:middle;border:1px solid rgba(0,0,0,.25);background:{}" title="{}"></span> <code>{}</code>',
        colour,
        colour,
        colour,
    )


def badge(colour: str, label: str) -> str:
    return format_html(
        '<span style="display:inline-block;padding:0 .5em;border-radius:999px;color:#fff;background:{};'
        'font-weight:600;white-space:nowrap">{}</span>',
        colour,
        label,
    )


def hours(minutes: int | None) -> str:
    if minutes is None:
        return "—"
    value = minutes / 60
    return f"{value:g} h"


class OneDefaultForm(forms.ModelForm):
    """Say plainly which row is already the default instead of a database constraint error."""

    def clean_is_default(self) -> bool:
        value = self.cleaned_data.get("is_default")
        if value:
            other = self._meta.model.objects.filter(is_default=True).exclude(pk=self.instance.pk).first()
            if other is not None:
                raise forms.ValidationError(
                    gettext("“%(name)s” is already the default. Untick it there first, then tick it here.")
                    % {"name": other}
                )
        return value


class RefuseDeleteWhileUsed(admin.ModelAdmin):
    """Refuse to delete configuration rows that tickets use, saying how many, on the delete page
    and in the bulk action. Django's own pages would list every protected ticket instead."""

    actions = ["delete_unused"]

    def deletion_refusal(self, obj: object) -> str | None:
        """Return why `obj` cannot be deleted, or None."""
        count = obj.tickets.count()
        if not count:
            return None
        return ngettext(
            "“%(name)s” is used by %(n)d ticket; move it elsewhere first.",
            "“%(name)s” is used by %(n)d tickets; move them elsewhere first.",
            count,
        ) % {"name": obj, "n": count}

    def get_actions(self, request: HttpRequest) -> dict:
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    @admin.action(description=_("Delete selected (only those no ticket uses)"), permissions=["delete"])
    def delete_unused(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse | None:
        refusals = [reason for reason in map(self.deletion_refusal, queryset) if reason]
        for reason in refusals:
            self.message_user(request, reason, messages.ERROR)
        if refusals:
            self.message_user(request, gettext("Nothing was deleted."), messages.WARNING)
            return None
        return delete_selected(self, request, queryset)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet) -> None:
        for obj in queryset:
            self.delete_model(request, obj)

    def delete_view(self, request: HttpRequest, object_id: str, extra_context: dict | None = None) -> HttpResponse:
        obj = self.get_object(request, unquote(object_id))
        reason = self.deletion_refusal(obj) if obj is not None else None
        if reason:
            self.message_user(request, reason, messages.ERROR)
            opts = self.opts
            return HttpResponseRedirect(reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk]))
        return super().delete_view(request, object_id, extra_context)


# --- configuration -------------------------------------------------------------------------


class DepartmentForm(OneDefaultForm):
    class Meta:
        model = Department
        fields = ("name", "email", "is_active", "show_on_portal", "is_default", "default_priority", "members")


@admin.register(Department)
class DepartmentAdmin(RefuseDeleteWhileUsed):
    form = DepartmentForm
    list_display = ("name", "email", "is_active", "show_on_portal", "is_default", "member_count", "open_tickets")
    list_filter = ("is_active", "show_on_portal")
    search_fields = ("name", "email")
    ordering = ("name",)
    filter_horizontal = ("members",)
    fields = ("name", "email", "is_active", "show_on_portal", "is_default", "default_priority", "members")

    def get_queryset(self, request: HttpRequest) -> QuerySet[Department]:
        return (
            super()
            .get_queryset(request)
            .annotate(
                _members=Count("members", distinct=True),
                _open=Count("tickets", filter=Q(tickets__closed_at__isnull=True), distinct=True),
            )
        )

    @admin.display(description=_("staff members"), ordering="_members")
    def member_count(self, obj: Department) -> int:
        return obj._members

    @admin.display(description=_("open tickets"), ordering="_open")
    def open_tickets(self, obj: Department) -> int:
        return obj._open


class TicketStatusForm(OneDefaultForm):
    class Meta:
        model = TicketStatus
        fields = ("name", "slug", "colour", "order", "is_closed", "pauses_sla", "is_default")
        widgets = {"colour": forms.TextInput(attrs={"type": "color"})}

    def clean(self) -> dict:
        data = super().clean()
        if data.get("is_default") and data.get("is_closed"):
            raise forms.ValidationError(gettext("New tickets cannot start in a closing status."))
        return data


@admin.register(TicketStatus)
class TicketStatusAdmin(RefuseDeleteWhileUsed):
    """Statuses with their colours. A status that tickets use cannot be deleted: the manager is
    told how many tickets use it (tickets.services.delete_status)."""

    form = TicketStatusForm
    list_display = ("name", "swatch", "order", "is_closed", "pauses_sla", "is_default", "ticket_count", "slug")
    list_editable = ("order",)
    list_filter = ("is_closed", "pauses_sla")
    search_fields = ("name", "slug")
    ordering = ("order", "name")
    prepopulated_fields = {"slug": ("name",)}

    def get_queryset(self, request: HttpRequest) -> QuerySet[TicketStatus]:
        return super().get_queryset(request).annotate(_tickets=Count("tickets"))

    @admin.display(description=_("colour"), ordering="colour")
    def swatch(self, obj: TicketStatus) -> str:
        return colour_swatch(obj.colour)

    @admin.display(description=_("tickets"), ordering="_tickets")
    def ticket_count(self, obj: TicketStatus) -> int:
        return obj._tickets

    def deletion_refusal(self, obj: TicketStatus) -> str | None:
        try:
            services.check_status_deletable(status=obj)
        except StatusInUse as exc:
            return str(exc)
        return None

    def delete_model(self, request: HttpRequest, obj: TicketStatus) -> None:
        services.delete_status(status=obj)


class PriorityForm(OneDefaultForm):
    class Meta:
        model = Priority
        fields = ("name", "level", "colour", "first_response_minutes", "resolution_minutes", "is_default")
        widgets = {"colour": forms.TextInput(attrs={"type": "color"})}
        help_texts = {
            "first_response_minutes": _("In minutes: 60 = 1 hour, 240 = 4 hours, 1440 = 24 hours."),
            "resolution_minutes": _("In minutes: 1440 = 24 hours, 4320 = 72 hours."),
        }


@admin.register(Priority)
class PriorityAdmin(RefuseDeleteWhileUsed):
    form = PriorityForm
    list_display = ("name", "level", "swatch", "first_response_target", "resolution_target", "is_default",
                    "ticket_count")
    list_filter = ("is_default",)
    search_fields = ("name",)
    ordering = ("-level",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Priority]:
        return super().get_queryset(request).annotate(_tickets=Count("tickets"))

    @admin.display(description=_("colour"), ordering="colour")
    def swatch(self, obj: Priority) -> str:
        return colour_swatch(obj.colour)

    @admin.display(description=_("first response target"), ordering="first_response_minutes")
    def first_response_target(self, obj: Priority) -> str:
        return hours(obj.first_response_minutes)

    @admin.display(description=_("resolution target"), ordering="resolution_minutes")
    def resolution_target(self, obj: Priority) -> str:
        return hours(obj.resolution_minutes)

    @admin.display(description=_("tickets"), ordering="_tickets")
    def ticket_count(self, obj: Priority) -> int:
        return obj._tickets


@admin.register(Service)
class ServiceAdmin(admin.ModelAdmin):
    list_display = ("name", "order", "is_active", "ticket_count")
    list_editable = ("order", "is_active")
    list_filter = ("is_active",)
    search_fields = ("name",)
    ordering = ("order", "name")

    def get_queryset(self, request: HttpRequest) -> QuerySet[Service]:
        return super().get_queryset(request).annotate(_tickets=Count("tickets"))

    @admin.display(description=_("tickets"), ordering="_tickets")
    def ticket_count(self, obj: Service) -> int:
        return obj._tickets


@admin.register(CustomField)
class CustomFieldAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "field_type", "required", "show_on_client_portal", "order", "is_active")
    list_editable = ("order", "show_on_client_portal", "is_active")
    list_filter = ("field_type", "show_on_client_portal", "required", "is_active")
    search_fields = ("name", "slug")
    ordering = ("order", "name")
    prepopulated_fields = {"slug": ("name",)}


@admin.register(CustomFieldValue)
class CustomFieldValueAdmin(admin.ModelAdmin):
    """Values are edited on their ticket (validated by type); this list is for searching."""

    list_display = ("ticket", "field", "display_value")
    list_filter = ("field",)
    search_fields = ("=ticket__id", "ticket__subject")
    list_select_related = ("ticket", "field")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


class PredefinedReplyForm(forms.ModelForm):
    class Meta:
        model = PredefinedReply
        fields = ("title", "body", "department", "is_active")
        widgets = {"body": forms.Textarea(attrs={"rows": 10, "cols": 90})}

    def clean_body(self) -> str:
        body = self.cleaned_data["body"]
        try:
            names = {name for _text, name, _spec, _conv in Formatter().parse(body) if name is not None}
        except ValueError:
            raise forms.ValidationError(
                gettext("Unbalanced braces: write merge fields as {contact_first_name}; write {{ for a brace.")
            )
        unknown = sorted(names - set(PredefinedReply.MERGE_FIELDS))
        if unknown:
            raise forms.ValidationError(
                gettext("Unknown merge field(s): %(unknown)s. Available: %(known)s.")
                % {
                    "unknown": ", ".join(f"{{{n}}}" for n in unknown),
                    "known": ", ".join(f"{{{n}}}" for n in PredefinedReply.MERGE_FIELDS),
                }
            )
        return body


@admin.register(PredefinedReply)
class PredefinedReplyAdmin(admin.ModelAdmin):
    form = PredefinedReplyForm
    list_display = ("title", "department", "is_active", "usage_count")
    list_filter = ("is_active", "department")
    search_fields = ("title", "body")
    ordering = ("title",)
    readonly_fields = ("usage_count",)


@admin.register(SpamFilter)
class SpamFilterAdmin(admin.ModelAdmin):
    list_display = ("value", "kind", "is_active", "created_at")
    list_editable = ("is_active",)
    list_filter = ("kind", "is_active")
    search_fields = ("value",)
    ordering = ("kind", "value")
    fields = ("kind", "value", "is_active")


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
        return badge(obj.status.colour, obj.status.name)

    @admin.display(description=_("priority"), ordering="-priority_level")
    def priority_badge(self, obj: Ticket) -> str:
        return badge(obj.priority.colour, obj.priority.name)

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
        for ticket in queryset.filter(closed_at__isnull=True):
            services.close_ticket(ticket=ticket, actor=request.user)
            count += 1
        self.message_user(request, ngettext("Closed %d ticket.", "Closed %d tickets.", count) % count)

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


# Admin modules of other areas register themselves on import.
from tickets import admin_automation, admin_inbound, admin_portal  # noqa: E402, F401
