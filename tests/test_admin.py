"""The manager's configuration console: every admin page works, colours and targets show,
validation messages are clear, and ticket changes made here go through the services."""

import re
from html.parser import HTMLParser

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group
from django.urls import reverse

from crm.models import Invoice, User
from tests.factories import (
    ContactFactory,
    DepartmentFactory,
    ManagerFactory,
    PortalContactFactory,
    StaffFactory,
    TicketFactory,
    priority,
    status,
)
from tickets import services
from tickets.models import CustomField, Department, Ticket, TicketEvent, TicketMessage, TicketStatus

pytestmark = pytest.mark.django_db


class _FormFields(HTMLParser):
    """Collect what a browser would submit from the page's main form (inputs, selects, textareas)."""

    def __init__(self) -> None:
        super().__init__()
        self.data: dict[str, list[str]] = {}
        self._select: str | None = None
        self._select_multiple = False
        self._textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list) -> None:
        a = dict(attrs)
        name = a.get("name")
        if tag == "input" and name and a.get("type") not in ("submit", "button", "file", "image"):
            if a.get("type") in ("checkbox", "radio") and "checked" not in a:
                return
            self.data.setdefault(name, []).append(a.get("value") or ("on" if a.get("type") == "checkbox" else ""))
        elif tag == "select" and name:
            self._select = name
            self._select_multiple = "multiple" in a
            self.data.setdefault(name, [])
        elif tag == "option" and self._select and "selected" in a:
            self.data[self._select].append(a.get("value", ""))
        elif tag == "textarea" and name:
            self._textarea = name
            self.data[name] = [""]

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data: str) -> None:
        if self._textarea:
            self.data[self._textarea][0] += data


def form_data(response) -> dict:
    parser = _FormFields()
    parser.feed(response.content.decode())
    data = {k: (v if len(v) != 1 else v[0]) for k, v in parser.data.items()}
    data.pop("csrfmiddlewaretoken", None)
    return {k: v for k, v in data.items() if v != []}


FOUNDATION_MODELS = {
    "crm.User", "crm.StaffProfile", "crm.Client", "crm.Contact", "crm.Invoice", "crm.Order", "crm.DeliveryNote",
    "crm.Contract", "crm.Opportunity", "crm.Lead", "crm.Activity", "crm.Announcement",
    "tickets.Department", "tickets.TicketStatus", "tickets.Priority", "tickets.Service", "tickets.Ticket",
    "tickets.TicketMessage", "tickets.Attachment", "tickets.TicketEvent", "tickets.CustomField",
    "tickets.CustomFieldValue", "tickets.Task", "tickets.PredefinedReply", "tickets.SpamFilter",
}


@pytest.fixture
def manager(client):
    user = ManagerFactory(email="manager@company.com", full_name="Mara Manager", is_superuser=True)
    client.force_login(user)
    return user


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


# --- every page ----------------------------------------------------------------------------


def test_every_admin_page_of_crm_and_tickets_opens(client, manager, django_assert_max_num_queries):
    """Changelist, add and change page of every crm and tickets model answer 200, with seeded rows."""
    from tickets.demo import seed as demo
    from tickets.management.commands import seed_demo as command  # noqa: F401

    demo.TICKET_COUNT = 12
    try:
        from django.core.management import call_command

        call_command("seed_demo", verbosity=0)
    finally:
        demo.TICKET_COUNT = 300
    services.add_reply(ticket=Ticket.objects.first(), body_text="log", kind=TicketMessage.Kind.CUSTOMER,
                       attachments=[services.NewAttachment(name="error.log", content=b"boom")])
    services.create_task(title="Call back", actor=manager, ticket=Ticket.objects.first())
    models = [m for m in admin.site._registry if m._meta.app_label in ("crm", "tickets")]
    labels = {m._meta.label for m in models}
    assert FOUNDATION_MODELS <= labels, FOUNDATION_MODELS - labels
    for model in models:
        opts = model._meta
        changelist = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
        assert client.get(changelist).status_code == 200, changelist
        assert client.get(changelist, {"q": "a"}).status_code == 200, changelist
        model_admin = admin.site._registry[model]
        if model_admin.has_add_permission(_request(manager)):
            add = reverse(f"admin:{opts.app_label}_{opts.model_name}_add")
            assert client.get(add).status_code == 200, add
        obj = model.objects.first()
        if obj is None and opts.label not in FOUNDATION_MODELS:
            continue  # another app's model without demo rows: its list and add pages were checked
        assert obj is not None, f"seed_demo creates no {opts.label}"
        change = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])
        assert client.get(change).status_code == 200, change


