"""Forms of the agent workspace: queue filters, reply, escalation, task, bulk actions.

Validation only. Choice lists are handed in already loaded, so a page builds them once.
"""

from dataclasses import dataclass, field

from django import forms
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

from tickets.labels import label
from tickets.models import Department, Priority, Service, TicketStatus
from tickets.models.core import Channel
from tickets.workspace.queries import MORNING_STATUSES, Lookups, QueueFilter


@dataclass
class QueueConfig:
    """Everything the queue's pickers list, loaded once per request."""

    statuses: list[TicketStatus]
    departments: list[Department]
    priorities: list[Priority]
    services: list[Service]
    staff: list = field(default_factory=list)

    @property
    def department_ids(self) -> list[int]:
        return [d.pk for d in self.departments]

    @property
    def open_status_ids(self) -> list[int]:
        return [s.pk for s in self.statuses if not s.is_closed]

    def lookups(self, departments: list[Department] | None = None) -> Lookups:
        """Return the loaded rows for ticket queries to attach (departments: these, or the agent's)."""
        return Lookups.of(statuses=self.statuses, priorities=self.priorities, services=self.services,
                          departments=self.departments if departments is None else departments)


def morning_query() -> QueryDict:
    """Return the queue's default filter: the agent guide's morning routine."""
    q = QueryDict(mutable=True)
    q.setlist("status", list(MORNING_STATUSES))
    return q


ASSIGNEE_CHOICES = [("anyone", _("Anyone")), ("me", _("Me")), ("unassigned", _("Unassigned"))]


class QueueFilterForm(forms.Form):
    status = forms.MultipleChoiceField(label=_("Status"), required=False)
    department = forms.TypedChoiceField(label=_("Department"), required=False, coerce=int, empty_value=None)
    priority = forms.TypedChoiceField(label=_("Priority"), required=False, coerce=int, empty_value=None)
    service = forms.TypedChoiceField(label=_("Service"), required=False, coerce=int, empty_value=None)
    assignee = forms.ChoiceField(label=_("Assignee"), required=False)
    channel = forms.ChoiceField(label=_("Channel"), required=False)
    client = forms.IntegerField(label=_("Client"), required=False, min_value=1, widget=forms.HiddenInput)
    created_from = forms.DateField(label=_("Created from"), required=False,
                                   widget=forms.DateInput(attrs={"type": "date"}))
    created_to = forms.DateField(label=_("Created to"), required=False,
                                 widget=forms.DateInput(attrs={"type": "date"}))
    no_reply = forms.BooleanField(label=_("No staff reply > 4 h"), required=False)
    breached = forms.BooleanField(label=_("SLA breached"), required=False)
    due_soon = forms.BooleanField(label=_("SLA due within 1 h"), required=False)
    following = forms.BooleanField(label=_("Tickets I follow"), required=False)
    q = forms.CharField(label=_("Search"), required=False, max_length=200)

    def __init__(self, data: QueryDict, *, config: QueueConfig) -> None:
        super().__init__(data)
        self.config = config
        self.fields["status"].choices = [(s.slug, label(s.name)) for s in config.statuses]
        self.fields["department"].choices = [("", _("All my departments"))] + [
            (d.pk, label(d.name)) for d in config.departments
        ]
        self.fields["priority"].choices = [("", _("Any priority"))] + [(p.pk, label(p.name)) for p in config.priorities]
        self.fields["service"].choices = [("", _("Any service"))] + [(s.pk, label(s.name)) for s in config.services]
        self.fields["assignee"].choices = ASSIGNEE_CHOICES + [
            (str(u.pk), u.get_full_name()) for u in config.staff
        ]
        self.fields["channel"].choices = [("", _("Any channel"))] + list(Channel.choices)

    def _value(self, name: str) -> object:
        """Return a field's cleaned value, or its empty value when that one field is invalid."""
        if name in self.errors:
            return self.fields[name].to_python("") if name != "status" else []
        return self.cleaned_data.get(name)

    def to_filter(self) -> QueueFilter:
        """Return the filter the valid fields describe; an invalid field is simply ignored."""
        self.is_valid()
        by_slug = {s.slug: s.pk for s in self.config.statuses}
        return QueueFilter(
            statuses=tuple(by_slug[s] for s in (self._value("status") or []) if s in by_slug),
            department=self._value("department"),
            priority=self._value("priority"),
            service=self._value("service"),
            assignee=self._value("assignee") or "anyone",
            channel=self._value("channel") or "",
            client=self._value("client"),
            created_from=self._value("created_from"),
            created_to=self._value("created_to"),
            no_staff_reply=bool(self._value("no_reply")),
            sla_breached=bool(self._value("breached")),
            sla_due_soon=bool(self._value("due_soon")),
            following=bool(self._value("following")),
            q=(self._value("q") or "").strip(),
        )


class BulkActionForm(forms.Form):
    ACTIONS = [
        ("assign", _("Assign to")),
        ("status", _("Change status")),
        ("priority", _("Change priority")),
        ("department", _("Move to department")),
        ("close", _("Close")),
        ("merge", _("Merge into the oldest")),
    ]
    ticket = forms.TypedMultipleChoiceField(coerce=int, error_messages={"required": _("Select some tickets first.")})
    action = forms.ChoiceField(choices=ACTIONS)
    assignee = forms.CharField(required=False)
    status = forms.CharField(required=False)
    priority = forms.CharField(required=False)
    department = forms.CharField(required=False)

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        raw = self.data.getlist("ticket") if hasattr(self.data, "getlist") else []
        self.fields["ticket"].choices = [(v, v) for v in raw if str(v).isdigit()]


