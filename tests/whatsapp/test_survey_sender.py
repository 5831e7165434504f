"""The survey invitation of a WhatsApp ticket goes out as the mapped WhatsApp template, its
signed link in a parameter and the URL button; other tickets, or a failure, get the email."""

import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.conf import settings
from django.core import mail

from surveys import services as survey_services
from surveys.models import Invitation
from tests.factories import ContactFactory, StaffFactory
from tickets import services as ticket_services
from tickets.models import Ticket
from tickets.models.core import Channel
from whatsapp.models import Conversation, EventMapping, Message, MessageTemplate, PhoneNumber

pytestmark = pytest.mark.django_db
T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


@pytest.fixture
def commit(django_capture_on_commit_callbacks):
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def survey_template(account):
    template = MessageTemplate.objects.create(
        name="survey_invite", language="en", status="APPROVED",
        components=[{"type": "BODY", "text": "Hi {{1}}, how did we do on ticket #{{2}}? {{3}}"},
                    {"type": "BUTTONS", "buttons": [
                        {"type": "QUICK_REPLY", "text": "Later"},
                        {"type": "URL", "text": "Answer", "url": settings.SITE_URL + "/{{1}}"}]}])
    EventMapping.objects.create(event="survey", template=template, parameters="[name]\n[ID]\n[link]")
    return template


def _closed_ticket(commit, channel: str) -> Ticket:
    department = PhoneNumber.objects.get().default_department
    agent = StaffFactory(departments=[department])
    contact = ContactFactory(first_name="Sheena", phone="+16505551234")
    with time_machine.travel(T0 - timedelta(hours=2), tick=False), commit():
        ticket = ticket_services.open_ticket(subject="Scanner", body_text="It beeps.", department=department,
                                             contact=contact, client=contact.client, channel=channel)
    if channel == Channel.WHATSAPP:
        Conversation.objects.create(phone_number=PhoneNumber.objects.get(), wa_id="16505551234", ticket=ticket,
                                    contact=contact, department=department)
    with time_machine.travel(T0, tick=False), commit():
        ticket_services.close_ticket(ticket=ticket, actor=agent)
    return Ticket.objects.get(pk=ticket.pk)


def _invite(ticket, commit) -> Invitation:
    with time_machine.travel(T0 + timedelta(hours=1), tick=False), commit():
        outcome = survey_services.invite_for_ticket(ticket=ticket, now=T0 + timedelta(hours=1))
    assert outcome.invitation is not None, outcome.reason
    return outcome.invitation


def _survey_mails() -> list:
    return [m for m in mail.outbox if "/survey/" in m.body]


def test_whatsapp_ticket_gets_the_survey_as_a_template(survey_template, fake_graph, commit, client):
    ticket = _closed_ticket(commit, Channel.WHATSAPP)
    mail.outbox.clear()
    _invite(ticket, commit)
    assert _survey_mails() == []
    assert len(fake_graph.sent) == 1
    sent = fake_graph.sent[0]
    assert sent["to"] == "16505551234" and sent["template"]["name"] == "survey_invite"
    body, button = sent["template"]["components"]
    name, number, link = [p["text"] for p in body["parameters"]]
    assert (name, number) == ("Sheena", str(ticket.pk))
    assert re.fullmatch(re.escape(settings.SITE_URL) + r"/survey/[^/]+/", link)
    assert button == {"type": "button", "sub_type": "url", "index": "1",
                      "parameters": [{"type": "text", "text": link[len(settings.SITE_URL) + 1:]}]}
    # The link works: the customer's survey form opens without a login.
    assert client.get(link).status_code == 200
    assert Message.objects.get(direction="out", template=survey_template).status == "accepted"
    assert ticket.events.filter(note__contains="Survey invitation sent as WhatsApp template survey_invite").exists()