def _request(user):
    from django.test import RequestFactory

    request = RequestFactory().get("/admin/")
    request.user = user
    return request


def test_a_contact_cannot_reach_the_admin(client):
    """A customer's login never opens the configuration console."""
    contact = PortalContactFactory()
    client.force_login(contact.user)
    response = client.get("/admin/tickets/ticket/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


# --- statuses and priorities ---------------------------------------------------------------


def test_status_list_shows_the_six_statuses_with_colour_swatches(client, manager):
    """New blue, In Progress orange, Answered light green, On Hold grey, Escalated red, Closed green."""
    response = client.get("/admin/tickets/ticketstatus/")
    html = response.content.decode()
    expected = [("New", "#1e88e5"), ("In Progress", "#fb8c00"), ("Answered", "#7cb342"),
                ("On Hold", "#9e9e9e"), ("Escalated", "#e53935"), ("Closed", "#2e7d32")]
    positions = []
    for name, colour in expected:
        assert f">{name}</a>" in html
        assert f"background:{colour}" in html, colour
        positions.append(html.index(f">{name}</a>"))
    assert positions == sorted(positions)  # in lifecycle order
    for header in ("Colour", "Order", "Closes the ticket", "Pauses the SLA clock", "Default for new tickets"):
        assert header.lower() in html.lower()


def test_priority_list_shows_targets_in_hours(client, manager):
    """Urgent 1 h, High 4 h, Medium 24 h, Low 48 h first response, with resolution targets."""
    html = client.get("/admin/tickets/priority/").content.decode()
    rows = re.findall(r"<tr.*?</tr>", html, flags=re.S)
    table = {}
    for row in rows:
        name = re.search(r'<th class="field-name"><a [^>]*>([^<]+)</a>', row)
        if name:
            cells = re.findall(r'<td class="field-(\w+)[^"]*">(.*?)</td>', row, flags=re.S)
            table[name.group(1)] = dict(cells)
    assert list(table) == ["Urgent", "High", "Medium", "Low"]
    assert [table[n]["first_response_target"] for n in table] == ["1 h", "4 h", "24 h", "48 h"]
    assert [table[n]["resolution_target"] for n in table] == ["8 h", "24 h", "72 h", "120 h"]
    assert "background:#d32f2f" in table["Urgent"]["swatch"]


def test_deleting_a_status_in_use_is_refused_with_the_ticket_count(client, manager):
    """The delete page of a used status says how many tickets use it and deletes nothing."""
    TicketFactory.create_batch(3, status=status("on-hold"))
    on_hold = status("on-hold")
    url = f"/admin/tickets/ticketstatus/{on_hold.pk}/delete/"
    for method in (client.get, client.post):
        response = method(url, {"post": "yes"} if method == client.post else None, follow=True)
        assert "used by 3 tickets" in " ".join(messages_of(response))
    assert TicketStatus.objects.filter(pk=on_hold.pk).exists()


def test_bulk_deleting_statuses_refuses_used_ones_with_counts(client, manager):
    """The bulk action names each used status with its count and deletes nothing."""
    TicketFactory(status=status("escalated"))
    spare = TicketStatus.objects.create(name="Waiting for vendor", slug="vendor", colour="#123456", order=9)
    response = client.post(
        "/admin/tickets/ticketstatus/",
        {"action": "delete_unused", "_selected_action": [status("escalated").pk, spare.pk]},
        follow=True,
    )
    text = " ".join(messages_of(response))
    assert "“Escalated” is used by 1 ticket" in text and "Nothing was deleted" in text
    assert TicketStatus.objects.filter(pk=spare.pk).exists()


def test_bulk_deleting_unused_statuses_asks_then_deletes(client, manager):
    """Unused statuses go through Django's confirmation, then services.delete_status."""
    spare = TicketStatus.objects.create(name="Waiting for vendor", slug="vendor", colour="#123456", order=9)
    data = {"action": "delete_unused", "_selected_action": [spare.pk]}
    confirm = client.post("/admin/tickets/ticketstatus/", data)
    assert confirm.status_code == 200 and b"Are you sure" in confirm.content
    client.post("/admin/tickets/ticketstatus/", {**data, "post": "yes"})
    assert not TicketStatus.objects.filter(pk=spare.pk).exists()


def test_only_one_default_status_with_a_clear_message(client, manager):
    """Ticking a second default says which status already is the default."""
    response = client.post("/admin/tickets/ticketstatus/add/", {
        "name": "Triage", "slug": "triage", "colour": "#000000", "order": 0, "is_default": "on"})
    assert response.status_code == 200
    assert "“New” is already the default" in response.content.decode()


# --- configuration validation --------------------------------------------------------------


def test_department_addresses_are_unique_ignoring_case(client, manager):
    DepartmentFactory(name="General Support", email="support@company.com")
    response = client.post("/admin/tickets/department/add/", {"name": "Other", "email": "Support@Company.com",
                                                               "is_active": "on"})
    assert "Another department already uses this address." in response.content.decode()
    assert Department.objects.count() == 1


def test_department_members_are_edited_on_the_department(client, manager):
    """Members are chosen with a two-pane selector (filter_horizontal) and saved."""
    agent = StaffFactory()
    assert b"selectfilter" in client.get("/admin/tickets/department/add/").content
    client.post("/admin/tickets/department/add/", {"name": "Billing", "email": "billing@company.com",
                                                   "is_active": "on", "members": [agent.pk]})
    assert list(Department.objects.get(name="Billing").members.all()) == [agent]


def test_predefined_reply_refuses_unknown_merge_fields(client, manager):
    response = client.post("/admin/tickets/predefinedreply/add/", {
        "title": "Hi", "body": "Hello {customer_name}, ticket {ticket_number}", "is_active": "on"})
    html = response.content.decode()
    assert "Unknown merge field(s): {customer_name}" in html and "{contact_first_name}" in html


def test_dropdown_custom_field_needs_options(client, manager):
    response = client.post("/admin/tickets/customfield/add/", {
        "name": "Module", "slug": "module", "field_type": "dropdown", "options": "", "order": 1, "is_active": "on"})
    assert "A dropdown needs at least one option" in response.content.decode()


# --- users ---------------------------------------------------------------------------------


def test_user_admin_creates_users_by_email_without_username(client, manager):
    """A new user needs only an email (unique ignoring case) and a password."""
    response = client.get("/admin/crm/user/add/")
    assert b'name="username"' not in response.content and b'name="email"' in response.content
    client.post("/admin/crm/user/add/", {"email": "New.Agent@Company.com", "full_name": "New Agent",
                                         "timezone": "Europe/Paris", "usable_password": "true",
                                         "password1": "Sup3r-secret-pw", "password2": "Sup3r-secret-pw"})
    user = User.objects.get(email="new.agent@company.com")
    assert user.check_password("Sup3r-secret-pw")
    response = client.post("/admin/crm/user/add/", {"email": "NEW.agent@company.com", "timezone": "UTC",
                                                    "usable_password": "true",
                                                    "password1": "Sup3r-secret-pw", "password2": "Sup3r-secret-pw"})
    assert "Another user already signs in with this email address." in response.content.decode()


def test_staff_user_page_has_the_staff_profile_inline(client, manager):
    agent = StaffFactory()
    html = client.get(f"/admin/crm/user/{agent.pk}/change/").content.decode()
    assert "staff_profile-0-role" in html and "staff_profile-0-signature" in html


def test_unknown_time_zone_is_refused(client, manager):
    agent = StaffFactory()
    page = client.get(f"/admin/crm/user/{agent.pk}/change/")
    data = form_data(page)
    data["timezone"] = "Mars/Olympus"
    response = client.post(f"/admin/crm/user/{agent.pk}/change/", data)
    assert "Mars/Olympus is not a known time zone." in response.content.decode()


def test_invoice_list_marks_and_filters_overdue(client, manager):
    from datetime import date, timedelta

    contact = ContactFactory()
    Invoice.objects.create(client=contact.client, number="INV-1", amount=10, issued_on=date.today() - timedelta(40),
                           due_on=date.today() - timedelta(10))
    Invoice.objects.create(client=contact.client, number="INV-2", amount=10, issued_on=date.today(),
                           due_on=date.today() + timedelta(30))
    html = client.get("/admin/crm/invoice/", {"overdue": "yes"}).content.decode()
    assert "INV-1" in html and "INV-2" not in html and "Overdue" in html


# --- tickets through the services -----------------------------------------------------------


def test_phone_ticket_added_in_the_admin_is_opened_by_the_service(client, manager):
    """Adding a ticket in the admin calls open_ticket: first message, Created event by the manager."""
    dept = DepartmentFactory(name="General Support", email="support@company.com")
    contact = ContactFactory()
    response = client.post("/admin/tickets/ticket/add/", {
        "subject": "Printer offline", "body_text": "Customer called: the LP-4 printer is offline.",
        "department": dept.pk, "channel": "phone", "priority": priority("High").pk, "contact": contact.pk,
    })
    assert response.status_code == 302, response.content.decode()[:3000]
    ticket = Ticket.objects.get()
    assert ticket.client == contact.client and ticket.priority == priority("High") and ticket.channel == "phone"
    assert ticket.messages.get().body_text.startswith("Customer called")
    created = ticket.events.get()
    assert created.kind == TicketEvent.Kind.CREATED and created.actor == manager


def test_ticket_add_needs_a_contact_or_an_address(client, manager):
    dept = DepartmentFactory()
    response = client.post("/admin/tickets/ticket/add/", {
        "subject": "x", "body_text": "y", "department": dept.pk, "channel": "phone",
        "priority": priority("Low").pk})
    assert "Choose a contact, or give the requester" in response.content.decode()
    assert not Ticket.objects.exists()


def test_ticket_changes_in_the_admin_go_through_the_services(client, manager):
    """Status, priority and assignee changed on the ticket form are recorded as events by the manager."""
    dept = DepartmentFactory(name="General Support", email="support@company.com")
    agent = StaffFactory(full_name="Ana Lungu", departments=[dept])
    ticket = services.open_ticket(subject="Export", body_text="fails", department=dept, contact=ContactFactory())
    services.add_reply(ticket=ticket, body_text="note", kind=TicketMessage.Kind.NOTE, author=agent)
    url = f"/admin/tickets/ticket/{ticket.pk}/change/"
    page = client.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert "fails" in html and "note" in html  # the conversation, read-only
    data = form_data(page)
    data.update(status=str(status("closed").pk), priority=str(priority("Urgent").pk), assignee=str(agent.pk))
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:5000]
    ticket.refresh_from_db()
    assert ticket.status == status("closed") and ticket.closed_at is not None
    assert ticket.priority_level == priority("Urgent").level and ticket.assignee == agent
    kinds = {e.kind: e for e in ticket.events.filter(actor=manager)}
    assert set(kinds) >= {TicketEvent.Kind.CLOSED, TicketEvent.Kind.PRIORITY, TicketEvent.Kind.ASSIGNEE}
    assert kinds[TicketEvent.Kind.PRIORITY].before == "Medium"


