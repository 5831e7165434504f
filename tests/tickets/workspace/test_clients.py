"""The client list and the client file (/staff/clients/)."""

from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from crm.models import Activity, Contract, DeliveryNote, Invoice, Opportunity, Order
from tests.factories import (
    ClientFactory,
    ContactFactory,
    DepartmentFactory,
    ManagerFactory,
    PortalContactFactory,
    StaffFactory,
    TicketFactory,
    status,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def support():
    return DepartmentFactory(name="General Support", email="support@company.com")


@pytest.fixture
def agent(support):
    return StaffFactory(departments=[support])


def _client_with_records():
    client = ClientFactory(name="Acme Logistics", vat_number="RO123")
    ContactFactory(client=client, first_name="John", last_name="Doe", email="john@acme.example", is_primary=True)
    today = date.today()
    Invoice.objects.create(client=client, number="INV-OVERDUE", amount=100, issued_on=today - timedelta(days=60),
                           due_on=today - timedelta(days=30), status=Invoice.Status.UNPAID)
    Invoice.objects.create(client=client, number="INV-PAID", amount=50, issued_on=today - timedelta(days=60),
                           due_on=today - timedelta(days=30), paid_on=today - timedelta(days=31),
                           status=Invoice.Status.PAID)
    order = Order.objects.create(client=client, number="ORD-1", status=Order.Status.SHIPPED)
    DeliveryNote.objects.create(order=order, awb_number="AWB998877", carrier="DHL",
                                tracking_url="https://track.example/AWB998877")
    Contract.objects.create(client=client, subject="Support 2026", start_on=today - timedelta(days=10),
                            sla_tier="enterprise")
    Contract.objects.create(client=client, subject="Old deal", start_on=today - timedelta(days=800),
                            end_on=today - timedelta(days=400), sla_tier="basic")
    Opportunity.objects.create(client=client, name="Second warehouse", stage=Opportunity.Stage.PROPOSAL)
    Activity.objects.create(client=client, kind="call", description="Called about the renewal")
    return client


def test_client_list_searches_by_company_and_contact(client, agent):
    """The list finds clients by company name and by a contact's email, and shows tier and contacts."""
    acme = _client_with_records()
    ClientFactory(name="Globex Retail")
    client.force_login(agent)
    page = client.get(reverse("staff:client_list"), {"q": "acme"}).content.decode()
    assert "Acme Logistics" in page and "Globex Retail" not in page
    assert "John Doe" in page and "Pro" in page
    page = client.get(reverse("staff:client_list"), {"q": "john@acme"}).content.decode()
    assert acme.get_absolute_url() in page and "Globex" not in page


def test_client_list_counts_only_visible_open_tickets(client, agent, support):
    """The open-ticket count covers open tickets of the agent's departments only."""
    acme = _client_with_records()
    contact = acme.contacts.first()
    TicketFactory(contact=contact, department=support)
    TicketFactory(contact=contact, department=support)
    TicketFactory(contact=contact, department=support, status=status("closed"), closed_at=timezone.now())
    TicketFactory(contact=contact, department=DepartmentFactory(name="Billing", email="billing@company.com"))
    client.force_login(agent)
    response = client.get(reverse("staff:client_list"))
    acme_row = next(c for c in response.context["page"] if c.pk == acme.pk)
    assert acme_row.open_ticket_count == 2


def test_client_list_htmx_returns_only_results(client, agent):
    """An htmx search returns the results fragment, not the whole page."""
    _client_with_records()
    client.force_login(agent)
    response = client.get(reverse("staff:client_list"), {"q": "acme"}, HTTP_HX_REQUEST="true",
                          HTTP_HX_TARGET="client-results")
    body = response.content.decode()
    assert "Acme Logistics" in body and "<html" not in body


def test_client_file_tabs_show_their_records(client, agent):
    """Each tab lists its records: overdue invoice flagged, AWB with tracking link, active/ended contracts."""
    acme = _client_with_records()
    client.force_login(agent)
    url = acme.get_absolute_url()
    invoices = client.get(url, {"tab": "invoices"}).content.decode()
    assert "INV-OVERDUE" in invoices and "INV-PAID" in invoices
    assert invoices.count('class="tag danger">Overdue') == 1
    assert "1 overdue invoice" in invoices  # flagged in the header on every tab
    orders = client.get(url, {"tab": "orders"}).content.decode()
    assert "AWB998877" in orders and 'href="https://track.example/AWB998877"' in orders and "DHL" in orders
    contracts = client.get(url, {"tab": "contracts"}).content.decode()
    assert "Support 2026" in contracts and ">Active<" in contracts and ">Ended<" in contracts
    assert "Enterprise" in contracts
    assert "Second warehouse" in client.get(url, {"tab": "opportunities"}).content.decode()
    assert "Called about the renewal" in client.get(url, {"tab": "activity"}).content.decode()
    assert "john@acme.example" in client.get(url, {"tab": "contacts"}).content.decode()


def test_client_file_tickets_tab_shows_status_in_db_colour(client, agent, support):
    """The Tickets tab links each ticket and shows its status badge in the database colour."""
    acme = _client_with_records()
    ticket = TicketFactory(contact=acme.contacts.first(), department=support, subject="Printer on fire")
    client.force_login(agent)
    page = client.get(acme.get_absolute_url()).content.decode()
    assert "Printer on fire" in page
    assert f'href="/staff/tickets/{ticket.pk}/"' in page
    assert f"--c: {status('new').colour}" in page


def test_agent_does_not_see_other_departments_tickets_in_client_file(client, agent, support):
    """An agent sees the client's tickets of their departments only; a manager sees them all."""
    acme = _client_with_records()
    contact = acme.contacts.first()
    TicketFactory(contact=contact, department=support, subject="Visible to support")
    billing = DepartmentFactory(name="Billing", email="billing@company.com")
    TicketFactory(contact=contact, department=billing, subject="Billing dispute secret")
    client.force_login(agent)
    page = client.get(acme.get_absolute_url(), {"tab": "tickets"}).content.decode()
    assert "Visible to support" in page and "Billing dispute secret" not in page
    client.force_login(ManagerFactory())
    page = client.get(acme.get_absolute_url(), {"tab": "tickets"}).content.decode()
    assert "Visible to support" in page and "Billing dispute secret" in page


def test_client_pages_are_staff_only(client):
    """A contact gets 404 on the client pages; an anonymous visitor is sent to the staff login."""
    acme = _client_with_records()
    assert client.get(acme.get_absolute_url()).status_code == 302
    contact = PortalContactFactory(client=acme)
    client.force_login(contact.user)
    assert client.get(reverse("staff:client_list")).status_code == 404
    assert client.get(acme.get_absolute_url()).status_code == 404


def test_unknown_client_is_404(client, agent):
    client.force_login(agent)
    assert client.get(reverse("staff:client_detail", args=[999999])).status_code == 404


def _queries(client, url, params=None):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, params or {})
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_client_list_query_count_is_constant(client, agent, support):
    """The client list issues the same number of queries for 2 clients as for 20."""
    for _ in range(2):
        contact = ContactFactory()
        TicketFactory(contact=contact, department=support)
    client.force_login(agent)
    url = reverse("staff:client_list")
    client.get(url)  # the top bar's cached counts settle
    few = _queries(client, url)
    for _ in range(18):
        contact = ContactFactory()
        ContactFactory(client=contact.client)
        TicketFactory(contact=contact, department=support)
    assert _queries(client, url) == few


