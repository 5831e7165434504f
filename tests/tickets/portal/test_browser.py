"""End to end in Chromium: a customer searches the knowledge base, reads and votes, then opens a
ticket after seeing KB suggestions, with a portal custom field and an attachment, replies, and
marks it resolved."""

import os

import pytest

from crm.models import Contact
from tests.factories import CustomFieldFactory, DepartmentFactory, PortalContactFactory
from tickets.models import CustomField, Deflection, Ticket

SCREENSHOTS = os.environ.get("PORTAL_SCREENSHOTS", "")

pytestmark = pytest.mark.browser


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
def test_customer_uses_kb_then_opens_replies_and_resolves_a_ticket(customer, live_server, page, tmp_path):
    """Sign in; search the KB from the dashboard, open an article and vote; while typing a ticket
    subject see suggestions and open one; open the ticket anyway with a custom field and a file
    (the suggestion then does not count as deflected); reply; mark the ticket resolved."""
    from kb.demo import seed_kb
    from kb.models import KBArticle

    seed_kb()
    page.goto(f"{live_server.url}/portal/")
    page.fill("#id_username", "alice@acme.example")
    page.fill("#id_password", "pw")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/portal/")
    shot(page, "dashboard")

    # Self-service first: search from the dashboard, read, vote.
    page.fill(".kb-search input[name=q]", "forgot password")
    page.press(".kb-search input[name=q]", "Enter")
    page.wait_for_selector(".kb-hit")
    page.locator(".kb-hit h3 a").first.click()
    page.wait_for_url("**/knowledge-base/article/how-to-reset-your-password/")
    yes_before = KBArticle.objects.get(slug="how-to-reset-your-password").helpful_yes
    page.get_by_role("button", name="Yes").click()
    page.wait_for_selector(".kb-thanks")
    assert KBArticle.objects.get(slug="how-to-reset-your-password").helpful_yes == yes_before + 1

    # Then a ticket, with suggestions while typing the subject.
    page.goto(f"{live_server.url}/portal/")
    page.click("text=Open a ticket >> nth=0")
    page.select_option("#id_department", label="Billing")
    page.type("#id_subject", "invoice download", delay=20)
    suggestion = page.locator("#suggestions a.suggestion").first
    suggestion.wait_for()
    assert suggestion.inner_text() == "How to download an invoice"
    shot(page, "new-ticket-suggestions")

    with page.context.expect_page() as article_tab:
        suggestion.click()
    article = article_tab.value
    article.wait_for_load_state()
    assert "How to download an invoice" in article.title()
    article.close()
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