def test_custom_values_on_the_ticket_form_are_validated_by_type(client, manager):
    """An option outside the dropdown's list is refused with the allowed options; a valid one is saved."""
    field = CustomField.objects.create(name="Tier", slug="tier", field_type="dropdown", options="Basic\nPro")
    ticket = services.open_ticket(subject="x", body_text="y", department=DepartmentFactory(),
                                  contact=ContactFactory())
    url = f"/admin/tickets/ticket/{ticket.pk}/change/"
    data = form_data(client.get(url))
    data.update({"custom_values-TOTAL_FORMS": "1", "custom_values-0-field": str(field.pk),
                 "custom_values-0-raw_value": "Gold", "custom_values-0-ticket": str(ticket.pk)})
    response = client.post(url, data)
    assert response.status_code == 200 and "Choose one of: Basic, Pro." in response.content.decode()
    data["custom_values-0-raw_value"] = "Pro"
    assert client.post(url, data).status_code == 302
    assert ticket.custom_values.get().value == "Pro"
    assert ticket.events.filter(kind=TicketEvent.Kind.CUSTOM_FIELD, actor=manager).exists()


def test_ticket_messages_and_events_are_read_only(client, manager):
    ticket = TicketFactory()
    assert client.get("/admin/tickets/ticketmessage/add/").status_code == 403
    assert client.get("/admin/tickets/ticketevent/add/").status_code == 403
    services.change_status(ticket=ticket, status=status("in-progress"))
    event = ticket.events.get()
    assert client.post(f"/admin/tickets/ticketevent/{event.pk}/delete/", {"post": "yes"}).status_code == 403


