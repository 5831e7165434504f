"""The escalation scenario end to end in a real browser: L1 escalates with a status and the
major flag, L2 finds it at the top of the morning view, the manager approves, and L1, who
follows the ticket, sees L2's reply."""

import re

import pytest
from playwright.sync_api import expect

from tests.factories import ContactFactory, DepartmentFactory, ManagerFactory, StaffFactory, priority
from tickets import services
from tickets.models import Escalation

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _login(page, base: str, email: str) -> None:
    page.context.clear_cookies()
    page.goto(f"{base}/staff/login/")
    page.fill("#id_username", email)
    page.fill("#id_password", "pw")
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"/staff/"))


def test_escalation_scenario(live_server, page):
    """L1 escalates (On Hold, major) -> L2 sees it first -> manager approves -> L1 reads L2's reply."""
    support = DepartmentFactory(name="Customer Support", email="support@company.com")
    technical = DepartmentFactory(name="Technical Support", email="tech@company.com")
    StaffFactory(email="lina@company.com", full_name="Lina Agent", departments=[support])
    StaffFactory(email="tom@company.com", full_name="Tom Tech", departments=[technical])
    ManagerFactory(email="mara@company.com", full_name="Mara Manager")
    contact = ContactFactory(first_name="Ana", last_name="Pop", email="ana@client.example")
    older = services.open_ticket(subject="Old question", body_text="Something small.", department=technical,
                                 contact=contact, priority=priority("Low"))
    ticket = services.open_ticket(subject="Production is down", body_text="Nothing works since 9:00.",
                                  department=support, contact=contact)
    base = live_server.url

    # L1 escalates to Technical Support, to Tom, High, On Hold, major.
    _login(page, base, "lina@company.com")
    page.goto(f"{base}/staff/tickets/{ticket.pk}/")
    page.click("#escalate summary")
    page.select_option("#esc-department", label="Technical Support")
    expect(page.locator("#esc-assignee")).not_to_contain_text("Lina Agent")  # htmx narrowed the list
    page.select_option("#esc-assignee", label="Tom Tech")
    page.select_option("#esc-priority", label="High")
    page.select_option("#esc-status", "on-hold")
    page.check("#esc-major")
    page.fill("#esc-note", "Checked status page and logs; the API returns 503 for this client.")
    page.click("#escalate button[type=submit]")
    page.wait_for_url(re.compile(r"/staff/tickets/$"))
    assert "You follow it" in page.inner_text(".flash")
    assert Escalation.objects.get(ticket=ticket).state == Escalation.State.AWAITING_APPROVAL

    # L2: the morning view shows it first (High before Low), with no filter to set.
    _login(page, base, "tom@company.com")
    page.goto(f"{base}/staff/tickets/")
    numbers = page.locator("#queue-rows tr.queue-row").evaluate_all("rows => rows.map(r => r.dataset.ticket)")
    assert numbers[:2] == [str(ticket.pk), str(older.pk)]

    # The manager approves it from the Escalations view.
    _login(page, base, "mara@company.com")
    page.goto(f"{base}/staff/escalations/")
    page.click(f"#esc-{Escalation.objects.get(ticket=ticket).pk} button[value=approve]")
    page.wait_for_selector(".flash .success")
    assert Escalation.objects.get(ticket=ticket).state == Escalation.State.OPEN

    # L2 replies to the customer.
    _login(page, base, "tom@company.com")
    page.goto(f"{base}/staff/tickets/{ticket.pk}/")
    page.fill("#reply-body", "The API is back; we restarted the gateway.")
    page.click("#reply-send")
    page.wait_for_selector(".flash .success")

    # L1 follows the ticket: it is under "Tickets I follow" and shows L2's reply.
    _login(page, base, "lina@company.com")
    page.goto(f"{base}/staff/tickets/")
    page.click("a[data-view=following]")
    page.wait_for_url(re.compile(r"following=1"))
    page.click(f"#queue-rows tr[data-ticket='{ticket.pk}'] a")
    page.wait_for_url(re.compile(rf"/staff/tickets/{ticket.pk}/"))
    assert "The API is back; we restarted the gateway." in page.inner_text(".thread")
    assert page.locator("#follower-notice").count() == 1
