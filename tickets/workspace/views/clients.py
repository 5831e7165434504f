"""The client list and the client file (/staff/clients/): the customer context an agent checks
before answering. Staff only; the Tickets tab shows only tickets the viewer may see."""

from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext_lazy as _

from crm import activity
from crm import queries as crm_queries
from crm.models import Client
from helpdesk.access import staff_required
from tickets.workspace import queries_clients
from tickets.workspace.forms_handoffs import ActivityForm

PAGE_SIZE = 25
TABS = (
    ("tickets", _("Tickets")),
    ("invoices", _("Invoices")),
    ("orders", _("Orders")),
    ("contracts", _("Contracts")),
    ("opportunities", _("Opportunities")),
    ("activity", _("Activity")),
    ("contacts", _("Contacts")),
)
TAB_KEYS = {key for key, _label in TABS}


@staff_required
def client_list(request: HttpRequest) -> HttpResponse:
    q = request.GET.get("q", "").strip()[:100]
    tier = request.GET.get("tier", "")
    tier = tier if tier in Client.Tier.values else ""
    page = Paginator(crm_queries.search_clients(q=q, tier=tier), PAGE_SIZE).get_page(request.GET.get("page"))
    counts = queries_clients.open_ticket_counts(user=request.user, client_ids=[c.pk for c in page])
    for client in page:
        client.open_ticket_count = counts.get(client.pk, 0)
    context = {"page": page, "q": q, "tier": tier, "tiers": Client.Tier.choices, "nav": "clients"}
    template = "tickets/clients/client_list.html"
    if request.htmx and request.htmx.target == "client-results":
        template += "#results"
    response = render(request, template, context)
    patch_vary_headers(response, ("HX-Request",))  # the same URL serves the page and the fragment
    return response


def _tab_rows(request: HttpRequest, client: Client, tab: str, scope: str) -> object:
    if tab == "tickets":
        return queries_clients.client_tickets(user=request.user, client_id=client.pk, scope=scope)
    if tab == "activity":
        return crm_queries.client_activity_of_kind(client=client, kind=_activity_kind(request))
    return {
        "invoices": crm_queries.client_invoices,
        "orders": crm_queries.client_orders,
        "contracts": crm_queries.client_contracts,
        "opportunities": crm_queries.client_opportunities,
        "activity": crm_queries.client_activity,
        "contacts": crm_queries.client_contacts,
    }[tab](client=client)


def _activity_kind(request: HttpRequest) -> str:
    kind = request.GET.get("kind", "")
    return kind if kind in dict(activity.kind_choices()) else ""


@staff_required
def client_detail(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        client = crm_queries.get_client(pk=pk)
    except Client.DoesNotExist:
        raise Http404
    tab = request.GET.get("tab", "tickets")
    tab = tab if tab in TAB_KEYS else "tickets"
    scope = request.GET.get("scope", "all")
    scope = scope if scope in queries_clients.CLIENT_TICKET_SCOPES else "all"
    page = Paginator(_tab_rows(request, client, tab, scope), PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "client": client,
        "tab": tab,
        "tabs": TABS,
        "scope": scope,
        "page": page,
        "summary": crm_queries.client_summary(client=client),
        "ticket_counts": queries_clients.client_ticket_count(user=request.user, client_id=client.pk),
        "nav": "clients",
    }
    # "View as the customer" (portal preview) is for staff who may see this client's tickets.
    context["can_view_as"] = request.user.is_manager or bool(context["ticket_counts"]["all"])
    if tab == "activity":
        context.update(activity_kinds=activity.kind_choices(), activity_kind=_activity_kind(request),
                       activity_form=ActivityForm())
    template = "tickets/clients/client_detail.html"
    if request.htmx and request.htmx.target == "client-tab":
        template += "#tab"
    response = render(request, template, context)
    patch_vary_headers(response, ("HX-Request",))
    return response
