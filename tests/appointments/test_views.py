"""The callback pages: scheduling from the ticket page, agenda, week calendar, actions, queue."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.urls import reverse

from appointments import services
from appointments.models import Callback
from tests.factories import DepartmentFactory, StaffFactory

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 20, 9, 0, tzinfo=UTC)


def test_ticket_page_links_to_the_schedule_form(agent_client, ticket):
    response = agent_client.get(reverse("staff:ticket_detail", args=[ticket.pk]))
    assert reverse("appointments:schedule", args=[ticket.pk]).encode() in response.content
    assert b'id="callbacks"' in response.content


def test_scheduling_reads_the_time_in_the_chosen_zone(agent_client, ticket, agent):
    """14:00 typed in the customer's zone (New York, UTC-4 in late March) is 18:00 UTC."""
    with time_machine.travel(NOW, tick=False):
        response = agent_client.post(reverse("appointments:schedule", args=[ticket.pk]), {
            "starts_local": "2026-03-24T14:00", "entered_in": "customer", "duration_minutes": 30,
            "reminder_minutes": 30, "agent": agent.pk, "phone": "+14155550100", "notes": "",
            "confirm_to_customer": "on",
        })
    assert response.status_code == 302
    callback = Callback.objects.get()
    assert callback.starts_at == datetime(2026, 3, 24, 18, 0, tzinfo=UTC)


def test_schedule_form_refuses_a_past_time(agent_client, ticket, agent):
    with time_machine.travel(NOW, tick=False):
        response = agent_client.post(reverse("appointments:schedule", args=[ticket.pk]), {
            "starts_local": "2026-03-19T14:00", "entered_in": "agent", "duration_minutes": 30,
            "reminder_minutes": 30, "agent": agent.pk})
    assert response.status_code == 400
    assert not Callback.objects.exists()


def test_agenda_week_and_queue_show_my_callbacks(agent_client, ticket, agent, django_assert_max_num_queries):
    """Today's callback is on the agenda, in this week's calendar and above the queue."""
    with time_machine.travel(NOW, tick=False):
        services.schedule_callback(ticket=ticket, agent=agent, starts_at=NOW + timedelta(hours=3), actor=agent)
        for hours in range(4, 14):
            services.schedule_callback(ticket=ticket, agent=agent, starts_at=NOW + timedelta(hours=hours),
                                       actor=agent)
        with django_assert_max_num_queries(12):
            agenda = agent_client.get(reverse("appointments:agenda"))
        week = agent_client.get(reverse("appointments:agenda") + "?view=week")
        queue = agent_client.get(reverse("staff:ticket_list"))
    assert agenda.content.count(b"Sync fails after import") == 11
    assert b"Fri 20 Mar 2026, 14:00" in agenda.content  # 12:00 UTC in Bucharest
    assert b'id="week-calendar"' in week.content and b"14:00 #" in week.content
    assert b'id="callbacks-today"' in queue.content


def test_queue_panel_follows_booking_and_finishing_on_the_next_page(agent_client, ticket, agent):
    """The callbacks-today panel is cached between queue loads, yet a callback booked, moved to
    another day or finished shows on the very next load; tomorrow it is no longer "today"."""
    def panel() -> str:
        html = agent_client.get(reverse("staff:ticket_list")).content.decode()
        return html.split('id="callbacks-today"', 1)[1].split("</div>", 1)[0] if 'id="callbacks-today"' in html else ""

    with time_machine.travel(NOW, tick=False):
        assert panel() == ""  # cached: none today
        callback = services.schedule_callback(ticket=ticket, agent=agent, starts_at=NOW + timedelta(hours=3),
                                              actor=agent)
        assert f"#{ticket.pk} Sync fails after import" in panel()
        services.update_callback(callback=callback, actor=agent, changes={"starts_at": NOW + timedelta(days=2)})
        assert panel() == ""
        other = services.schedule_callback(ticket=ticket, agent=agent, starts_at=NOW + timedelta(hours=5),
                                           actor=agent)
        assert "Sync fails after import" in panel()
        services.finish_callback(callback=other, actor=agent, outcome="Fixed on the phone")
        assert panel() == ""
        services.schedule_callback(ticket=ticket, agent=agent, starts_at=NOW + timedelta(hours=6), actor=agent)
        assert "Sync fails after import" in panel()
    with time_machine.travel(NOW + timedelta(days=1), tick=False):
        assert panel() == ""


def test_department_view_is_for_leads(client, ticket, agent, manager):
    with time_machine.travel(NOW, tick=False):
        services.schedule_callback(ticket=ticket, agent=agent, starts_at=NOW + timedelta(hours=3), actor=agent)
        client.force_login(manager)
        mine = client.get(reverse("appointments:agenda"))
        department = client.get(reverse("appointments:agenda") + "?scope=department")
    assert b"Sync fails after import" not in mine.content
    assert b"Sync fails after import" in department.content


def test_finish_from_the_page_closes_the_ticket(agent_client, ticket, agent):
    with time_machine.travel(NOW, tick=False):
        callback = services.schedule_callback(ticket=ticket, agent=agent, starts_at=NOW + timedelta(hours=1),
                                              actor=agent)
        page = agent_client.get(reverse("appointments:detail", args=[callback.pk]))
        assert b"Close the ticket" in page.content
        response = agent_client.post(reverse("appointments:finish", args=[callback.pk]),
                                     {"outcome": "Fixed on the phone", "close_ticket": "on"})
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.closed_at is not None


def test_agents_of_other_departments_get_404(client, ticket, agent):
    other = StaffFactory(departments=[DepartmentFactory(name="Warehouse")])
    with time_machine.travel(NOW, tick=False):
        callback = services.schedule_callback(ticket=ticket, agent=agent, starts_at=NOW + timedelta(hours=1),
                                              actor=agent)
    client.force_login(other)
    assert client.get(reverse("appointments:detail", args=[callback.pk])).status_code == 404
    assert client.get(reverse("appointments:schedule", args=[ticket.pk])).status_code == 404
    assert client.post(reverse("appointments:cancel", args=[callback.pk])).status_code == 404


def test_finish_and_close_from_the_page_says_the_ticket_waits_for_a_return(agent_client, ticket, agent):
    """The page shows why the ticket cannot close (400, the callback stays scheduled)."""
    from crm.models import Order, OrderLine
    from tickets import services as ticket_services

    DepartmentFactory(name="Warehouse", email="warehouse@company.com")
    order = Order.objects.create(client=ticket.client, number="ORD-9", total=100)
    line = OrderLine.objects.create(order=order, description="Router", quantity=1, unit_price=100)
    delivery_return = ticket_services.create_delivery_return(order=order, items=[(line, 1)], reason="Dead",
                                                             actor=agent, ticket=ticket)
    with time_machine.travel(NOW, tick=False):
        callback = services.schedule_callback(ticket=ticket, agent=agent, starts_at=NOW + timedelta(hours=1),
                                              actor=agent)
        response = agent_client.post(reverse("appointments:finish", args=[callback.pk]),
                                     {"outcome": "Courier booked", "close_ticket": "on"})
    assert response.status_code == 400
    assert f"Waiting for delivery return #{delivery_return.pk} to be received" in response.content.decode()
    callback.refresh_from_db()
    assert callback.status == Callback.Status.SCHEDULED
