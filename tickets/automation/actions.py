"""The built-in automation actions. Each changes the ticket only through tickets.services (so
history, SLA dues and hooks stay right) and returns a short text for the run log."""

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from helpdesk.languages import in_language_of
from tickets import services
from tickets.automation.registry import ActionContext, Param, register_action
from tickets.labels import label
from tickets.models import (
    AutomationRule,
    Department,
    PredefinedReply,
    Priority,
    Ticket,
    TicketMessage,
    TicketStatus,
)
from tickets.models.notifications import NotificationKind
from tickets.notifications import services as notifications

STAFF_TARGETS = ("assignee", "department", "managers", "assignee_or_department")
ASSIGN_STRATEGIES = ("round_robin", "least_loaded")


class _Blank(dict):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def merge_fields(ticket: Ticket) -> dict[str, str]:
    """Return the merge fields of a ticket for automatic texts (as in predefined replies)."""
    contact = ticket.contact
    agent = ticket.assignee
    return {
        "contact_first_name": contact.first_name if contact else (ticket.requester_name.split(" ")[0] or ""),
        "contact_name": contact.full_name if contact else ticket.requester_name,
        "client_name": ticket.client.name if ticket.client else "",
        "ticket_number": str(ticket.pk),
        "ticket_subject": ticket.subject,
        "agent_name": agent.get_full_name() if agent else "",
        "agent_first_name": agent.get_short_name() if agent else "",
        "department": label(ticket.department.name),
        "priority": label(ticket.priority.name),
        "status": label(ticket.status.name),
        "ticket_url": settings.SITE_URL + reverse("staff:ticket_detail", args=[ticket.pk]),
    }


def render(text: str, ticket: Ticket) -> str:
    """Fill {merge_fields} in `text`; unknown ones stay as written. The names from the database
    (department, priority, status) are written in the active language."""
    return text.format_map(_Blank(merge_fields(ticket)))


def _require(params: dict[str, Any], key: str, message: str) -> Any:
    value = params.get(key)
    if value in (None, "", []):
        raise ValidationError(message)
    return value


def _one(model: type, **lookup: Any) -> Any:
    return model.objects.filter(**lookup).first()


# --- set status / priority / department ----------------------------------------------------


def _status(params: dict[str, Any]) -> TicketStatus | None:
    key = str(params.get("status", ""))
    return _one(TicketStatus, slug=key) or _one(TicketStatus, name__iexact=key)


def validate_set_status(params: dict[str, Any]) -> None:
    _require(params, "status", _("Give the \"status\" key, e.g. \"escalated\"."))
    if _status(params) is None:
        raise ValidationError(_("Unknown status “%(s)s”.") % {"s": params["status"]})


def run_set_status(ctx: ActionContext) -> str:
    status = _status(ctx.params)
    if status is None:
        raise ValueError(f"status {ctx.params.get('status')!r} no longer exists")
    if ctx.ticket.status_id == status.pk:
        return _("status already %(s)s") % {"s": status.name}
    services.change_status(ticket=ctx.ticket, status=status, note=_("Automation: %(r)s") % {"r": ctx.rule.name})
    return _("status → %(s)s") % {"s": status.name}


def validate_set_priority(params: dict[str, Any]) -> None:
    name = _require(params, "priority", _("Give the \"priority\" name, e.g. \"High\"."))
    if _one(Priority, name__iexact=name) is None:
        raise ValidationError(_("Unknown priority “%(p)s”.") % {"p": name})


def run_set_priority(ctx: ActionContext) -> str:
    priority = _one(Priority, name__iexact=ctx.params["priority"])
    if priority is None:
        raise ValueError(f"priority {ctx.params['priority']!r} no longer exists")
    services.change_priority(ticket=ctx.ticket, priority=priority)
    return _("priority → %(p)s") % {"p": priority.name}


def validate_set_department(params: dict[str, Any]) -> None:
    name = _require(params, "department", _("Give the \"department\" name."))
    if _one(Department, name__iexact=name) is None:
        raise ValidationError(_("Unknown department “%(d)s”.") % {"d": name})


