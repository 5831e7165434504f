"""Names that live in the database (statuses, portal labels, priorities, departments, services,
custom fields) read in the user's language when they are the seeded names, and exactly as a
manager typed them otherwise."""

import importlib
import re

import pytest
from django.urls import reverse
from django.utils import translation

from tests.factories import (
    DepartmentFactory,
    ManagerFactory,
    PortalContactFactory,
    StaffFactory,
    TicketFactory,
    priority,
    status,
)
from tickets import labels
from tickets.demo import seed as demo_seed
from tickets.models import Service, TicketStatus

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(db):
    department = DepartmentFactory(name="Technical Support", email="tech@company.com")
    agent = StaffFactory(email="lina@company.com", full_name="Lina Agent", departments=[department])
    contact = PortalContactFactory(first_name="Ana", email="ana@client.example")
    ticket = TicketFactory(subject="Printer smoking", contact=contact, department=department,
                           status=status("in-progress"), priority=priority("High"),
                           service=Service.objects.get(name="Billing"))
    return type("World", (), {"agent": agent, "contact": contact, "ticket": ticket, "department": department})


def _romanian(*people) -> None:
    for person in people:
        type(person).objects.filter(pk=person.pk).update(language="ro")


def _badge(text: str) -> re.Pattern:
    return re.compile(r'<span class="badge[^"]*" style="--c: #[0-9a-fA-F]{6}">' + re.escape(text) + "</span>")


def _queue(client, world) -> str:
    client.force_login(world.agent)
    return client.get("/staff/tickets/", {"view": "all"}).content.decode()


def _ticket_page(client, world) -> str:
    client.force_login(world.agent)
    return client.get(reverse("staff:ticket_detail", args=[world.ticket.pk])).content.decode()


def _sidebar(page: str) -> str:
    return page.split('id="status-counts"', 1)[1].split("</ul>", 1)[0]


def _row(page: str, ticket_id: int) -> str:
    return page.split(f'data-ticket="{ticket_id}"', 1)[1].split("</tr>", 1)[0]


def test_romanian_agent_sees_status_and_priority_in_romanian_on_the_queue(client, world):
    """The row's badges, the sidebar's counts and the bulk-action selects read in Romanian."""
    _romanian(world.agent)
    page = _queue(client, world)
    row = _row(page, world.ticket.pk)
    assert _badge("În lucru").search(row) and _badge("Ridicată").search(row), row
    sidebar = _sidebar(page)
    for name in ("Nou", "În lucru", "Răspuns trimis", "În așteptare", "Escaladat", "Închis"):
        assert _badge(name).search(sidebar), name
    assert ">In Progress<" not in page and ">High<" not in page and ">Escalated<" not in page
    assert '<option value="in-progress">În lucru</option>' in page
    assert re.search(r'<option value="\d+">Urgentă</option>', page)
    assert re.search(r'<option value="\d+">Suport tehnic</option>', page)


def test_romanian_agent_sees_the_queue_filters_and_chips_in_romanian(client, world):
    _romanian(world.agent)
    client.force_login(world.agent)
    page = client.get("/staff/tickets/", {"status": "escalated", "priority": priority("Urgent").pk}).content.decode()
    chips = page.split('data-chip="status"', 1)[1].split("</ul>", 1)[0]
    assert _badge("Escaladat").search(chips) and "Prioritate: Urgentă" in chips, chips
    assert 'value="escalated" checked> <span class="badge" style="--c: #e53935">Escaladat</span>' in page


def test_romanian_agent_sees_badges_and_selects_in_romanian_on_the_ticket_page(client, world):
    _romanian(world.agent)
    page = _ticket_page(client, world)
    header = page.split("</h1>", 1)[1].split("</div>", 1)[0] if "</h1>" in page else page
    assert _badge("În lucru").search(header) and _badge("Ridicată").search(header), header
    assert '<span class="tag">Suport tehnic</span>' in page
    status_select = page.split('id="prop-status"', 1)[1].split("</select>", 1)[0]
    assert f'<option value="{world.ticket.status_id}" selected>În lucru</option>' in status_select
    assert ">Escaladat</option>" in status_select and ">In Progress<" not in status_select
    assert ">Facturare</option>" in page and ">Scăzută</option>" in page


def test_english_users_still_see_the_seeded_names(client, world):
    page = _queue(client, world)
    assert _badge("In Progress").search(_row(page, world.ticket.pk)) and _badge("High").search(page)
    assert _badge("Escalated").search(_sidebar(page))
    ticket = _ticket_page(client, world)
    assert f'<option value="{world.ticket.status_id}" selected>In Progress</option>' in ticket
    assert "Technical Support" in ticket and "În lucru" not in ticket and "Ridicată" not in ticket


def test_a_status_a_manager_renamed_shows_as_typed(client, world):
    """A name with no translation reads as the manager wrote it, in every language."""
    TicketStatus.objects.filter(slug="in-progress").update(name="Working on it", portal_label="Being handled")
    _romanian(world.agent, world.contact)
    page = _queue(client, world)
    assert _badge("Working on it").search(_row(page, world.ticket.pk))
    assert _badge("Working on it").search(_sidebar(page))
    assert '<option value="in-progress">Working on it</option>' in page
    ticket = _ticket_page(client, world)
    assert f'<option value="{world.ticket.status_id}" selected>Working on it</option>' in ticket
    client.force_login(world.contact.user)
    portal = client.get(reverse("portal:ticket_detail", args=[world.ticket.pk])).content.decode()
    assert '<span class="badge" style="--c: #fb8c00" id="ticket-status">Being handled</span>' in portal


