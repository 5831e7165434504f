"""The reports' filter form: a period (presets or from/to dates) and the ticket dimensions.

An agent who is not a manager is always narrowed to their own tickets.
"""

from datetime import datetime, time, timedelta

from django import forms
from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.models import Client
from tickets.labels import label
from tickets.models import Department, Priority, Service
from tickets.models.core import Channel
from tickets.reports.filters import ReportFilters

PERIODS = [
    ("month", _("This month")),
    ("last_month", _("Last month")),
    ("7d", _("Last 7 days")),
    ("30d", _("Last 30 days")),
    ("year", _("Last 12 months")),
    ("custom", _("From – to")),
]


def _start_of(day: datetime) -> datetime:
    return timezone.make_aware(datetime.combine(day.date(), time.min), timezone.get_current_timezone())


def period_bounds(period: str, *, now: datetime, start: object = None, end: object = None) -> tuple[datetime, datetime]:
    """Return [since, until) of a period preset in the current time zone."""
    today = _start_of(timezone.localtime(now))
    if period == "custom" and start and end:
        since = timezone.make_aware(datetime.combine(start, time.min), timezone.get_current_timezone())
        until = timezone.make_aware(datetime.combine(end, time.min), timezone.get_current_timezone())
        return since, until + timedelta(days=1)
    if period == "last_month":
        first = today.replace(day=1)
        return _start_of(first - timedelta(days=1)).replace(day=1), first
    if period == "7d":
        return today - timedelta(days=6), today + timedelta(days=1)
    if period == "30d":
        return today - timedelta(days=29), today + timedelta(days=1)
    if period == "year":
        return today - timedelta(days=364), today + timedelta(days=1)
    return today.replace(day=1), today + timedelta(days=1)


def _named(rows: object) -> list[tuple[int, str]]:
    return [(pk, label(name)) for pk, name in rows]


class ReportFilterForm(forms.Form):
    period = forms.ChoiceField(label=_("Period"), choices=PERIODS, required=False)
    start = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    department = forms.TypedChoiceField(label=_("Department"), coerce=int, required=False, empty_value=None)
    agent = forms.TypedChoiceField(label=_("Agent"), coerce=int, required=False, empty_value=None)
    service = forms.TypedChoiceField(label=_("Service"), coerce=int, required=False, empty_value=None)
    priority = forms.TypedChoiceField(label=_("Priority"), coerce=int, required=False, empty_value=None)
    channel = forms.ChoiceField(label=_("Channel"), required=False, choices=[("", _("All"))] + Channel.choices)
    tier = forms.ChoiceField(label=_("Client tier"), required=False, choices=[("", _("All"))] + Client.Tier.choices)

    def __init__(self, data: object, *, user: object) -> None:
        super().__init__(data)
        self.user = user
        every = [("", _("All"))]
        departments = Department.objects.order_by("name").values_list("pk", "name")
        self.fields["department"].choices = every + _named(departments)
        staff = get_user_model().objects.filter(is_staff=True, is_active=True).order_by("full_name", "email")
        self.fields["agent"].choices = every + [(u.pk, u.get_full_name()) for u in staff.only("full_name", "email")]
        services = Service.objects.order_by("order", "name").values_list("pk", "name")
        self.fields["service"].choices = every + _named(services)
        self.fields["priority"].choices = every + _named(Priority.objects.order_by("-level").values_list("pk", "name"))
        if not getattr(user, "is_manager", False):
            del self.fields["agent"]

    def to_filters(self, *, now: datetime | None = None) -> ReportFilters:
        """Return the filters (invalid values are ignored; agents see only their own tickets)."""
        data = self.cleaned_data if self.is_valid() else {}
        since, until = period_bounds(
            data.get("period") or "month", now=now or timezone.now(), start=data.get("start"), end=data.get("end")
        )
        agent = data.get("agent") if getattr(self.user, "is_manager", False) else self.user.pk
        return ReportFilters(
            since=since, until=until, department_id=data.get("department"), agent_id=agent,
            service_id=data.get("service"), priority_id=data.get("priority"), channel=data.get("channel") or "",
            tier=data.get("tier") or "",
        )