def run_set_department(ctx: ActionContext) -> str:
    department = _one(Department, name__iexact=ctx.params["department"])
    if department is None:
        raise ValueError(f"department {ctx.params['department']!r} no longer exists")
    services.change_department(ticket=ctx.ticket, department=department)
    return _("department → %(d)s") % {"d": department.name}


# --- assignment ----------------------------------------------------------------------------


def available_agents(department: Department) -> list[Any]:
    """Return the department's staff who are active and available for assignment, by id."""
    return list(
        department.members.filter(is_active=True, is_staff=True, staff_profile__is_available=True).order_by("pk")
    )


def pick_round_robin(rule: AutomationRule, department: Department) -> Any:
    """Return the next available agent after the one this rule picked last in the department."""
    agents = available_agents(department)
    if not agents:
        return None
    locked = AutomationRule.objects.select_for_update().only("state").get(pk=rule.pk)
    state = dict(locked.state or {})
    pointers = dict(state.get("round_robin", {}))
    last = pointers.get(str(department.pk))
    following = [a for a in agents if last is None or a.pk > last]
    chosen = following[0] if following else agents[0]
    pointers[str(department.pk)] = chosen.pk
    state["round_robin"] = pointers
    AutomationRule.objects.filter(pk=rule.pk).update(state=state)
    return chosen


def pick_least_loaded(department: Department) -> Any:
    """Return the available agent with the fewest open assigned tickets (ties: lowest id)."""
    ids = [a.pk for a in available_agents(department)]
    if not ids:
        return None
    return (
        get_user_model()
        .objects.filter(pk__in=ids)
        .annotate(open_count=Count("assigned_tickets", filter=Q(assigned_tickets__closed_at__isnull=True)))
        .order_by("open_count", "pk")
        .first()
    )


def validate_assign(params: dict[str, Any]) -> None:
    to = _require(params, "to", _("Give \"to\": round_robin, least_loaded or a staff email address."))
    if to not in ASSIGN_STRATEGIES and not get_user_model().objects.filter(email__iexact=to, is_staff=True).exists():
        raise ValidationError(_("“%(to)s” is neither round_robin, least_loaded nor a staff member's email.")
                              % {"to": to})
    if params.get("department"):
        validate_set_department(params)


def run_assign(ctx: ActionContext) -> str:
    to = ctx.params["to"]
    department = ctx.ticket.department
    if ctx.params.get("department"):
        department = _one(Department, name__iexact=ctx.params["department"]) or department
    if to == "round_robin":
        agent = pick_round_robin(ctx.rule, department)
    elif to == "least_loaded":
        agent = pick_least_loaded(department)
    else:
        agent = get_user_model().objects.filter(email__iexact=to, is_staff=True, is_active=True).first()
    if agent is None:
        return _("no available agent in %(d)s") % {"d": department.name}
    services.assign(ticket=ctx.ticket, assignee=agent)
    return _("assigned to %(a)s") % {"a": agent}


# --- notes, email, tasks -------------------------------------------------------------------


def validate_add_note(params: dict[str, Any]) -> None:
    _require(params, "text", _("Give the note \"text\"."))


def run_add_note(ctx: ActionContext) -> str:
    text = render(ctx.params["text"], ctx.ticket)
    services.add_reply(
        ticket=ctx.ticket, body_text=text, kind=TicketMessage.Kind.NOTE, author_name=_("Automation")
    )
    return _("internal note added")


def validate_email_customer(params: dict[str, Any]) -> None:
    template, body = params.get("template"), params.get("body")
    if not template and not body:
        raise ValidationError(_("Give a \"body\" text or the \"template\" title of a predefined reply."))
    if template and not PredefinedReply.objects.filter(title__iexact=template, is_active=True).exists():
        raise ValidationError(_("No active predefined reply is titled “%(t)s”.") % {"t": template})


