"""Manual tickets (/staff/tickets/new/): an agent types in a phone call or a WhatsApp chat.

The customer is picked from a searchable list of contacts (htmx search; without JavaScript the
"Find" button reloads the form with the results) or typed as a name and email. Custom fields and
attachments are validated by the services; their errors come back on the fields, the text stays.
"""

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from crm import queries as crm_queries
from helpdesk.access import staff_required
from tickets import services
from tickets.custom_fields import clean_values
from tickets.exceptions import AttachmentRejected, CustomFieldError, TicketError
from tickets.workspace import queries, queries_desk
from tickets.workspace.forms_desk import CUSTOM_PREFIX, NewTicketForm

SIMPLE_INITIAL = ("requester_name", "requester_email", "department", "channel", "priority", "service", "subject",
                  "description")


def _contact_results(request: HttpRequest) -> tuple[str, list]:
    q = request.GET.get("customer_q", "").strip()[:100]
    if q:
        return q, crm_queries.search_contacts(q=q)
    if request.GET.get("client"):
        return q, crm_queries.client_contacts_for_picker(client_id=request.GET["client"])
    return q, []


@staff_required
def contact_search(request: HttpRequest) -> HttpResponse:
    """Return the picker's result list (the htmx search over contacts)."""
    q, results = _contact_results(request)
    return render(request, "tickets/new_ticket.html#contact-results", {"customer_q": q, "results": results})


def _map_custom_errors(form: NewTicketForm, exc: CustomFieldError) -> None:
    for slug, message in exc.errors.items():
        name = CUSTOM_PREFIX + slug
        form.add_error(name if name in form.fields else None, message)


def _check_attachments(form: NewTicketForm) -> bool:
    ok = True
    for upload in form.cleaned_data["attachments"]:
        try:
            services.check_attachment(name=upload.name, size=upload.size)
        except AttachmentRejected as exc:
            form.add_error("attachments", str(exc))
            ok = False
    if not ok:
        # Say everything that is wrong in one go: the custom fields too.
        try:
            clean_values(form.custom_fields, form.custom_values())
        except CustomFieldError as exc:
            _map_custom_errors(form, exc)
    return ok


def _open(request: HttpRequest, form: NewTicketForm) -> object | None:
    data = form.cleaned_data
    contact = data["contact"] or crm_queries.contact_by_email(email=data["requester_email"])
    try:
        return services.open_ticket(
            subject=data["subject"],
            body_text=data["description"],
            department=data["department"],
            channel=data["channel"],
            contact=contact,
            requester_name="" if contact else data["requester_name"],
            requester_email="" if contact else data["requester_email"],
            priority=data["priority"],
            service=data["service"],
            assignee=request.user if data["assign_to_me"] else None,
            custom_values=form.custom_values(),
            attachments=[
                services.NewAttachment(name=f.name, content=f, content_type=f.content_type or "")
                for f in data["attachments"]
            ],
            actor=request.user,
        )
    except CustomFieldError as exc:
        _map_custom_errors(form, exc)
    except TicketError as exc:
        form.add_error(None, str(exc))
    return None


@staff_required
def new_ticket(request: HttpRequest) -> HttpResponse:
    custom_fields = queries_desk.active_custom_fields()
    customer_q, results = "", []
    if request.method == "POST":
        form = NewTicketForm(request.POST, request.FILES, custom_fields=custom_fields)
        if form.is_valid() and _check_attachments(form):
            ticket = _open(request, form)
            if ticket is not None:
                messages.success(
                    request, _("Ticket #%(n)s “%(subject)s” created.") % {"n": ticket.pk, "subject": ticket.subject}
                )
                if queries.can_see_ticket(user=request.user, ticket=ticket):
                    return redirect(ticket.get_absolute_url())
                messages.info(request, _("It is in the %(dept)s queue, which you do not work in.")
                              % {"dept": ticket.department})
                return redirect("staff:ticket_list")
        if form.errors.get("attachments") or request.FILES:
            messages.warning(request, _("Your text is kept; attach the files again before you submit."))
        selected = crm_queries.get_active_contact(pk=form["contact"].value())
    else:
        initial = {key: request.GET[key] for key in SIMPLE_INITIAL if request.GET.get(key)}
        initial.setdefault("department", queries_desk.first_department(user=request.user))
        initial.setdefault("priority", queries_desk.default_priority())
        form = NewTicketForm(initial=initial, custom_fields=custom_fields)
        selected = crm_queries.get_active_contact(pk=request.GET.get("contact"))
        customer_q, results = _contact_results(request)
    context = {
        "form": form,
        "selected": selected,
        "customer_q": customer_q,
        "results": [c for c in results if not selected or c.pk != selected.pk],
        "allowed_extensions": ", ".join(settings.ATTACHMENT_ALLOWED_EXTENSIONS),
        "nav": "tickets",
    }
    return render(request, "tickets/new_ticket.html", context)
