"""Every write of callback appointments: schedule, change, cancel, finish, no-show, and the
reminder sweep. Each runs in one transaction and goes through the ticket services for what it
does to the ticket (the confirmation message with its .ics, internal notes, closing, history).

The customer hears of a callback through the ticket: an automatic message on the ticket, emailed
with an `invite.ics` attachment (METHOD:REQUEST; a change raises SEQUENCE under the same UID; a
cancellation is METHOD:CANCEL), times written in the customer's and the agent's time zones.

Reminders: `send_due_reminders` claims due callbacks with SELECT ... FOR UPDATE SKIP LOCKED and
sets reminder_sent_at in the same transaction that writes the notifications, so overlapping
sweeps and retried tasks send each reminder exactly once (a failed run claims nothing).
"""

import zoneinfo
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

from appointments import ics
from appointments.models import Callback
from crm import services as crm_services
from helpdesk import datetimes
from helpdesk.languages import in_language_of
from tickets import services as ticket_services
from tickets.models import Ticket, TicketEvent, TicketMessage
from tickets.models.notifications import NotificationKind
from tickets.notifications import services as notifications

ACTIVITY_KIND = "callback"
REMINDER_BATCH = 1000
TODAY_PANEL_SECONDS = 30  # the queue's "your callbacks today", kept per agent; forgotten on every change


def today_panel_key(agent_id: int) -> str:
    return f"appointments:today:{agent_id}"


def forget_today_panel(*agent_ids: int | None) -> None:
    """These agents' callbacks changed: their queue panel is read again (now and after commit,
    so a page that read the old rows meanwhile cannot keep them)."""
    keys = [today_panel_key(a) for a in {a for a in agent_ids if a}]

    def forget() -> None:
        cache.delete_many(keys)

    if keys:
        forget()
        transaction.on_commit(forget)


class CallbackError(Exception):
    """The callback change was refused; the message says why and is safe to show."""


# --- time zones ----------------------------------------------------------------------------


def zone(name: str | None) -> zoneinfo.ZoneInfo:
    """Return the IANA zone `name`, UTC when empty or unknown."""
    try:
        return zoneinfo.ZoneInfo(name or "UTC")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


def local_to_utc(naive: datetime, tz_name: str) -> datetime:
    """Read a wall-clock time typed in zone `tz_name` and return it in UTC (for a time that does
    not exist in a spring-forward gap, Python's fold=0 rule moves it forward by the gap)."""
    if timezone.is_aware(naive):
        return naive.astimezone(zoneinfo.ZoneInfo("UTC"))
    return naive.replace(tzinfo=zone(tz_name)).astimezone(zoneinfo.ZoneInfo("UTC"))


def when_in(moment: datetime, tz_name: str) -> str:
    """Return `moment` as people read it in zone `tz_name`: 'Sun 29 Mar 2026, 10:00 (Europe/Bucharest)'."""
    return f"{datetimes.moment(moment, tz_name=zone(tz_name).key, weekday=True)} ({tz_name or 'UTC'})"


def customer_timezone_of(ticket: Ticket) -> str:
    contact = ticket.contact if ticket.contact_id else None
    return (contact.timezone if contact else "") or "UTC"


# --- the customer's confirmation -------------------------------------------------------------


def _context(callback: Callback) -> dict[str, Any]:
    ticket = callback.ticket
    return {
        "callback": callback,
        "ticket": ticket,
        "customer_name": (ticket.contact.first_name if ticket.contact_id else "") or ticket.requester_name,
        "customer_when": when_in(callback.starts_at, callback.customer_timezone),
        "agent_when": when_in(callback.starts_at, callback.agent.timezone),
        "agent_name": callback.agent.get_full_name(),
        "phone": callback.phone,
    }


def _invite(callback: Callback, *, method: str) -> bytes:
    ticket = callback.ticket
    department = ticket.department
    return ics.build_invite(
        uid=callback.uid,
        sequence=callback.sequence,
        method=method,
        starts_at=callback.starts_at,
        duration_minutes=callback.duration_minutes,
        summary=_("Callback re: Ticket #%(n)s") % {"n": ticket.pk},
        description=render_to_string("appointments/email/invite_description.txt", _context(callback)).strip(),
        organizer_email=department.email or settings.DEFAULT_FROM_EMAIL,
        organizer_name=department.name,
        attendee_email=ticket.reply_email or "",
        attendee_name=ticket.contact.full_name if ticket.contact_id else ticket.requester_name,
        reminder_minutes=callback.reminder_minutes,
        stamp=timezone.now(),
    )


