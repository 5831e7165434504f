"""Agent workspace entry points; the queue lives in views/queue.py, the ticket page in views/ticket.py."""

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect

from helpdesk.access import staff_required


@staff_required
def home(request: HttpRequest) -> HttpResponse:
    return redirect("staff:ticket_list")


@staff_required
def client_detail(request: HttpRequest, pk: int) -> HttpResponse:
    raise Http404
