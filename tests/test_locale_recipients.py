"""Mail and notifications written outside the reader's request go out in the recipient's
language: a contact's (else the site's) for the receipt, the survey invitation and the callback
confirmation; each staff member's for notifications, whatever language the actor was using."""

import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core import mail
from django.utils import translation

from appointments import services as appointments
from surveys import services as surveys
from tests.factories import ContactFactory, DepartmentFactory, StaffFactory
from tickets import services
from tickets.intake import receipts
from tickets.models import AutomationRule, Notification, Ticket, TicketMessage
from tickets.models.notifications import NotificationKind
from tickets.notifications import services as notifications

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # a Monday
RO_DATE = re.compile(r"\b\d{2}\.\d{2}\.\d{4}\b")  # 30.11.2026
EN_DATE = re.compile(r"\b\d{1,2} [A-Z][a-z]{2} \d{4}\b")  # 30 Nov 2026


@pytest.fixture(autouse=True)
def _no_rules():
    """Seeded automation rules would send their own mail; these tests send it by hand."""
    AutomationRule.objects.update(is_active=False)


@pytest.fixture
def commit(django_capture_on_commit_callbacks):
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def dept():
    return DepartmentFactory(name="Technical Support", email="tech@company.com")


@pytest.fixture
def agent(dept):
    """The actor: an agent reading the pages in Romanian."""
    return StaffFactory(email="actor@company.com", full_name="Ioana Actor", departments=[dept], language="ro",
                        timezone="Europe/Bucharest")


@pytest.fixture
def ro_contact():
    return ContactFactory(first_name="Ana", email="ana@client.example", language="ro", phone="+40712345678")


@pytest.fixture
def en_contact():
    return ContactFactory(first_name="Jane", email="jane@client.example", language="", phone="+14155550100")


def _open(dept, contact, commit, subject="Printer smoking") -> Ticket:
    with time_machine.travel(T0, tick=False), commit():
        return services.open_ticket(subject=subject, body_text="Smoke!", department=dept, contact=contact,
                                    client=contact.client)


def _sent_to(address: str) -> list:
    return [m for m in mail.outbox if address in m.to]


# --- customers ---------------------------------------------------------------------------------


def test_receipt_is_in_the_contacts_language_whatever_the_actors(dept, ro_contact, en_contact, commit):
    """The built-in receipt (the seeded reply, unchanged) reaches a Romanian contact in Romanian,
    department name included, and an English-speaking one in English, even when sent while
    the other language is active."""
    ro_ticket, en_ticket = _open(dept, ro_contact, commit), _open(dept, en_contact, commit)
    mail.outbox.clear()
    with translation.override("en"), commit():
        receipts.send_receipt(ticket=ro_ticket)
    with translation.override("ro"), commit():
        receipts.send_receipt(ticket=en_ticket)
    [ro_mail], [en_mail] = _sent_to(ro_contact.email), _sent_to(en_contact.email)
    assert ro_mail.subject == f"[Ticket ID: {ro_ticket.pk}] Printer smoking"
    assert "Am primit tichetul dumneavoastră" in ro_mail.body and "Echipa Suport tehnic" in ro_mail.body
    assert "Bună ziua, Ana," in ro_mail.body and "We received" not in ro_mail.body
    assert "We received your ticket" in en_mail.body and "Our Technical Support team" in en_mail.body
    assert "Am primit" not in en_mail.body
    # The thread keeps what the customer was sent.
    stored = TicketMessage.objects.get(ticket=ro_ticket, kind=TicketMessage.Kind.SYSTEM).body_text
    assert "Am primit tichetul dumneavoastră" in stored


