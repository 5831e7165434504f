"""In a real browser: an L1 agent drafts a KB article from a ticket, a manager publishes it from
the drafts to review; the agent views the ticket as the customer sees it."""

import re

import pytest

from kb.models import KBArticle, KBGroup
from tests.factories import DepartmentFactory, ManagerFactory, PortalContactFactory, StaffFactory
from tickets import services

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _login(page, base: str, email: str) -> None:
    page.context.clear_cookies()
    page.goto(f"{base}/staff/login/")
    page.fill("#id_username", email)
    page.fill("#id_password", "pw")
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"/staff/"))


def test_agent_drafts_manager_publishes_and_view_as_customer(live_server, page):
    """Draft from the thread, publish in the console, and the read-only customer view."""
    support = DepartmentFactory(name="Customer Support", email="support@company.com")
    agent = StaffFactory(email="lina@company.com", full_name="Lina Agent", departments=[support])
    ManagerFactory(email="mara@company.com", full_name="Mara Manager", is_superuser=True)
    KBGroup.objects.create(name="Billing & Payments", slug="billing")
    contact = PortalContactFactory(first_name="Ana", last_name="Pop", email="ana@client.example")
    ticket = services.open_ticket(subject="Cannot download my invoice", body_text="The PDF link fails.",
                                  department=support, contact=contact)
    services.add_reply(ticket=ticket, body_text="Open Invoices, then the PDF icon.", kind="staff", author=agent)
    services.add_reply(ticket=ticket, body_text="Internal: customer is on the old plan.", kind="note", author=agent)
    base = live_server.url

    _login(page, base, "lina@company.com")
    page.goto(f"{base}/staff/tickets/{ticket.pk}/")
    page.click("#view-as-customer")
    page.wait_for_selector("#preview-banner")
    assert "Open Invoices, then the PDF icon." in page.inner_text(".thread")
    assert "old plan" not in page.content() and page.locator("#reply").count() == 0
    page.goto(f"{base}/staff/tickets/{ticket.pk}/")
    page.click("#kb-draft-link")
    page.fill("#id_title", "How to download an invoice")
    page.fill("#id_body", "Open **Invoices**, then click the PDF icon next to the invoice.")
    page.click("#kb-draft-form button[type=submit]")
    page.wait_for_selector(".flash .success")
    article = KBArticle.objects.get()
    assert article.status == KBArticle.Status.DRAFT

    _login(page, base, "mara@company.com")
    page.goto(f"{base}/knowledge-base/")
    page.click("#kb-drafts-to-review")
    page.click("text=How to download an invoice")
    page.select_option("#id_status", "published")
    page.click("input[name=_save]")
    page.wait_for_url(re.compile(r"/admin/kb/kbarticle/"))
    article.refresh_from_db()
    assert article.status == KBArticle.Status.PUBLISHED
    page.context.clear_cookies()
    page.goto(f"{base}/knowledge-base/article/{article.slug}/")
    assert "click the PDF icon" in page.inner_text("main")
