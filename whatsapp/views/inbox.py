"""The agent's WhatsApp inbox under /staff/whatsapp/: the conversation list, a conversation with
its history and reply box, templates outside the window, quick replies, assignment, closing,
and Workflow 5 (ticket from selected messages). Every view gets its conversation through
queries.get_conversation_for_agent (404 when not visible)."""

import re

from django.contrib import messages
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from crm.models import User
from helpdesk.access import staff_required
from tickets.exceptions import TicketError
from tickets.models import Ticket
from tickets.workspace.queries import CustomerContext, customer_context
from whatsapp import conversations, queries, sending
from whatsapp.forms import ReplyForm, TemplateForm, TicketForm
from whatsapp.models import Conversation, QuickReply

_SLASH = re.compile(r"(^|\s)/([\w-]*)$")
INLINE_TYPES = {"image/jpeg", "image/png", "image/webp", "image/gif"}


def _slash_term(body: str) -> str | None:
    """Return the keyword after a '/' at the end of the reply box, or None if there is none."""
    match = _SLASH.search(body or "")
    return match.group(2) if match else None


def _filters(request: HttpRequest) -> queries.ListFilter:
    department = request.GET.get("department", "")
    return queries.ListFilter(
        view=request.GET.get("view", "all") if request.GET.get("view") in ("mine", "unassigned") else "all",
        status=request.GET.get("status", "open") if request.GET.get("status") in ("open", "closed", "all") else "open",
        department=int(department) if department.isdigit() else None,
        q=request.GET.get("q", "")[:100],
    )


@staff_required
@require_GET
def inbox(request: HttpRequest) -> HttpResponse:
    """The conversation list; htmx asks for the next page's rows only."""
    filters = _filters(request)
    page = queries.conversation_list(user=request.user, filters=filters, cursor=request.GET.get("cursor", ""))
    params = request.GET.copy()
    params.pop("cursor", None)
    context = {"nav": "whatsapp", "page": page, "filters": filters, "query": params.urlencode(),
               "departments": queries.departments_for(user=request.user)}
    if request.htmx and request.GET.get("cursor"):
        return render(request, "whatsapp/inbox.html#rows", context)
    return render(request, "whatsapp/inbox.html", context)


def _customer(user: User, conversation: Conversation) -> CustomerContext | None:
    contact = conversation.contact
    if contact is None:
        return None
    # The ticket page's panel, for the contact this number belongs to (an unsaved ticket as the key).
    probe = Ticket(client=contact.client, contact=contact, requester_email=contact.email)
    return customer_context(user=user, ticket=probe)


def _page(request: HttpRequest, conversation: Conversation, *, reply_form: ReplyForm | None = None,
          status: int = 200) -> HttpResponse:
    now = timezone.now()
    context = {
        "nav": "whatsapp",
        "conversation": conversation,
        "history": queries.conversation_messages(conversation=conversation),
        "customer": _customer(request.user, conversation),
        "window_open": conversation.window_open(now),
        "window_seconds": int((conversation.window_ends_at - now).total_seconds()) if conversation.window_open(now)
        else 0,
        "reply_form": reply_form or ReplyForm(),
        "templates": queries.approved_templates(),
        "agents": queries.agents_for(conversation=conversation),
        "ticket_form": TicketForm(initial={"subject": conversations.default_subject(conversation),
                                           "department": conversation.department_id}),
        "ticket_closed": bool(conversation.ticket_id and conversation.ticket.closed_at
                              and conversation.status == Conversation.Status.OPEN),
    }
    return render(request, "whatsapp/conversation.html", context, status=status)


@staff_required
@require_GET
def conversation_detail(request: HttpRequest, pk: int) -> HttpResponse:
    conversation = queries.get_conversation_for_agent(user=request.user, pk=pk)
    conversations.mark_read(conversation=conversation)
    if request.htmx and request.GET.get("part") == "history":
        history = queries.conversation_messages(conversation=conversation)
        return render(request, "whatsapp/conversation.html#history", {"conversation": conversation, "history": history})
    return _page(request, conversation)


@staff_required
@require_POST
def reply(request: HttpRequest, pk: int) -> HttpResponse:
    conversation = queries.get_conversation_for_agent(user=request.user, pk=pk)
    form = ReplyForm(request.POST, request.FILES)
    if not form.is_valid():
        return _page(request, conversation, reply_form=form, status=400)
    upload = form.cleaned_data.get("attachment")
    attachment = (upload.name, upload.read(), upload.content_type) if upload else None
    try:
        sending.send_text(conversation=conversation, body=form.cleaned_data["body"], agent=request.user,
                          attachment=attachment)
    except (sending.WindowClosed, sending.SendError) as exc:
        messages.error(request, str(exc))
        return _page(request, conversation, reply_form=form, status=400)
    return redirect(conversation.get_absolute_url())