def test_an_edited_receipt_is_sent_as_the_manager_wrote_it(dept, ro_contact, commit):
    """A predefined receipt a manager wrote is not translated: it is what they wrote."""
    from django.conf import settings

    from tickets.models import PredefinedReply

    PredefinedReply.objects.filter(title=settings.HELPDESK_RECEIPT_REPLY_TITLE).update(
        body="Hi {contact_first_name}, thanks for ticket {ticket_number}.")
    ticket = _open(dept, ro_contact, commit)
    mail.outbox.clear()
    with commit():
        receipts.send_receipt(ticket=ticket)
    assert _sent_to(ro_contact.email)[0].body.startswith(f"Hi Ana, thanks for ticket {ticket.pk}.")


def test_intake_notices_in_each_recipients_language(ro_contact):
    """"Mail is being held" reaches a Romanian and an English manager each in their language; a
    too-large email from a Romanian contact is refused in Romanian."""
    from tests.factories import ManagerFactory
    from tickets.models import InboundEmail

    ManagerFactory(email="mara@company.com", language="ro")
    ManagerFactory(email="mike@company.com", language="")
    held = InboundEmail.objects.create(sha256="0" * 64, fingerprint="a" * 64, from_email="flood@example.com",
                                       subject="Hi")
    big = InboundEmail.objects.create(sha256="1" * 64, fingerprint="b" * 64, from_email=ro_contact.email.upper(),
                                      subject="Poze")
    mail.outbox.clear()
    with translation.override("en"):
        receipts.send_inbound_notice(inbound_id=held.pk, notice="held")
        receipts.send_inbound_notice(inbound_id=big.pk, notice="too_large")
    subjects = {m.to[0].lower(): m.subject for m in mail.outbox}
    assert subjects["mara@company.com"] == "Emailurile de la flood@example.com sunt reținute"
    assert subjects["mike@company.com"] == "Email from flood@example.com is being held"
    assert subjects[ro_contact.email] == "Nu am putut deschide un tichet din emailul dumneavoastră"


def _close(ticket: Ticket, agent, commit) -> Ticket:
    with time_machine.travel(T0 + timedelta(minutes=10), tick=False), commit():
        services.add_reply(ticket=ticket, body_text="Fixed.", kind="staff", author=agent)
    with time_machine.travel(T0 + timedelta(minutes=20), tick=False), commit():
        services.close_ticket(ticket=ticket, actor=agent)
    return Ticket.objects.get(pk=ticket.pk)


def test_survey_invitation_is_in_the_contacts_language(dept, agent, ro_contact, en_contact, commit):
    """Subject, text and the link's expiry date follow the customer's language."""
    ro_ticket = _close(_open(dept, ro_contact, commit), agent, commit)
    en_ticket = _close(_open(dept, en_contact, commit), agent, commit)
    mail.outbox.clear()
    with time_machine.travel(T0 + timedelta(hours=2), tick=False):
        with translation.override("en"), commit():
            assert surveys.invite_for_ticket(ticket=ro_ticket).invitation is not None
        with translation.override("ro"), commit():
            assert surveys.invite_for_ticket(ticket=en_ticket).invitation is not None
    [ro_mail], [en_mail] = _sent_to(ro_contact.email), _sent_to(en_contact.email)
    assert ro_mail.subject.startswith("Cum a fost experiența cu echipa noastră de asistență?")
    assert "Linkul funcționează până la" in ro_mail.body and RO_DATE.search(ro_mail.body)
    assert "Linkul funcționează până la" in ro_mail.alternatives[0][0]
    assert en_mail.subject.startswith("How was your experience with our support?")
    assert "The link works until" in en_mail.body
    assert EN_DATE.search(en_mail.body) and not RO_DATE.search(en_mail.body)


