"""Admin for the configuration rows: departments, statuses, priorities, services, custom fields,
predefined replies and spam filters."""

from string import Formatter

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.actions import delete_selected
from django.contrib.admin.utils import unquote
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from tickets import services
from tickets.exceptions import StatusInUse
from tickets.models import (
    CustomField,
    CustomFieldValue,
    Department,
    PredefinedReply,
    Priority,
    Service,
    SpamFilter,
    TicketStatus,
)
from tickets.sla.units import TargetHoursForm, format_hours


def colour_swatch(colour: str) -> str:
    return render_to_string("tickets/admin/_swatch.html", {"colour": colour})


def badge(colour: str, label: str) -> str:
    return render_to_string("tickets/admin/_badge.html", {"colour": colour, "label": label})


hours = format_hours  # minutes shown in hours, as the forms take them (tickets.sla.units)


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
        fields = ("name", "email", "is_active", "show_on_portal", "is_default", "default_priority", "copy_participants",
                  "members", "leads", "followers_can_reply")


@admin.register(Department)
class DepartmentAdmin(RefuseDeleteWhileUsed):
    form = DepartmentForm
    list_display = ("name", "email", "is_active", "show_on_portal", "is_default", "member_count", "open_tickets")
    list_filter = ("is_active", "show_on_portal")
    search_fields = ("name", "email")
    ordering = ("name",)
    filter_horizontal = ("members", "leads")
    fields = ("name", "email", "is_active", "show_on_portal", "is_default", "default_priority", "copy_participants",
              "members", "leads", "followers_can_reply")

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
        fields = ("name", "slug", "colour", "order", "is_closed", "pauses_sla", "is_default", "portal_label")
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
    list_display = ("name", "swatch", "portal_label", "order", "is_closed", "pauses_sla", "is_default", "ticket_count",
                    "slug")
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


class PriorityForm(OneDefaultForm, TargetHoursForm):
    """Targets in hours, as the list shows them (stored in minutes)."""

    class Meta:
        model = Priority
        fields = ("name", "level", "colour", "is_default")
        widgets = {"colour": forms.TextInput(attrs={"type": "color"})}


@admin.register(Priority)
class PriorityAdmin(RefuseDeleteWhileUsed):
    form = PriorityForm
    fields = ("name", "level", "colour", "first_response_hours", "resolution_hours", "is_default")
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

    @admin.display(description=_("first response target (hours)"), ordering="first_response_minutes")
    def first_response_target(self, obj: Priority) -> str:
        return hours(obj.first_response_minutes)

    @admin.display(description=_("resolution target (hours)"), ordering="resolution_minutes")
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
