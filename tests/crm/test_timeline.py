"""The client's Activity tab writes itself for invoices and opportunities managed in the admin:
an invoice issued or paid, an opportunity created or moved to another stage, each with a link."""

from datetime import date, timedelta

import pytest

from crm.models import Activity, Invoice, Opportunity
from tests.factories import ClientFactory, ManagerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    client.force_login(ManagerFactory(email="root@company.com", is_superuser=True))
    return client


def test_invoice_issued_and_paid_in_the_admin_appear_on_the_timeline(admin_client):
    customer = ClientFactory()
    form = {"client": customer.pk, "number": "INV-77", "amount": "120.00", "currency": "EUR",
            "issued_on": date.today().isoformat(), "due_on": (date.today() + timedelta(30)).isoformat(),
            "paid_on": "", "status": "unpaid"}
    assert admin_client.post("/admin/crm/invoice/add/", form).status_code == 302
    invoice = Invoice.objects.get(number="INV-77")
    issued = Activity.objects.get(client=customer, kind="invoice")
    assert issued.description.startswith("Invoice INV-77 issued: 120.00 EUR")
    assert issued.safe_link == f"/staff/clients/{customer.pk}/?tab=invoices"
    form.update(status="paid", paid_on=date.today().isoformat())
    assert admin_client.post(f"/admin/crm/invoice/{invoice.pk}/change/", form).status_code == 302
    assert Activity.objects.filter(client=customer, kind="invoice", description="Invoice INV-77: Paid").exists()
    admin_client.post(f"/admin/crm/invoice/{invoice.pk}/change/", form)  # nothing changed: no new entry
    assert Activity.objects.filter(client=customer, kind="invoice").count() == 2


def test_opportunity_created_and_won_in_the_admin_appear_on_the_timeline(admin_client):
    customer = ClientFactory()
    form = {"client": customer.pk, "name": "Fleet renewal", "value": "9000", "currency": "EUR",
            "stage": "proposal", "owner": "", "ticket_number": "", "notes": "",
            "created_at_0": date.today().isoformat(), "created_at_1": "10:00:00"}
    response = admin_client.post("/admin/crm/opportunity/add/", form)
    assert response.status_code == 302, response.content.decode()[:2000]
    opportunity = Opportunity.objects.get(name="Fleet renewal")
    assert Activity.objects.filter(client=customer, kind="opportunity",
                                   description__startswith='Opportunity "Fleet renewal" (9000').exists()
    form["stage"] = "won"
    assert admin_client.post(f"/admin/crm/opportunity/{opportunity.pk}/change/", form).status_code == 302
    won = Activity.objects.get(client=customer, kind="opportunity", description='Opportunity "Fleet renewal": Won')
    assert won.safe_link == f"/staff/clients/{customer.pk}/?tab=opportunities"
