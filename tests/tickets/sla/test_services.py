"""SLA bookkeeping in the ticket services and the breach sweep, with a controlled clock."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from crm.models import Contract
from tests.factories import ContactFactory, DepartmentFactory, StaffFactory, priority, status
from tickets import services
from tickets.models import (
    BusinessCalendar,
    BusinessHours,
    Holiday,
    SLAPolicy,
    SLATarget,
    Ticket,
    TicketMessage,
)
from tickets.sla.sweep import run_sla_sweep

pytestmark = pytest.mark.django_db

TZ = ZoneInfo("Europe/Bucharest")


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=TZ)


@pytest.fixture
def office_calendar():
    calendar = BusinessCalendar.objects.create(name="Office", time_zone="Europe/Bucharest")
    for day in range(5):
        BusinessHours.objects.create(calendar=calendar, weekday=day, opens=time(9), closes=time(17))
    return calendar


@pytest.fixture
def department(office_calendar):
    dept = DepartmentFactory(name="General Support", email="support@company.com")
    dept.business_calendar = office_calendar
    dept.save()
    return dept


def open_ticket(department, *, prio: str = "High", contact=None, when: datetime | None = None) -> Ticket:
    with time_machine.travel(when or at(2026, 11, 27, 15), tick=False):
        return services.open_ticket(
            subject="Printer on fire", body_text="Help", department=department,
            contact=contact or ContactFactory(), priority=priority(prio),
        )


def test_dues_are_computed_in_business_hours(department):
    """A High ticket (4 h response, 24 h resolution) opened Friday 15:00 is due Monday 11:00."""
    ticket = open_ticket(department)
    assert ticket.first_response_due_at == at(2026, 11, 30, 11)
    # 24 business hours = three 8-hour days: Fri 2h + Mon 8h + Tue 8h + Wed 6h → Wednesday 15:00.
    assert ticket.resolution_due_at == at(2026, 12, 2, 15)


def test_managed_holidays_move_the_due_time(department, office_calendar):
    """A company holiday on Monday pushes the due time to Tuesday."""
    Holiday.objects.create(calendar=office_calendar, date=date(2026, 11, 30), name="Team day")
    ticket = open_ticket(department)
    assert ticket.first_response_due_at == at(2026, 12, 1, 11)


def test_default_calendar_applies_to_departments_without_one(office_calendar):
    """A department without a calendar uses the default calendar; without a default it runs 24/7."""
    plain = DepartmentFactory(name="Billing", email="billing@company.com")
    ticket = open_ticket(plain)
    assert ticket.first_response_due_at == at(2026, 11, 27, 19)  # 24/7
    office_calendar.is_default = True
    office_calendar.save()
    ticket = open_ticket(plain)
    assert ticket.first_response_due_at == at(2026, 11, 30, 11)


def test_on_hold_pauses_resolution_and_resumes_with_time_left(department):
    """On Hold stops the resolution clock; leaving it resumes with exactly the time that was left."""
    ticket = open_ticket(department, when=at(2026, 11, 23, 9))  # Monday 09:00, resolution due Wed 17:00
    assert ticket.resolution_due_at == at(2026, 11, 25, 17)
    with time_machine.travel(at(2026, 11, 23, 13), tick=False):
        services.change_status(ticket=ticket, status=status("on-hold"))
    with time_machine.travel(at(2026, 11, 24, 13), tick=False):  # paused for 8 business hours
        ticket = services.change_status(ticket=ticket, status=status("in-progress"))
    assert ticket.sla_paused_seconds == 8 * 3600
    assert ticket.sla_paused_at is None
    assert ticket.resolution_due_at == at(2026, 11, 26, 17)


def test_earlier_pauses_survive_a_priority_change(department):
    """Changing the priority after a pause recomputes from the opening and keeps the paused time."""
    ticket = open_ticket(department, when=at(2026, 11, 23, 9))
    with time_machine.travel(at(2026, 11, 23, 10), tick=False):
        services.change_status(ticket=ticket, status=status("on-hold"))
    with time_machine.travel(at(2026, 11, 23, 12), tick=False):
        services.change_status(ticket=ticket, status=status("in-progress"))
    with time_machine.travel(at(2026, 11, 23, 13), tick=False):
        ticket = services.change_priority(ticket=ticket, priority=priority("Urgent"))
    # Urgent: 8 h resolution from Monday 09:00 plus 2 h paused → Tuesday 11:00.
    assert ticket.resolution_due_at == at(2026, 11, 24, 11)


def test_two_pauses_accumulate(department):
    """Two On Hold periods both extend the resolution due time."""
    ticket = open_ticket(department, prio="Urgent", when=at(2026, 11, 23, 9))  # resolution due 17:00
    for start, end in [((10,), (11,)), ((12,), (12, 30))]:
        with time_machine.travel(at(2026, 11, 23, *start), tick=False):
            services.change_status(ticket=ticket, status=status("on-hold"))
        with time_machine.travel(at(2026, 11, 23, *end), tick=False):
            ticket = services.change_status(ticket=ticket, status=status("in-progress"))
    assert ticket.sla_paused_seconds == 90 * 60
    assert ticket.resolution_due_at == at(2026, 11, 24, 10, 30)


def test_paused_tickets_do_not_breach_resolution(department):
    """A ticket On Hold past its resolution due time is not marked breached."""
    ticket = open_ticket(department, prio="Urgent", when=at(2026, 11, 23, 9))
    with time_machine.travel(at(2026, 11, 23, 10), tick=False):
        services.add_reply(ticket=ticket, body_text="Looking", kind=TicketMessage.Kind.STAFF,
                           author=StaffFactory(departments=[department]))
        services.change_status(ticket=ticket, status=status("on-hold"))
    with time_machine.travel(at(2026, 11, 25, 10), tick=False):
        result = run_sla_sweep()
    assert result.breached["resolution"] == []
    ticket.refresh_from_db()
    assert not ticket.resolution_breached


def test_breach_detection_marks_once_and_the_flag_stays_after_a_late_answer(department):
    """The sweep flags an overdue first response once; answering late keeps the flag."""
    ticket = open_ticket(department)  # first response due Monday 11:00
    with time_machine.travel(at(2026, 11, 30, 10, 59), tick=False):
        assert run_sla_sweep().breached["first_response"] == []
    with time_machine.travel(at(2026, 11, 30, 11, 1), tick=False):
        assert run_sla_sweep().breached["first_response"] == [ticket.pk]
        assert run_sla_sweep().breached["first_response"] == []
        services.add_reply(ticket=ticket, body_text="Sorry", kind=TicketMessage.Kind.STAFF,
                           author=StaffFactory(departments=[department]))
    ticket.refresh_from_db()
    assert ticket.first_response_breached
    assert ticket.first_response_at == at(2026, 11, 30, 11, 1)


def test_late_first_reply_is_breached_even_without_a_sweep(department):
    """A first reply after the due time marks the breach by itself."""
    ticket = open_ticket(department)
    with time_machine.travel(at(2026, 11, 30, 12), tick=False):
        services.add_reply(ticket=ticket, body_text="Hi", kind=TicketMessage.Kind.STAFF,
                           author=StaffFactory(departments=[department]))
    ticket.refresh_from_db()
    assert ticket.first_response_breached


def test_automatic_messages_and_notes_are_not_a_first_response(department):
    """Internal notes and automatic messages leave the first response open; a public reply sets it."""
    ticket = open_ticket(department)
    agent = StaffFactory(departments=[department])
    with time_machine.travel(at(2026, 11, 27, 15, 30), tick=False):
        services.add_reply(ticket=ticket, body_text="note", kind=TicketMessage.Kind.NOTE, author=agent)
        services.add_reply(ticket=ticket, body_text="We got it", kind=TicketMessage.Kind.STAFF, is_automatic=True)
    ticket.refresh_from_db()
    assert ticket.first_response_at is None
    with time_machine.travel(at(2026, 11, 27, 16), tick=False):
        services.add_reply(ticket=ticket, body_text="Fixed", kind=TicketMessage.Kind.STAFF, author=agent)
    ticket.refresh_from_db()
    assert ticket.first_response_at == at(2026, 11, 27, 16)
    assert not ticket.first_response_breached


def test_sla_warning_is_sent_once_within_the_lead_time(department, settings):
    """Tickets due within the warning lead time are flagged once."""
    settings.HELPDESK_SLA_WARNING_MINUTES = 30
    ticket = open_ticket(department)  # due Monday 11:00
    with time_machine.travel(at(2026, 11, 30, 10, 29), tick=False):
        assert run_sla_sweep().warned["first_response"] == []
    with time_machine.travel(at(2026, 11, 30, 10, 31), tick=False):
        assert run_sla_sweep().warned["first_response"] == [ticket.pk]
        assert run_sla_sweep().warned["first_response"] == []


def test_tier_policy_overrides_priority_targets(department):
    """An Enterprise client gets the Enterprise policy's target for the priority."""
    policy = SLAPolicy.objects.create(name="Enterprise", tier="enterprise")
    SLATarget.objects.create(policy=policy, priority=priority("High"), first_response_minutes=60,
                             resolution_minutes=480)
    contact = ContactFactory(client__tier="enterprise")
    ticket = open_ticket(department, contact=contact)
    assert ticket.first_response_due_at == at(2026, 11, 27, 16)


