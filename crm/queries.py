"""Reads of the CRM side of a client's file: contacts, invoices, orders, contracts, opportunities,
activity, and the contact search used to pick a customer.

Each function returns a queryset shaped for one tab (related rows joined or prefetched), so a page
issues the same number of queries however many rows it shows. crm imports no other app of ours:
ticket counts are added by tickets.queries_clients.
"""

from datetime import date

from django.db.models import Case, Count, OuterRef, Prefetch, Q, QuerySet, Subquery, Value, When
from django.db.models.functions import Lower

from crm.models import (
    Activity,
    Client,
    Contact,
    Contract,
    DeliveryNote,
    DeliveryReturn,
    Invoice,
    Opportunity,
    Order,
)


def _terms(q: str) -> list[str]:
    return [t for t in (q or "").split() if t][:5]


def search_clients(*, q: str = "", tier: str = "") -> QuerySet[Client]:
    """Return clients matching every word of `q` (company, VAT number, or a contact's name, email
    or phone), with their active contacts prefetched (primary first), ordered by name."""
    qs = Client.objects.all()
    for term in _terms(q):
        # One id set per word: companies matching it UNION clients of contacts matching it (an OR
        # across the two tables would make PostgreSQL test the contact subquery row by row).
        by_company = Client.objects.filter(Q(name__icontains=term) | Q(vat_number__icontains=term))
        by_company = by_company.order_by().values("pk")
        by_contact = Contact.objects.filter(
            Q(first_name__icontains=term)
            | Q(last_name__icontains=term)
            | Q(email__icontains=term)
            | Q(phone__icontains=term)
        ).order_by().values("client_id")
        qs = qs.filter(pk__in=by_company.union(by_contact))
    if tier:
        qs = qs.filter(tier=tier)
    return (
        qs.select_related("account_manager")
        .prefetch_related(
            Prefetch(
                "contacts",
                queryset=Contact.objects.filter(is_active=True).order_by("-is_primary", "first_name", "last_name"),
                to_attr="active_contacts",
            )
        )
        .order_by(Lower("name"), "pk")
    )


def search_contacts(*, q: str, limit: int = 15) -> list[Contact]:
    """Return up to `limit` active contacts whose name, email, phone or company matches every word
    of `q`; for the customer picker of manual tickets."""
    terms = _terms(q)
    if not terms:
        return []
    qs = Contact.objects.filter(is_active=True, client__is_active=True)
    for term in terms:
        qs = qs.filter(
            Q(first_name__icontains=term)
            | Q(last_name__icontains=term)
            | Q(email__icontains=term)
            | Q(phone__icontains=term)
            | Q(client__name__icontains=term)
        )
    return list(qs.select_related("client").order_by("first_name", "last_name", "pk")[:limit])


def get_client(*, pk: int) -> Client:
    """Return the client with its account manager; raise Client.DoesNotExist."""
    return Client.objects.select_related("account_manager").get(pk=pk)


def client_summary(*, client: Client) -> dict[str, int]:
    """Return the figures of the client file's header in one query: active contacts, overdue
    invoices, active contracts and open opportunities."""
    today = date.today()

    def count(qs: QuerySet) -> Subquery:
        return Subquery(qs.order_by().values("client_id").annotate(n=Count("pk")).values("n")[:1])

    here = OuterRef("pk")
    row = (
        Client.objects.filter(pk=client.pk)
        .annotate(
            n_contacts=count(Contact.objects.filter(client_id=here, is_active=True)),
            n_overdue_invoices=count(
                Invoice.objects.filter(client_id=here, status=Invoice.Status.UNPAID, paid_on__isnull=True,
                                       due_on__lt=today)
            ),
            n_active_contracts=count(
                Contract.objects.filter(Q(end_on__isnull=True) | Q(end_on__gte=today), client_id=here,
                                        start_on__lte=today)
            ),
            n_open_opportunities=count(Opportunity.objects.filter(client_id=here, stage__in=Opportunity.OPEN_STAGES)),
        )
        .values("n_contacts", "n_overdue_invoices", "n_active_contracts", "n_open_opportunities")
        .first()
    ) or {}
    return {key.removeprefix("n_"): value or 0 for key, value in row.items()}


