"""Bots answer once, in order, never while an agent handles the conversation or within their
cool-down; event mapping sends a template through the automation action send_whatsapp_template."""

from datetime import time, timedelta

import pytest
from django.utils import timezone

from tests.factories import ContactFactory, StaffFactory
from tests.whatsapp.conftest import fixture_body
from tickets import services as ticket_services
from tickets.automation.registry import ActionContext, get_action
from tickets.models import BusinessCalendar, BusinessHours
from whatsapp import bots
from whatsapp.models import Bot, Conversation, EventMapping, Message, MessageTemplate, PhoneNumber

pytestmark = pytest.mark.django_db


@pytest.fixture
def conversation(account):
    number = PhoneNumber.objects.get()
    return Conversation.objects.create(phone_number=number, wa_id="16505551234", profile_name="Sheena Nelson",
                                       department=number.default_department, last_inbound_at=timezone.now())


def _customer_says(conversation, text) -> Message:
    return Message.objects.create(conversation=conversation, direction="in", type="text", body=text,
                                  status="received", wamid=f"wamid.B{Message.objects.count()}")


def test_faq_answers_keywords_and_beats_the_receipt(conversation, fake_graph, django_capture_on_commit_callbacks):
    Bot.objects.create(name="Receipt", kind="receipt", message="Received. An agent will reply within {sla_hours} h.")
    Bot.objects.create(name="Address", kind="faq", phrases="address\nwhere are you", message="Main St 1.")
    with django_capture_on_commit_callbacks(execute=True):
        reply = bots.answer(message_id=_customer_says(conversation, "What is your ADDRESS?").pk)
    assert reply.body == "Main St 1." and reply.bot.name == "Address"
    assert fake_graph.sent[0]["text"]["body"] == "Main St 1."
    conversation.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        second = bots.answer(message_id=_customer_says(conversation, "Hello").pk)
    assert second.bot.name == "Receipt"
    assert second.body == "Received. An agent will reply within 24 h."  # Medium: 24 h first response


def test_exact_phrase_match(conversation):
    bot = Bot.objects.create(name="Hours", kind="faq", match="exact", phrases="opening hours", message="9-17")
    assert bots.faq_matches(bot, "Opening hours?")
    assert not bots.faq_matches(bot, "what are your opening hours today")


def test_cool_down_and_agent_handling_silence_bots(conversation):
    Bot.objects.create(name="Receipt", kind="receipt", message="Received.", cooldown_minutes=60)
    first = bots.answer(message_id=_customer_says(conversation, "hi").pk)
    assert first is not None
    assert bots.answer(message_id=_customer_says(conversation, "hello again").pk) is None  # cool-down
    Message.objects.filter(bot__isnull=False).update(created_at=timezone.now() - timedelta(hours=2))
    conversation.assignee = StaffFactory()
    conversation.save()
    assert bots.answer(message_id=_customer_says(conversation, "anyone?").pk) is None  # an agent has it


def test_bot_does_not_clear_unread(conversation):
    Conversation.objects.filter(pk=conversation.pk).update(unread_count=1)
    Bot.objects.create(name="Receipt", kind="receipt", message="Received.")
    bots.answer(message_id=_customer_says(conversation, "hi").pk)
    conversation.refresh_from_db()
    assert conversation.unread_count == 1


def test_business_hours_bot_only_outside_hours(conversation):
    calendar = BusinessCalendar.objects.create(name="Office", is_default=True, time_zone="UTC")
    now = timezone.now()
    # Open only on a weekday that is not today: now is outside hours.
    BusinessHours.objects.create(calendar=calendar, weekday=(now.weekday() + 3) % 7, opens=time(9), closes=time(17))
    bot = Bot.objects.create(name="Closed", kind="business_hours", message="We are closed. Hours: {hours}")
    message = _customer_says(conversation, "hi")
    chosen = bots.choose(message=message, now=now)
    assert chosen == bot
    assert "09:00-17:00" in bots.render(bot, conversation)


def test_send_whatsapp_template_action_from_the_event_mapping(account, fake_graph, django_capture_on_commit_callbacks):
    """ticket created -> template with [ID] and [SLA], logged on the ticket."""
    template = MessageTemplate.objects.create(
        name="ticket_received", language="en", status="APPROVED",
        components=[{"type": "BODY", "text": "We received your ticket #{{1}}. An agent will reply within {{2}}."}])
    EventMapping.objects.create(event="ticket_created", template=template, parameters="[ID]\n[SLA]")
    contact = ContactFactory(phone="+16505551234")
    ticket = ticket_services.open_ticket(subject="Printer", body_text="broken",
                                         department=PhoneNumber.objects.get().default_department, contact=contact)
    action = get_action("send_whatsapp_template")
    assert action is not None
    with django_capture_on_commit_callbacks(execute=True):
        result = action.run(ActionContext(ticket=ticket, params={"event": "ticket_created"}, rule=None, run=None))
    assert "queued" in result
    sent = fake_graph.sent[0]
    assert sent["to"] == "16505551234" and sent["template"]["name"] == "ticket_received"
    assert [p["text"] for p in sent["template"]["components"][0]["parameters"]] == [str(ticket.pk), "24 hours"]
    assert ticket.events.filter(note__contains="ticket_received").exists()


def test_action_without_a_number_is_logged_not_raised(account):
    template = MessageTemplate.objects.create(name="t", language="en", status="APPROVED",
                                              components=[{"type": "BODY", "text": "Hi"}])
    EventMapping.objects.create(event="ticket_closed", template=template)
    ticket = ticket_services.open_ticket(subject="x", body_text="y",
                                         department=PhoneNumber.objects.get().default_department,
                                         contact=ContactFactory(phone=""))
    result = get_action("send_whatsapp_template").run(
        ActionContext(ticket=ticket, params={"event": "ticket_closed"}, rule=None, run=None))
    assert "no WhatsApp number" in result


def test_webhook_message_gets_the_receipt_bot(account, post_webhook, fake_graph):
    """End to end: a fresh customer message through the webhook is answered by the receipt bot once."""
    import time as _time

    Bot.objects.create(name="Receipt", kind="receipt", message="Thanks {contact_first_name}, we reply within "
                                                               "{sla_hours} hours.")
    post_webhook(fixture_body("text", **{'"1749416384"': f'"{int(_time.time())}"'}))
    assert fake_graph.sent[0]["text"]["body"] == "Thanks Sheena, we reply within 24 hours."
    assert Message.objects.get(direction="out").bot.name == "Receipt"
    assert Conversation.objects.get().unread_count == 1
