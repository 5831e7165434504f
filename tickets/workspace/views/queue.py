"""The agent queue: /staff/tickets/ with its filters, the rows partial (htmx polling) and bulk actions."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from helpdesk.access import staff_required
from tickets import services
from tickets.exceptions import TicketError
from tickets.labels import label
from tickets.models import Department, Priority, QueuePreference, Service, Ticket, TicketStatus
from tickets.models.workspace import QUEUE_COLUMNS
from tickets.workspace import extensions, queries
from tickets.workspace.forms import BulkActionForm, QueueConfig, QueueFilterForm, morning_query
from tickets.workspace.templatetags import row_cells

PAGING_KEYS = ("after", "before")
SESSION_QUERY_KEY = "queue_query"


def queue_config(user: object) -> QueueConfig:
    """Load the pickers of the queue once (statuses, departments, priorities, services, staff)."""
    return QueueConfig(
        statuses=list(TicketStatus.objects.order_by("order", "name")),
        departments=queries.departments_for(user=user),
        priorities=list(Priority.objects.order_by("-level")),
        services=list(Service.objects.filter(is_active=True).order_by("order", "name")),
        staff=list(queries.staff_members()),
    )


def _filter_query(data: QueryDict) -> QueryDict:
    query = data.copy()
    for key in PAGING_KEYS:
        query.pop(key, None)
    return query


def effective_query(request: HttpRequest, layout: queries.QueueLayout) -> tuple[QueryDict, str]:
    """Return the filter query of this request and where it came from: 'url', 'saved' or 'morning'."""
    query = _filter_query(request.GET)
    if query:
        return query, "url"
    if layout.default_query:
        return QueryDict(layout.default_query), "saved"
    return morning_query(), "morning"


def _without(query: QueryDict, key: str, value: str | None = None) -> str:
    """Return the query string without `key` (or without one of its values); never empty."""
    rest = query.copy()
    if value is None:
        rest.pop(key, None)
    else:
        rest.setlist(key, [v for v in rest.getlist(key) if v != value])
    return rest.urlencode() or "view=all"


def filter_chips(form: QueueFilterForm, query: QueryDict, config: QueueConfig, client: object) -> list[dict]:
    """Return the active filters as chips (label, the address without it): the queue's one-line summary."""
    data = form.cleaned_data if form.is_bound and hasattr(form, "cleaned_data") else {}
    chips: list[dict] = []
    by_slug = {s.slug: s for s in config.statuses}
    for slug in query.getlist("status"):
        if slug in by_slug:
            chips.append({"label": label(by_slug[slug].name), "colour": by_slug[slug].colour, "key": "status",
                          "href": _without(query, "status", slug)})

    def add(key: str, text: str) -> None:
        chips.append({"label": f"{form.fields[key].label}: {text}", "key": key, "href": _without(query, key)})

    picked = {
        "department": {d.pk: label(d.name) for d in config.departments},
        "priority": {p.pk: label(p.name) for p in config.priorities},
        "service": {s.pk: label(s.name) for s in config.services},
    }
    for key, names in picked.items():
        if data.get(key) in names:
            add(key, names[data[key]])
    assignee = data.get("assignee")
    if assignee and assignee != "anyone":
        add("assignee", dict(form.fields["assignee"].choices).get(assignee, assignee))
    if data.get("channel"):
        add("channel", dict(form.fields["channel"].choices).get(data["channel"], data["channel"]))
    if client is not None:
        add("client", client.name)
    for key in ("created_from", "created_to"):
        if data.get(key):
            add(key, data[key].isoformat())
    for key in ("no_reply", "breached", "due_soon", "following"):
        if data.get(key):
            chips.append({"label": str(form.fields[key].label), "key": key, "href": _without(query, key)})
    if data.get("q"):
        chips.append({"label": f"\u201c{data['q']}\u201d", "key": "q", "href": _without(query, "q")})
    return chips


def _columns(layout: queries.QueueLayout) -> list[tuple[str, str]]:
    """Return the table's optional column headers (key, label) in order, as the agent chose them."""
    labels = dict(QUEUE_COLUMNS)
    return [(key, str(labels[key])) for key in row_cells(layout.columns, layout.compact)]