def test_contract_tier_overrides_client_tier(department):
    """An active contract with the Enterprise SLA tier gives a Basic client Enterprise targets."""
    policy = SLAPolicy.objects.create(name="Enterprise", tier="enterprise")
    SLATarget.objects.create(policy=policy, priority=priority("High"), first_response_minutes=60,
                             resolution_minutes=480)
    contact = ContactFactory(client__tier="basic")
    Contract.objects.create(client=contact.client, subject="Premium support", start_on=date(2026, 1, 1),
                            sla_tier="enterprise")
    ticket = open_ticket(department, contact=contact)
    assert ticket.first_response_due_at == at(2026, 11, 27, 16)


def test_client_tier_change_recomputes_open_tickets(department, django_capture_on_commit_callbacks):
    """Raising a client's tier recomputes its open tickets' dues (signal → task)."""
    policy = SLAPolicy.objects.create(name="Enterprise", tier="enterprise")
    SLATarget.objects.create(policy=policy, priority=priority("High"), first_response_minutes=60,
                             resolution_minutes=480)
    contact = ContactFactory(client__tier="basic")
    ticket = open_ticket(department, contact=contact)
    assert ticket.first_response_due_at == at(2026, 11, 30, 11)
    client = contact.client
    client.tier = "enterprise"
    with django_capture_on_commit_callbacks(execute=True):
        client.save()
    ticket.refresh_from_db()
    assert ticket.first_response_due_at == at(2026, 11, 27, 16)


