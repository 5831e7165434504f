"""Booking, finishing, cancelling and no-shows: what they do to the ticket, history and timeline."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from appointments import services
from appointments.models import Callback
from crm.models import Activity
from tickets.models import Notification, TicketEvent, TicketMessage

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 20, 9, 0, tzinfo=UTC)


def test_booking_records_history_activity_and_tells_a_colleague(ticket, agent, colleague):
    """A callback booked for a colleague is in the ticket's history and the client's Activity
    tab, and the colleague is notified; the customer's time zone and phone are taken over."""
    with time_machine.travel(NOW, tick=False):
        callback = services.schedule_callback(ticket=ticket, agent=colleague, starts_at=NOW + timedelta(hours=5),
                                              actor=agent, notes="Walk through the import")
    assert callback.customer_timezone == "America/New_York"
    assert callback.phone == "+14155550100"
    assert callback.remind_at == NOW + timedelta(hours=4, minutes=30)
    assert TicketEvent.objects.filter(ticket=ticket, kind=TicketEvent.Kind.CALLBACK).count() == 1
    assert Activity.objects.filter(client=ticket.client, kind="callback").count() == 1
    assert Notification.objects.filter(recipient=colleague, kind="callback_reminder").count() == 1


def test_a_callback_in_the_past_is_refused(ticket, agent):
    with time_machine.travel(NOW, tick=False), pytest.raises(services.CallbackError):
        services.schedule_callback(ticket=ticket, agent=agent, starts_at=NOW - timedelta(minutes=1), actor=agent)


def test_finishing_puts_the_outcome_on_the_ticket_and_can_close_it(ticket, agent):
    """The outcome becomes an internal note; with close_ticket the ticket is closed (Workflow 4)."""
    with time_machine.travel(NOW, tick=False):
        callback = services.schedule_callback(ticket=ticket, agent=agent, starts_at=NOW + timedelta(hours=1),
                                              actor=agent)
    with time_machine.travel(NOW + timedelta(hours=1, minutes=20), tick=False):
        services.finish_callback(callback=callback, actor=agent, outcome="Reset the sync token; works.",
                                 close_ticket=True)
    callback.refresh_from_db()
    ticket.refresh_from_db()
    assert callback.status == Callback.Status.FINISHED
    note = TicketMessage.objects.get(ticket=ticket, kind=TicketMessage.Kind.NOTE)
    assert "Reset the sync token; works." in note.body_text
    assert ticket.closed_at is not None
    with pytest.raises(services.CallbackError):
        services.finish_callback(callback=callback, actor=agent, outcome="again")


def test_no_show_and_cancel_only_from_scheduled(ticket, agent):
    with time_machine.travel(NOW, tick=False):
        callback = services.schedule_callback(ticket=ticket, agent=agent, starts_at=NOW + timedelta(hours=1),
                                              actor=agent)
        services.mark_no_show(callback=callback, actor=agent, note="Voicemail")
        with pytest.raises(services.CallbackError):
            services.cancel_callback(callback=callback, actor=agent)
    callback.refresh_from_db()
    assert callback.status == Callback.Status.NO_SHOW
    assert TicketMessage.objects.filter(ticket=ticket, kind=TicketMessage.Kind.NOTE).count() == 1


def test_local_time_is_read_in_the_given_zone():
    """10:00 typed in Bucharest on the DST morning is 07:00 UTC (UTC+3 after the change)."""
    assert services.local_to_utc(datetime(2026, 3, 29, 10, 0), "Europe/Bucharest") == datetime(
        2026, 3, 29, 7, 0, tzinfo=UTC)
    assert services.local_to_utc(datetime(2026, 3, 28, 10, 0), "Europe/Bucharest") == datetime(
        2026, 3, 28, 8, 0, tzinfo=UTC)


def test_finish_and_close_is_refused_while_a_delivery_return_is_on_its_way(ticket, agent):
    """"Mark finished and close the ticket" changes nothing while the goods are not back; once
    the warehouse receives the return, the same step finishes the callback and closes the ticket."""
    from crm.models import DeliveryReturn, Order, OrderLine
    from tests.factories import DepartmentFactory
    from tickets import services as ticket_services

    DepartmentFactory(name="Warehouse", email="warehouse@company.com")
    order = Order.objects.create(client=ticket.client, number="ORD-9", total=100)
    line = OrderLine.objects.create(order=order, description="Router", quantity=1, unit_price=100)
    delivery_return = ticket_services.create_delivery_return(order=order, items=[(line, 1)], reason="Dead on arrival",
                                                             actor=agent, ticket=ticket)
    with time_machine.travel(NOW, tick=False):
        callback = services.schedule_callback(ticket=ticket, agent=agent, starts_at=NOW + timedelta(hours=1),
                                              actor=agent)
    notes_before = TicketMessage.objects.filter(ticket=ticket, kind=TicketMessage.Kind.NOTE).count()
    with time_machine.travel(NOW + timedelta(hours=1, minutes=20), tick=False):
        with pytest.raises(services.CallbackError, match=f"Waiting for delivery return #{delivery_return.pk} "):
            services.finish_callback(callback=callback, actor=agent, outcome="Courier booked.", close_ticket=True)
    callback.refresh_from_db()
    ticket.refresh_from_db()
    assert callback.status == Callback.Status.SCHEDULED and ticket.closed_at is None
    assert TicketMessage.objects.filter(ticket=ticket, kind=TicketMessage.Kind.NOTE).count() == notes_before
    ticket_services.set_delivery_return_status(delivery_return=delivery_return, status=DeliveryReturn.Status.RECEIVED,
                                               actor=agent)
    with time_machine.travel(NOW + timedelta(hours=1, minutes=30), tick=False):
        services.finish_callback(callback=callback, actor=agent, outcome="Courier booked.", close_ticket=True)
    ticket.refresh_from_db()
    assert ticket.closed_at is not None


def test_moving_a_callback_is_on_the_clients_timeline(ticket, agent):
    with time_machine.travel(NOW, tick=False):
        callback = services.schedule_callback(ticket=ticket, agent=agent, starts_at=NOW + timedelta(hours=5),
                                              actor=agent)
        services.update_callback(callback=callback, actor=agent, changes={"starts_at": NOW + timedelta(days=1)})
        services.update_callback(callback=callback, actor=agent, changes={"notes": "bring the logs"})
    moved = Activity.objects.filter(client=ticket.client, kind="callback", description__startswith="Callback moved")
    assert moved.count() == 1 and f"ticket #{ticket.pk}" in moved.get().description
    assert moved.get().link == ticket.get_absolute_url()