def test_email_ticket_gets_the_survey_by_email(survey_template, fake_graph, commit):
    ticket = _closed_ticket(commit, Channel.EMAIL)
    mail.outbox.clear()
    _invite(ticket, commit)
    assert fake_graph.sent == []
    assert len(_survey_mails()) == 1


def test_whatsapp_ticket_without_a_survey_mapping_gets_the_email(account, fake_graph, commit):
    ticket = _closed_ticket(commit, Channel.WHATSAPP)
    mail.outbox.clear()
    _invite(ticket, commit)
    assert fake_graph.sent == [] and len(_survey_mails()) == 1


@pytest.mark.parametrize("code", [131026, 130429])
def test_whatsapp_failure_falls_back_to_email_with_the_reason(survey_template, fake_graph, commit, code):
    """Undeliverable (no retry) and a rate limit (no retry either: the email went) both fall back."""
    ticket = _closed_ticket(commit, Channel.WHATSAPP)
    mail.outbox.clear()
    fake_graph.fail_next(code)
    _invite(ticket, commit)
    assert len(_survey_mails()) == 1
    message = Message.objects.get(direction="out", template=survey_template)
    assert message.status == "failed"
    note = ticket.events.get(note__contains="Survey invitation not sent as WhatsApp").note
    assert "sent by email instead" in note
    assert ("undeliverable" if code == 131026 else "Rate limit").lower() in note.lower()
    assert fake_graph.sent == []  # nothing went out on WhatsApp, now or later


def _closed_whatsapp_ticket_without_email(commit) -> Ticket:
    """A WhatsApp customer whose number matches no contact: no email address anywhere."""
    department = PhoneNumber.objects.get().default_department
    agent = StaffFactory(departments=[department])
    with time_machine.travel(T0 - timedelta(hours=2), tick=False), commit():
        ticket = ticket_services.open_ticket(subject="Scanner", body_text="It beeps.", department=department,
                                             requester_name="Sheena", channel=Channel.WHATSAPP)
    Conversation.objects.create(phone_number=PhoneNumber.objects.get(), wa_id="16505551234", ticket=ticket,
                                department=department)
    with time_machine.travel(T0, tick=False), commit():
        ticket_services.close_ticket(ticket=ticket, actor=agent)
    return Ticket.objects.get(pk=ticket.pk)


def test_whatsapp_customer_without_email_still_gets_the_survey(survey_template, fake_graph, commit):
    ticket = _closed_whatsapp_ticket_without_email(commit)
    assert ticket.reply_email == ""
    mail.outbox.clear()
    invitation = _invite(ticket, commit)
    assert invitation.email == "" and invitation.channel == Channel.WHATSAPP
    assert len(fake_graph.sent) == 1 and fake_graph.sent[0]["to"] == "16505551234"
    assert _survey_mails() == []


def test_whatsapp_failure_without_email_sends_nothing_and_says_why(survey_template, fake_graph, commit):
    ticket = _closed_whatsapp_ticket_without_email(commit)
    mail.outbox.clear()
    fake_graph.fail_next(131026)
    _invite(ticket, commit)
    assert _survey_mails() == [] and fake_graph.sent == []
    assert ticket.events.filter(note__contains="no email address to fall back to").exists()


def test_email_less_ticket_of_another_channel_gets_no_invitation(survey_template, commit):
    department = PhoneNumber.objects.get().default_department
    with time_machine.travel(T0 - timedelta(hours=2), tick=False), commit():
        ticket = ticket_services.open_ticket(subject="Call", body_text="Phoned in.", department=department,
                                             requester_name="Anon", channel=Channel.PHONE)
    with time_machine.travel(T0, tick=False), commit():
        ticket_services.close_ticket(ticket=ticket, actor=StaffFactory(departments=[department]))
    outcome = survey_services.invite_for_ticket(ticket=Ticket.objects.get(pk=ticket.pk), now=T0 + timedelta(hours=1))
    assert outcome.invitation is None and outcome.reason == "no address"