def test_close_action_closes_through_the_service(client, manager):
    tickets = TicketFactory.create_batch(2)
    response = client.post("/admin/tickets/ticket/", {"action": "close_tickets",
                                                      "_selected_action": [t.pk for t in tickets]}, follow=True)
    assert "Closed 2 tickets." in messages_of(response)
    assert Ticket.objects.filter(status__slug="closed", closed_at__isnull=False).count() == 2
    assert TicketEvent.objects.filter(kind=TicketEvent.Kind.CLOSED, actor=manager).count() == 2


def test_support_managers_group_grants_the_console(client):
    """A manager who is no superuser works the console through the Support managers group."""
    from django.core.management import call_command

    from tickets.demo import seed as demo

    demo.TICKET_COUNT = 3
    try:
        call_command("seed_demo", verbosity=0)
    finally:
        demo.TICKET_COUNT = 300
    group = Group.objects.get(name="Support managers")
    lead = StaffFactory(email="lead@company.com")
    lead.groups.add(group)
    client.force_login(lead)
    assert client.get("/admin/tickets/ticketstatus/").status_code == 200
    assert client.get("/admin/crm/client/").status_code == 200
    assert client.get("/admin/auth/group/").status_code == 403  # not the keys to everything


@pytest.mark.parametrize("state", ["open", "unassigned", "awaiting_first", "first_breached",
                                   "resolution_breached", "merged"])
