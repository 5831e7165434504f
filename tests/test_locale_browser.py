"""The language switcher in a real browser: an agent switches the workspace to Romanian from the
user menu, the page and its dates follow, and the choice holds after signing in again."""

import os
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.factories import DepartmentFactory, PortalContactFactory, StaffFactory
from tickets import services

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SCREENSHOTS = os.environ.get("HELPDESK_SCREENSHOTS", "")


def _sign_in(page, url: str, email: str) -> None:
    page.goto(url)
    page.fill("#id_username", email)
    page.fill("#id_password", "pw")
    page.click("button[type=submit]")


def test_agent_switches_the_workspace_to_romanian(live_server, browser):
    support = DepartmentFactory(name="Customer Support", email="support@company.com")
    agent = StaffFactory(email="lina@company.com", full_name="Lina Agent", departments=[support],
                         timezone="Europe/Bucharest")
    customer = PortalContactFactory(first_name="Ana", email="ana@client.example", timezone="Europe/Bucharest")
    ticket = services.open_ticket(subject="Comanda nu a ajuns", body_text="Unde este coletul?",
                                  department=support, contact=customer)
    context = browser.new_context(viewport={"width": 1440, "height": 900}, locale="en-GB")
    context.set_default_timeout(15_000)
    page = context.new_page()
    base = live_server.url

    _sign_in(page, f"{base}/staff/login/", agent.email)
    page.goto(f"{base}/staff/tickets/")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("link", name="Morning routine")).to_be_visible()
    page.get_by_role("button", name="Română").click()

    expect(page).to_have_url(f"{base}/staff/tickets/")
    expect(page.locator("html")).to_have_attribute("lang", "ro")
    expect(page.get_by_role("link", name="Rutina de dimineață")).to_be_visible()
    expect(page.get_by_role("button", name="English")).to_be_visible()
    if SCREENSHOTS:
        Path(SCREENSHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=f"{SCREENSHOTS}/queue-ro-desktop.png")

    page.goto(f"{base}/staff/tickets/{ticket.pk}/")
    # The message's time in the Romanian format (dd.mm.yyyy, hh:mm), in the agent's time zone.
    expect(page.locator(f"#m{ticket.messages.first().pk} time")).to_have_text(
        ticket.messages.first().created_at.astimezone(_bucharest()).strftime("%d.%m.%Y, %H:%M"))
    expect(page.get_by_role("button", name="Trimite", exact=True)).to_be_visible()
    if SCREENSHOTS:
        page.screenshot(path=f"{SCREENSHOTS}/ticket-ro-desktop.png")

    # A new browser session: the choice was kept on the agent's profile, not only in a cookie.
    context.clear_cookies()
    _sign_in(page, f"{base}/staff/login/", agent.email)
    page.goto(f"{base}/staff/tickets/")
    expect(page.locator("html")).to_have_attribute("lang", "ro")
    context.close()

    phone = browser.new_context(viewport={"width": 390, "height": 844}, locale="ro-RO")
    phone.set_default_timeout(15_000)
    portal = phone.new_page()
    _sign_in(portal, f"{base}/authentication/login/", customer.email)
    portal.goto(f"{base}/portal/")
    expect(portal.locator("html")).to_have_attribute("lang", "ro")
    expect(portal.get_by_role("heading", name="Tichetele dumneavoastră deschise")).to_be_visible()
    if SCREENSHOTS:
        portal.screenshot(path=f"{SCREENSHOTS}/portal-ro-phone.png", full_page=True)
    phone.close()


def _bucharest():
    import zoneinfo

    return zoneinfo.ZoneInfo("Europe/Bucharest")
