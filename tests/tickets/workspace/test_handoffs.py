"""Hand-offs an L1 agent makes from a ticket or the client file: the records each one writes,
who is notified, the client's timeline, and invoice PDFs for agents and (only their own) customers."""

from decimal import Decimal

import pytest
from django.urls import reverse

from crm.models import Activity, DeliveryNote, DeliveryReturn, Invoice, Opportunity, Order, OrderLine
from tests.factories import DepartmentFactory, InvoiceFactory, PortalContactFactory, StaffFactory
from tickets import services
from tickets.models import Notification, Task, TaskAttachment, TicketEvent, TicketMessage

pytestmark = pytest.mark.django_db


@pytest.fixture
def departments():
    return {name: DepartmentFactory(name=name, email=f"{name.lower().replace(' ', '')}@company.com")
            for name in ("Billing", "Warehouse", "Orders", "Sales", "Technical Support")}


@pytest.fixture
def ticket(support, contact, agent, departments):
    return services.open_ticket(subject="Wrong invoice and a broken parcel", body_text="See attached.",
                                department=support, contact=contact, assignee=agent)


@pytest.fixture
def order(contact):
    order = Order.objects.create(client=contact.client, number="ORD-1001", status=Order.Status.DELIVERED, total=300)
    OrderLine.objects.create(order=order, sku="CH-1", description="Office chair", quantity=3, unit_price=100)
    DeliveryNote.objects.create(order=order, awb_number="AWB123", carrier="DHL",
                                tracking_url="https://www.dhl.com/track?AWB123")
    return order


def test_l1_agent_forwards_an_invoice_to_accounts_receivable(agent_client, ticket, departments, commit):
    """A task for Billing linked to the ticket and invoice, an internal note, the invoice shows
    disputed until the task is done, Billing's staff are notified, the timeline has an entry."""
    billing_clerk = StaffFactory(departments=[departments["Billing"]])
    invoice = InvoiceFactory(client=ticket.client)
    with commit():
        response = agent_client.post(reverse("staff:invoice_forward", args=[invoice.pk]),
                                     {"ticket": ticket.pk, "note": "Charged twice for March"})
    assert response.status_code == 302
    task = Task.objects.get(ticket=ticket, department=departments["Billing"])
    assert invoice.number in task.title and "Charged twice" in task.description
    invoice.refresh_from_db()
    assert invoice.is_disputed and invoice.dispute_task_id == task.pk
    assert TicketMessage.objects.filter(ticket=ticket, kind=TicketMessage.Kind.NOTE).exists()
    assert TicketEvent.objects.filter(ticket=ticket, kind=TicketEvent.Kind.HANDOFF).exists()
    assert Notification.objects.filter(recipient=billing_clerk, kind="handoff").count() == 1
    assert Activity.objects.filter(client=ticket.client, kind="invoice").count() == 1
    page = agent_client.get(reverse("staff:client_detail", args=[ticket.client_id]) + "?tab=invoices")
    assert b"Disputed" in page.content
    with commit():
        services.set_task_status(task=task, status=Task.Status.DONE, actor=billing_clerk)
    invoice.refresh_from_db()
    assert not invoice.is_disputed


def test_l1_agent_creates_a_delivery_return(agent_client, ticket, order, departments, commit):
    """A Delivery Return with its items, a task for the warehouse, the order page shows it."""
    line = order.lines.get()
    keeper = StaffFactory(departments=[departments["Warehouse"]])
    with commit():
        response = agent_client.post(reverse("staff:order_return", args=[order.pk]),
                                     {"ticket": ticket.pk, f"qty_{line.pk}": 2, "reason": "Two arrived broken"})
    assert response.status_code == 302
    delivery_return = DeliveryReturn.objects.get(order=order)
    assert [(li.description, li.quantity) for li in delivery_return.lines.all()] == [("Office chair", 2)]
    assert delivery_return.ticket_number == ticket.pk
    assert Task.objects.filter(ticket=ticket, department=departments["Warehouse"]).count() == 1
    assert Notification.objects.filter(recipient=keeper, kind="handoff").count() == 1
    assert Activity.objects.filter(client=ticket.client, kind="delivery_return").count() == 1
    page = agent_client.get(reverse("staff:order_detail", args=[order.pk]) + f"?ticket={ticket.pk}")
    assert b"Two arrived broken" in page.content and b"https://www.dhl.com/track?AWB123" in page.content


def test_a_return_of_more_than_was_ordered_is_refused(agent_client, ticket, order, departments):
    line = order.lines.get()
    response = agent_client.post(reverse("staff:order_return", args=[order.pk]),
                                 {"ticket": ticket.pk, f"qty_{line.pk}": 5, "reason": "x"})
    assert response.status_code == 400
    assert not DeliveryReturn.objects.exists()


def test_l1_agent_notifies_order_management(agent_client, ticket, order, departments):
    response = agent_client.post(reverse("staff:order_notify", args=[order.pk]),
                                 {"ticket": ticket.pk, "note": "Parcel stuck in customs"})
    assert response.status_code == 302
    assert Task.objects.filter(ticket=ticket, department=departments["Orders"]).count() == 1