def ignored_filters(form: QueueFilterForm, query: QueryDict) -> list[str]:
    """Say which filters in the address were ignored and why (an invalid value filters nothing)."""
    notes = []
    for name in form.errors:
        if not query.get(name):
            continue
        if name == "department":
            notes.append(_("The department filter was ignored: it is not one of your departments."))
        else:
            notes.append(_("The filter “%(label)s” was ignored: its value is not valid.")
                         % {"label": form.fields[name].label})
    return notes


@staff_required
def ticket_list(request: HttpRequest) -> HttpResponse:
    config = queue_config(request.user)
    layout = queries.queue_layout(user=request.user)
    query, source = effective_query(request, layout)
    form = QueueFilterForm(query, config=config)
    filters = form.to_filter()
    page = queries.queue_page(
        user=request.user,
        filters=filters,
        after=request.GET.get("after", ""),
        before=request.GET.get("before", ""),
        open_status_ids=config.open_status_ids,
        department_ids=config.department_ids,
        lookups=config.lookups(),
        count_cap=queries.RESULT_COUNT_CAP,
    )
    query_string = query.urlencode()
    if request.session.get(SESSION_QUERY_KEY) != query_string:
        request.session[SESSION_QUERY_KEY] = query_string
    counts = queries.cached_status_counts(user=request.user, department_ids=config.department_ids)
    client = None
    if filters.client:
        from crm.models import Client

        client = Client.objects.filter(pk=filters.client).only("pk", "name").first()
    context = {
        "nav": "tickets",
        "form": form,
        "filters": filters,
        "page": page,
        "config": config,
        "status_rows": [(s, counts.get(s.pk, 0)) for s in config.statuses],
        "count_cap": queries.STATUS_COUNT_CAP,
        "query_string": query_string,
        "query_source": source,
        "selected_status_slugs": set(query.getlist("status")),
        "morning_query": morning_query().urlencode(),
        "client_filter": client,
        "bulk_actions": BulkActionForm.ACTIONS,
        "current_url": request.get_full_path(),
        "ticket_base": reverse("staff:ticket_list"),
        "ignored_filters": ignored_filters(form, query),
        "chips": filter_chips(form, query, config, client),
        "layout": layout,
        "columns": _columns(layout),
        "all_columns": QUEUE_COLUMNS,
        "densities": QueuePreference.Density.choices,
        "result_cap": queries.RESULT_COUNT_CAP,
    }
    template = "tickets/ticket_list.html"
    if request.htmx and not request.htmx.boosted:
        template += "#rows-refresh"
    else:
        context["extension_panels"] = extensions.queue_panels(user=request.user)
    return render(request, template, context)


@staff_required
@require_POST
def save_layout(request: HttpRequest) -> HttpResponse:
    """Save how the agent's queue looks: comfortable or compact rows, and which columns show."""
    services.save_queue_layout(user=request.user, density=request.POST.get("density", ""),
                               columns=request.POST.getlist("columns"))
    return redirect(_back(request))


@staff_required
@require_POST
def save_default_view(request: HttpRequest) -> HttpResponse:
    """Save the queue filter the agent is looking at as their own default (or reset it)."""
    query = "" if request.POST.get("reset") else _filter_query(QueryDict(request.POST.get("query", ""))).urlencode()
    services.save_queue_default(user=request.user, query=query)
    if query:
        messages.success(request, _("Your default queue view is saved."))
    else:
        messages.success(request, _("Your default view is the morning routine again."))
    return redirect(f"{reverse('staff:ticket_list')}?{query}" if query else reverse("staff:ticket_list"))


def _back(request: HttpRequest) -> str:
    target = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(target, {request.get_host()}):
        return target
    return reverse("staff:ticket_list")


