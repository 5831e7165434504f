"""Admin for SLA configuration (business calendars, SLA policies), automation rules with their
run log, and notification preferences. Imported by tickets/admin/__init__.py."""

from django import forms
from django.contrib import admin
from django.db.models import Prefetch, QuerySet
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils.translation import gettext_lazy as _

from tickets.automation.editor import RuleJSONWidget
from tickets.automation.registry import available_actions
from tickets.models import (
    AutomationRule,
    AutomationRun,
    BusinessCalendar,
    BusinessHours,
    Holiday,
    NotificationPreference,
    SLAPolicy,
    SLATarget,
)
from tickets.sla.units import TargetHoursForm, format_hours


class BusinessHoursInline(admin.TabularInline):
    model = BusinessHours
    extra = 0


class HolidayInline(admin.TabularInline):
    model = Holiday
    extra = 0


@admin.register(BusinessCalendar)
class BusinessCalendarAdmin(admin.ModelAdmin):
    list_display = ["name", "time_zone", "holiday_country", "is_default"]
    inlines = [BusinessHoursInline, HolidayInline]


class SLATargetForm(TargetHoursForm):
    """A policy's targets in hours (business hours), stored in minutes like the priorities'."""

    class Meta:
        model = SLATarget
        fields = ["priority"]


class SLATargetInline(admin.TabularInline):
    model = SLATarget
    form = SLATargetForm
    fields = ["priority", "first_response_hours", "resolution_hours"]
    extra = 0


@admin.register(SLAPolicy)
class SLAPolicyAdmin(admin.ModelAdmin):
    list_display = ["name", "tier", "is_active", "targets_in_hours"]
    list_filter = ["is_active"]
    inlines = [SLATargetInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet[SLAPolicy]:
        targets = SLATarget.objects.select_related("priority").order_by("-priority__level")
        return super().get_queryset(request).prefetch_related(Prefetch("targets", queryset=targets))

    @admin.display(description=_("targets (hours): first response / resolution"))
    def targets_in_hours(self, obj: SLAPolicy) -> str:
        return " · ".join(f"{t.priority.name} {format_hours(t.first_response_minutes)} / "
                          f"{format_hours(t.resolution_minutes)}" for t in obj.targets.all()) or "—"


class AutomationRuleForm(forms.ModelForm):
    """Conditions and actions as JSON textareas that static/js/rule_editor.js turns into rows; the
    validation messages of tickets.automation.schema are also handed to the rows they name."""

    class Meta:
        model = AutomationRule
        fields = ["name", "order", "is_active", "trigger", "hours", "days", "delay_minutes", "trigger_status",
                  "conditions", "actions"]
        widgets = {"conditions": RuleJSONWidget("conditions"), "actions": RuleJSONWidget("actions")}

    def _post_clean(self) -> None:
        super()._post_clean()
        for name in ("conditions", "actions"):
            if name in self.fields and name in self.errors:
                self.fields[name].widget.errors = list(self.errors[name])


@admin.register(AutomationRule)
class AutomationRuleAdmin(admin.ModelAdmin):
    form = AutomationRuleForm
    list_display = ["name", "trigger", "order", "is_active"]
    list_editable = ["order", "is_active"]
    list_filter = ["is_active", "trigger"]
    search_fields = ["name"]
    readonly_fields = ["available_actions", "recent_runs"]
    fieldsets = [
        (None, {"fields": ["name", "order", "is_active"]}),
        (_("Trigger"), {"fields": ["trigger", "hours", "days", "delay_minutes", "trigger_status"]}),
        (_("Conditions and actions"), {"fields": ["conditions", "actions", "available_actions"]}),
        (_("Log"), {"fields": ["recent_runs"]}),
    ]

    class Media:
        js = ["js/rule_editor.js"]
        css = {"all": ["css/rule_editor.css"]}

    @admin.display(description=_("Actions you can use"))
    def available_actions(self, obj: AutomationRule | None) -> str:
        return render_to_string("tickets/admin/_available_actions.html", {"actions": available_actions()})

    @admin.display(description=_("Recent runs"))
    def recent_runs(self, obj: AutomationRule | None) -> str:
        if obj is None or obj.pk is None:
            return "-"
        runs = obj.runs.order_by("-created_at")[:10]
        for run in runs:
            run.summary = "; ".join(run.result) or run.error
        return render_to_string("tickets/admin/_recent_runs.html", {"runs": runs})


@admin.register(AutomationRun)
class AutomationRunAdmin(admin.ModelAdmin):
    list_display = ["created_at", "rule", "ticket_id", "occurrence", "state", "summary"]
    list_filter = ["state", "rule"]
    search_fields = ["=ticket__id", "rule__name"]
    date_hierarchy = "created_at"
    list_select_related = ["rule"]
    readonly_fields = ["rule", "ticket", "occurrence", "state", "result", "error", "created_at", "finished_at"]

    def has_add_permission(self, request: object) -> bool:
        return False

    def has_change_permission(self, request: object, obj: object = None) -> bool:
        return False

    @admin.display(description=_("What it did"))
    def summary(self, obj: AutomationRun) -> str:
        return "; ".join(obj.result) or obj.error


@admin.register(NotificationPreference)
class NotificationPreferenceAdmin(admin.ModelAdmin):
    list_display = ["user", "email_kinds"]
    search_fields = ["user__email"]
