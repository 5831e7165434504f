"""Hand-offs from a ticket or the client file (forward an invoice, delivery return, notify order
management, opportunity, task for IT), the order page, invoice PDFs and typed-in activity.

Any staff member may make a hand-off (L1 included). A `?ticket=N` on the invoice and order pages
links the hand-off to that ticket; the ticket is fetched with get_ticket_for_agent (404 if not
visible). Thin views: validate, call tickets.services, redirect.
"""

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from crm import queries as crm_queries
from crm import services as crm_services
from crm.invoice_pdf import render_invoice_pdf
from crm.models import Client, DeliveryReturn, Invoice, Order
from helpdesk.access import staff_required
from tickets import services
from tickets.exceptions import TicketError
from tickets.models import Ticket
from tickets.workspace import queries
from tickets.workspace.forms_handoffs import (
    ActivityForm,
    DeliveryReturnForm,
    ForwardInvoiceForm,
    ITTaskForm,
    NotifyOrdersForm,
    OpportunityForm,
)


def _linked_ticket(request: HttpRequest) -> Ticket | None:
    raw = request.GET.get("ticket") or request.POST.get("ticket") or ""
    return queries.get_ticket_for_agent(user=request.user, number=int(raw)) if raw.isdigit() else None


def _invoice(pk: int) -> Invoice:
    invoice = crm_queries.get_invoice(pk=pk)
    if invoice is None:
        raise Http404
    return invoice


def _order(pk: int) -> Order:
    order = crm_queries.get_order(pk=pk)
    if order is None:
        raise Http404
    return order