def run_email_customer(ctx: ActionContext) -> str:
    """Send an automatic message to the customer: it never counts as a first response."""
    body = ctx.params.get("body") or ""
    if ctx.params.get("template"):
        reply = PredefinedReply.objects.filter(title__iexact=ctx.params["template"], is_active=True).first()
        if reply is None:
            raise ValueError(f"predefined reply {ctx.params['template']!r} is gone")
        body = reply.body
    if not ctx.ticket.reply_email:
        return _("no customer address: nothing sent")
    # The rule's text is sent as written; the names it merges in are in the customer's language.
    with in_language_of(ctx.ticket.contact if ctx.ticket.contact_id else None):
        body_text = render(body, ctx.ticket)
    services.add_reply(
        ticket=ctx.ticket,
        body_text=body_text,
        kind=TicketMessage.Kind.SYSTEM,
        author_name=ctx.ticket.department.name,
        is_automatic=True,
    )
    return _("emailed the customer")


def staff_recipients(ticket: Ticket, to: str) -> list[Any]:
    """Return the active staff members addressed by `to` for this ticket."""
    users = get_user_model().objects.filter(is_active=True, is_staff=True)
    if to == "assignee" or (to == "assignee_or_department" and ticket.assignee_id):
        return list(users.filter(pk=ticket.assignee_id))
    if to in ("department", "assignee_or_department"):
        return list(users.filter(departments=ticket.department_id).order_by("pk"))
    if to == "managers":
        return list(users.filter(Q(is_superuser=True) | Q(staff_profile__role="manager")).distinct().order_by("pk"))
    return []


def validate_email_staff(params: dict[str, Any]) -> None:
    to = _require(params, "to", _("Give \"to\": %(t)s.") % {"t": ", ".join(STAFF_TARGETS)})
    if to not in STAFF_TARGETS:
        raise ValidationError(_("“%(to)s” is not one of %(t)s.") % {"to": to, "t": ", ".join(STAFF_TARGETS)})
    _require(params, "subject", _("Give the email \"subject\"."))
    kind = params.get("kind", NotificationKind.AUTOMATION)
    if kind not in NotificationKind.values:
        raise ValidationError(_("Unknown notification kind “%(k)s”.") % {"k": kind})


def run_email_staff(ctx: ActionContext) -> str:
    recipients = staff_recipients(ctx.ticket, ctx.params["to"])
    if not recipients:
        return _("no staff to email")
    def subject() -> str:
        return render(ctx.params["subject"], ctx.ticket)

    def body() -> str:
        return render(ctx.params.get("body") or ctx.params["subject"], ctx.ticket)

    notifications.notify(  # the names merged in, in each recipient's language
        recipients=recipients,
        kind=ctx.params.get("kind", NotificationKind.AUTOMATION),
        ticket=ctx.ticket,
        text=subject,
        email_subject=subject,
        email_body=body,
        force_email=True,
    )
    return _("emailed %(n)d staff (%(to)s)") % {"n": len(recipients), "to": ctx.params["to"]}


def validate_create_task(params: dict[str, Any]) -> None:
    _require(params, "title", _("Give the task \"title\"."))
    due = params.get("due_hours")
    if due is not None and (not isinstance(due, int | float) or due < 0):
        raise ValidationError(_("\"due_hours\" must be a positive number."))
    if params.get("assign_to") not in (None, "assignee", "department"):
        raise ValidationError(_("\"assign_to\" must be assignee or department."))


def run_create_task(ctx: ActionContext) -> str:
    due = ctx.params.get("due_hours")
    assignee = ctx.ticket.assignee if ctx.params.get("assign_to", "assignee") == "assignee" else None
    task = services.create_task(
        title=render(ctx.params["title"], ctx.ticket),
        description=render(ctx.params.get("description", ""), ctx.ticket),
        actor=None,
        ticket=ctx.ticket,
        assignee=assignee,
        department=ctx.ticket.department,
        due_at=timezone.now() + timedelta(hours=due) if due is not None else None,
    )
    return _("task “%(t)s” created") % {"t": task.title}


# --- what the admin's rule editor offers for each parameter -----------------------------------


def status_choices() -> list[tuple[str, str]]:
    return list(TicketStatus.objects.order_by("order", "name").values_list("slug", "name"))


def priority_choices() -> list[tuple[str, str]]:
    return [(name, name) for name in Priority.objects.order_by("-level").values_list("name", flat=True)]


def department_choices() -> list[tuple[str, str]]:
    return [(name, name) for name in Department.objects.order_by("name").values_list("name", flat=True)]