def client_contacts(*, client: Client) -> QuerySet[Contact]:
    """Return the client's contacts, primary and active ones first."""
    return client.contacts.select_related("user").order_by("-is_active", "-is_primary", "first_name", "last_name")


def client_invoices(*, client: Client) -> QuerySet[Invoice]:
    """Return the client's invoices, newest first (Invoice.is_overdue flags the overdue ones)."""
    return client.invoices.order_by("-issued_on", "-pk")


def client_orders(*, client: Client) -> QuerySet[Order]:
    """Return the client's orders, newest first, with their delivery notes prefetched."""
    return client.orders.prefetch_related(
        Prefetch("delivery_notes", queryset=DeliveryNote.objects.order_by("-shipped_at", "-pk"))
    ).order_by("-ordered_at", "-pk")


def client_contracts(*, client: Client) -> QuerySet[Contract]:
    """Return the client's contracts, newest first (Contract.is_active tells active from ended)."""
    return client.contracts.order_by("-start_on", "-pk")


def client_opportunities(*, client: Client) -> QuerySet[Opportunity]:
    """Return the client's opportunities, open ones first, then newest."""
    return (
        client.opportunities.select_related("owner")
        .annotate(is_open=Case(When(stage__in=Opportunity.OPEN_STAGES, then=Value(1)), default=Value(0)))
        .order_by("-is_open", "-created_at", "-pk")
    )


def client_activity(*, client: Client) -> QuerySet[Activity]:
    """Return the client's activity, newest first, with its actor."""
    return client.activities.select_related("actor").order_by("-created_at", "-pk")


def get_active_contact(*, pk: object) -> Contact | None:
    """Return the active contact with this id and its client, or None."""
    try:
        return Contact.objects.select_related("client").filter(pk=int(pk), is_active=True).first()
    except (TypeError, ValueError):
        return None


def contact_by_email(*, email: str) -> Contact | None:
    """Return the contact with this email address (any case), or None."""
    if not email:
        return None
    return Contact.objects.select_related("client").filter(email__iexact=email.strip()).first()


def client_contacts_for_picker(*, client_id: object, limit: int = 15) -> list[Contact]:
    """Return the active contacts of one client (primary first), to pick a ticket's customer."""
    try:
        client_id = int(client_id)
    except (TypeError, ValueError):
        return []
    return list(
        Contact.objects.filter(client_id=client_id, is_active=True)
        .select_related("client")
        .order_by("-is_primary", "first_name", "last_name")[:limit]
    )


def get_invoice(*, pk: int) -> Invoice | None:
    """Return the invoice with its client, or None."""
    return Invoice.objects.select_related("client").filter(pk=pk).first()


def get_order(*, pk: int) -> Order | None:
    """Return the order with its client, lines and delivery notes, or None."""
    return (
        Order.objects.select_related("client")
        .prefetch_related("lines", Prefetch("delivery_notes", queryset=DeliveryNote.objects.order_by("-shipped_at")))
        .filter(pk=pk).first()
    )


def order_returns(*, order: Order) -> list[DeliveryReturn]:
    """Return the order's delivery returns, newest first, with their lines."""
    return list(order.returns.prefetch_related("lines").select_related("created_by").order_by("-created_at", "-pk"))


def get_order_return(*, order: Order, pk: int) -> DeliveryReturn | None:
    """Return one delivery return of this order, or None."""
    return order.returns.filter(pk=pk).first()


def client_activity_of_kind(*, client: Client, kind: str = "") -> QuerySet[Activity]:
    """Return the client's activity (of one kind when given), newest first, with its actor."""
    qs = client_activity(client=client)
    return qs.filter(kind=kind) if kind else qs