def pdf_response(invoice: Invoice) -> HttpResponse:
    response = HttpResponse(render_invoice_pdf(invoice=invoice), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="invoice-{invoice.number}.pdf"'
    response["Cache-Control"] = "private, no-store"
    return response


@staff_required
def invoice_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    return pdf_response(_invoice(pk))


@staff_required
def forward_invoice(request: HttpRequest, pk: int) -> HttpResponse:
    """Forward an incorrect invoice to accounts receivable (the invoice shows disputed)."""
    invoice = _invoice(pk)
    ticket = _linked_ticket(request)
    form = ForwardInvoiceForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.forward_invoice(invoice=invoice, ticket=ticket, actor=request.user, note=form.cleaned_data["note"])
        except TicketError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Invoice %(n)s forwarded to accounts receivable.") % {"n": invoice.number})
            return redirect(ticket or f"{reverse('staff:client_detail', args=[invoice.client_id])}?tab=invoices")
    return render(request, "tickets/handoffs/forward_invoice.html",
                  {"invoice": invoice, "ticket": ticket, "form": form, "nav": "clients"},
                  status=400 if form.errors else 200)


def _order_page(request: HttpRequest, order: Order, ticket: Ticket | None, *, status: int = 200,
                **forms: Any) -> HttpResponse:
    lines = list(order.lines.all())
    return render(request, "tickets/handoffs/order_detail.html", {
        "order": order, "ticket": ticket, "nav": "clients", "lines": lines,
        "returns": crm_queries.order_returns(order=order),
        "may_handle_returns": services.may_handle_returns(request.user),
        "return_form": forms.get("return_form") or DeliveryReturnForm(lines=lines),
        "notify_form": forms.get("notify_form") or NotifyOrdersForm(),
    }, status=status)


@staff_required
def order_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The order page: lines, status, delivery notes with AWB tracking, returns, and its actions."""
    return _order_page(request, _order(pk), _linked_ticket(request))


@staff_required
@require_POST
def create_return(request: HttpRequest, pk: int) -> HttpResponse:
    order = _order(pk)
    ticket = _linked_ticket(request)
    form = DeliveryReturnForm(request.POST, lines=list(order.lines.all()))
    if form.is_valid():
        try:
            services.create_delivery_return(order=order, items=form.items(), reason=form.cleaned_data["reason"],
                                            actor=request.user, ticket=ticket)
        except TicketError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Delivery return created; the warehouse has a task."))
            return redirect(f"{reverse('staff:order_detail', args=[order.pk])}"
                            + (f"?ticket={ticket.pk}" if ticket else ""))
    return _order_page(request, order, ticket, return_form=form, status=400)


@staff_required
@require_POST
def return_status(request: HttpRequest, pk: int, return_id: int) -> HttpResponse:
    """The warehouse (or a manager) marks a delivery return received, or cancels it; its ticket
    records it and may close again."""
    order = _order(pk)
    delivery_return = crm_queries.get_order_return(order=order, pk=return_id)
    if delivery_return is None:
        raise Http404
    if not services.may_handle_returns(request.user):
        raise PermissionDenied(_("Only the warehouse or a manager can mark returns received."))
    status = request.POST.get("status", "")
    try:
        services.set_delivery_return_status(delivery_return=delivery_return, status=status, actor=request.user)
    except TicketError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Return %(r)s marked %(s)s.") % {
            "r": delivery_return.pk, "s": DeliveryReturn.Status(status).label.lower()})
    # Back to the order page, keeping the ticket link when this user may see that ticket.
    raw = request.POST.get("ticket", "")
    ticket = Ticket.objects.filter(pk=int(raw)).first() if raw.isdigit() else None
    keep = ticket is not None and queries.can_see_ticket(user=request.user, ticket=ticket)
    return redirect(f"{reverse('staff:order_detail', args=[order.pk])}" + (f"?ticket={ticket.pk}" if keep else ""))


@staff_required
@require_POST
def notify_orders(request: HttpRequest, pk: int) -> HttpResponse:
    order = _order(pk)
    ticket = _linked_ticket(request)
    form = NotifyOrdersForm(request.POST)
    if form.is_valid():
        try:
            services.notify_order_management(order=order, note=form.cleaned_data["note"], actor=request.user,
                                             ticket=ticket)
        except TicketError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Order management has a task."))
            return redirect(f"{reverse('staff:order_detail', args=[order.pk])}"
                            + (f"?ticket={ticket.pk}" if ticket else ""))
    return _order_page(request, order, ticket, notify_form=form, status=400)


@staff_required
def create_opportunity(request: HttpRequest, number: int) -> HttpResponse:
    """Create an opportunity for sales from a ticket (L1 agents included)."""
    ticket = queries.get_ticket_for_agent(user=request.user, number=number)
    owners = services.sales_staff()
    form = OpportunityForm(request.POST or None, owners=owners, initial={"name": ticket.subject})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.create_opportunity(ticket=ticket, name=data["name"], value=data["value"], stage=data["stage"],
                                        owner=next(u for u in owners if u.pk == data["owner"]), actor=request.user,
                                        notes=data["notes"])
        except TicketError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Opportunity passed to sales."))
            return redirect(ticket)
    return render(request, "tickets/handoffs/opportunity.html", {"ticket": ticket, "form": form, "nav": "tickets"},
                  status=400 if form.errors else 200)


@staff_required
def task_for_it(request: HttpRequest, number: int) -> HttpResponse:
    """Hand a confirmed bug to IT with the reproduction steps and the ticket's attachments."""
    ticket = queries.get_ticket_for_agent(user=request.user, number=number)
    form = ITTaskForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.task_for_it(ticket=ticket, title=data["title"], steps=data["steps"], browser=data["browser"],
                                 error=data["error"], actor=request.user)
        except TicketError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Task for IT created."))
            return redirect(ticket)
    attachments = queries.ticket_attachments(ticket=ticket)
    return render(request, "tickets/handoffs/it_task.html",
                  {"ticket": ticket, "form": form, "attachments": attachments, "nav": "tickets"},
                  status=400 if form.errors else 200)


@staff_required
@require_POST
def add_activity(request: HttpRequest, pk: int) -> HttpResponse:
    """Type in a call, meeting or note on the client's Activity tab."""
    try:
        client = crm_queries.get_client(pk=pk)
    except Client.DoesNotExist:
        raise Http404
    form = ActivityForm(request.POST)
    if form.is_valid():
        crm_services.record_activity(client_id=client.pk, kind=form.cleaned_data["kind"], actor=request.user,
                                     description=form.cleaned_data["description"])
        messages.success(request, _("Activity recorded."))
    else:
        messages.error(request, _("Choose a kind and describe what happened."))
    return redirect(f"{reverse('staff:client_detail', args=[client.pk])}?tab=activity")
