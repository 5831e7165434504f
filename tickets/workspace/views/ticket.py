"""The ticket page /staff/tickets/<number>/ and its actions: reply or note, escalate, task,
properties, predefined-reply and KB pickers, presence pings and attachment downloads.

Every view gets its ticket through queries.get_ticket_for_agent (404 when not visible).
"""

from django.contrib import messages
from django.db import transaction
from django.http import FileResponse, HttpRequest, HttpResponse, JsonResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from helpdesk.access import staff_required
from tickets import services
from tickets.exceptions import AttachmentRejected, TicketError
from tickets.models import Department, PredefinedReply, Ticket, TicketMessage, TicketStatus
from tickets.notifications import services as notifications
from tickets.workspace import extensions, presence, queries, replies
from tickets.workspace.forms import (
    EscalationForm,
    PropertiesForm,
    QueueConfig,
    QueueFilterForm,
    ReplyForm,
    TaskForm,
    morning_query,
)
from tickets.workspace.views.queue import SESSION_QUERY_KEY, queue_config

TABS = ("conversation", "history")


def _all_departments() -> list[Department]:
    return list(Department.objects.filter(is_active=True).order_by("name"))


def _page(
    request: HttpRequest,
    ticket: Ticket,
    *,
    reply_form: ReplyForm | None = None,
    escalation_form: EscalationForm | None = None,
    task_form: TaskForm | None = None,
    status: int = 200,
) -> HttpResponse:
    user = request.user
    config = queue_config(user)
    departments = _all_departments()
    queries.attach_lookups([ticket], config.lookups(departments))
    tab = request.GET.get("tab", "conversation")
    tab = tab if tab in TABS else "conversation"
    is_member = queries.is_member_for(user=user, ticket=ticket)
    if reply_form is None:
        initial = {"status_after": TicketStatus.ANSWERED}
        use_reply = request.GET.get("use_reply", "")
        if use_reply.isdigit():
            reply = queries.predefined_replies_for(ticket=ticket).filter(pk=int(use_reply)).first()
            if reply is not None:
                initial.update(body=replies.render_reply(reply=reply, ticket=ticket, agent=user),
                               predefined_reply=reply.pk)
        reply_form = ReplyForm(initial=initial)
    context = {
        "nav": "tickets",
        "ticket": ticket,
        "tab": tab,
        "messages_list": queries.ticket_messages(ticket=ticket) if tab == "conversation" else [],
        "events": queries.ticket_events(ticket=ticket) if tab == "history" else [],
        "tasks": queries.ticket_tasks(ticket=ticket),
        "customer": queries.customer_context(user=user, ticket=ticket),
        "custom_values": list(ticket.custom_values.select_related("field").order_by("field__order")),
        "predefined_replies": list(queries.predefined_replies_for(ticket=ticket)[:50]),
        "reply_form": reply_form,
        "escalation_form": escalation_form or _escalation_form(ticket, config, departments),
        "is_member": is_member,
        "is_follower": queries.is_follower(user=user, ticket=ticket),
        "can_reply": is_member or ticket.department.followers_can_reply,
        "escalation": queries.ticket_escalation(ticket=ticket),
        # Why it may not close yet (a delivery return on its way): said before the agent tries.
        "close_blocker": services.close_blocker(ticket.pk) if ticket.closed_at is None else None,
        "task_form": task_form or TaskForm(config=config, all_departments=departments),
        "properties_form": PropertiesForm(
            initial={"status": ticket.status_id, "priority": ticket.priority_id, "service": ticket.service_id,
                     "assignee": ticket.assignee_id},
            config=config,
        ),
        "queue_url": f"{reverse('staff:ticket_list')}?{request.session.get(SESSION_QUERY_KEY, '')}",
        # Presence is filled by the first htmx ping right after load.
        "present": [],
        # Links and panels other apps plug in (callbacks): tickets.workspace.extensions.
        "extension_actions": extensions.ticket_actions(),
        "extension_panels": extensions.ticket_panels(user=user, ticket=ticket),
    }
    template = "tickets/ticket_detail.html"
    if request.htmx and request.htmx.target == "tab-body":
        template += "#tab-body"
    return render(request, template, context, status=status)


