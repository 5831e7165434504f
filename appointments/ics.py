"""iCalendar invites for callbacks (RFC 5545 objects, RFC 5546 iTIP methods), made with `icalendar`.

One VEVENT per callback with a stable UID; every change sends METHOD:REQUEST with a higher
SEQUENCE, a cancellation METHOD:CANCEL with STATUS:CANCELLED and the same UID. RSVP is FALSE:
we do not process iTIP replies. Pure: no database access, the caller passes what it needs.
"""

from datetime import datetime, timedelta

import icalendar

PRODID = "-//Helpdesk//Callbacks 1.0//EN"


def build_invite(
    *,
    uid: str,
    sequence: int,
    method: str,
    starts_at: datetime,
    duration_minutes: int,
    summary: str,
    description: str,
    organizer_email: str,
    organizer_name: str,
    attendee_email: str,
    attendee_name: str,
    reminder_minutes: int,
    stamp: datetime,
) -> bytes:
    """Return the .ics bytes of a callback invite (`method` REQUEST or CANCEL)."""
    method = method.upper()
    cal = icalendar.Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("method", method)
    event = icalendar.Event()
    event.add("uid", uid)
    event.add("dtstamp", stamp)
    event.add("dtstart", starts_at)
    event.add("dtend", starts_at + timedelta(minutes=duration_minutes))
    event.add("sequence", sequence)
    event.add("summary", summary)
    if description:
        event.add("description", description)
    organizer = icalendar.vCalAddress(f"mailto:{organizer_email}")
    organizer.params["cn"] = icalendar.vText(organizer_name)
    event.add("organizer", organizer)
    attendee = icalendar.vCalAddress(f"mailto:{attendee_email}")
    attendee.params["cn"] = icalendar.vText(attendee_name or attendee_email)
    attendee.params["role"] = icalendar.vText("REQ-PARTICIPANT")
    attendee.params["partstat"] = icalendar.vText("NEEDS-ACTION")
    attendee.params["rsvp"] = icalendar.vText("FALSE")
    event.add("attendee", attendee)
    event.add("status", "CANCELLED" if method == "CANCEL" else "CONFIRMED")
    if method == "REQUEST" and reminder_minutes:
        alarm = icalendar.Alarm()
        alarm.add("action", "DISPLAY")
        alarm.add("trigger", timedelta(minutes=-reminder_minutes))
        alarm.add("description", summary)
        event.add_component(alarm)
    cal.add_component(event)
    return cal.to_ical()
