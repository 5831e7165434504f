"""The .ics invites a customer receives, parsed back with icalendar."""

from datetime import UTC, datetime, timedelta

import icalendar
import pytest
import time_machine
from django.core import mail

from appointments import services
from tickets.models import TicketMessage

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 20, 9, 0, tzinfo=UTC)


def _invites() -> list[icalendar.Calendar]:
    found = []
    for message in mail.outbox:
        for part in message.message().walk():
            if part.get_content_type() == "text/calendar":
                cal = icalendar.Calendar.from_ical(part.get_payload(decode=True))
                assert part.get_param("method") == str(cal["METHOD"])
                found.append(cal)
    return found


def _event(cal: icalendar.Calendar) -> icalendar.Event:
    return next(iter(cal.walk("VEVENT")))


def test_booking_update_and_cancel_keep_the_uid_and_raise_the_sequence(ticket, agent, commit):
    """Booking sends REQUEST with SEQUENCE 0; moving it sends REQUEST with the same UID and
    SEQUENCE 1; cancelling sends CANCEL, STATUS:CANCELLED, same UID, SEQUENCE 2."""
    with time_machine.travel(NOW, tick=False), commit():
        start = NOW + timedelta(days=2)
        callback = services.schedule_callback(ticket=ticket, agent=agent, starts_at=start, actor=agent)
        services.update_callback(callback=callback, actor=agent, changes={"starts_at": start + timedelta(hours=1)})
        services.cancel_callback(callback=callback, actor=agent, reason="Solved by email")
    invites = _invites()
    assert [str(c["METHOD"]) for c in invites] == ["REQUEST", "REQUEST", "CANCEL"]
    events = [_event(c) for c in invites]
    assert {str(e["UID"]) for e in events} == {callback.uid}
    assert [int(e["SEQUENCE"]) for e in events] == [0, 1, 2]
    assert events[0].decoded("DTSTART") == start
    assert events[1].decoded("DTSTART") == start + timedelta(hours=1)
    assert events[1].decoded("DTEND") - events[1].decoded("DTSTART") == timedelta(minutes=30)
    assert str(events[2]["STATUS"]) == "CANCELLED"
    assert str(events[0]["ATTENDEE"]) == "mailto:jane@client.example"
    assert str(events[0]["ORGANIZER"]) == "mailto:support@company.com"
    assert events[0].walk("VALARM")[0].decoded("TRIGGER") == timedelta(minutes=-30)


def test_confirmation_goes_through_the_ticket_with_both_time_zones(ticket, agent, commit):
    """The confirmation is an automatic message on the ticket, emailed to the customer, that
    gives the time in the customer's zone (New York) and the agent's (Bucharest)."""
    with time_machine.travel(NOW, tick=False), commit():
        services.schedule_callback(ticket=ticket, agent=agent, starts_at=datetime(2026, 3, 24, 14, 0, tzinfo=UTC),
                                   actor=agent)
    message = TicketMessage.objects.filter(ticket=ticket, kind=TicketMessage.Kind.SYSTEM).get()
    assert "Tue 24 Mar 2026, 10:00 (America/New_York)" in message.body_text
    assert "Tue 24 Mar 2026, 16:00 (Europe/Bucharest)" in message.body_text
    assert message.attachments.get().original_name == "invite.ics"
    assert [m.to for m in mail.outbox] == [["jane@client.example"]]
    assert f"[Ticket ID: {ticket.pk}]" in mail.outbox[0].subject


def test_a_change_of_notes_only_sends_no_update(ticket, agent, commit):
    """Only a new time or duration is news for the customer's calendar."""
    with time_machine.travel(NOW, tick=False), commit():
        callback = services.schedule_callback(ticket=ticket, agent=agent, starts_at=NOW + timedelta(days=1),
                                              actor=agent)
        services.update_callback(callback=callback, actor=agent, changes={"notes": "ask about the export"})
    callback.refresh_from_db()
    assert callback.sequence == 0
    assert len(_invites()) == 1