def _escalation_form(
    ticket: Ticket, config: QueueConfig, departments: list[Department], data: QueryDict | None = None
) -> EscalationForm:
    return EscalationForm(
        data, config=config, all_departments=departments,
        members_by_department=queries.department_members(departments=departments),
        current_department_id=ticket.department_id,
    )


def _member_only(request: HttpRequest, ticket: Ticket) -> HttpResponse | None:
    """Refuse a change to a ticket the agent only follows (read and reply only)."""
    if queries.is_member_for(user=request.user, ticket=ticket):
        return None
    messages.error(request, _("You follow this ticket: only its department's staff can change it."))
    return redirect(ticket)


def _neighbours(request: HttpRequest, ticket: Ticket, config: QueueConfig) -> tuple[int | None, int | None]:
    """Return the previous and next ticket of the queue the agent came from (for j/k)."""
    raw = request.session.get(SESSION_QUERY_KEY)
    query = QueryDict(raw) if raw is not None else morning_query()
    filters = QueueFilterForm(query, config=config).to_filter()
    return queries.queue_neighbours(
        user=request.user, filters=filters, ticket=ticket, open_status_ids=config.open_status_ids,
        department_ids=config.department_ids,
    )


@staff_required
@require_GET
def step(request: HttpRequest, number: int, direction: str) -> HttpResponse:
    """Go to the previous or next ticket of the queue the agent came from (j/k), or back to it."""
    ticket = queries.get_ticket_for_agent(user=request.user, number=number)
    prev_number, next_number = _neighbours(request, ticket, queue_config(request.user))
    target = next_number if direction == "next" else prev_number
    if target is None:
        messages.info(request, _("That was the last ticket of your queue.") if direction == "next"
                      else _("That was the first ticket of your queue."))
        return redirect(f"{reverse('staff:ticket_list')}?{request.session.get(SESSION_QUERY_KEY, '')}")
    return redirect("staff:ticket_detail", number=target)


@staff_required
def ticket_detail(request: HttpRequest, number: int) -> HttpResponse:
    ticket = queries.get_ticket_for_agent(user=request.user, number=number)
    if ticket.merged_into_id and queries.can_see_ticket(user=request.user, ticket=ticket.merged_into):
        messages.info(request, _("Ticket #%(n)s was merged into this one.") % {"n": ticket.pk})
        return redirect(ticket.merged_into)
    notifications.mark_ticket_read(user=request.user, ticket_id=ticket.pk)
    return _page(request, ticket)


def _uploaded_attachments(request: HttpRequest) -> list[services.NewAttachment]:
    """Check every uploaded file against the policy first, so one bad file sends nothing."""
    files = request.FILES.getlist("attachments")
    for f in files:
        services.check_attachment(name=f.name, size=f.size)
    return [services.NewAttachment(name=f.name, content=f, content_type=f.content_type or "") for f in files]


@staff_required
@require_POST
def reply(request: HttpRequest, number: int) -> HttpResponse:
    """Send a public reply (emailed to the customer) or add an internal note, then set the status."""
    ticket = queries.get_ticket_for_agent(user=request.user, number=number)
    if not queries.is_member_for(user=request.user, ticket=ticket) and not ticket.department.followers_can_reply:
        messages.error(request, _("Followers cannot reply on %(dept)s tickets; ask its team.")
                       % {"dept": ticket.department})
        return redirect(ticket)
    form = ReplyForm(request.POST)
    if not form.is_valid():
        return _page(request, ticket, reply_form=form, status=400)
    data = form.cleaned_data
    internal = data["internal"]
    slug = data.get("status_after") or (TicketStatus.ANSWERED if not internal else "")
    if internal and slug == TicketStatus.ANSWERED:
        slug = ""  # a note answers nobody
    status_after = services.closed_status() if slug == TicketStatus.CLOSED else (
        services.status_by_slug(slug) if slug else None
    )
    try:
        attachments = _uploaded_attachments(request)
        sent = services.add_reply(
            ticket=ticket,
            body_text=data["body"],
            kind=TicketMessage.Kind.NOTE if internal else TicketMessage.Kind.STAFF,
            author=request.user,
            status_after=status_after,
            attachments=attachments,
        )
    except TicketError as exc:
        form.add_error("body" if not isinstance(exc, AttachmentRejected) else None, str(exc))
        return _page(request, ticket, reply_form=form, status=400)
    if data.get("predefined_reply"):
        used = PredefinedReply.objects.filter(pk=data["predefined_reply"]).first()
        if used is not None:
            services.count_predefined_reply_use(reply=used, message=None if internal else sent)
    presence.touch(ticket_id=ticket.pk, user_id=request.user.pk, name=request.user.get_full_name(), typing=False)
    messages.success(request, _("Internal note added.") if internal else _("Reply sent to the customer."))
    return redirect(ticket)