def test_romanian_contact_sees_the_portal_label_in_romanian(client, world):
    """The portal label, the department and the topic read in Romanian; the filter's key stays."""
    _romanian(world.contact)
    TicketFactory(subject="Invoice copy", contact=world.contact, department=world.department,
                             status=status("answered"))
    client.force_login(world.contact.user)
    detail = client.get(reverse("portal:ticket_detail", args=[world.ticket.pk])).content.decode()
    assert 'id="ticket-status">În lucru</span>' in detail
    assert "<dd>Suport tehnic</dd>" in detail and "<dd>Facturare</dd>" in detail
    listing = client.get(reverse("portal:ticket_list")).content.decode()
    assert _badge("Așteaptă răspunsul dumneavoastră").search(listing)
    assert re.search(r'href="\?status=in-progress"[^>]*><span class="badge plain"[^>]*>În lucru</span>', listing)
    # The filter's address is the same in every language.
    filtered = client.get(reverse("portal:ticket_list"), {"status": "awaiting-your-reply"}).content.decode()
    assert "Invoice copy" in filtered and "Printer smoking" not in filtered
    dashboard = client.get(reverse("portal:dashboard")).content.decode()
    assert "În lucru" in dashboard and "In progress" not in dashboard


def test_english_contact_sees_the_english_portal_label(client, world):
    client.force_login(world.contact.user)
    detail = client.get(reverse("portal:ticket_detail", args=[world.ticket.pk])).content.decode()
    assert 'id="ticket-status">In progress</span>' in detail and "<dd>Technical Support</dd>" in detail


def test_romanian_contact_sees_the_new_ticket_form_in_romanian(client, world):
    _romanian(world.contact)
    client.force_login(world.contact.user)
    page = client.get(reverse("portal:ticket_new")).content.decode()
    assert ">Suport tehnic</option>" in page and ">Cont și acces</option>" in page


def test_reports_name_their_groups_in_romanian(client, world):
    manager = ManagerFactory(email="mara@company.com", departments=[world.department])
    _romanian(manager)
    client.force_login(manager)
    page = client.get(reverse("reports:index")).content.decode()
    assert ">Suport tehnic</th>" in page and ">Ridicată</th>" in page
    assert ">Suport tehnic</option>" in page


def test_every_seeded_name_has_a_romanian_label():
    """The statuses, portal labels, priorities and services of the seed migrations and the demo's
    departments and custom fields are all in tickets/labels.py and translated."""
    base = importlib.import_module("tickets.migrations.0002_seed_configuration")
    portal = importlib.import_module("tickets.migrations.0014_escalations_portal_labels")
    names = {row[1] for row in base.STATUSES} | {row[0] for row in base.PRIORITIES} | set(base.SERVICES)
    names |= set(portal.PORTAL_LABELS.values())
    names |= {row[0] for row in demo_seed.DEPARTMENTS} | {row[1] for row in demo_seed.CUSTOM_FIELDS}
    with translation.override("en"):
        listed = {str(name) for name in labels.SEEDED}
        assert all(labels.label(name) == name for name in names)
    assert names <= listed, names - listed
    with translation.override("ro"):
        untranslated = {name for name in names if labels.label(name) == name}
    assert not untranslated, untranslated


def test_a_name_is_never_translated_as_a_ui_word_of_the_same_spelling():
    """Only the listed names are translated: a status a manager calls "Open" or "Save" stays so."""
    with translation.override("ro"):
        assert translation.gettext("Open") != "Open"  # the UI word has a translation...
        assert labels.label("Open") == "Open"  # ...which a database name does not borrow
        assert labels.label("") == "" and labels.label(None) == ""


@pytest.fixture(autouse=True)
def _no_language_left_behind():
    yield
    translation.deactivate()


def test_a_follower_is_told_the_new_status_in_the_sites_language(world, settings, django_capture_on_commit_callbacks):
    """Notifications for others are written in the site's language: on a Romanian site the new
    status reads in Romanian too (the stored text keeps it as written)."""
    from tickets import services
    from tickets.models.notifications import Notification, NotificationKind

    settings.LANGUAGE_CODE = "ro"
    technical = DepartmentFactory(name="Orders", email="orders@company.com")
    with django_capture_on_commit_callbacks(execute=True):
        services.escalate(ticket=world.ticket, actor=world.agent, department=technical,
                          note="Checked the logs: the API returns 500; needs L2.")
    engineer = StaffFactory(email="tom@company.com", departments=[technical])
    Notification.objects.all().delete()
    with django_capture_on_commit_callbacks(execute=True):
        services.add_reply(ticket=world.ticket, body_text="Fixed on our side.", kind="staff", author=engineer)
    texts = list(Notification.objects.filter(recipient=world.agent, kind=NotificationKind.FOLLOWED)
                 .values_list("text", flat=True))
    assert any("are acum starea Răspuns trimis" in t for t in texts), texts


def test_survey_results_name_departments_in_romanian(client, django_capture_on_commit_callbacks):
    from surveys import services as survey_services
    from tests.surveys.test_surveys import closed_ticket, respond
    from tickets.models import Department

    dept = DepartmentFactory(name="General Support", email="support@company.com")
    agent = StaffFactory(departments=[dept], email="agent@company.com")
    ticket = closed_ticket(dept, agent, lambda: django_capture_on_commit_callbacks(execute=True))
    respond(survey_services.invite_for_ticket(ticket=ticket, now=ticket.closed_at).invitation, 4, nps=9)
    manager = ManagerFactory(language="ro")
    client.force_login(manager)
    page = client.get("/staff/surveys/", {"period": "custom", "start": "2026-11-01", "end": "2026-11-30"})
    assert "<td>Suport general</td>" in page.content.decode()
    assert Department.objects.filter(name="General Support").exists()  # stored as typed