def test_ticket_state_filters(client, manager, state):
    """The supervision filters pick the right tickets."""
    from datetime import timedelta

    from django.utils import timezone

    dept = DepartmentFactory()
    services.open_ticket(subject="Old and late", body_text="x", department=dept, contact=ContactFactory(),
                         created_at=timezone.now() - timedelta(days=10))
    fresh = services.open_ticket(subject="Fresh one", body_text="x", department=dept, contact=ContactFactory())
    done = services.open_ticket(subject="Done deal", body_text="x", department=dept, contact=ContactFactory())
    services.close_ticket(ticket=done)
    services.assign(ticket=fresh, assignee=manager)
    expected = {
        "open": {"Old and late", "Fresh one"}, "unassigned": {"Old and late"},
        "awaiting_first": {"Old and late", "Fresh one"}, "first_breached": {"Old and late"},
        "resolution_breached": {"Old and late"}, "merged": set(),
    }[state]
    response = client.get("/admin/tickets/ticket/", {"state": state})
    shown = {t.subject for t in response.context["cl"].result_list}
    assert shown == expected


@pytest.mark.parametrize("kind", ["priority", "department"])
def test_priorities_and_departments_in_use_are_not_deleted(client, manager, kind):
    """Like statuses: the refusal counts the tickets, on the delete page and in the bulk action."""
    ticket = TicketFactory(priority=priority("Urgent"))
    obj = ticket.priority if kind == "priority" else ticket.department
    response = client.post(f"/admin/tickets/{kind}/{obj.pk}/delete/", {"post": "yes"}, follow=True)
    assert f"“{obj}” is used by 1 ticket" in " ".join(messages_of(response))
    response = client.post(f"/admin/tickets/{kind}/", {"action": "delete_unused", "_selected_action": [obj.pk]},
                           follow=True)
    assert f"“{obj}” is used by 1 ticket" in " ".join(messages_of(response))
    assert type(obj).objects.filter(pk=obj.pk).exists()
    ticket.delete()
    client.post(f"/admin/tickets/{kind}/{obj.pk}/delete/", {"post": "yes"})
    assert not type(obj).objects.filter(pk=obj.pk).exists()