def test_callback_confirmation_and_invite_are_in_the_contacts_language(dept, agent, ro_contact, en_contact,
                                                                      commit):
    """The confirmation on the ticket (emailed) and its calendar invite are in the customer's
    language with that language's date format, whoever booked the call in which language."""
    ro_ticket, en_ticket = _open(dept, ro_contact, commit), _open(dept, en_contact, commit)
    mail.outbox.clear()
    with time_machine.travel(T0, tick=False):
        with translation.override("en"), commit():
            appointments.schedule_callback(ticket=ro_ticket, agent=agent, starts_at=T0 + timedelta(days=1),
                                           actor=agent)
        with translation.override("ro"), commit():
            appointments.schedule_callback(ticket=en_ticket, agent=agent, starts_at=T0 + timedelta(days=1),
                                           actor=agent)
    [ro_mail], [en_mail] = _sent_to(ro_contact.email), _sent_to(en_contact.email)
    assert "Vă vom suna înapoi despre tichetul" in ro_mail.body
    assert re.search(r"Când \(ora dumneavoastră\): \S+ \d{2}\.\d{2}\.2026, \d{2}:\d{2}", ro_mail.body)
    assert "We will call you back about ticket" in en_mail.body
    assert re.search(r"When \(your time\): [A-Z][a-z]{2} \d{1,2} Nov 2026, \d{2}:\d{2}", en_mail.body)
    ro_ics = _invite(ro_ticket)
    assert f"SUMMARY:Apel despre tichetul #{ro_ticket.pk}" in ro_ics
    assert f"SUMMARY:Callback re: Ticket #{en_ticket.pk}" in _invite(en_ticket)


def _invite(ticket: Ticket) -> str:
    message = TicketMessage.objects.filter(ticket=ticket, kind=TicketMessage.Kind.SYSTEM).latest("id")
    attachment = message.attachments.get(original_name="invite.ics")
    with attachment.file.open("rb") as fh:
        return fh.read().decode().replace("\r\n ", "")


# --- staff ---------------------------------------------------------------------------------------


@pytest.fixture
def ro_agent(dept):
    return StaffFactory(email="radu@company.com", departments=[dept], language="ro")


@pytest.fixture
def en_agent(dept):
    return StaffFactory(email="emma@company.com", departments=[dept], language="en")


def _text(user) -> str:
    return Notification.objects.filter(recipient=user).latest("id").text


def test_one_new_ticket_tells_each_agent_in_their_language(dept, ro_agent, en_agent, en_contact, commit):
    """The bell of a Romanian and an English agent, from the same new ticket (department name
    translated too); by email, each in their own language."""
    for user in (ro_agent, en_agent):
        notifications.set_email_kinds(user=user, kinds=[NotificationKind.NEW_TICKET])
    mail.outbox.clear()
    with translation.override("en"):
        ticket = _open(dept, en_contact, commit)
    assert _text(ro_agent) == f"Tichet nou #{ticket.pk} în Suport tehnic: Printer smoking"
    assert _text(en_agent) == f"New ticket #{ticket.pk} in Technical Support: Printer smoking"
    assert _sent_to(ro_agent.email)[0].subject.startswith("Tichet nou")
    assert _sent_to(en_agent.email)[0].subject.startswith("New ticket")


def test_escalation_email_reaches_each_agent_in_their_language(dept, agent, ro_agent, en_agent, en_contact, commit):
    """One escalation: the email subject and its note heading in each recipient's language; the
    note itself is what the agent wrote."""
    tech = DepartmentFactory(name="Development", email="dev@company.com")
    ro_dev = StaffFactory(email="dev.ro@company.com", departments=[tech], language="ro")
    en_dev = StaffFactory(email="dev.en@company.com", departments=[tech], language="")
    ticket = _open(dept, en_contact, commit)
    mail.outbox.clear()
    with translation.override("ro"), commit():
        services.escalate(ticket=ticket, actor=agent, note="Checked logs, needs a developer.", department=tech)
    [ro_mail], [en_mail] = _sent_to(ro_dev.email), _sent_to(en_dev.email)
    assert ro_mail.subject.startswith(f"Tichetul #{ticket.pk} a fost escaladat către")
    assert "Checked logs, needs a developer." in ro_mail.body
    assert en_mail.subject.startswith(f"Ticket #{ticket.pk} was escalated to Development")
    assert "Escalation note:" in en_mail.body and "Checked logs, needs a developer." in en_mail.body
    assert "Nota de escaladare:" in ro_mail.body and "Escalation note:" not in ro_mail.body


