"""The queue at 1440x900 in a real browser: filters folded into one line, compact rows and a
hidden column, kept for the agent across visits; and "View as the customer" from a contact."""

import re

import pytest
from playwright.sync_api import expect

from tests.factories import DepartmentFactory, PortalContactFactory, StaffFactory, TicketFactory
from tickets import services

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_agent_switches_to_compact_rows_and_hides_a_column(live_server, page):
    support = DepartmentFactory(name="Customer Support", email="support@company.com")
    agent = StaffFactory(email="lina@company.com", full_name="Lina Agent", departments=[support])
    for i in range(30):
        TicketFactory(department=support, subject=f"Printer problem number {i}")
    page.set_viewport_size({"width": 1440, "height": 900})
    page.goto(f"{live_server.url}/staff/login/")
    page.fill("#id_username", agent.email)
    page.fill("#id_password", "pw")
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"/staff/tickets/"))

    rows = page.locator("#queue-rows tr.queue-row")
    expect(page.locator("#result-count")).to_have_text("30 of 30")
    expect(page.locator("#filter-chips li.chip-active")).to_have_count(4)
    # The full filter form is folded until asked for.
    expect(page.locator("#id_department")).to_be_hidden()
    page.locator("#filter-more > summary").click()
    expect(page.locator("#id_department")).to_be_visible()
    page.locator("#filter-more > summary").click()
    expect(page.locator("#id_department")).to_be_hidden()
    expect(page.locator("#queue-table")).to_have_class(re.compile(r"\bcomfortable\b"))
    expect(page.locator("th[data-column=department]")).to_be_visible()

    # Display: compact rows, no department column.
    page.locator("#queue-display > summary").click()
    page.get_by_label("Compact (one line per ticket)").check()
    page.locator("#queue-display input[name=columns][value=department]").uncheck()
    page.locator("#queue-display").get_by_role("button", name="Save").click()

    expect(page.locator("#queue-table")).to_have_class(re.compile(r"\bcompact\b"))
    expect(page.locator("th[data-column=department]")).to_have_count(0)
    expect(page.locator("#queue-rows td.department")).to_have_count(0)
    expect(rows).to_have_count(30)
    # At 1440x900 a compact queue shows twenty tickets and more without scrolling.
    expect(rows.nth(19)).to_be_in_viewport()

    # The choice is the agent's: it is still there on the next visit.
    page.goto(f"{live_server.url}/staff/tickets/?view=all")
    expect(page.locator("#queue-table")).to_have_class(re.compile(r"\bcompact\b"))
    expect(page.locator("th[data-column=department]")).to_have_count(0)


def test_agent_views_the_portal_as_a_contact_from_the_client_file(live_server, page):
    """Client file -> Contacts -> View as the customer: the contact's portal list, then a ticket's
    public thread without the internal note and without a reply box."""
    support = DepartmentFactory(name="Customer Support", email="support@company.com")
    agent = StaffFactory(email="lina@company.com", full_name="Lina Agent", departments=[support])
    ana = PortalContactFactory(first_name="Ana", last_name="Pop", email="ana@client.example",
                               client__name="Acme Industries")
    ticket = services.open_ticket(subject="Cannot download my invoice", body_text="The PDF link fails.",
                                  department=support, contact=ana)
    services.add_reply(ticket=ticket, body_text="Open Invoices, then the PDF icon.", kind="staff", author=agent)
    services.add_reply(ticket=ticket, body_text="Internal: customer is on the old plan.", kind="note", author=agent)
    page.goto(f"{live_server.url}/staff/login/")
    page.fill("#id_username", agent.email)
    page.fill("#id_password", "pw")
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"/staff/tickets/"))

    page.goto(f"{live_server.url}/staff/clients/{ana.client_id}/?tab=contacts")
    page.get_by_role("link", name="View as the customer").click()
    expect(page.locator("#preview-banner")).to_contain_text("Ana Pop sees it")
    page.get_by_role("link", name="Cannot download my invoice").click()
    expect(page.locator(".thread")).to_contain_text("Open Invoices, then the PDF icon.")
    expect(page.locator(".thread")).not_to_contain_text("old plan")
    expect(page.locator("#reply")).to_have_count(0)
    expect(page.locator("#preview-banner")).to_contain_text("Ana Pop sees it on the portal")
