"""Goods return: the ticket stays open until the warehouse receives the return. Every closing
path (status change, reply and close, bulk close and bulk status, the portal's "mark as
resolved", the admin, automation, merging) refuses with "Waiting for delivery return #N to be
received" and changes nothing; once the return is received (or cancelled) the ticket closes."""

from datetime import timedelta

import pytest
import time_machine
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from crm.models import Activity, DeliveryReturn, Order, OrderLine
from tests.factories import DepartmentFactory, PortalContactFactory, StaffFactory, priority, status
from tickets import services
from tickets.automation import engine
from tickets.exceptions import CloseRefused
from tickets.models import AutomationRule, AutomationRun, Notification, Ticket, TicketEvent, TicketMessage
from tickets.models.automation import Trigger

pytestmark = pytest.mark.django_db


@pytest.fixture
def warehouse():
    return DepartmentFactory(name="Warehouse", email="warehouse@company.com")


@pytest.fixture
def keeper(warehouse):
    return StaffFactory(email="keeper@company.com", full_name="Wanda Warehouse", departments=[warehouse])


@pytest.fixture
def portal_contact():
    return PortalContactFactory(first_name="Ana", last_name="Pop", email="ana@client.example")


@pytest.fixture
def ticket(support, portal_contact, agent, warehouse):
    return services.open_ticket(subject="Broken chairs", body_text="Two arrived broken.", department=support,
                                contact=portal_contact, assignee=agent)


@pytest.fixture
def delivery_return(ticket, agent):
    order = Order.objects.create(client=ticket.client, number="ORD-7", status=Order.Status.DELIVERED, total=300)
    line = OrderLine.objects.create(order=order, description="Office chair", quantity=3, unit_price=100)
    return services.create_delivery_return(order=order, items=[(line, 2)], reason="Broken", actor=agent,
                                           ticket=ticket)


def waiting(delivery_return) -> str:
    return f"Waiting for delivery return #{delivery_return.pk} to be received"


def texts(response) -> str:
    return " | ".join(str(m) for m in get_messages(response.wsgi_request))


def receive(delivery_return, actor) -> None:
    services.set_delivery_return_status(delivery_return=delivery_return, status=DeliveryReturn.Status.RECEIVED,
                                        actor=actor)


def assert_open(ticket, *, status_slug="new") -> None:
    ticket.refresh_from_db()
    assert ticket.closed_at is None and ticket.status.slug == status_slug
    assert not TicketEvent.objects.filter(ticket=ticket, kind=TicketEvent.Kind.CLOSED).exists()


def test_the_service_refuses_to_close_until_the_return_is_received(ticket, delivery_return, keeper):
    assert services.close_blocker(ticket.pk).startswith(waiting(delivery_return))
    with pytest.raises(CloseRefused, match=waiting(delivery_return)):
        services.close_ticket(ticket=ticket, actor=keeper)
    assert_open(ticket)
    receive(delivery_return, keeper)
    assert services.close_blocker(ticket.pk) is None
    services.close_ticket(ticket=ticket, actor=keeper)
    ticket.refresh_from_db()
    assert ticket.closed_at is not None


def test_a_cancelled_return_lets_the_ticket_close(ticket, delivery_return, keeper):
    services.set_delivery_return_status(delivery_return=delivery_return, status=DeliveryReturn.Status.CANCELLED,
                                        actor=keeper)
    services.close_ticket(ticket=ticket, actor=keeper)
    ticket.refresh_from_db()
    assert ticket.closed_at is not None
    event = TicketEvent.objects.filter(ticket=ticket, kind=TicketEvent.Kind.HANDOFF).order_by("pk").last()
    assert f"Delivery return #{delivery_return.pk} cancelled" in event.after


def test_status_change_on_the_ticket_page_is_refused_and_nothing_changes(agent_client, ticket, delivery_return,
                                                                         keeper):
    page = agent_client.get(reverse("staff:ticket_detail", args=[ticket.pk])).content.decode()
    assert 'id="close-blocker"' in page and waiting(delivery_return) in page  # said before the agent tries
    ticket.refresh_from_db()
    data = {"status": status("closed").pk, "priority": priority("Urgent").pk, "assignee": "", "service": ""}
    response = agent_client.post(reverse("staff:ticket_properties", args=[ticket.pk]), data)
    assert response.status_code == 302
    assert waiting(delivery_return) in texts(response)
    before_priority = ticket.priority_id
    assert before_priority != priority("Urgent").pk
    assert_open(ticket)
    assert ticket.priority_id == before_priority and ticket.assignee_id is not None  # all or nothing
    receive(delivery_return, keeper)
    page = agent_client.get(reverse("staff:ticket_detail", args=[ticket.pk])).content.decode()
    assert 'id="close-blocker"' not in page
    response = agent_client.post(reverse("staff:ticket_properties", args=[ticket.pk]), data)
    assert "Ticket updated." in texts(response)
    ticket.refresh_from_db()
    assert ticket.closed_at is not None


