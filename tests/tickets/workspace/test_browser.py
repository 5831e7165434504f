"""The L1 agent's morning in a real browser (Debian's Chromium via Playwright) against the live
server, with a real SMTP server on loopback receiving what the helpdesk sends."""

import re
import time

import pytest
from playwright.sync_api import expect

from tests.factories import ContactFactory, DepartmentFactory, StaffFactory
from tickets import services
from tickets.models import PredefinedReply, Ticket

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

def test_l1_agent_morning_routine(live_server, page, smtp_server, tmp_path):
    """Log in, open the morning view, answer with a personalised predefined reply and a file,
    add a note (no mail), escalate to Technical Support (the ticket leaves the L1 queue)."""
    support = DepartmentFactory(name="Customer Support", email="support@company.com")
    technical = DepartmentFactory(name="Technical Support", email="tech@company.com")
    agent = StaffFactory(email="lina@company.com", full_name="Lina Agent", departments=[support])
    agent.staff_profile.signature = "Lina Agent\nCustomer Support"
    agent.staff_profile.save()
    StaffFactory(email="tom@company.com", full_name="Tom Tech", departments=[technical])
    contact = ContactFactory(first_name="Ana", last_name="Pop", email="ana@client.example",
                             client__name="Acme Industries")
    ticket = services.open_ticket(subject="Cannot log in to the portal", body_text="Since Monday I get an error.",
                                  department=support, contact=contact, message_id="<first@client.example>")
    services.open_ticket(subject="Invoice question", body_text="Why two invoices?", department=support,
                         contact=contact)
    PredefinedReply.objects.create(title="Receipt confirmation",
                                   body="Hello {contact_first_name},\n\nthank you for ticket #{ticket_number}. "
                                        "{agent_first_name} is looking into it.")

    # Log in as the L1 agent.
    page.goto(f"{live_server.url}/staff/login/")
    page.fill("#id_username", agent.email)
    page.fill("#id_password", "pw")
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"/staff/tickets/"))

    # The morning view: New + In Progress + On Hold.
    page.click("a[data-view=morning]")
    page.wait_for_url(re.compile(r"status=new&status=in-progress&status=on-hold"))
    assert page.locator("#queue-rows tr.queue-row").count() == 2
    page.screenshot(path="/tmp/ws_queue.png", full_page=True)
    # The htmx refresh swaps the rows (and the counts out of band) and keeps the filters.
    page.evaluate("window.scrollTo(0, 200)")
    page.evaluate("htmx.ajax('GET', document.querySelector('#queue-rows').getAttribute('hx-get'),"
                  " {target: '#queue-rows', swap: 'innerHTML'})")
    page.wait_for_timeout(700)
    assert page.locator("#queue-rows tr.queue-row").count() == 2
    assert page.locator("#status-counts .sidebar-counts li").count() == 6
    assert "status=new" in page.url

    # Keyboard: j selects the first row, o opens it (the oldest ticket at equal priority).
    page.keyboard.press("j")
    page.keyboard.press("o")
    page.wait_for_url(re.compile(rf"/staff/tickets/{ticket.pk}/$"))
    assert "Since Monday I get an error." in page.inner_text(".thread")

    # Insert the predefined reply (personalised), then edit it.
    page.select_option("#use_reply", label="Receipt confirmation")
    # (Not wait_for_function: Playwright evaluates its string with eval, which the page's CSP forbids.)
    expect(page.locator("#reply-body")).to_have_value(re.compile("Hello Ana"))
    body = page.input_value("#reply-body")
    assert f"thank you for ticket #{ticket.pk}. Lina is looking into it." in body
    page.fill("#reply-body", body + "\nPlease try the reset link attached.")
    attachment = tmp_path / "reset-steps.txt"
    attachment.write_text("1. Open the portal\n2. Click reset\n")
    page.set_input_files("#reply-attachments", str(attachment))
    page.select_option("#reply-status", "answered")
    page.click("#reply-send")
    page.wait_for_selector(".flash .success")
    mail = smtp_server.wait_for(1)[0]
    assert mail["Subject"] == f"[Ticket ID: {ticket.pk}] Cannot log in to the portal"
    assert mail["To"] == "ana@client.example"
    assert mail["In-Reply-To"] == "<first@client.example>"
    assert "<first@client.example>" in mail["References"]
    assert re.match(rf"<t{ticket.pk}\.m\d+\.[0-9a-f]{{16}}@", mail["Message-ID"])
    text = mail.get_body(preferencelist=("plain",)).get_content().replace("\r\n", "\n")
    assert "Please try the reset link attached." in text and "Lina Agent\nCustomer Support" in text
    files = [(p.get_filename(), p.get_content().replace("\r\n", "\n")) for p in mail.iter_attachments()]
    assert files == [("reset-steps.txt", "1. Open the portal\n2. Click reset\n")]
    ticket.refresh_from_db()
    assert ticket.status.slug == "answered"

    # An internal note: shown on the page as a note, no email.
    page.keyboard.press("n")
    page.fill("#reply-body", "Checked the SSO logs: error 500 on login.")
    page.click("#reply-send")
    page.wait_for_selector(".msg.note")
    assert "Checked the SSO logs" in page.inner_text(".msg.note")
    page.screenshot(path="/tmp/ws_ticket.png", full_page=True)
    time.sleep(0.5)
    assert len(smtp_server.messages) == 1

    # Escalate to Technical Support with a note: the ticket leaves the L1 agent's queue.
    page.click("#escalate summary")
    page.select_option("#esc-department", label="Technical Support")
    page.fill("#esc-note", "SSO returns 500 for this account; needs a look at the identity provider.")
    page.click("#escalate button[type=submit]")
    page.wait_for_url(re.compile(r"/staff/tickets/$"))
    assert "has left your queue" in page.inner_text(".flash")
    page.goto(f"{live_server.url}/staff/tickets/?view=all")
    numbers = page.locator("#queue-rows tr.queue-row").evaluate_all("rows => rows.map(r => r.dataset.ticket)")
    assert str(ticket.pk) not in numbers and len(numbers) == 1
    assert Ticket.objects.get(pk=ticket.pk).department == technical
    # Tom in Technical Support was told by email.
    assert smtp_server.wait_for(2)[1]["To"] == "tom@company.com"
