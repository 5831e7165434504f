"""The L1 agent's morning in a real browser (Debian's Chromium via Playwright) against the live
server, with a real SMTP server on loopback receiving what the helpdesk sends."""

import os
import re
import socket
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default as default_policy

import pytest

from tests.factories import ContactFactory, DepartmentFactory, StaffFactory
from tickets import services
from tickets.models import PredefinedReply, Ticket

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


class _Inbox:
    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 (aiosmtpd's hook name)
        self.messages.append(message_from_bytes(envelope.original_content or envelope.content,
                                                policy=default_policy))
        return "250 OK"


@pytest.fixture
def ws_smtp(settings):
    """A real SMTP server on loopback; the helpdesk's mail goes to it."""
    from aiosmtpd.controller import Controller

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    inbox = _Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    yield inbox
    controller.stop()


@pytest.fixture
def ws_page():
    if not os.path.exists(CHROMIUM):
        pytest.skip("Chromium is not installed at /usr/bin/chromium")
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1440, "height": 1000})
        page = context.new_page()
        page.set_default_timeout(15000)
        yield page
        context.close()
        browser.close()


def _wait_for(predicate, timeout: float = 10.0) -> None:
    import time

    end = time.time() + timeout
    while time.time() < end:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError("condition not met in time")


def test_l1_agent_morning_routine(live_server, ws_page, ws_smtp, tmp_path):
    """Log in, open the morning view, answer with a personalised predefined reply and a file,
    add a note (no mail), escalate to Technical Support (the ticket leaves the L1 queue)."""
    page = ws_page
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

    # Keyboard: j selects the first row, o opens it (the oldest ticket at equal priority).
    page.keyboard.press("j")
    page.keyboard.press("o")
    page.wait_for_url(re.compile(rf"/staff/tickets/{ticket.pk}/$"))
    assert "Since Monday I get an error." in page.inner_text(".thread")

    # Insert the predefined reply (personalised), then edit it.
    page.select_option("#use_reply", label="Receipt confirmation")
    page.wait_for_function("document.getElementById('reply-body').value.includes('Hello Ana')")
    body = page.input_value("#reply-body")
    assert f"thank you for ticket #{ticket.pk}. Lina is looking into it." in body
    page.fill("#reply-body", body + "\nPlease try the reset link attached.")
    attachment = tmp_path / "reset-steps.txt"
    attachment.write_text("1. Open the portal\n2. Click reset\n")
    page.set_input_files("#reply-attachments", str(attachment))
    page.select_option("#reply-status", "answered")
    page.click("#reply-send")
    page.wait_for_selector(".flash .success")
    _wait_for(lambda: len(ws_smtp.messages) == 1)
    mail = ws_smtp.messages[0]
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
    import time

    time.sleep(0.5)
    assert len(ws_smtp.messages) == 1

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
    _wait_for(lambda: len(ws_smtp.messages) == 2)
    assert ws_smtp.messages[1]["To"] == "tom@company.com"