def test_reply_and_close_is_refused_before_anything_is_sent(agent_client, ticket, delivery_return, keeper, mailoutbox):
    url = reverse("staff:ticket_reply", args=[ticket.pk])
    response = agent_client.post(url, {"body": "We have sent the courier.", "status_after": "closed"})
    assert response.status_code == 400
    assert waiting(delivery_return) in response.content.decode()
    assert_open(ticket)
    assert not TicketMessage.objects.filter(ticket=ticket, kind=TicketMessage.Kind.STAFF).exists()
    receive(delivery_return, keeper)
    assert agent_client.post(url, {"body": "Refund issued.", "status_after": "closed"}).status_code == 302
    ticket.refresh_from_db()
    assert ticket.closed_at is not None


@pytest.mark.parametrize("data", [{"action": "close"}, {"action": "status", "status": "closed"}])
def test_bulk_close_skips_the_waiting_ticket_and_says_why(agent_client, ticket, delivery_return, support,
                                                          portal_contact, keeper, data):
    other = services.open_ticket(subject="Password", body_text="Reset", department=support, contact=portal_contact)
    response = agent_client.post(reverse("staff:queue_bulk"), {"ticket": [ticket.pk, other.pk], **data})
    said = texts(response)
    assert "1 ticket updated." in said
    assert f"1 ticket was left open: #{ticket.pk}: {waiting(delivery_return)}" in said
    other.refresh_from_db()
    assert other.closed_at is not None
    assert_open(ticket)
    receive(delivery_return, keeper)
    agent_client.post(reverse("staff:queue_bulk"), {"ticket": [ticket.pk], **data})
    ticket.refresh_from_db()
    assert ticket.closed_at is not None


def test_portal_mark_as_resolved_is_refused_with_the_reason(client, ticket, delivery_return, portal_contact, keeper):
    client.force_login(portal_contact.user)
    url = reverse("portal:ticket_resolve", args=[ticket.pk])
    response = client.post(url, {"note": ""}, follow=True)
    assert waiting(delivery_return) in response.content.decode()
    assert_open(ticket)
    receive(delivery_return, keeper)
    response = client.post(url, {"note": ""}, follow=True)
    assert f"Ticket #{ticket.pk} is closed" in response.content.decode()


def test_admin_close_action_and_change_form_refuse(client, ticket, delivery_return, keeper):
    admin_user = StaffFactory(email="root@company.com", is_superuser=True)
    client.force_login(admin_user)
    changelist = reverse("admin:tickets_ticket_changelist")
    response = client.post(changelist, {"action": "close_tickets", "_selected_action": [ticket.pk]}, follow=True)
    page = response.content.decode()
    assert "Closed 0 tickets." in page and waiting(delivery_return) in page
    assert_open(ticket)
    ticket.refresh_from_db()
    change = reverse("admin:tickets_ticket_change", args=[ticket.pk])
    form = {"department": ticket.department_id, "status": status("closed").pk, "priority": ticket.priority_id,
            "service": "", "assignee": ticket.assignee_id}
    response = client.get(change)
    assert response.status_code == 200
    response = client.post(change, {**_management_forms(response), **form})
    assert response.status_code == 200 and waiting(delivery_return) in response.content.decode()
    assert_open(ticket)


def _management_forms(response) -> dict[str, str]:
    """The inline formsets' management fields the admin change page renders."""
    import re

    html = response.content.decode()
    return {name: value for name, value in re.findall(
        r'name="([\w-]+-(?:TOTAL|INITIAL|MIN_NUM|MAX_NUM)_FORMS)"[^>]*value="(\d*)"', html)}


def test_automation_close_is_skipped_with_the_reason(ticket, delivery_return, django_capture_on_commit_callbacks):
    """An auto-close rule leaves the ticket open: its run is skipped and says why, nothing it did stays."""
    AutomationRule.objects.update(is_active=False)
    rule = AutomationRule(name="Close parked", trigger=Trigger.STATUS_CHANGED, trigger_status=status("on-hold"),
                          actions=[{"action": "add_note", "text": "closing"},
                                   {"action": "set_status", "status": "closed"}])
    rule.full_clean()
    rule.save()
    with django_capture_on_commit_callbacks(execute=True):
        services.change_status(ticket=ticket, status=status("on-hold"))
    run = AutomationRun.objects.get(rule=rule)
    assert run.state == AutomationRun.State.SKIPPED and waiting(delivery_return) in run.result[0]
    assert_open(ticket, status_slug="on-hold")
    assert not ticket.messages.filter(body_text="closing").exists()


