"""Follow-up tasks (/staff/tasks/): my tasks and my departments' tasks, filtered by status and due
date, marked done in place, and a form to create one."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from helpdesk.access import staff_required
from tickets import services
from tickets.exceptions import TicketError
from tickets.models import Task
from tickets.workspace import queries, queries_desk
from tickets.workspace.forms_desk import TaskForm

PAGE_SIZE = 50


def _choice(request: HttpRequest, name: str, allowed: tuple[str, ...], default: str) -> str:
    value = request.GET.get(name, default)
    return value if value in allowed else default


@staff_required
def task_list(request: HttpRequest) -> HttpResponse:
    scope = _choice(request, "scope", queries_desk.SCOPES, "all")
    status = _choice(request, "status", queries_desk.STATUS_FILTERS, "pending")
    due = _choice(request, "due", queries_desk.DUE_FILTERS + ("",), "")
    qs = queries_desk.task_list(user=request.user, scope=scope, status=status, due=due)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "scope": scope,
        "status": status,
        "due": due,
        "scopes": [("all", _("Mine and my departments'")), ("mine", _("Assigned to me")),
                   ("departments", _("My departments'"))],
        "statuses": [("pending", _("Not done")), ("open", _("Open")), ("in_progress", _("In progress")),
                     ("done", _("Done")), ("any", _("Any status"))],
        "dues": [("", _("Any time")), ("overdue", _("Overdue")), ("today", _("Due today")),
                 ("week", _("Due this week")), ("none", _("No due date"))],
        "task_statuses": Task.Status.choices,
        "now": timezone.now(),
        "nav": "tasks",
    }
    template = "tickets/tasks/task_list.html"
    if request.htmx and request.htmx.target == "task-results":
        template += "#results"
    response = render(request, template, context)
    patch_vary_headers(response, ("HX-Request",))  # the same URL serves the page and the fragment
    return response


@staff_required
@require_POST
def task_set_status(request: HttpRequest, pk: int) -> HttpResponse:
    task = queries_desk.get_task_for_staff(user=request.user, pk=pk)
    if task is None:
        raise Http404
    status = request.POST.get("status", Task.Status.DONE)
    try:
        task = services.set_task_status(task=task, status=status, actor=request.user)
    except TicketError as exc:
        messages.error(request, str(exc))
    else:
        if request.htmx:
            task = queries_desk.task_list(user=request.user, status="any").get(pk=task.pk)
            return render(
                request, "tickets/tasks/task_list.html#task-row", {"t": task, "now": timezone.now()}
            )
        messages.success(request, _("Task “%(title)s” is now %(status)s.")
                         % {"title": task.title, "status": task.get_status_display().lower()})
    next_url = request.POST.get("next", "")
    if next_url and url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        return redirect(next_url)
    return redirect("staff:task_list")


@staff_required
def task_create(request: HttpRequest) -> HttpResponse:
    initial = {"ticket": request.GET.get("ticket")}
    departments = list(request.user.departments.all()[:1])
    if departments:
        initial["department"] = departments[0]
    form = TaskForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        ticket = None
        if data["ticket"]:
            try:
                ticket = queries.get_ticket_for_agent(user=request.user, number=data["ticket"])
            except Http404:
                form.add_error("ticket", _("There is no ticket #%(n)s that you can see.") % {"n": data["ticket"]})
        if not form.errors:
            try:
                task = services.create_task(
                    title=data["title"], description=data["description"], actor=request.user, ticket=ticket,
                    assignee=data["assignee"], department=data["department"], due_at=data["due_at"],
                    priority=data["priority"],
                )
            except TicketError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, _("Task “%(title)s” created.") % {"title": task.title})
                return redirect("staff:task_list")
    return render(request, "tickets/tasks/task_form.html", {"form": form, "nav": "tasks"})