@staff_required
@require_POST
def bulk_action(request: HttpRequest) -> HttpResponse:
    """Apply one action to the selected tickets the agent may see, each through its service."""
    form = BulkActionForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect(_back(request))
    ids = form.cleaned_data["ticket"]
    tickets = list(
        queries.workable_tickets(user=request.user).filter(pk__in=ids).select_related("status", "priority")
        .order_by("created_at", "id")
    )
    if not tickets:
        messages.error(request, _("None of the selected tickets can be changed by you."))
        return redirect(_back(request))
    action = form.cleaned_data["action"]
    user = request.user
    skipped: dict[int, str] = {}
    try:
        done = _apply_bulk(action, form.cleaned_data, tickets, user, skipped=skipped)
    except TicketError as exc:
        messages.error(request, str(exc))
        return redirect(_back(request))
    except (ValueError, LookupError):
        messages.error(request, _("Choose a value for this action."))
        return redirect(_back(request))
    _report_bulk(request, selected=len(ids), allowed=len(tickets) - len(skipped), changed=done)
    if skipped:
        messages.warning(request, ngettext(
            "%(n)d ticket was left open: %(why)s", "%(n)d tickets were left open: %(why)s", len(skipped)) % {
            "n": len(skipped), "why": "; ".join(f"#{number}: {why}" for number, why in sorted(skipped.items()))})
    return redirect(_back(request))


def _report_bulk(request: HttpRequest, *, selected: int, allowed: int, changed: int) -> None:
    """Say what a bulk action did: how many changed, how many already were so, how many were not yours."""
    unchanged = allowed - changed
    refused = selected - allowed
    if changed == 0 and allowed:
        messages.info(request, ngettext(
            "Nothing changed: the selected ticket already had that value.",
            "Nothing changed: the %(n)d selected tickets already had that value.", allowed) % {"n": allowed})
    else:
        text = ngettext("%(n)d ticket updated.", "%(n)d tickets updated.", changed) % {"n": changed}
        if unchanged:
            text += " " + ngettext("%(n)d already had that value.", "%(n)d already had that value.",
                                   unchanged) % {"n": unchanged}
        messages.success(request, text)
    if refused:
        messages.warning(request, ngettext(
            "%(n)d selected ticket is not in your departments and was left alone.",
            "%(n)d selected tickets are not in your departments and were left alone.", refused) % {"n": refused})


def _closable(tickets: list[Ticket], skipped: dict[int, str]) -> list[Ticket]:
    """Leave out the tickets that must stay open (close guards: one query for the lot), noting why."""
    blocked = services.close_blockers(t.pk for t in tickets)
    skipped.update(blocked)
    return [t for t in tickets if t.pk not in blocked]


def _apply_bulk(action: str, data: dict, tickets: list[Ticket], user: object, *, skipped: dict[int, str]) -> int:
    """Apply the action to each ticket; return how many tickets it changed. Tickets that may not
    close now are left alone and listed in `skipped` with the reason."""
    if action == "merge":
        if len(tickets) < 2:
            raise TicketError(_("Select at least two tickets to merge."))
        target, *sources = tickets
        services.merge_tickets(target=target, sources=sources, actor=user)
        return len(tickets)
    if action == "close":
        todo = _closable([t for t in tickets if t.closed_at is None], skipped)
        for ticket in todo:
            services.close_ticket(ticket=ticket, actor=user)
        return len(todo)
    if action == "assign":
        raw = data["assignee"]
        assignee = None if raw in ("", "none") else (
            user if raw == "me" else queries.staff_members().get(pk=int(raw))
        )
        todo = [t for t in tickets if t.assignee_id != getattr(assignee, "pk", None)]
        for ticket in todo:
            services.assign(ticket=ticket, assignee=assignee, actor=user)
        return len(todo)
    if action == "status":
        status = TicketStatus.objects.get(slug=data["status"])
        todo = [t for t in tickets if t.status_id != status.pk]
        if status.is_closed:
            todo = [t for t in todo if t.closed_at is not None] + _closable(
                [t for t in todo if t.closed_at is None], skipped)
        for ticket in todo:
            services.change_status(ticket=ticket, status=status, actor=user)
        return len(todo)
    if action == "priority":
        priority = Priority.objects.get(pk=int(data["priority"]))
        todo = [t for t in tickets if t.priority_id != priority.pk]
        for ticket in todo:
            services.change_priority(ticket=ticket, priority=priority, actor=user)
        return len(todo)
    if action == "department":
        department = Department.objects.get(pk=int(data["department"]), is_active=True)
        todo = [t for t in tickets if t.department_id != department.pk]
        for ticket in todo:
            services.change_department(ticket=ticket, department=department, actor=user)
        return len(todo)
    raise TicketError(_("Unknown action."))