def test_time_rule_auto_close_is_skipped(ticket, delivery_return, agent, django_capture_on_commit_callbacks):
    """The seeded "closed after 7 days without reply" rule does not close a ticket waiting for goods."""
    AutomationRule.objects.exclude(name__icontains="7 days").update(is_active=False)
    with django_capture_on_commit_callbacks(execute=True):
        services.add_reply(ticket=ticket, body_text="Send them back please.", kind=TicketMessage.Kind.STAFF,
                           author=agent)
    eight_days_ago = timezone.now() - timedelta(days=8)
    Ticket.objects.filter(pk=ticket.pk).update(status_changed_at=eight_days_ago, last_reply_at=eight_days_ago,
                                               last_staff_reply_at=eight_days_ago,
                                               last_customer_reply_at=eight_days_ago - timedelta(hours=1))
    with django_capture_on_commit_callbacks(execute=True):
        engine.sweep_time_rules()
    assert_open(ticket, status_slug="answered")
    run = AutomationRun.objects.get(state=AutomationRun.State.HELD)  # held until the return arrives
    assert waiting(delivery_return) in run.result[0]
    assert not ticket.messages.filter(body_text__contains="closing it now").exists()  # its polite mail undone


def test_merging_the_waiting_ticket_away_is_refused(agent_client, ticket, delivery_return, support, portal_contact):
    newer = services.open_ticket(subject="Chairs again", body_text="?", department=support, contact=portal_contact)
    older = Ticket.objects.filter(pk=newer.pk).update(created_at=ticket.created_at - timedelta(days=1))
    assert older == 1
    response = agent_client.post(reverse("staff:queue_bulk"), {"ticket": [ticket.pk, newer.pk], "action": "merge"})
    assert waiting(delivery_return) in texts(response)
    assert_open(ticket)


def test_warehouse_marks_the_return_received_from_the_order_page(agent_client, agent, ticket, delivery_return, keeper,
                                                                 django_capture_on_commit_callbacks):
    """An L1 agent has no button and is refused; the warehouse marks it received: the ticket's
    history and the client's timeline say so, and the ticket may close."""
    order_url = reverse("staff:order_detail", args=[delivery_return.order_id]) + f"?ticket={ticket.pk}"
    assert "Mark received" not in agent_client.get(order_url).content.decode()
    url = reverse("staff:order_return_status", args=[delivery_return.order_id, delivery_return.pk])
    assert agent_client.post(url, {"status": "received"}).status_code == 403
    delivery_return.refresh_from_db()
    assert delivery_return.status == DeliveryReturn.Status.REQUESTED

    client = Client()
    client.force_login(keeper)  # the warehouse cannot see the support ticket, only the order
    plain_order_url = reverse("staff:order_detail", args=[delivery_return.order_id])
    assert "Mark received" in client.get(plain_order_url).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"status": "received", "ticket": ticket.pk})
    assert response.status_code == 302 and response["Location"] == plain_order_url
    told = Notification.objects.get(recipient=agent, kind="handoff")  # the ticket's assignee is told
    assert f"Delivery return #{delivery_return.pk} received" in told.text
    delivery_return.refresh_from_db()
    assert delivery_return.status == DeliveryReturn.Status.RECEIVED and delivery_return.received_at
    event = TicketEvent.objects.filter(ticket=ticket, kind=TicketEvent.Kind.HANDOFF).order_by("pk").last()
    assert f"Delivery return #{delivery_return.pk} received" in event.after and event.actor == keeper
    history = agent_client.get(reverse("staff:ticket_detail", args=[ticket.pk]) + "?tab=history").content.decode()
    assert f"Delivery return #{delivery_return.pk} received" in history
    assert Activity.objects.filter(client=ticket.client, kind="delivery_return",
                                   description__contains="Received").exists()
    again = client.post(url, {"status": "received"})
    assert "already received" in texts(again)
    services.close_ticket(ticket=ticket, actor=keeper)