def test_l1_agent_creates_an_opportunity_and_the_owner_is_told(agent_client, ticket, departments, commit):
    seller = StaffFactory(full_name="Sam Seller", departments=[departments["Sales"]])
    with commit():
        response = agent_client.post(reverse("staff:ticket_opportunity", args=[ticket.pk]), {
            "name": "Premium support extension", "value": "4800", "stage": "qualified", "owner": seller.pk,
            "notes": "Wants 24/7 cover"})
    assert response.status_code == 302
    opportunity = Opportunity.objects.get(client=ticket.client)
    assert opportunity.owner == seller and opportunity.value == Decimal("4800")
    assert opportunity.ticket_number == ticket.pk
    assert Notification.objects.filter(recipient=seller, kind="handoff").count() == 1
    assert Activity.objects.filter(client=ticket.client, kind="opportunity").count() == 1


def test_task_for_it_carries_the_steps_and_the_tickets_attachments(agent_client, ticket, departments):
    services.add_reply(ticket=ticket, kind=TicketMessage.Kind.CUSTOMER, body_text="screenshot", contact=ticket.contact,
                       attachments=[services.NewAttachment(name="error.png", content=b"\x89PNG....")])
    response = agent_client.post(reverse("staff:ticket_it_task", args=[ticket.pk]), {
        "steps": "1. Open Reports\n2. Export CSV", "browser": "Firefox 140", "error": "HTTP 500"})
    assert response.status_code == 302
    task = Task.objects.get(ticket=ticket, department=departments["Technical Support"])
    assert "Export CSV" in task.description and "Firefox 140" in task.description and "HTTP 500" in task.description
    assert [a.original_name for a in TaskAttachment.objects.filter(task=task)] == ["error.png"]


def test_invoice_pdf_for_agents_and_only_the_own_clients_customers(client, agent_client, ticket):
    own = InvoiceFactory(client=ticket.client, status=Invoice.Status.UNPAID)
    other = InvoiceFactory()
    response = agent_client.get(reverse("staff:invoice_pdf", args=[other.pk]))
    assert response.status_code == 200 and response.content.startswith(b"%PDF")
    customer = PortalContactFactory(client=ticket.client)
    client.force_login(customer.user)
    mine = client.get(reverse("portal:invoice_pdf", args=[own.pk]))
    assert mine.status_code == 200 and mine["Content-Type"] == "application/pdf"
    assert client.get(reverse("portal:invoice_pdf", args=[other.pk])).status_code == 404


def test_typed_in_activity_and_the_type_filter(agent_client, ticket, commit):
    url = reverse("staff:client_activity_add", args=[ticket.client_id])
    assert agent_client.post(url, {"kind": "call", "description": "Called about renewal"}).status_code == 302
    assert agent_client.post(url, {"kind": "ticket_opened", "description": "forged"}).status_code == 302
    assert not Activity.objects.filter(description="forged").exists()
    page = reverse("staff:client_detail", args=[ticket.client_id])
    calls = agent_client.get(page + "?tab=activity&kind=call")
    assert b"Called about renewal" in calls.content
    assert b"Called about renewal" not in agent_client.get(page + "?tab=activity&kind=email").content


def test_ticket_and_email_events_appear_on_the_timeline(support, contact, agent, commit):
    """Opening a ticket by email, a staff reply and closing write timeline entries by themselves."""
    with commit():
        ticket = services.open_ticket(subject="Login broken", body_text="Help", department=support, contact=contact)
    with commit():
        services.add_reply(ticket=ticket, kind=TicketMessage.Kind.STAFF, body_text="Fixed", author=agent)
    with commit():
        services.close_ticket(ticket=ticket, actor=agent)
    kinds = sorted(Activity.objects.filter(client=contact.client).values_list("kind", flat=True))
    assert kinds == ["email", "ticket_closed", "ticket_opened"]
    assert Activity.objects.get(kind="ticket_opened").link == reverse("staff:ticket_detail", args=[ticket.pk])


def test_other_departments_ticket_cannot_be_linked(client, ticket, departments):
    outsider = StaffFactory(departments=[departments["Sales"]])
    client.force_login(outsider)
    assert client.get(reverse("staff:ticket_opportunity", args=[ticket.pk])).status_code == 404
    invoice = InvoiceFactory(client=ticket.client)
    assert client.post(reverse("staff:invoice_forward", args=[invoice.pk]),
                       {"ticket": ticket.pk, "note": "x"}).status_code == 404


def test_activity_tab_query_count_is_constant(agent_client, ticket, agent):
    """5 or 60 timeline entries (with actors and links): the same number of queries."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from crm import services as crm_services

    url = reverse("staff:client_detail", args=[ticket.client_id]) + "?tab=activity"

    def add(n: int) -> int:
        for i in range(n):
            crm_services.record_activity(client_id=ticket.client_id, kind="call", description=f"c{i}",
                                         actor=StaffFactory(), link=f"/staff/tickets/{ticket.pk}/")
        with CaptureQueriesContext(connection) as ctx:
            assert agent_client.get(url).status_code == 200
        return len(ctx.captured_queries)

    agent_client.get(url)
    assert add(5) == add(55)
