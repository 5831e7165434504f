"""Browser tests (Chromium through Playwright): a callback from booking to closing the ticket,
and hand-offs from a ticket that land on the client's timeline."""

import re
from datetime import datetime, timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from appointments import services as callback_services
from appointments.models import Callback
from crm.models import DeliveryNote, DeliveryReturn, Order, OrderLine
from tests.factories import ContactFactory, DepartmentFactory, StaffFactory
from tickets import services

pytestmark = pytest.mark.browser


def _login(page, live_server, user, next_url: str) -> None:
    page.goto(f"{live_server.url}/staff/login/?next={next_url}")
    page.fill("#id_username", user.email)
    page.fill("#id_password", "pw")
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(re.escape(next_url) + "$"))


@pytest.mark.django_db(transaction=True)
def test_agent_books_a_callback_gets_the_reminder_and_closes_the_ticket(live_server, page):
    """Book from the ticket page, see it in the week calendar, get the reminder in the bell,
    mark it finished with a note and close the ticket."""
    support = DepartmentFactory(name="General Support", email="support@company.com")
    agent = StaffFactory(email="ana.l1@company.com", full_name="Ana Agent", departments=[support],
                         timezone="Europe/Bucharest")
    contact = ContactFactory(first_name="John", last_name="Doe", email="john@acme.example", timezone="Europe/London")
    ticket = services.open_ticket(subject="Import keeps failing", body_text="Call me", department=support,
                                  contact=contact, assignee=agent)
    _login(page, live_server, agent, f"/staff/tickets/{ticket.pk}/")

    page.click("#action-schedule-callback")
    page.wait_for_url(re.compile(r"/staff/appointments/ticket/\d+/schedule/$"))
    day = (timezone.now() + timedelta(days=2)).astimezone(callback_services.zone("Europe/Bucharest")).date()
    page.fill("#id_starts_local", f"{day.isoformat()}T10:30")
    page.fill("#id_notes", "Walk through the import log")
    page.click("#schedule-form button[type=submit]")
    page.wait_for_url(re.compile(rf"/staff/tickets/{ticket.pk}/$"))
    assert page.locator("#callbacks .mini-row").count() == 1
    callback = Callback.objects.get()
    assert callback.starts_at == callback_services.local_to_utc(datetime.combine(day, datetime.min.time())
                                                                .replace(hour=10, minute=30), "Europe/Bucharest")

    page.goto(f"{live_server.url}/staff/appointments/?view=week&week={day.isoformat()}")
    assert page.locator("#week-calendar", has_text=f"10:30 #{ticket.pk}").count() == 1

    assert callback_services.send_due_reminders(now=callback.remind_at) == 1  # what the beat sweep does
    page.goto(f"{live_server.url}/staff/appointments/")
    assert page.locator("#notification-bell .count").inner_text() == "1"
    page.click("#notification-bell")
    assert page.locator("body", has_text="Callback at").count() >= 1

    page.goto(f"{live_server.url}/staff/appointments/{callback.pk}/")
    page.fill("#id_outcome", "Re-ran the import with the fixed mapping; it works.")
    page.check("#id_close_ticket")
    page.click("#finish button[type=submit]")
    page.wait_for_url(re.compile(rf"/staff/tickets/{ticket.pk}/$"))
    page.screenshot(path="/tmp/callback_finished.png", full_page=True)
    ticket.refresh_from_db()
    callback.refresh_from_db()
    assert callback.status == Callback.Status.FINISHED
    assert ticket.closed_at is not None
    assert "Re-ran the import" in page.content()


@pytest.mark.django_db(transaction=True)
def test_agent_creates_a_return_and_an_opportunity_and_sees_both_on_the_timeline(live_server, page):
    support = DepartmentFactory(name="General Support", email="support@company.com")
    DepartmentFactory(name="Warehouse", email="warehouse@company.com")
    sales = DepartmentFactory(name="Sales", email="sales@company.com")
    seller = StaffFactory(email="sam@company.com", full_name="Sam Seller", departments=[sales])
    agent = StaffFactory(email="ana.l1@company.com", full_name="Ana Agent", departments=[support])
    contact = ContactFactory(first_name="John", last_name="Doe", email="john@acme.example")
    order = Order.objects.create(client=contact.client, number="ORD-77", status=Order.Status.DELIVERED)
    OrderLine.objects.create(order=order, description="Desk lamp", quantity=4, unit_price=25)
    DeliveryNote.objects.create(order=order, awb_number="AWB-9", carrier="DPD", tracking_url="https://dpd.example/AWB-9")
    ticket = services.open_ticket(subject="Lamps arrived broken", body_text="2 of 4", department=support,
                                  contact=contact, assignee=agent)
    _login(page, live_server, agent, f"/staff/tickets/{ticket.pk}/")

    page.click("text=ORD-77")
    page.wait_for_url(re.compile(r"/staff/orders/\d+/\?ticket=\d+$"))
    assert page.locator("a[href='https://dpd.example/AWB-9']").count() == 1
    page.click("#return summary")
    page.fill(f"#id_qty_{order.lines.get().pk}", "2")
    page.fill("#id_reason", "Two lamps broken in transit")
    page.click("#return button[type=submit]")
    page.wait_for_url(re.compile(r"/staff/orders/\d+/\?ticket=\d+$"))
    assert page.locator("#order-returns", has_text="2 × Desk lamp").count() == 1

    # The ticket stays open until the warehouse receives the return: said, and closing refused.
    waiting = f"Waiting for delivery return #{DeliveryReturn.objects.get().pk} to be received"
    page.goto(f"{live_server.url}/staff/tickets/{ticket.pk}/")
    expect(page.locator("#close-blocker")).to_contain_text(waiting)
    page.select_option("#prop-status", str(services.closed_status().pk))
    page.click("form.properties button[type=submit]")
    expect(page.locator("ul.flash li.error")).to_contain_text(waiting)
    expect(page.locator("#prop-status option:checked")).not_to_have_text("Closed")
    ticket.refresh_from_db()
    assert ticket.closed_at is None

    page.goto(f"{live_server.url}/staff/tickets/{ticket.pk}/")
    page.click("#action-opportunity")
    page.fill("#id_name", "Replacement lamps, premium model")
    page.fill("#id_value", "180")
    page.select_option("#id_owner", str(seller.pk))
    page.click("#opportunity-form button[type=submit]")
    page.wait_for_url(re.compile(rf"/staff/tickets/{ticket.pk}/$"))

    page.goto(f"{live_server.url}/staff/clients/{contact.client_id}/?tab=activity")
    timeline = page.locator("#client-tab")
    timeline.wait_for()
    assert page.locator("body", has_text="Delivery return for order ORD-77").count() == 1
    assert page.locator("body", has_text="Replacement lamps, premium model").count() >= 1
    page.select_option("#activity-kind", "opportunity")
    page.click("#activity-filter button[type=submit]")
    assert page.locator("body", has_text="Delivery return for order ORD-77").count() == 0
    assert page.locator("body", has_text="Replacement lamps, premium model").count() >= 1
