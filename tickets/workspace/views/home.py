"""Agent workspace entry points; the queue lives in views/queue.py, the ticket page in views/ticket.py."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from helpdesk.access import staff_required


@staff_required
def home(request: HttpRequest) -> HttpResponse:
    return redirect("staff:ticket_list")