@pytest.mark.parametrize("tab", ["tickets", "invoices", "orders", "contracts", "opportunities", "activity",
                                 "contacts"])
def test_client_file_query_count_is_constant(client, agent, support, tab):
    """Every tab of the client file issues the same number of queries for 1 row as for 11 (or 21)."""
    acme = _client_with_records()
    TicketFactory(contact=acme.contacts.first(), department=support, assignee=agent)
    client.force_login(agent)
    url = acme.get_absolute_url()
    client.get(url, {"tab": tab})  # the top bar's cached counts settle
    few = _queries(client, url, {"tab": tab})
    today = date.today()
    for i in range(10):
        contact = ContactFactory(client=acme)
        TicketFactory(contact=contact, department=support, assignee=agent)
        Invoice.objects.create(client=acme, number=f"INV-{i}", amount=1, issued_on=today, due_on=today)
        order = Order.objects.create(client=acme, number=f"ORD-X{i}")
        DeliveryNote.objects.create(order=order, awb_number=f"A{i}", carrier="UPS")
        DeliveryNote.objects.create(order=order, awb_number=f"B{i}", carrier="UPS")
        Contract.objects.create(client=acme, subject=f"C{i}", start_on=today, sla_tier="pro")
        Opportunity.objects.create(client=acme, name=f"O{i}", owner=agent)
        Activity.objects.create(client=acme, kind="note", description="x", actor=agent)
    assert _queries(client, url, {"tab": tab}) == few
