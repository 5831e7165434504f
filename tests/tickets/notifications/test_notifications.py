"""Staff notifications: who gets which kind, email preferences, the bell and the list."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from tests.factories import ContactFactory, DepartmentFactory, StaffFactory, priority
from tickets import services
from tickets.models import AutomationRule, Notification, TicketMessage
from tickets.models.notifications import NotificationKind
from tickets.notifications import services as notifications
from tickets.sla.sweep import run_sla_sweep

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _no_rules():
    """Seeded automation rules would add their own mail; these tests look at notifications alone."""
    AutomationRule.objects.update(is_active=False)


@pytest.fixture
def commit(django_capture_on_commit_callbacks):
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def dept():
    return DepartmentFactory(name="General Support", email="support@company.com")


@pytest.fixture
def team(dept):
    return [StaffFactory(departments=[dept], email=f"member{i}@company.com") for i in range(2)]


def kinds(user) -> list[str]:
    return list(Notification.objects.filter(recipient=user).order_by("id").values_list("kind", flat=True))


def open_ticket(dept, commit, **kwargs):
    with time_machine.travel(kwargs.pop("when", T0), tick=False), commit():
        return services.open_ticket(subject="Cannot log in", body_text="Help", department=dept,
                                    contact=ContactFactory(), priority=priority("High"), **kwargs)


def test_new_ticket_notifies_the_department_but_not_by_email_by_default(dept, team, commit, mailoutbox):
    """A new ticket appears in every department member's bell; no email unless chosen."""
    ticket = open_ticket(dept, commit)
    for member in team:
        assert kinds(member) == [NotificationKind.NEW_TICKET]
        assert member.notifications.get().ticket == ticket
    assert mailoutbox == []


def test_email_preference_adds_email_for_a_kind(dept, team, commit, mailoutbox):
    """A member who chose new-ticket emails gets one; the other does not."""
    notifications.set_email_kinds(user=team[0], kinds=[NotificationKind.NEW_TICKET])
    open_ticket(dept, commit)
    assert [m.to for m in mailoutbox] == [[team[0].email]]
    assert "New ticket" in mailoutbox[0].subject


def test_assignment_notifies_the_assignee_by_email(dept, team, commit, mailoutbox):
    """Being assigned a ticket notifies the assignee, by email by default; not when self-assigned."""
    ticket = open_ticket(dept, commit)
    mailoutbox.clear()
    with commit():
        services.assign(ticket=ticket, assignee=team[0], actor=team[1])
    assert kinds(team[0])[-1] == NotificationKind.ASSIGNED
    assert [m.to for m in mailoutbox] == [[team[0].email]]
    with commit():
        services.assign(ticket=ticket, assignee=team[1], actor=team[1])
    assert NotificationKind.ASSIGNED not in kinds(team[1])


def test_opting_out_of_assignment_emails(dept, team, commit, mailoutbox):
    """With no kinds chosen, assignment still shows in the bell but sends no email."""
    notifications.set_email_kinds(user=team[0], kinds=[])
    ticket = open_ticket(dept, commit)
    with commit():
        services.assign(ticket=ticket, assignee=team[0])
    assert kinds(team[0])[-1] == NotificationKind.ASSIGNED
    assert mailoutbox == []


def test_customer_reply_notifies_the_assignee(dept, team, commit):
    """A customer reply on my ticket notifies me (the assignee) only."""
    ticket = open_ticket(dept, commit)
    with commit():
        services.assign(ticket=ticket, assignee=team[0])
        services.add_reply(ticket=ticket, body_text="More info", kind=TicketMessage.Kind.CUSTOMER)
    assert kinds(team[0])[-1] == NotificationKind.CUSTOMER_REPLIED
    assert NotificationKind.CUSTOMER_REPLIED not in kinds(team[1])