class ReplyForm(forms.Form):
    STATUS_AFTER = [
        (TicketStatus.ANSWERED, _("Answered")),
        (TicketStatus.IN_PROGRESS, _("In Progress")),
        (TicketStatus.ON_HOLD, _("On Hold")),
        (TicketStatus.CLOSED, _("Closed")),
    ]
    body = forms.CharField(label=_("Reply"), widget=forms.Textarea(attrs={"rows": 8}), required=False)
    internal = forms.BooleanField(label=_("Internal note (not sent to the customer)"), required=False)
    status_after = forms.ChoiceField(label=_("Status after sending"), choices=STATUS_AFTER, required=False)
    predefined_reply = forms.IntegerField(required=False, widget=forms.HiddenInput)


def _staff_choices(staff: list, empty: str = "—") -> list[tuple[str, str]]:
    return [("", empty)] + [(str(u.pk), u.get_full_name()) for u in staff]


class EscalationForm(forms.Form):
    """Escalate: where to (department, one of its agents, priority), the status afterwards,
    whether it is major (a manager approves), and the required note.

    The assignee list is grouped by department (works without JavaScript); htmx narrows it to
    the chosen department. The chosen agent must work in the target department.
    """

    STATUS_AFTER = [
        (TicketStatus.ESCALATED, _("Escalated")),
        (TicketStatus.ON_HOLD, _("On Hold")),
        (TicketStatus.IN_PROGRESS, _("In Progress")),
    ]
    department = forms.TypedChoiceField(label=_("Department"), required=False, coerce=int, empty_value=None)
    assignee = forms.TypedChoiceField(label=_("Assignee"), required=False, coerce=int, empty_value=None)
    priority = forms.TypedChoiceField(label=_("Priority"), required=False, coerce=int, empty_value=None)
    status_after = forms.ChoiceField(label=_("Status afterwards"), choices=STATUS_AFTER, required=False)
    major = forms.BooleanField(
        label=_("Major escalation (a manager approves)"), required=False,
        help_text=_("Automatic for Urgent tickets of Enterprise clients."),
    )
    note = forms.CharField(
        label=_("Internal note"), widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("What you investigated and why you escalate. Required."),
        error_messages={"required": _("Write an internal note: what you investigated and why you escalate.")},
    )

    def __init__(
        self,
        *args: object,
        config: QueueConfig,
        all_departments: list,
        members_by_department: dict[int, list] | None = None,
        current_department_id: int | None = None,
        **kwargs: object,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.members_by_department = members_by_department or {}
        self.current_department_id = current_department_id
        self.departments = all_departments
        self.fields["department"].choices = [("", _("— keep —"))] + [(d.pk, label(d.name)) for d in all_departments]
        self.fields["priority"].choices = [("", _("— keep —"))] + [(p.pk, label(p.name)) for p in config.priorities]
        everyone = {u.pk: u for members in self.members_by_department.values() for u in members}
        self.fields["assignee"].choices = [("", _("— keep —"))] + [
            (str(u.pk), u.get_full_name()) for u in sorted(everyone.values(), key=lambda u: u.get_full_name())
        ]

    def assignee_groups(self) -> list[tuple[object, list]]:
        """Return (department, its agents) for the assignee picker, the chosen department alone
        when one is chosen (the htmx refresh and a re-shown form)."""
        chosen = self.data.get("department") if self.is_bound else None
        groups = [(d, self.members_by_department.get(d.pk, [])) for d in self.departments]
        if chosen and str(chosen).isdigit():
            groups = [(d, m) for d, m in groups if d.pk == int(chosen)]
        return [(d, m) for d, m in groups if m]

    def clean(self) -> dict:
        data = super().clean()
        if not (data.get("department") or data.get("assignee") or data.get("priority")):
            raise forms.ValidationError(_("Choose a department, an assignee or a priority to escalate to."))
        assignee = data.get("assignee")
        if assignee:
            target = data.get("department") or self.current_department_id
            if assignee not in {u.pk for u in self.members_by_department.get(target, [])}:
                self.add_error("assignee", _("Choose an agent of the department you escalate to."))
        return data


class TaskForm(forms.Form):
    title = forms.CharField(label=_("Task"), max_length=200)
    description = forms.CharField(label=_("Details"), widget=forms.Textarea(attrs={"rows": 2}), required=False)
    department = forms.TypedChoiceField(label=_("Department"), required=False, coerce=int, empty_value=None)
    assignee = forms.TypedChoiceField(label=_("Assignee"), required=False, coerce=int, empty_value=None)
    due_at = forms.DateTimeField(label=_("Due"), required=False,
                                 widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))

    def __init__(self, *args: object, config: QueueConfig, all_departments: list, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["department"].choices = [("", "—")] + [(d.pk, label(d.name)) for d in all_departments]
        self.fields["assignee"].choices = _staff_choices(config.staff)


class PropertiesForm(forms.Form):
    status = forms.TypedChoiceField(label=_("Status"), coerce=int)
    priority = forms.TypedChoiceField(label=_("Priority"), coerce=int)
    service = forms.TypedChoiceField(label=_("Service"), required=False, coerce=int, empty_value=None)
    assignee = forms.TypedChoiceField(label=_("Assignee"), required=False, coerce=int, empty_value=None)

    def __init__(self, *args: object, config: QueueConfig, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = [(s.pk, label(s.name)) for s in config.statuses]
        self.fields["priority"].choices = [(p.pk, label(p.name)) for p in config.priorities]
        self.fields["service"].choices = [("", "—")] + [(s.pk, label(s.name)) for s in config.services]
        self.fields["assignee"].choices = _staff_choices(config.staff, str(_("Unassigned")))