def test_department_change_uses_the_new_calendar(department):
    """Moving a ticket to a 24/7 department recomputes its dues on the round-the-clock clock."""
    ticket = open_ticket(department)
    night = DepartmentFactory(name="Night shift", email="night@company.com")
    with time_machine.travel(at(2026, 11, 27, 15, 30), tick=False):
        ticket = services.change_department(ticket=ticket, department=night)
    assert ticket.first_response_due_at == at(2026, 11, 27, 19)


def test_close_and_reopen_resumes_resolution_with_time_left(department):
    """Time spent closed does not count: a reopened ticket resumes with its remaining time."""
    ticket = open_ticket(department, prio="Urgent", when=at(2026, 11, 23, 9))  # resolution due 17:00
    with time_machine.travel(at(2026, 11, 23, 11), tick=False):
        services.close_ticket(ticket=ticket)
    with time_machine.travel(at(2026, 11, 24, 9), tick=False):
        ticket = services.change_status(ticket=ticket, status=status("in-progress"))
    assert ticket.resolution_due_at == at(2026, 11, 24, 15)
    assert not ticket.resolution_breached


def test_dst_change_between_open_and_due(office_calendar):
    """Due times stay on local business hours across the October DST change."""
    dept = DepartmentFactory(name="DST", email="dst@company.com")
    dept.business_calendar = office_calendar
    dept.save()
    ticket = open_ticket(dept, when=at(2026, 10, 23, 16))  # Friday 16:00 EEST, 4 h response
    assert ticket.first_response_due_at == at(2026, 10, 26, 12)  # Monday 12:00 EET
    assert ticket.first_response_due_at.astimezone(UTC).hour == 10
    assert ticket.first_response_due_at - ticket.created_at == timedelta(days=2, hours=21)


@pytest.mark.parametrize("pause_first", [True, False])
def test_first_response_pause_follows_the_setting(department, settings, pause_first):
    """On Hold moves the first-response due too by default; with the setting off only resolution moves."""
    settings.HELPDESK_SLA_PAUSE_FIRST_RESPONSE = pause_first
    ticket = open_ticket(department, when=at(2026, 11, 23, 9))  # High: first response due 13:00
    with time_machine.travel(at(2026, 11, 23, 10), tick=False):
        services.change_status(ticket=ticket, status=status("on-hold"))
    with time_machine.travel(at(2026, 11, 23, 12), tick=False):
        ticket = services.change_status(ticket=ticket, status=status("in-progress"))
    assert ticket.first_response_due_at == (at(2026, 11, 23, 15) if pause_first else at(2026, 11, 23, 13))
    with time_machine.travel(at(2026, 11, 23, 14), tick=False):
        breached = run_sla_sweep().breached["first_response"]
    assert breached == ([] if pause_first else [ticket.pk])