def test_escalation_notifies_the_target_department(dept, team, commit, mailoutbox):
    """Escalating to another department notifies its members, by email by default."""
    tech = DepartmentFactory(name="Technical Support", email="tech@company.com")
    engineer = StaffFactory(departments=[tech], email="engineer@company.com")
    ticket = open_ticket(dept, commit)
    mailoutbox.clear()
    with commit():
        services.escalate(ticket=ticket, actor=team[0], note="Checked logs, needs a developer.", department=tech)
    assert kinds(engineer)[-1] == NotificationKind.ESCALATED
    assert NotificationKind.ESCALATED not in kinds(team[0])
    assert [m.to for m in mailoutbox if "escalated" in m.subject] == [[engineer.email]]


def test_sla_warning_and_breach_notify_the_assignee(dept, team, commit, settings):
    """About to breach, then breached: the assignee is told each once."""
    settings.HELPDESK_SLA_WARNING_MINUTES = 30
    ticket = open_ticket(dept, commit)  # due T0 + 4 h
    with commit():
        services.assign(ticket=ticket, assignee=team[0])
    for minutes in (3 * 60 + 31, 3 * 60 + 40, 4 * 60 + 1, 4 * 60 + 5):
        with time_machine.travel(T0 + timedelta(minutes=minutes), tick=False), commit():
            run_sla_sweep()
    assert kinds(team[0]).count(NotificationKind.SLA_WARNING) == 1
    assert kinds(team[0]).count(NotificationKind.SLA_BREACHED) == 1
    assert NotificationKind.SLA_BREACHED not in kinds(team[1])


def test_sla_breach_of_an_unassigned_ticket_notifies_the_department(dept, team, commit, mailoutbox):
    """Without an assignee the whole department hears about the breach (by email by default)."""
    open_ticket(dept, commit)
    mailoutbox.clear()
    with time_machine.travel(T0 + timedelta(hours=5), tick=False), commit():
        run_sla_sweep()
    for member in team:
        assert NotificationKind.SLA_BREACHED in kinds(member)
    assert sorted(m.to[0] for m in mailoutbox) == sorted(m.email for m in team)


def test_bell_shows_unread_count_and_opening_marks_read(client, dept, team, commit):
    """The top bar shows the unread count; opening a notification goes to the ticket and marks it read."""
    ticket = open_ticket(dept, commit)
    open_ticket(dept, commit)
    client.force_login(team[0])
    page = client.get("/staff/notifications/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="notification-bell"' in html
    assert '<span class="count">2</span>' in html
    first = team[0].notifications.get(ticket=ticket)
    response = client.get(f"/staff/notifications/{first.pk}/open/")
    assert response.status_code == 302
    assert response.url == f"/staff/tickets/{ticket.pk}/"
    first.refresh_from_db()
    assert first.read_at is not None
    assert '<span class="count">1</span>' in client.get("/staff/notifications/").content.decode()


def test_cannot_open_someone_elses_notification(client, dept, team, commit):
    """Another staff member's notification is a 404."""
    open_ticket(dept, commit)
    client.force_login(team[1])
    other = team[0].notifications.get()
    assert client.get(f"/staff/notifications/{other.pk}/open/").status_code == 404


def test_mark_all_read(client, dept, team, commit):
    """'Mark all read' clears the unread count."""
    open_ticket(dept, commit)
    client.force_login(team[0])
    client.post("/staff/notifications/read-all/")
    assert not team[0].notifications.filter(read_at__isnull=True).exists()


def test_profile_page_saves_email_preferences(client, dept, team):
    """The profile page stores which kinds also come by email."""
    client.force_login(team[0])
    page = client.get("/staff/profile/")
    assert page.status_code == 200
    assert 'value="sla_breached" ' in page.content.decode() or 'value="sla_breached"' in page.content.decode()
    response = client.post("/staff/profile/", {"email_kinds": ["new_ticket", "sla_warning"]})
    assert response.status_code == 302
    assert team[0].notification_preference.email_kinds == ["new_ticket", "sla_warning"]