def test_admin_action_marks_received_and_the_ticket_records_it(client, ticket, delivery_return):
    admin_user = StaffFactory(email="root@company.com", is_superuser=True)
    client.force_login(admin_user)
    response = client.post(reverse("admin:crm_deliveryreturn_changelist"),
                           {"action": "mark_received", "_selected_action": [delivery_return.pk]}, follow=True)
    assert response.status_code == 200
    assert TicketEvent.objects.filter(ticket=ticket, kind=TicketEvent.Kind.HANDOFF,
                                      after__contains="received by the warehouse").exists()
    assert services.close_blocker(ticket.pk) is None


def _answered_auto_close(ticket, agent, commit):
    """Only the seeded 7-day auto-close is on; the agent answers now. Return when that was."""
    AutomationRule.objects.exclude(name__icontains="7 days").update(is_active=False)
    with commit():
        services.add_reply(ticket=ticket, body_text="Send them back please.", kind=TicketMessage.Kind.STAFF,
                           author=agent)
    ticket.refresh_from_db()
    assert ticket.status.slug == "answered"
    return ticket.status_changed_at


def closings(ticket) -> int:
    return TicketEvent.objects.filter(ticket=ticket, kind=TicketEvent.Kind.CLOSED).count()


def test_held_auto_close_runs_once_when_the_return_is_received(ticket, delivery_return, agent, keeper, commit,
                                                              mailoutbox):
    """Day 7: the auto-close is held while the return is on its way, and later sweeps leave it so.
    Day 9 the warehouse receives the return: the ticket closes at once (it was past due), with one
    polite email; later sweeps do nothing more."""
    answered_at = _answered_auto_close(ticket, agent, commit)
    with time_machine.travel(answered_at + timedelta(days=7, hours=1), tick=False):
        with commit():
            engine.sweep_time_rules()
        with commit():
            engine.sweep_time_rules()
        assert_open(ticket, status_slug="answered")
        run = AutomationRun.objects.get()
        assert run.state == AutomationRun.State.HELD and waiting(delivery_return) in run.result[0]
    mailoutbox.clear()
    with time_machine.travel(answered_at + timedelta(days=9), tick=False):
        with commit():
            receive(delivery_return, keeper)
        ticket.refresh_from_db()
        assert ticket.status.slug == "closed" and closings(ticket) == 1
        run.refresh_from_db()
        assert run.state == AutomationRun.State.DONE
        for _ in range(2):
            with commit():
                engine.sweep_time_rules()
    ticket.refresh_from_db()
    assert ticket.status.slug == "closed" and closings(ticket) == 1
    assert AutomationRun.objects.count() == 1
    assert ticket.messages.filter(body_text__contains="closing it now").count() == 1
    assert [m.to for m in mailoutbox] == [[ticket.contact.email]]


def test_the_sweep_releases_a_held_auto_close_once_the_guard_lifts(ticket, delivery_return, agent, commit):
    """However the return stops blocking (here its row is changed directly, with no signal), the
    next sweep runs the held auto-close once; the sweep after that does nothing."""
    answered_at = _answered_auto_close(ticket, agent, commit)
    with time_machine.travel(answered_at + timedelta(days=8), tick=False), commit():
        engine.sweep_time_rules()
    assert AutomationRun.objects.get().state == AutomationRun.State.HELD
    DeliveryReturn.objects.filter(pk=delivery_return.pk).update(status=DeliveryReturn.Status.RECEIVED)
    with time_machine.travel(answered_at + timedelta(days=8, minutes=1), tick=False), commit():
        engine.sweep_time_rules()
    ticket.refresh_from_db()
    assert ticket.status.slug == "closed" and closings(ticket) == 1
    with time_machine.travel(answered_at + timedelta(days=8, minutes=2), tick=False), commit():
        engine.sweep_time_rules()
    ticket.refresh_from_db()
    assert closings(ticket) == 1 and AutomationRun.objects.get().state == AutomationRun.State.DONE


def test_a_held_auto_close_is_dropped_if_the_customer_replied_meanwhile(ticket, delivery_return, agent, keeper,
                                                                       portal_contact, commit):
    """The customer writes while the return is on its way: receiving it later closes nothing."""
    answered_at = _answered_auto_close(ticket, agent, commit)
    with time_machine.travel(answered_at + timedelta(days=8), tick=False), commit():
        engine.sweep_time_rules()
    with time_machine.travel(answered_at + timedelta(days=8, hours=2), tick=False):
        with commit():
            services.add_reply(ticket=ticket, body_text="Courier came?", kind=TicketMessage.Kind.CUSTOMER,
                               contact=portal_contact)
        with commit():
            receive(delivery_return, keeper)
    ticket.refresh_from_db()
    assert ticket.closed_at is None and closings(ticket) == 0
    assert AutomationRun.objects.get().state == AutomationRun.State.SKIPPED