def assign_choices() -> list[tuple[str, str]]:
    staff = get_user_model().objects.filter(is_staff=True, is_active=True).order_by("email")
    return [("round_robin", _("Round-robin")), ("least_loaded", _("Least loaded")),
            *((email, email) for email in staff.values_list("email", flat=True))]


def reply_choices() -> list[tuple[str, str]]:
    titles = PredefinedReply.objects.filter(is_active=True).order_by("title").values_list("title", flat=True)
    return [(title, title) for title in titles]


STATUS = Param("status", gettext_lazy("Status"), kind="choice", choices=status_choices, required=True)
PRIORITY = Param("priority", gettext_lazy("Priority"), kind="choice", choices=priority_choices, required=True)
DEPARTMENT = Param("department", gettext_lazy("Department"), kind="choice", choices=department_choices,
                   required=True)
ACTION_PARAMS = {
    "set_status": [STATUS],
    "set_priority": [PRIORITY],
    "set_department": [DEPARTMENT],
    "assign": [
        Param("to", gettext_lazy("Assign to"), kind="suggest", choices=assign_choices, required=True,
              help=gettext_lazy("round_robin, least_loaded or a staff member's email")),
        Param("department", gettext_lazy("Among the agents of"), kind="choice", choices=department_choices,
              help=gettext_lazy("empty: the ticket's department")),
    ],
    "add_note": [Param("text", gettext_lazy("Note text"), kind="textarea", required=True,
                       help=gettext_lazy("Merge fields such as {ticket_number} are filled in."))],
    "email_customer": [
        Param("template", gettext_lazy("Predefined reply"), kind="choice", choices=reply_choices),
        Param("body", gettext_lazy("Or this text"), kind="textarea"),
    ],
    "email_staff": [
        Param("to", gettext_lazy("To"), kind="choice", required=True,
              choices=[("assignee", gettext_lazy("The assignee")), ("department", gettext_lazy("The department")),
                       ("managers", gettext_lazy("The managers")),
                       ("assignee_or_department", gettext_lazy("The assignee, else the department"))]),
        Param("subject", gettext_lazy("Subject"), required=True),
        Param("body", gettext_lazy("Body"), kind="textarea", help=gettext_lazy("empty: the subject")),
        Param("kind", gettext_lazy("Notification kind"), kind="choice", choices=NotificationKind.choices),
    ],
    "create_task": [
        Param("title", gettext_lazy("Task title"), required=True),
        Param("description", gettext_lazy("Description"), kind="textarea"),
        Param("due_hours", gettext_lazy("Due in (hours)"), kind="number"),
        Param("assign_to", gettext_lazy("Assign the task to"), kind="choice",
              choices=[("assignee", gettext_lazy("The ticket's assignee")),
                       ("department", gettext_lazy("The department"))]),
    ],
}


def register_builtin_actions() -> None:
    register_action("set_status", gettext_lazy("Set status"), run=run_set_status, validate=validate_set_status,
                    params=ACTION_PARAMS["set_status"])
    register_action("set_priority", gettext_lazy("Set priority"), run=run_set_priority,
                    validate=validate_set_priority, params=ACTION_PARAMS["set_priority"])
    register_action("set_department", gettext_lazy("Set department"), run=run_set_department,
                    validate=validate_set_department, params=ACTION_PARAMS["set_department"])
    register_action("assign", gettext_lazy("Assign (agent, round-robin or least-loaded)"), run=run_assign,
                    validate=validate_assign, params=ACTION_PARAMS["assign"])
    register_action("add_note", gettext_lazy("Add an internal note"), run=run_add_note, validate=validate_add_note,
                    params=ACTION_PARAMS["add_note"])
    register_action("email_customer", gettext_lazy("Email the customer (automatic message)"),
                    run=run_email_customer, validate=validate_email_customer, params=ACTION_PARAMS["email_customer"])
    register_action("email_staff", gettext_lazy("Email staff (assignee, department, managers)"),
                    run=run_email_staff, validate=validate_email_staff, params=ACTION_PARAMS["email_staff"])
    register_action("create_task", gettext_lazy("Create a task"), run=run_create_task,
                    validate=validate_create_task, params=ACTION_PARAMS["create_task"])
