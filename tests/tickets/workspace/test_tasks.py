"""The tasks page (/staff/tasks/): my tasks and my departments', filters, mark done, create."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.factories import DepartmentFactory, ManagerFactory, PortalContactFactory, StaffFactory, TicketFactory
from tickets import services
from tickets.models import Task, TicketEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def support():
    return DepartmentFactory(name="General Support", email="support@company.com")


@pytest.fixture
def it():
    return DepartmentFactory(name="IT", email="it@company.com")


@pytest.fixture
def agent(support):
    return StaffFactory(departments=[support])


def _task(title, actor, **kw):
    return services.create_task(title=title, actor=actor, **kw)


def _titles(response):
    return [t.title for t in response.context["page"]]


def test_lists_my_tasks_and_my_departments_tasks_only(client, agent, support, it):
    """An agent sees tasks assigned to them and their departments' tasks, not another department's."""
    other = StaffFactory(departments=[it])
    _task("Mine", other, assignee=agent)
    _task("Support team", other, department=support)
    _task("IT only", other, department=it)
    client.force_login(agent)
    url = reverse("staff:task_list")
    assert sorted(_titles(client.get(url))) == ["Mine", "Support team"]
    assert _titles(client.get(url, {"scope": "mine"})) == ["Mine"]
    assert _titles(client.get(url, {"scope": "departments"})) == ["Support team"]
    client.force_login(ManagerFactory())
    assert sorted(_titles(client.get(url))) == ["IT only", "Mine", "Support team"]


def test_filters_by_due_date_and_status(client, agent):
    """Overdue, today and this week filter by due time; done tasks are hidden unless asked for."""
    now = timezone.now()
    _task("Overdue", agent, assignee=agent, due_at=now - timedelta(days=2))
    _task("Later today", agent, assignee=agent, due_at=timezone.localtime(now).replace(hour=23, minute=59))
    _task("Next month", agent, assignee=agent, due_at=now + timedelta(days=40))
    done = _task("Finished", agent, assignee=agent, due_at=now - timedelta(days=1))
    services.set_task_status(task=done, status=Task.Status.DONE, actor=agent)
    client.force_login(agent)
    url = reverse("staff:task_list")
    assert _titles(client.get(url, {"due": "overdue"})) == ["Overdue"]
    assert "Later today" in _titles(client.get(url, {"due": "today"}))
    assert "Next month" not in _titles(client.get(url, {"due": "week"}))
    assert "Finished" not in _titles(client.get(url))
    assert _titles(client.get(url, {"status": "done"})) == ["Finished"]


def test_task_shows_link_to_its_ticket(client, agent, support):
    """A task made for a ticket links to the ticket page."""
    ticket = TicketFactory(department=support, subject="Broken VPN")
    _task("Check VPN logs", agent, ticket=ticket, department=support)
    client.force_login(agent)
    page = client.get(reverse("staff:task_list")).content.decode()
    assert f'href="/staff/tickets/{ticket.pk}/"' in page and "Broken VPN" in page


def test_mark_done_with_and_without_htmx(client, agent, support):
    """Mark done sets the task done (and records it on the ticket); htmx gets the row back."""
    ticket = TicketFactory(department=support)
    task = _task("Call back", agent, assignee=agent, ticket=ticket)
    client.force_login(agent)
    url = reverse("staff:task_status", args=[task.pk])
    response = client.post(url, {"status": "done"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and f'id="task-{task.pk}"' in response.content.decode()
    task.refresh_from_db()
    assert task.status == Task.Status.DONE and task.completed_at is not None
    assert TicketEvent.objects.filter(ticket=ticket, kind=TicketEvent.Kind.TASK, after__contains="Done").exists()
    response = client.post(url, {"status": "open"})
    assert response.status_code == 302
    task.refresh_from_db()
    assert task.status == Task.Status.OPEN and task.completed_at is None


def test_cannot_change_a_task_outside_my_scope(client, agent, it):
    """Another department's task is 404 for the agent, and stays unchanged."""
    task = _task("IT only", StaffFactory(departments=[it]), department=it)
    client.force_login(agent)
    assert client.post(reverse("staff:task_status", args=[task.pk]), {"status": "done"}).status_code == 404
    task.refresh_from_db()
    assert task.status == Task.Status.OPEN


def test_create_standalone_task_and_task_for_a_ticket(client, agent, support, it):
    """The form creates a task for a department; a ticket number the agent cannot see is refused."""
    client.force_login(agent)
    url = reverse("staff:task_create")
    response = client.post(url, {"title": "Order toner", "department": it.pk, "due_at": "2030-01-02T10:00"})
    assert response.status_code == 302
    task = Task.objects.get(title="Order toner")
    assert task.department == it and task.created_by == agent and task.ticket is None
    hidden = TicketFactory(department=it)
    response = client.post(url, {"title": "Peek", "department": it.pk, "ticket": hidden.pk})
    assert response.status_code == 200 and "no ticket" in response.content.decode()
    assert not Task.objects.filter(title="Peek").exists()
    response = client.post(url, {"title": "Nobody"})
    assert "Give the task to a person or a department." in response.content.decode()


def test_tasks_are_staff_only(client):
    """Contacts get 404 on the tasks pages."""
    contact = PortalContactFactory()
    client.force_login(contact.user)
    assert client.get(reverse("staff:task_list")).status_code == 404
    assert client.get(reverse("staff:task_create")).status_code == 404


def test_task_list_query_count_is_constant(client, agent, support):
    """The tasks page issues the same number of queries for 2 tasks as for 22."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(reverse("staff:task_list")).status_code == 200
        return len(ctx.captured_queries)

    for _ in range(2):
        _task("T", agent, assignee=agent, ticket=TicketFactory(department=support), department=support)
    client.force_login(agent)
    count()  # the top bar's cached counts settle
    few = count()
    for _ in range(20):
        _task("T", agent, assignee=agent, ticket=TicketFactory(department=support), department=support)
    assert count() == few