@staff_required
@require_POST
def escalate(request: HttpRequest, number: int) -> HttpResponse:
    """Escalate: department and/or one of its agents and/or priority, the status afterwards and
    the major flag, in one step with a required note. The agent keeps following the ticket."""
    ticket = queries.get_ticket_for_agent(user=request.user, number=number)
    if (refused := _member_only(request, ticket)) is not None:
        return refused
    config = queue_config(request.user)
    departments = _all_departments()
    form = _escalation_form(ticket, config, departments, request.POST)
    if not form.is_valid():
        return _page(request, ticket, escalation_form=form, status=400)
    data = form.cleaned_data
    department = next((d for d in departments if d.pk == data["department"]), None)
    assignee = next((u for u in config.staff if u.pk == data["assignee"]), None)
    priority = next((p for p in config.priorities if p.pk == data["priority"]), None)
    status = services.status_by_slug(data["status_after"]) if data.get("status_after") else None
    try:
        ticket = services.escalate(
            ticket=ticket, actor=request.user, note=data["note"], department=department, assignee=assignee,
            priority=priority, status=status, is_major=data["major"],
        )
    except TicketError as exc:
        form.add_error(None, str(exc))
        return _page(request, ticket, escalation_form=form, status=400)
    if not queries.is_member_for(user=request.user, ticket=ticket):
        messages.success(
            request,
            _("Ticket #%(n)s escalated to %(dept)s; it has left your queue. You follow it: "
              "find it under “Tickets I follow”.")
            % {"n": ticket.pk, "dept": ticket.department},
        )
        return redirect("staff:ticket_list")
    messages.success(request, _("Ticket escalated."))
    return redirect(ticket)


@staff_required
@require_GET
def escalation_assignees(request: HttpRequest, number: int) -> HttpResponse:
    """The escalation form's assignee options for the chosen department (htmx)."""
    ticket = queries.get_ticket_for_agent(user=request.user, number=number)
    form = _escalation_form(ticket, queue_config(request.user), _all_departments(), request.GET)
    return render(request, "tickets/ticket_detail.html#escalation-assignees",
                  {"ticket": ticket, "escalation_form": form})


@staff_required
@require_POST
def follow(request: HttpRequest, number: int) -> HttpResponse:
    """Follow or stop following a ticket (POST `stop=1` to stop)."""
    ticket = queries.get_ticket_for_agent(user=request.user, number=number)
    if request.POST.get("stop"):
        services.unfollow_ticket(ticket=ticket, user=request.user)
        messages.success(request, _("You no longer follow this ticket."))
        if not queries.can_see_ticket(user=request.user, ticket=ticket):
            return redirect("staff:ticket_list")
    else:
        services.follow_ticket(ticket=ticket, user=request.user)
        messages.success(request, _("You follow this ticket: you are told of replies and status changes."))
    return redirect(ticket)


@staff_required
@require_POST
def create_task(request: HttpRequest, number: int) -> HttpResponse:
    """Create a follow-up task linked to this ticket."""
    ticket = queries.get_ticket_for_agent(user=request.user, number=number)
    if (refused := _member_only(request, ticket)) is not None:
        return refused
    config = queue_config(request.user)
    departments = _all_departments()
    form = TaskForm(request.POST, config=config, all_departments=departments)
    if not form.is_valid():
        return _page(request, ticket, task_form=form, status=400)
    data = form.cleaned_data
    try:
        services.create_task(
            title=data["title"], description=data["description"], actor=request.user, ticket=ticket,
            department=next((d for d in departments if d.pk == data["department"]), None),
            assignee=next((u for u in config.staff if u.pk == data["assignee"]), None),
            due_at=data["due_at"],
        )
    except TicketError as exc:
        form.add_error(None, str(exc))
        return _page(request, ticket, task_form=form, status=400)
    messages.success(request, _("Task created."))
    return redirect(ticket)