def _tell_customer(callback: Callback, *, template: str, method: str | None, actor: Any) -> TicketMessage | None:
    """Post an automatic message on the ticket (emailed to the customer), with the invite; both
    in the customer's language (their contact's, else the site's), whoever booked the call."""
    if not callback.ticket.reply_email:
        return None
    ticket = callback.ticket
    attachments = []
    with in_language_of(ticket.contact if ticket.contact_id else None):
        body = render_to_string(template, _context(callback)).strip()
        if method:
            attachments.append(ticket_services.NewAttachment(
                name="invite.ics", content=_invite(callback, method=method), content_type="text/calendar",
            ))
    return ticket_services.add_reply(
        ticket=callback.ticket, body_text=body, kind=TicketMessage.Kind.SYSTEM, author=actor,
        attachments=attachments, enforce_attachment_policy=False,
    )


def _history(callback: Callback, *, actor: Any, after: str, note: str = "") -> None:
    ticket_services.record_history(ticket=callback.ticket, kind=TicketEvent.Kind.CALLBACK, actor=actor,
                                   after=after, note=note)


def _activity(callback: Callback, *, actor: Any, text: str) -> None:
    crm_services.record_activity(client_id=callback.ticket.client_id, kind=ACTIVITY_KIND, description=text,
                                 actor=actor, link=callback.ticket.get_absolute_url())


def _check_agent(agent: Any) -> None:
    if agent is None or not (agent.is_active and agent.is_staff):
        raise CallbackError(_("Choose an active staff member to make the call."))


def _check_times(*, starts_at: datetime, duration_minutes: int, reminder_minutes: int) -> None:
    if timezone.is_naive(starts_at):
        raise CallbackError(_("The callback time needs a time zone."))
    if starts_at <= timezone.now():
        raise CallbackError(_("The callback must be in the future."))
    if not 5 <= duration_minutes <= 480:
        raise CallbackError(_("A callback lasts between 5 minutes and 8 hours."))
    if not 0 <= reminder_minutes <= 7 * 24 * 60:
        raise CallbackError(_("The reminder can be at most a week before."))


def _locked(callback: Callback) -> Callback:
    return (
        Callback.objects.select_for_update(of=("self",))
        .select_related("ticket__contact", "ticket__department", "agent")
        .get(pk=callback.pk)
    )


# --- writes ----------------------------------------------------------------------------------


@transaction.atomic
def schedule_callback(
    *,
    ticket: Ticket,
    agent: Any,
    starts_at: datetime,
    actor: Any,
    duration_minutes: int = 30,
    reminder_minutes: int = 30,
    notes: str = "",
    phone: str = "",
    remind_customer: bool = False,
    confirm_to_customer: bool = True,
) -> Callback:
    """Book a callback on a ticket for `agent` at `starts_at` (aware; stored in UTC).

    Side effects: the ticket's history records it; the customer gets the confirmation with an
    .ics invite (METHOD:REQUEST, SEQUENCE 0) through the ticket unless `confirm_to_customer` is
    off; the responsible agent is notified when someone else booked it; the client's Activity
    tab gets an entry. The reminder goes out `reminder_minutes` before the start.
    """
    _check_agent(agent)
    _check_times(starts_at=starts_at, duration_minutes=duration_minutes, reminder_minutes=reminder_minutes)
    ticket = Ticket.objects.select_related("contact", "department").get(pk=ticket.pk)
    if ticket.closed_at is not None:
        raise CallbackError(_("Reopen the ticket before booking a callback."))
    now = timezone.now()
    callback = Callback.objects.create(
        ticket=ticket, agent=agent, starts_at=starts_at, duration_minutes=duration_minutes,
        reminder_minutes=reminder_minutes, remind_at=starts_at - timedelta(minutes=reminder_minutes),
        remind_customer=remind_customer, customer_timezone=customer_timezone_of(ticket),
        phone=(phone or (ticket.contact.phone if ticket.contact_id else ""))[:40], notes=notes,
        created_by=actor if getattr(actor, "pk", None) else None, created_at=now, updated_at=now,
    )
    forget_today_panel(agent.pk)
    agent_when = when_in(starts_at, agent.timezone)
    _history(callback, actor=actor, after=_("Callback booked: %(when)s with %(agent)s") % {
        "when": agent_when, "agent": agent.get_full_name()}, note=notes)
    if confirm_to_customer:
        _tell_customer(callback, template="appointments/email/confirmation.txt", method="REQUEST", actor=actor)
    if getattr(actor, "pk", None) != agent.pk:
        notifications.notify(
            recipients=[agent], kind=NotificationKind.CALLBACK_REMINDER, ticket=ticket,
            text=lambda: _("Callback booked for you on #%(n)s: %(when)s") % {
                "n": ticket.pk, "when": when_in(starts_at, agent.timezone)},
        )
    _activity(callback, actor=actor, text=_("Callback booked for %(when)s (ticket #%(n)s)") % {
        "when": when_in(starts_at, callback.customer_timezone), "n": ticket.pk})
    return callback


