"""Agent workspace entry points (the full queue and ticket pages grow here)."""

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from helpdesk.access import staff_required
from tickets import queries


@staff_required
def home(request: HttpRequest) -> HttpResponse:
    return redirect("staff:ticket_list")


@staff_required
def ticket_list(request: HttpRequest) -> HttpResponse:
    tickets = queries.visible_tickets(user=request.user).select_related(
        "status", "priority", "department", "contact", "client", "assignee"
    )[:50]
    return render(request, "tickets/ticket_list.html", {"tickets": tickets, "nav": "tickets"})


@staff_required
def ticket_detail(request: HttpRequest, number: int) -> HttpResponse:
    ticket = queries.get_ticket_for_agent(user=request.user, number=number)
    return render(request, "tickets/ticket_detail.html", {"ticket": ticket, "nav": "tickets"})


@staff_required
def client_detail(request: HttpRequest, pk: int) -> HttpResponse:
    raise Http404
