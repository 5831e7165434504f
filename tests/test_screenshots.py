"""Screenshots of the queue, a ticket, a portal ticket and the admin index at 1440x900 and
390x844, for a person to look at. Opt-in: HELPDESK_SCREENSHOTS=<folder> pytest tests/test_screenshots.py"""

import os
import re
from pathlib import Path

import pytest

from tests.factories import ContactFactory, DepartmentFactory, ManagerFactory, PortalContactFactory, StaffFactory
from tickets import services

FOLDER = os.environ.get("HELPDESK_SCREENSHOTS", "")
pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not FOLDER, reason="set HELPDESK_SCREENSHOTS to a folder to take screenshots"),
]
SIZES = {"desktop": (1440, 900), "phone": (390, 844)}


def _login(page, url: str, email: str) -> None:
    page.goto(url)
    page.fill("#id_username", email)
    page.fill("#id_password", "pw")
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")


@pytest.mark.parametrize("size", list(SIZES))
def test_screenshots(live_server, browser, size):
    """Take the twelve screenshots."""
    support = DepartmentFactory(name="Customer Support", email="support@company.com")
    technical = DepartmentFactory(name="Technical Support", email="tech@company.com")
    agent = StaffFactory(email="lina@company.com", full_name="Lina Agent", departments=[support])
    StaffFactory(email="tom@company.com", full_name="Tom Tech", departments=[technical])
    ManagerFactory(email="mara@company.com", full_name="Mara Manager", is_superuser=True)
    customer = PortalContactFactory(first_name="Ana", last_name="Pop", email="ana@client.example")
    first = None
    for i in range(12):
        ticket = services.open_ticket(subject=f"Order #{1000 + i} not delivered", body_text="Where is it?",
                                      department=support, contact=customer if i == 0 else ContactFactory())
        first = first or ticket
    services.add_reply(ticket=first, body_text="We are checking with the courier.", kind="staff", author=agent)
    services.escalate(ticket=first, actor=agent, note="Courier API returns 500; needs L2.", department=technical)
    folder = Path(FOLDER)
    folder.mkdir(parents=True, exist_ok=True)
    width, height = SIZES[size]
    context = browser.new_context(viewport={"width": width, "height": height}, locale="en-GB")
    page = context.new_page()
    base = live_server.url
    _login(page, f"{base}/staff/login/", "tom@company.com")
    page.goto(f"{base}/staff/tickets/")
    page.screenshot(path=str(folder / f"queue-{size}.png"))
    page.goto(f"{base}/staff/tickets/{first.pk}/")
    page.screenshot(path=str(folder / f"ticket-{size}.png"))
    context.clear_cookies()
    _login(page, f"{base}/authentication/login/", "ana@client.example")
    page.goto(f"{base}/portal/tickets/{first.pk}/")
    assert re.search("In progress", page.inner_text("#ticket-status"))
    page.screenshot(path=str(folder / f"portal-ticket-{size}.png"))
    context.clear_cookies()
    _login(page, f"{base}/staff/login/", "mara@company.com")
    page.goto(f"{base}/admin/")
    page.screenshot(path=str(folder / f"admin-{size}.png"))
    # The L1 agent's queue with a dozen tickets, comfortable then compact (her saved preference).
    context.clear_cookies()
    _login(page, f"{base}/staff/login/", "lina@company.com")
    page.goto(f"{base}/staff/tickets/?view=all")
    page.screenshot(path=str(folder / f"queue-agent-{size}.png"))
    services.save_queue_layout(user=agent, density="compact", columns=[
        "requester", "client", "status", "priority", "assignee", "sla", "updated"])
    page.goto(f"{base}/staff/tickets/?view=all")
    page.screenshot(path=str(folder / f"queue-compact-{size}.png"))
    context.close()
