"""End to end in Chromium: a customer opens a ticket after seeing KB suggestions, with a portal
custom field and an attachment, replies, and marks it resolved."""

import os
from dataclasses import dataclass

import pytest

from crm.models import Contact
from tests.factories import CustomFieldFactory, DepartmentFactory, PortalContactFactory
from tickets.models import CustomField, Deflection, Ticket
from tickets.views import portal_new

SCREENSHOTS = os.environ.get("PORTAL_SCREENSHOTS", "")

pytestmark = pytest.mark.browser


@dataclass
class Hit:
    title: str
    url: str
    snippet: str
    group: str = "Account & Access"


def shot(page, name: str) -> None:
    if SCREENSHOTS:
        page.screenshot(path=os.path.join(SCREENSHOTS, f"portal-{name}.png"), full_page=True)


@pytest.fixture
def customer(db) -> Contact:
    DepartmentFactory(name="General Support", email="support@company.com")
    DepartmentFactory(name="Billing", email="billing@company.com")
    CustomFieldFactory(
        slug="order-number", name="Order number", field_type=CustomField.FieldType.TEXT,
        required=True, show_on_client_portal=True, help_text="As printed on your invoice, e.g. ORD-1042",
    )
    return PortalContactFactory(first_name="Alice", last_name="Doe", email="alice@acme.example", client__name="Acme")


@pytest.mark.django_db(transaction=True)
def test_customer_opens_replies_and_resolves_a_ticket(customer, live_server, page, monkeypatch, tmp_path):
    """Sign in, see suggestions while typing, open one, open the ticket with a custom field and a
    file anyway (the suggestion is then not a deflection), reply, and mark the ticket resolved."""

    def search_articles(query: str, *, include_staff_only: bool = False, limit: int = 10) -> list[Hit]:
        assert include_staff_only is False
        return [Hit("How to download an invoice", f"{live_server.url}/knowledge-base/billing/download-invoice/",
                    "Open <mark>Invoices</mark> in the portal and click Download")]

    monkeypatch.setattr(portal_new, "search_articles", search_articles)
    page.goto(f"{live_server.url}/portal/")
    page.fill("#id_username", "alice@acme.example")
    page.fill("#id_password", "pw")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/portal/")
    shot(page, "dashboard")

    page.click("text=Open a ticket >> nth=0")
    page.select_option("#id_department", label="Billing")
    page.type("#id_subject", "invoice download", delay=20)
    suggestion = page.locator("#suggestions a.suggestion")
    suggestion.wait_for()
    assert suggestion.inner_text() == "How to download an invoice"
    shot(page, "new-ticket-suggestions")

    with page.context.expect_page() as article_tab:
        suggestion.click()
    article_tab.value.close()
    assert Deflection.objects.get().is_deflected

    page.fill("#id_message", "The download button does nothing for invoice INV-7.")
    page.fill("[name='cf_order-number']", "ORD-1042")
    attachment = tmp_path / "screenshot.png"
    attachment.write_bytes(b"\x89PNG\r\n\x1a\n fake image")
    page.set_input_files("#id_attachments", str(attachment))
    page.click("button:has-text('Open ticket')")
    page.wait_for_selector("#ticket-status")
    ticket = Ticket.objects.get()
    assert page.url == f"{live_server.url}/portal/tickets/{ticket.pk}/"
    assert ticket.channel == "portal" and ticket.department.name == "Billing"
    assert ticket.custom_values.get().value == "ORD-1042"
    assert page.locator("a:has-text('screenshot.png')").count() == 1
    assert Deflection.objects.get().ticket_id == ticket.pk  # submitted anyway: not deflected

    page.fill("#id_message", "Tried again in another browser, same result.")
    page.click("button:has-text('Send reply')")
    page.wait_for_selector("text=Tried again in another browser")
    assert ticket.messages.filter(kind="customer").count() == 2
    shot(page, "ticket")

    page.click("button:has-text('Mark as resolved')")
    page.wait_for_selector("text=Reply to reopen this ticket")
    ticket.refresh_from_db()
    assert ticket.is_closed
    assert page.locator("#ticket-status").inner_text() == "Closed"
    shot(page, "ticket-resolved")

    page.goto(f"{live_server.url}/portal/tickets/?status=closed")
    assert page.locator(f"a:has-text('#{ticket.pk}')").count() == 1
    shot(page, "ticket-list")