@staff_required
@require_POST
def update_properties(request: HttpRequest, number: int) -> HttpResponse:
    """Change status, priority, service or assignee, each through its service."""
    ticket = queries.get_ticket_for_agent(user=request.user, number=number)
    if (refused := _member_only(request, ticket)) is not None:
        return refused
    config = queue_config(request.user)
    form = PropertiesForm(request.POST, config=config)
    if not form.is_valid():
        messages.error(request, _("Choose valid values."))
        return redirect(ticket)
    data = form.cleaned_data
    user = request.user
    status = next(s for s in config.statuses if s.pk == data["status"])
    priority = next(p for p in config.priorities if p.pk == data["priority"])
    service = next((s for s in config.services if s.pk == data["service"]), None)
    assignee = next((u for u in config.staff if u.pk == data["assignee"]), None)
    try:
        with transaction.atomic():  # all or nothing: a refused close leaves every field as it was
            services.change_priority(ticket=ticket, priority=priority, actor=user)
            services.change_service(ticket=ticket, service=service, actor=user)
            services.assign(ticket=ticket, assignee=assignee, actor=user)
            services.change_status(ticket=ticket, status=status, actor=user)
    except TicketError as exc:
        messages.error(request, str(exc))
        return redirect(ticket)
    messages.success(request, _("Ticket updated."))
    return redirect(ticket)


@staff_required
@require_GET
def predefined_reply_text(request: HttpRequest, number: int, reply_id: int) -> JsonResponse:
    """Return a predefined reply with its merge fields filled for this ticket and agent."""
    ticket = queries.get_ticket_for_agent(user=request.user, number=number)
    reply_obj = queries.predefined_replies_for(ticket=ticket).filter(pk=reply_id).first()
    if reply_obj is None:
        return JsonResponse({"error": _("This predefined reply is not available.")}, status=404)
    return JsonResponse(
        {"id": reply_obj.pk, "title": reply_obj.title,
         "text": replies.render_reply(reply=reply_obj, ticket=ticket, agent=request.user)}
    )


def _kb_hits(query: str) -> list:
    """Search the knowledge base when the kb app provides its search; [] until then."""
    try:
        from kb.search import search_articles
    except ImportError:
        return []
    try:
        return list(search_articles(query, include_staff_only=False, limit=8))
    except Exception:  # the picker must never break the ticket page
        return []


@staff_required
@require_GET
def pickers(request: HttpRequest, number: int) -> HttpResponse:
    """The reply box's search: predefined replies and KB articles matching `q` (a partial)."""
    ticket = queries.get_ticket_for_agent(user=request.user, number=number)
    query = request.GET.get("q", "").strip()[:100]
    found = list(queries.predefined_replies_for(ticket=ticket, query=query)[:8])
    kb_hits = _kb_hits(query) if len(query) >= 2 else []
    return render(request, "tickets/ticket_detail.html#picker-results",
                  {"ticket": ticket, "found_replies": found, "kb_hits": kb_hits, "picker_q": query})


@staff_required
@require_POST
def presence_ping(request: HttpRequest, number: int) -> HttpResponse:
    """Record that the agent is on this ticket (typing or not) and show who else is."""
    ticket = queries.get_ticket_for_agent(user=request.user, number=number)
    presence.touch(
        ticket_id=ticket.pk, user_id=request.user.pk, name=request.user.get_full_name(),
        typing=request.POST.get("typing") in ("1", "true"), leaving=request.POST.get("leaving") == "1",
    )
    return render(request, "tickets/ticket_detail.html#presence",
                  {"ticket": ticket, "present": presence.others(ticket_id=ticket.pk, user_id=request.user.pk)})


INLINE_IMAGE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})


@staff_required
@require_GET
def download_attachment(request: HttpRequest, attachment_id: int) -> FileResponse:
    """Stream an attachment to staff who may see its ticket (404 for everyone else)."""
    attachment = queries.get_attachment_for_agent(user=request.user, attachment_id=attachment_id)
    # Only raster images may show inline; HTML, SVG (scriptable) and everything else download.
    inline = attachment.content_type.lower() in INLINE_IMAGE_TYPES and request.GET.get("inline") == "1"
    response = FileResponse(
        attachment.file.open("rb"), as_attachment=not inline, filename=attachment.original_name,
        content_type=attachment.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
