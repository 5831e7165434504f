"""Reminders: sent at the right moment with a controlled clock, once, whatever the sweeps do."""

import threading
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core import mail
from django.db import connection

from appointments import services, tasks
from appointments.models import Callback
from tickets.models import Notification, TicketMessage

pytestmark = pytest.mark.django_db

BOOKED = datetime(2026, 3, 25, 9, 0, tzinfo=UTC)


def _reminders(user) -> int:
    return Notification.objects.filter(recipient=user, kind="callback_reminder").count()


def test_reminder_is_sent_once_at_the_reminder_time(ticket, agent, commit):
    """Nothing a minute before the reminder time; at it the agent gets one bell notification and
    one email; later sweeps and a retried task send nothing more."""
    start = datetime(2026, 3, 26, 12, 0, tzinfo=UTC)
    with time_machine.travel(BOOKED, tick=False):
        services.schedule_callback(ticket=ticket, agent=agent, starts_at=start, actor=agent,
                                   confirm_to_customer=False)
    mail.outbox.clear()
    with time_machine.travel(start - timedelta(minutes=31), tick=False):
        assert tasks.send_callback_reminders() == 0
    assert _reminders(agent) == 0
    with time_machine.travel(start - timedelta(minutes=30), tick=False), commit():
        assert tasks.send_callback_reminders() == 1
        assert tasks.send_callback_reminders() == 0
    with time_machine.travel(start - timedelta(minutes=10), tick=False), commit():
        assert tasks.send_callback_reminders.apply().get() == 0
    assert _reminders(agent) == 1
    assert [m.to for m in mail.outbox] == [["l1@company.com"]]
    assert "14:00 (Europe/Bucharest)" in mail.outbox[0].subject


def test_reminder_across_the_dst_change_in_the_customers_time_zone(ticket, agent, contact, commit):
    """A call typed as 10:00 Bucharest time on the morning clocks go forward (29 March 2026) is
    07:00 UTC; its 30-minute reminder fires at 06:30 UTC, not an hour off."""
    contact.timezone = "Europe/Bucharest"
    contact.save()
    start = services.local_to_utc(datetime(2026, 3, 29, 10, 0), "Europe/Bucharest")
    with time_machine.travel(datetime(2026, 3, 27, 9, 0, tzinfo=UTC), tick=False):
        callback = services.schedule_callback(ticket=ticket, agent=agent, starts_at=start, actor=agent,
                                              remind_customer=True)
    assert callback.starts_at == datetime(2026, 3, 29, 7, 0, tzinfo=UTC)
    mail.outbox.clear()
    with time_machine.travel(datetime(2026, 3, 29, 6, 29, tzinfo=UTC), tick=False):
        assert services.send_due_reminders() == 0
    with time_machine.travel(datetime(2026, 3, 29, 6, 30, tzinfo=UTC), tick=False), commit():
        assert services.send_due_reminders() == 1
    assert _reminders(agent) == 1
    reminder = TicketMessage.objects.filter(ticket=ticket, kind=TicketMessage.Kind.SYSTEM).last()
    assert "Sun 29 Mar 2026, 10:00 (Europe/Bucharest)" in reminder.body_text
    assert sorted(m.to[0] for m in mail.outbox) == ["jane@client.example", "l1@company.com"]


def test_rescheduling_rearms_the_reminder(ticket, agent):
    start = datetime(2026, 3, 26, 12, 0, tzinfo=UTC)
    with time_machine.travel(BOOKED, tick=False):
        callback = services.schedule_callback(ticket=ticket, agent=agent, starts_at=start, actor=agent,
                                              confirm_to_customer=False)
    with time_machine.travel(start - timedelta(minutes=20), tick=False):
        services.send_due_reminders()
        services.update_callback(callback=callback, actor=agent, changes={"starts_at": start + timedelta(days=1)})
    with time_machine.travel(start + timedelta(days=1, minutes=-30), tick=False):
        assert services.send_due_reminders() == 1
    assert _reminders(agent) == 2


def test_cancelled_callbacks_are_not_reminded(ticket, agent):
    start = datetime(2026, 3, 26, 12, 0, tzinfo=UTC)
    with time_machine.travel(BOOKED, tick=False):
        callback = services.schedule_callback(ticket=ticket, agent=agent, starts_at=start, actor=agent)
        services.cancel_callback(callback=callback, actor=agent)
    with time_machine.travel(start, tick=False):
        assert services.send_due_reminders() == 0


@pytest.mark.django_db(transaction=True)
def test_overlapping_sweeps_send_each_reminder_once(support, contact, agent):
    """Six sweeps started at the same moment on PostgreSQL send 30 due reminders once each."""
    if connection.vendor != "postgresql":
        pytest.skip("needs concurrent connections (PostgreSQL)")
    from tickets import services as ticket_services

    start = datetime(2026, 3, 26, 12, 0, tzinfo=UTC)
    with time_machine.travel(BOOKED, tick=False):
        for i in range(30):
            t = ticket_services.open_ticket(subject=f"T{i}", body_text="x", department=support, contact=contact)
            services.schedule_callback(ticket=t, agent=agent, starts_at=start, actor=agent, confirm_to_customer=False)
    barrier = threading.Barrier(6)
    results: list[int] = []
    errors: list[BaseException] = []

    def sweep() -> None:
        try:
            barrier.wait()
            results.append(services.send_due_reminders(now=start, batch=7))
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=sweep) for _ in range(6)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert not errors
    assert sum(results) == 30
    assert _reminders(agent) == 30
    assert Callback.objects.filter(reminder_sent_at__isnull=True).count() == 0