def test_sla_breach_sweep_writes_each_recipients_language(dept, ro_agent, en_agent, en_contact, commit):
    """The set-based SLA notification picks each department member's language in SQL."""
    ticket = _open(dept, en_contact, commit)
    with translation.override("ro"):
        notifications.notify_sla(ticket_ids=[ticket.pk], metric="first_response",
                                 kind=NotificationKind.SLA_BREACHED)
    assert _text(ro_agent) == f"SLA primul răspuns depășit la #{ticket.pk}: Printer smoking"
    assert _text(en_agent) == f"SLA first response breached on #{ticket.pk}: Printer smoking"


def test_callback_reminder_to_the_agent_in_the_agents_language(dept, ro_agent, ro_contact, commit):
    """A Romanian agent's reminder, written by the sweep while English is active, is in Romanian
    with the Romanian date format."""
    ticket = _open(dept, ro_contact, commit)
    with time_machine.travel(T0, tick=False), commit():
        appointments.schedule_callback(ticket=ticket, agent=ro_agent, starts_at=T0 + timedelta(hours=2),
                                       actor=ro_agent, reminder_minutes=30, confirm_to_customer=False)
    with translation.override("en"), time_machine.travel(T0 + timedelta(hours=2), tick=False), commit():
        assert appointments.send_due_reminders() == 1
    text = _text(ro_agent)
    assert text.startswith("Apel la ") and re.search(r"\d{2}\.\d{2}\.2026, \d{2}:\d{2}", text), text


# --- fan-out query counts -------------------------------------------------------------------------


def _team(dept, n: int) -> list:
    team = [StaffFactory(email=f"fan{n}-{i}@company.com", language=("ro", "en", "")[i % 3]) for i in range(n)]
    for user in team:
        notifications.set_email_kinds(user=user, kinds=[NotificationKind.ESCALATED])
    return team


def _notify(team, ticket) -> None:
    notifications.notify(
        recipients=team, kind=NotificationKind.ESCALATED, ticket=ticket,
        text=lambda: str(NotificationKind.ESCALATED.label), email_subject=lambda: str(NotificationKind.ESCALATED.label),
    )


@pytest.mark.parametrize("size", [1, 10])
def test_notify_fan_out_queries_do_not_grow_with_recipients(dept, en_contact, commit, size,
                                                            django_assert_max_num_queries):
    """Notifying 1 or 10 staff of mixed languages takes the same few queries (one insert, one
    read of the email preferences); the emails are queued per language."""
    ticket = _open(dept, en_contact, commit)
    team = _team(dept, size)
    mail.outbox.clear()
    with commit(), django_assert_max_num_queries(2):  # the emails go after commit, outside the count
        _notify(team, ticket)
    expected = {"ro": "Escaladare către departamentul meu", "en": "Escalation to my department",
                "": "Escalation to my department"}
    assert all(_text(u) == expected[u.language] for u in team)
    sent = {m.to[0]: m.subject for m in mail.outbox}
    assert sent == {u.email: expected[u.language] for u in team}


@pytest.mark.parametrize("size", [1, 10])
def test_notify_many_fan_out_queries_do_not_grow_with_recipients(dept, en_contact, commit, size,
                                                                 django_assert_max_num_queries):
    """The bulk path (new tickets, reminders, followers): one read of the languages, one of the
    preferences, one insert, however many recipients."""
    ticket = _open(dept, en_contact, commit)
    team = _team(dept, size)
    rows = [(u.pk, NotificationKind.NEW_TICKET, ticket.pk, lambda: str(NotificationKind.NEW_TICKET.label))
            for u in team]
    with django_assert_max_num_queries(3):
        assert notifications.notify_many(rows) == size
    ro = [u for u in team if u.language == "ro"]
    assert all(_text(u) == "Tichet nou în departamentul meu" for u in ro)