@transaction.atomic
def update_callback(*, callback: Callback, actor: Any, changes: dict[str, Any]) -> Callback:
    """Change a scheduled callback (time, duration, reminder, agent, notes, phone, remind_customer).

    A new time or duration sends the customer an update: the same UID with the next SEQUENCE,
    and re-arms the reminder. The ticket's history records what changed.
    """
    allowed = {"starts_at", "duration_minutes", "reminder_minutes", "agent", "notes", "phone", "remind_customer"}
    unknown = set(changes) - allowed
    if unknown:
        raise CallbackError(_("These fields cannot be changed: %(f)s.") % {"f": ", ".join(sorted(unknown))})
    callback = _locked(callback)
    if not callback.is_open:
        raise CallbackError(_("Only a scheduled callback can be changed."))
    forget_today_panel(callback.agent_id, getattr(changes.get("agent"), "pk", None))
    changed = [name for name, value in changes.items() if getattr(callback, name) != value]
    if not changed:
        return callback
    if "agent" in changed:
        _check_agent(changes["agent"])
    for name in changed:
        setattr(callback, name, changes[name])
    timing = {"starts_at", "duration_minutes"} & set(changed)
    if timing or "reminder_minutes" in changed:
        _check_times(starts_at=callback.starts_at, duration_minutes=callback.duration_minutes,
                     reminder_minutes=callback.reminder_minutes)
        callback.remind_at = callback.starts_at - timedelta(minutes=callback.reminder_minutes)
        callback.reminder_sent_at = None
    if timing:
        callback.sequence += 1
    callback.updated_at = timezone.now()
    callback.save()
    _history(callback, actor=actor, after=_("Callback changed: %(when)s with %(agent)s") % {
        "when": when_in(callback.starts_at, callback.agent.timezone), "agent": callback.agent.get_full_name()},
        note=_("Changed: %(f)s") % {"f": ", ".join(changed)})
    if timing:
        _tell_customer(callback, template="appointments/email/updated.txt", method="REQUEST", actor=actor)
        _activity(callback, actor=actor, text=_("Callback moved to %(when)s (ticket #%(n)s)") % {
            "when": when_in(callback.starts_at, callback.customer_timezone), "n": callback.ticket_id})
    return callback


@transaction.atomic
def cancel_callback(*, callback: Callback, actor: Any, reason: str = "", tell_customer: bool = True) -> Callback:
    """Cancel a scheduled callback: the customer gets METHOD:CANCEL (same UID, next SEQUENCE)."""
    callback = _locked(callback)
    if not callback.is_open:
        raise CallbackError(_("Only a scheduled callback can be cancelled."))
    now = timezone.now()
    callback.status = Callback.Status.CANCELLED
    callback.sequence += 1
    callback.outcome = reason
    callback.closed_at = callback.updated_at = now
    callback.save()
    forget_today_panel(callback.agent_id)
    _history(callback, actor=actor, after=_("Callback cancelled"), note=reason)
    if tell_customer:
        _tell_customer(callback, template="appointments/email/cancelled.txt", method="CANCEL", actor=actor)
    _activity(callback, actor=actor, text=_("Callback of %(when)s cancelled (ticket #%(n)s)") % {
        "when": when_in(callback.starts_at, callback.customer_timezone), "n": callback.ticket_id})
    return callback