@staff_required
@require_POST
def send_template(request: HttpRequest, pk: int) -> HttpResponse:
    conversation = queries.get_conversation_for_agent(user=request.user, pk=pk)
    form = TemplateForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose an approved template."))
        return redirect(conversation.get_absolute_url())
    try:
        sending.send_template(conversation=conversation, template=form.cleaned_data["template"],
                              params=form.params(request.POST), agent=request.user)
    except sending.SendError as exc:
        messages.error(request, str(exc))
    return redirect(conversation.get_absolute_url())


@staff_required
@require_GET
def quick_replies(request: HttpRequest, pk: int) -> HttpResponse:
    """The replies matching what follows '/' in the reply box (htmx fragment)."""
    conversation = queries.get_conversation_for_agent(user=request.user, pk=pk)
    term = _slash_term(request.GET.get("body", ""))
    if term is None and "q" in request.GET:
        term = request.GET["q"]
    found = queries.quick_replies(term=term) if term is not None else []
    return render(request, "whatsapp/conversation.html#quick-replies",
                  {"conversation": conversation, "quick_replies": found})


@staff_required
@require_POST
def use_quick_reply(request: HttpRequest, pk: int, reply_pk: int) -> HttpResponse:
    """Count the use and return the filled-in text into the reply box (editable before sending)."""
    conversation = queries.get_conversation_for_agent(user=request.user, pk=pk)
    reply = QuickReply.objects.filter(pk=reply_pk, is_active=True).first()
    if reply is None:
        return HttpResponse(status=404)
    text = conversations.use_quick_reply(reply=reply, conversation=conversation, agent=request.user)
    typed = request.POST.get("body", "")
    if _slash_term(typed) is not None:  # the reply takes the place of the "/keyword" typed
        typed = _SLASH.sub("", typed)
        text = f"{typed} {text}".strip() if typed.strip() else text
    return render(request, "whatsapp/conversation.html#reply-body", {"conversation": conversation, "body": text})


@staff_required
@require_POST
def assign(request: HttpRequest, pk: int) -> HttpResponse:
    conversation = queries.get_conversation_for_agent(user=request.user, pk=pk)
    value = request.POST.get("assignee", "")
    if value == "me":
        assignee = request.user
    elif value.isdigit():
        assignee = queries.agents_for(conversation=conversation).filter(pk=int(value)).first()
    else:
        assignee = None
    conversations.assign(conversation=conversation, assignee=assignee)
    return redirect(conversation.get_absolute_url())


@staff_required
@require_POST
def change_status(request: HttpRequest, pk: int) -> HttpResponse:
    conversation = queries.get_conversation_for_agent(user=request.user, pk=pk)
    status = request.POST.get("status", "")
    if status in Conversation.Status.values:
        conversations.set_status(conversation=conversation, status=status, actor=request.user)
    return redirect(conversation.get_absolute_url())


@staff_required
@require_POST
def create_ticket(request: HttpRequest, pk: int) -> HttpResponse:
    """Workflow 5: a ticket from the selected messages, linked to the conversation."""
    conversation = queries.get_conversation_for_agent(user=request.user, pk=pk)
    choices = [(m.pk, str(m.pk)) for m in queries.conversation_messages(conversation=conversation)]
    form = TicketForm(request.POST, message_choices=choices)
    if not form.is_valid():
        messages.error(request, _("Fill in the subject and department and select at least one message."))
        return redirect(conversation.get_absolute_url())
    try:
        ticket = conversations.open_ticket_from_conversation(
            conversation=conversation, subject=form.cleaned_data["subject"],
            department=form.cleaned_data["department"], priority=form.cleaned_data["priority"],
            message_ids=form.cleaned_data["messages"], agent=request.user)
    except TicketError as exc:
        messages.error(request, str(exc))
        return redirect(conversation.get_absolute_url())
    messages.success(request, _("Ticket #%(n)s opened from the conversation.") % {"n": ticket.pk})
    return redirect(ticket.get_absolute_url())


@staff_required
@require_GET
def media_file(request: HttpRequest, pk: int) -> FileResponse:
    media = queries.media_for_agent(user=request.user, pk=pk)
    if not media.file:
        return HttpResponse(status=404)
    # Raster images, sound and video show in the page; anything else (SVG, PDF...) downloads.
    inline = media.mime_type in INLINE_TYPES or media.mime_type.startswith(("audio/", "video/"))
    response = FileResponse(media.file.open("rb"), content_type=media.mime_type or "application/octet-stream",
                            as_attachment=not inline, filename=media.filename or "file")
    response["X-Content-Type-Options"] = "nosniff"
    return response
