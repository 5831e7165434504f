"""The staff top bar's search: tickets, clients and knowledge-base articles on one page."""

from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from crm.queries import search_clients
from helpdesk.access import staff_required
from kb.search import search_articles
from tickets.workspace import queries

RESULTS_PER_KIND = 10


@staff_required
def global_search(request: HttpRequest) -> HttpResponse:
    """Search everything an agent may see; a bare ticket number opens that ticket."""
    q = request.GET.get("q", "").strip()[:200]
    number = q.lstrip("#")
    if number.isdigit() and queries.visible_tickets(user=request.user).filter(pk=int(number)).exists():
        return redirect("staff:ticket_detail", number=int(number))
    tickets, clients, articles = [], [], []
    if q:
        tickets = queries.queue_page(
            user=request.user,
            filters=queries.QueueFilter(q=q),
            limit=RESULTS_PER_KIND,
            department_ids=[d.pk for d in queries.departments_for(user=request.user)],
        ).rows
        clients = list(search_clients(q=q)[:RESULTS_PER_KIND])
        articles = search_articles(q, include_staff_only=True, limit=RESULTS_PER_KIND)
    context = {
        "nav": "",
        "search_q": q,
        "tickets": tickets,
        "clients": clients,
        "articles": articles,
        "all_tickets_url": "/staff/tickets/?" + urlencode({"q": q, "view": "all"}),
    }
    return render(request, "tickets/search.html", context)