@transaction.atomic
def finish_callback(*, callback: Callback, actor: Any, outcome: str, close_ticket: bool = False) -> Callback:
    """Mark a callback made: the outcome goes on the ticket as an internal note; with
    `close_ticket` the ticket is closed too (agent guide, Workflow 4)."""
    if not (outcome or "").strip():
        raise CallbackError(_("Write down the outcome of the call."))
    callback = _locked(callback)
    if callback.status not in (Callback.Status.SCHEDULED, Callback.Status.NO_SHOW):
        raise CallbackError(_("This callback is already %(s)s.") % {"s": callback.get_status_display()})
    if close_ticket and callback.ticket.closed_at is None:
        reason = ticket_services.close_blocker(callback.ticket_id)
        if reason:  # the ticket must stay open (a delivery return not received): nothing changes
            raise CallbackError(reason)
    now = timezone.now()
    callback.status = Callback.Status.FINISHED
    callback.outcome = outcome.strip()
    callback.closed_at = callback.updated_at = now
    callback.save()
    forget_today_panel(callback.agent_id)
    ticket_services.add_reply(
        ticket=callback.ticket, kind=TicketMessage.Kind.NOTE, author=actor,
        body_text=_("Callback of %(when)s made.\n\n%(outcome)s") % {
            "when": when_in(callback.starts_at, getattr(actor, "timezone", "UTC")), "outcome": callback.outcome},
    )
    _history(callback, actor=actor, after=_("Callback finished"))
    _activity(callback, actor=actor, text=_("Callback made (ticket #%(n)s): %(o)s") % {
        "n": callback.ticket_id, "o": callback.outcome[:200]})
    if close_ticket:
        ticket_services.close_ticket(ticket=callback.ticket, actor=actor, note=_("Closed after the callback"))
    return callback


@transaction.atomic
def mark_no_show(*, callback: Callback, actor: Any, note: str = "") -> Callback:
    """Record that the customer could not be reached at the agreed time (an internal note too)."""
    callback = _locked(callback)
    if not callback.is_open:
        raise CallbackError(_("Only a scheduled callback can be marked as a no-show."))
    callback.status = Callback.Status.NO_SHOW
    callback.outcome = note
    callback.closed_at = callback.updated_at = timezone.now()
    callback.save()
    forget_today_panel(callback.agent_id)
    ticket_services.add_reply(
        ticket=callback.ticket, kind=TicketMessage.Kind.NOTE, author=actor,
        body_text=_("Callback: the customer could not be reached.") + (f"\n\n{note}" if note else ""),
    )
    _history(callback, actor=actor, after=_("Callback: no-show"), note=note)
    _activity(callback, actor=actor, text=_("Callback not answered (ticket #%(n)s)") % {"n": callback.ticket_id})
    return callback


# --- reminders ---------------------------------------------------------------------------------


def send_due_reminders(*, now: datetime | None = None, batch: int = REMINDER_BATCH) -> int:
    """Send every reminder that is due and not yet sent; return how many were sent.

    Set-based: one indexed query (the partial index callback_reminder_due) claims up to `batch`
    due callbacks, skipping rows another sweep holds; claiming (reminder_sent_at), the agents'
    notifications (bell, and email after commit) and the customers' reminders commit together.
    """
    now = now or timezone.now()
    sent = 0
    while True:
        with transaction.atomic():
            ids = list(
                Callback.objects.filter(status=Callback.Status.SCHEDULED, reminder_sent_at__isnull=True,
                                        remind_at__lte=now)
                .order_by("remind_at")
                .select_for_update(skip_locked=True)
                .values_list("pk", flat=True)[:batch]
            )
            if not ids:
                return sent
            claimed = Callback.objects.filter(pk__in=ids, reminder_sent_at__isnull=True).update(reminder_sent_at=now)
            # Plain tuples, not model instances: a thousand rows with four related objects each
            # would spend most of the sweep building models.
            due = list(
                Callback.objects.filter(pk__in=ids).values_list(
                    "pk", "agent_id", "ticket_id", "starts_at", "phone", "agent__timezone", "ticket__subject",
                    "remind_customer",
                )
            )
            # Each agent's reminder in their language (notify_many renders it per language).
            rows = [
                (agent_id, NotificationKind.CALLBACK_REMINDER, ticket_id,
                 lambda ticket_id=ticket_id, starts_at=starts_at, phone=phone, agent_tz=agent_tz, subject=subject:
                 _("Callback at %(when)s on #%(n)s: %(s)s%(phone)s") % {
                     "when": when_in(starts_at, agent_tz), "n": ticket_id, "s": subject,
                     "phone": f" — {phone}" if phone else ""})
                for _pk, agent_id, ticket_id, starts_at, phone, agent_tz, subject, _remind in due
            ]
            notifications.notify_many(rows, force_email=True)
            customer_ids = [row[0] for row in due if row[-1]]
            if customer_ids:
                for callback in Callback.objects.filter(pk__in=customer_ids).select_related(
                    "agent", "ticket__contact", "ticket__department"
                ):
                    _tell_customer(callback, template="appointments/email/reminder.txt", method=None, actor=None)
            sent += claimed
        if len(ids) < batch:
            return sent
