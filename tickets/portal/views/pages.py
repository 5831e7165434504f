"""Client portal pages: dashboard, ticket list and page, reply, resolve, downloads, invoices.

Contacts see only what tickets.portal_access lets them see; every lookup by id goes through it.
"""

from django.contrib import messages
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from crm.invoice_pdf import render_invoice_pdf
from helpdesk.access import contact_required, staff_required
from tickets import services
from tickets.exceptions import TicketError
from tickets.models import Ticket, TicketMessage
from tickets.models.core import Channel
from tickets.portal import access as portal_access
from tickets.portal import queries as queries_portal
from tickets.portal import services as portal_services
from tickets.portal.forms import PortalReplyForm, ResolveForm, new_attachments


@contact_required
def dashboard(request: HttpRequest) -> HttpResponse:
    contact = request.contact
    return render(
        request,
        "tickets/portal/dashboard.html",
        {
            "tickets": queries_portal.open_tickets(contact=contact),
            "announcements": queries_portal.visible_announcements(contact=contact, user=request.user),
            "nav": "home",
        },
    )


@contact_required
@require_POST
def dismiss_announcement(request: HttpRequest, pk: int) -> HttpResponse:
    announcement = portal_access.get_announcement_for_contact(contact=request.contact, announcement_id=pk)
    portal_services.dismiss_announcement(user=request.user, announcement=announcement)
    if request.htmx:
        return HttpResponse("")
    return redirect("portal:dashboard")


@contact_required
def ticket_list(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "")
    page = queries_portal.ticket_page(contact=request.contact, status=status, page=request.GET.get("page", 1))
    context = {
        "page": page,
        "tickets": page.object_list,
        "status": status,
        "filters": queries_portal.status_filters(),
        "client_wide": request.contact.is_primary,
        "nav": "tickets",
    }
    if request.htmx and not request.htmx.boosted:
        return render(request, "tickets/portal/ticket_list.html#rows", context)
    return render(request, "tickets/portal/ticket_list.html", context)


def _detail(
    request: HttpRequest, ticket: Ticket, *, reply_form: PortalReplyForm | None = None,
    resolve_form: ResolveForm | None = None, status: int = 200,
) -> HttpResponse:
    queries_portal.attach_portal_status([ticket])
    return render(
        request,
        "tickets/portal/ticket_detail.html",
        {
            "ticket": ticket,
            "conversation": queries_portal.conversation(ticket=ticket),
            "reply_form": reply_form or PortalReplyForm(),
            "resolve_form": resolve_form or ResolveForm(),
            "nav": "tickets",
        },
        status=status,
    )


@staff_required
def staff_preview(request: HttpRequest, number: int) -> HttpResponse:
    """"View as the customer": the portal's ticket page as its contact sees it, read only."""
    ticket = portal_access.get_ticket_for_staff_preview(user=request.user, number=number)
    queries_portal.attach_portal_status([ticket])
    return render(request, "tickets/portal/ticket_detail.html", {
        "ticket": ticket,
        "conversation": queries_portal.conversation(ticket=ticket),
        "preview": True,
        "nav": "tickets",
    })


@staff_required
def contact_preview(request: HttpRequest, contact_id: int) -> HttpResponse:
    """"View as the customer" from the client file: the contact's portal ticket list, read only,
    limited to the tickets the staff member may see (the banner says how many are left out)."""
    contact = portal_access.get_contact_for_staff_preview(user=request.user, contact_id=contact_id)
    status = request.GET.get("status", "")
    page = queries_portal.ticket_page(contact=contact, status=status, page=request.GET.get("page", 1),
                                      staff=request.user)
    hidden = 0
    if not request.user.is_manager and not status:
        hidden = max(0, portal_access.portal_tickets(contact=contact).count() - page.paginator.count)
    return render(request, "tickets/portal/ticket_list.html", {
        "page": page,
        "tickets": page.object_list,
        "status": status,
        "filters": queries_portal.status_filters(),
        "client_wide": contact.is_primary,
        "preview_contact": contact,
        "hidden_count": hidden,
        "nav": "tickets",
    })


