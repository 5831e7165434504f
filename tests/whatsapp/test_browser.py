"""The WhatsApp inbox scenario in a real browser (Debian's Chromium via Playwright) against the
live server and the fake Graph API on loopback."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.factories import ContactFactory, StaffFactory
from whatsapp.models import Conversation, Message, MessageTemplate, PhoneNumber, QuickReply

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_agent_answers_with_a_quick_reply_then_a_template_then_a_ticket(live_server, page, account, fake_graph):
    """A `/` quick reply goes out; the 24 h window closes (browser clock run forward, the customer's
    last message moved back) and free text gives way to a template; then a ticket is created from
    selected messages and the agent's reply on the ticket reaches the Graph API."""
    number = PhoneNumber.objects.get()
    support = number.default_department
    agent = StaffFactory(email="lina@company.com", full_name="Lina Agent", departments=[support])
    contact = ContactFactory(first_name="Ana", last_name="Pop", phone="+16505551234", client__name="Acme Ltd")
    # The customer wrote 23 h 59 min ago: one minute of window left.
    last = timezone.now() - timedelta(hours=24) + timedelta(seconds=60)
    conversation = Conversation.objects.create(phone_number=number, wa_id="16505551234", profile_name="Ana P",
                                               contact=contact, department=support, last_inbound_at=last,
                                               unread_count=2, last_message_at=last)
    first = Message.objects.create(conversation=conversation, direction="in", type="text", status="received",
                                   body="I was charged twice for March", wamid="wamid.A1", created_at=last)
    Message.objects.create(conversation=conversation, direction="in", type="text", status="received",
                           body="Invoice INV-7", wamid="wamid.A2", created_at=last)
    QuickReply.objects.create(keyword="refund", title="Refund checking",
                              body="Hi {contact_first_name}, I am checking the refund now.")
    MessageTemplate.objects.create(name="follow_up", language="en", status="APPROVED",
                                   components=[{"type": "BODY", "text": "Hi {{1}}, we have news on your request."}])

    page.clock.install()
    page.goto(f"{live_server.url}/staff/login/")
    page.fill("#id_username", agent.email)
    page.fill("#id_password", "pw")
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"/staff/"))

    # The top bar badge, then the inbox and the conversation.
    page.goto(f"{live_server.url}/staff/tickets/")
    assert page.inner_text("#whatsapp-unread") == "2"
    page.click("#nav-whatsapp")
    page.click(f"a[data-conversation='{conversation.pk}']")
    page.wait_for_url(re.compile(rf"/staff/whatsapp/{conversation.pk}/$"))
    assert "Acme Ltd" in page.inner_text(".customer-panel")
    assert "0 h 0" in page.inner_text("#wa-window")

    # "/ref" lists the quick reply; choosing it fills the box; the agent edits and sends.
    page.click("#reply-body")
    page.keyboard.type("/ref")
    page.wait_for_selector("#quick-replies button[data-keyword=refund]")
    page.click("#quick-replies button[data-keyword=refund]")
    # (no wait_for_function: it evaluates a string, which the pages' CSP forbids)
    expect(page.locator("#reply-body")).to_have_value(re.compile("checking the refund"))
    assert page.input_value("#reply-body") == "Hi Ana, I am checking the refund now."
    page.fill("#reply-body", page.input_value("#reply-body") + " Back in an hour.")
    page.click("#wa-send")
    page.wait_for_selector(".wa-msg.out")
    assert fake_graph.sent[0]["text"]["body"] == "Hi Ana, I am checking the refund now. Back in an hour."
    assert QuickReply.objects.get().usage_count == 1

    # The window closes: the customer's last message is now more than 24 h old and the browser's
    # countdown, run forward, reloads the page, which disables free text and offers the template.
    Conversation.objects.filter(pk=conversation.pk).update(last_inbound_at=last - timedelta(minutes=2))
    with page.expect_navigation():
        page.clock.run_for(120_000)
    page.wait_for_selector("#wa-window-closed")
    assert page.locator("#reply-body").count() == 0
    form = page.locator("form[data-template=follow_up]")
    form.locator("input[name=param]").fill("Ana")
    form.locator("button[type=submit]").click()
    page.wait_for_url(re.compile(rf"/staff/whatsapp/{conversation.pk}/$"))
    assert fake_graph.sent[1]["template"]["name"] == "follow_up"
    assert "Hi Ana, we have news on your request." in page.inner_text("#wa-history")

    # Workflow 5: tick the first message, create the ticket, reply on the ticket.
    page.check(f"#wa-msg-{first.pk} input[type=checkbox]")
    page.fill("#id_subject", "Double charge in March")
    page.click("#wa-create-ticket")
    page.wait_for_url(re.compile(r"/staff/tickets/\d+/$"))
    assert "I was charged twice for March" in page.inner_text(".thread")
    # The window is closed, so a free-text ticket reply cannot go out on WhatsApp: reopen it
    # as the customer writing again would.
    Conversation.objects.filter(pk=conversation.pk).update(last_inbound_at=timezone.now())
    page.fill("#reply-body", "Your refund was issued today.")
    page.click("#reply-send")
    page.wait_for_load_state()
    deadline = 50
    while len(fake_graph.sent) < 3 and deadline:
        page.wait_for_timeout(100)
        deadline -= 1
    assert fake_graph.sent[2]["text"]["body"].startswith("Your refund was issued today.")
