"""Client portal pages: contacts see only their own (or, as primary contact, their client's) data."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from helpdesk.access import contact_required
from tickets.models import Ticket


@contact_required
def dashboard(request: HttpRequest) -> HttpResponse:
    contact = request.contact
    tickets = (
        Ticket.objects.filter(contact=contact, closed_at__isnull=True)
        .select_related("status", "priority")
        .order_by("-updated_at")[:20]
    )
    return render(request, "tickets/portal/dashboard.html", {"tickets": tickets, "nav": "home"})