@staff_required
def contact_preview_ticket(request: HttpRequest, contact_id: int, number: int) -> HttpResponse:
    """One ticket of the contact's portal, as that contact sees it (read only, no internal notes)."""
    contact = portal_access.get_contact_for_staff_preview(user=request.user, contact_id=contact_id)
    ticket = portal_access.get_ticket_for_contact_preview(user=request.user, contact=contact, number=number)
    queries_portal.attach_portal_status([ticket])
    return render(request, "tickets/portal/ticket_detail.html", {
        "ticket": ticket,
        "conversation": queries_portal.conversation(ticket=ticket),
        "preview": True,
        "preview_contact": contact,
        "nav": "tickets",
    })


@contact_required
def ticket_detail(request: HttpRequest, number: int) -> HttpResponse:
    ticket = portal_access.get_ticket_for_contact(contact=request.contact, number=number)
    return _detail(request, ticket)


@contact_required
@require_POST
def ticket_reply(request: HttpRequest, number: int) -> HttpResponse:
    ticket = portal_access.get_ticket_for_contact(contact=request.contact, number=number)
    form = PortalReplyForm(request.POST, request.FILES)
    if not form.is_valid():
        return _detail(request, ticket, reply_form=form, status=400)
    try:
        message = services.add_reply(
            ticket=ticket,
            body_text=form.cleaned_data["message"],
            kind=TicketMessage.Kind.CUSTOMER,
            contact=request.contact,
            channel=Channel.PORTAL,
            attachments=new_attachments(form.cleaned_data["attachments"]),
        )
    except TicketError as exc:
        form.add_error(None, str(exc))
        return _detail(request, ticket, reply_form=form, status=400)
    messages.success(request, _("Your reply was added to ticket #%(n)s.") % {"n": message.ticket_id})
    return redirect("portal:ticket_detail", number=message.ticket_id)


@contact_required
@require_POST
def ticket_resolve(request: HttpRequest, number: int) -> HttpResponse:
    ticket = portal_access.get_ticket_for_contact(contact=request.contact, number=number)
    form = ResolveForm(request.POST)
    if not form.is_valid():
        return _detail(request, ticket, resolve_form=form, status=400)
    if not ticket.is_closed:
        note = _("Marked as resolved by %(name)s in the client portal.") % {"name": request.contact.full_name}
        extra = form.cleaned_data["note"].strip()
        try:
            services.close_ticket(ticket=ticket, actor=request.user, note=f"{note}\n{extra}" if extra else note)
        except TicketError as exc:  # e.g. still waiting for the goods you send back
            messages.error(request, str(exc))
        else:
            messages.success(request, _("Ticket #%(n)s is closed. Thank you!") % {"n": ticket.pk})
    return redirect("portal:ticket_detail", number=ticket.pk)


@contact_required
def message_link(request: HttpRequest, pk: int) -> HttpResponse:
    message = portal_access.get_message_for_contact(contact=request.contact, message_id=pk)
    return redirect(f"/portal/tickets/{message.ticket_id}/#msg-{message.pk}")


@contact_required
def attachment_download(request: HttpRequest, pk: int) -> FileResponse:
    attachment = portal_access.get_attachment_for_contact(contact=request.contact, attachment_id=pk)
    response = FileResponse(
        attachment.file.open("rb"),
        as_attachment=True,
        filename=attachment.original_name,
        content_type=attachment.content_type or "application/octet-stream",
    )
    response["Cache-Control"] = "private, no-store"
    # As for staff downloads: a file opened anyway (HTML, SVG) runs nothing and loads nothing.
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


@contact_required
def invoice_list(request: HttpRequest) -> HttpResponse:
    invoices = portal_access.portal_invoices(contact=request.contact).order_by("-issued_on", "-id")
    return render(request, "tickets/portal/invoice_list.html", {"invoices": invoices[:200], "nav": "invoices"})


@contact_required
def invoice_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    """Download an invoice of the contact's own client as a PDF (404 for any other invoice)."""
    invoice = portal_access.get_invoice_for_contact(contact=request.contact, invoice_id=pk)
    response = HttpResponse(render_invoice_pdf(invoice=invoice), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="invoice-{invoice.number}.pdf"'
    response["Cache-Control"] = "private, no-store"
    return response


@contact_required
def invoice_detail(request: HttpRequest, pk: int) -> HttpResponse:
    invoice = portal_access.get_invoice_for_contact(contact=request.contact, invoice_id=pk)
    return render(request, "tickets/portal/invoice_detail.html", {"invoice": invoice, "nav": "invoices"})
