"""`manage.py seed_demo`: the demo company of the guides, created once, through the services."""

from string import Formatter

import pytest
from django.apps import apps
from django.contrib.auth import authenticate
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.utils import timezone

from crm.demo import DEMO_LOGINS, DEMO_PASSWORD
from crm.models import Client, Contact, DeliveryNote, Invoice, StaffProfile, User
from tickets.management.commands.seed_demo import STEPS
from tickets.models import (
    CustomField,
    Department,
    PredefinedReply,
    Priority,
    Service,
    SpamFilter,
    Ticket,
    TicketEvent,
    TicketMessage,
    TicketStatus,
)
from tickets.models.core import Channel

pytestmark = pytest.mark.django_db


def row_counts() -> dict[str, int]:
    return {m._meta.label: m.objects.count() for m in apps.get_models()}


@pytest.fixture
def seeded():
    """The full demo: 300 tickets."""
    call_command("seed_demo", verbosity=0)


@pytest.fixture
def seeded_small(monkeypatch):
    """The demo with 60 tickets: the same code paths, faster."""
    monkeypatch.setattr("tickets.demo.seed.TICKET_COUNT", 60)
    call_command("seed_demo", verbosity=0)


def test_running_seed_demo_twice_leaves_identical_row_counts(seeded):
    """The second run creates, changes and deletes nothing, in any table."""
    first = row_counts()
    call_command("seed_demo", verbosity=0)
    assert row_counts() == first
    assert first["tickets.Ticket"] == 300


def test_demo_tickets_cover_every_status_priority_service_and_channel(seeded):
    """The 300 tickets spread over all six statuses, four priorities, the services and five channels."""
    assert set(Ticket.objects.values_list("status__slug", flat=True)) == set(
        TicketStatus.objects.values_list("slug", flat=True))
    assert set(Ticket.objects.values_list("priority", flat=True)) == set(Priority.objects.values_list("pk", flat=True))
    assert set(Ticket.objects.exclude(service=None).values_list("service", flat=True)) == set(
        Service.objects.values_list("pk", flat=True))
    assert set(Ticket.objects.values_list("channel", flat=True)) == set(Channel.values)
    assert set(Ticket.objects.values_list("department__name", flat=True)) == {
        "General Support", "Technical Support", "Billing", "Orders"}


def test_demo_conversations_are_realistic_and_consistent(seeded_small):
    """Customer messages, staff replies and internal notes; events; no time in the future;
    first_response_at only where a staff member replied publicly, and never before creation."""
    kinds = set(TicketMessage.objects.values_list("kind", flat=True))
    assert {TicketMessage.Kind.CUSTOMER, TicketMessage.Kind.STAFF, TicketMessage.Kind.NOTE} <= kinds
    assert TicketEvent.objects.filter(kind=TicketEvent.Kind.ESCALATED).exists()
    assert TicketEvent.objects.filter(kind=TicketEvent.Kind.MERGED).exists()
    now = timezone.now()
    assert not TicketMessage.objects.filter(created_at__gt=now).exists()
    assert not TicketEvent.objects.filter(created_at__gt=now).exists()
    for ticket in Ticket.objects.filter(merged_into=None).prefetch_related("messages"):
        staff = [m.created_at for m in ticket.messages.all() if m.kind == TicketMessage.Kind.STAFF]
        assert ticket.first_response_at == (min(staff) if staff else None), ticket.pk
        assert ticket.is_closed == ticket.status.is_closed
    ages = Ticket.objects.order_by("created_at").values_list("created_at", flat=True)
    assert (now - ages[0]).days >= 21  # spread over the past weeks
    assert Ticket.objects.filter(first_response_breached=True).exists()
    assert Ticket.objects.filter(first_response_at__isnull=False, first_response_breached=False).exists()


def test_demo_departments_staff_and_logins(seeded_small):
    """The guide's departments with addresses; staff roles and memberships; every printed login works."""
    departments = dict(Department.objects.values_list("name", "email"))
    assert departments == {"General Support": "support@company.com", "Technical Support": "tech@company.com",
                           "Billing": "billing@company.com", "Orders": "orders@company.com"}
    assert Department.objects.get(is_default=True).name == "General Support"
    manager = User.objects.get(email="manager@company.com")
    assert manager.is_superuser and manager.staff_profile.role == StaffProfile.Role.MANAGER
    assert manager.departments.count() == 4
    assert User.objects.get(email="carmen.l2@company.com").staff_profile.role == StaffProfile.Role.L2
    assert set(User.objects.get(email="ana.l1@company.com").departments.values_list("name", flat=True)) == {
        "General Support", "Billing"}
    for _role, email in DEMO_LOGINS:
        assert authenticate(username=email, password=DEMO_PASSWORD) is not None, email
    assert Contact.objects.get(email="john@acme.example").client.name == "Acme Logistics"
    assert Contact.objects.get(email="maria@globex.example").user is not None
    group = Group.objects.get(name="Support managers")
    labels = {p.content_type.app_label for p in group.permissions.select_related("content_type")}
    assert labels == {"crm", "tickets", "kb"} and manager.groups.filter(pk=group.pk).exists()


def test_demo_client_files(seeded_small):
    """Three clients of three tiers, one overdue invoice, orders with tracked delivery notes."""
    assert dict(Client.objects.values_list("name", "tier")) == {
        "Acme Logistics": "enterprise", "Globex Retail": "pro", "Initech": "basic"}
    assert [i.number for i in Invoice.objects.all() if i.is_overdue] == ["INV-ACM-2025003"]
    note = DeliveryNote.objects.exclude(tracking_url="").first()
    assert note.awb_number in note.tracking_url and note.carrier
    for client in Client.objects.all():
        assert client.contracts.exists() and client.activities.exists() and client.opportunities.exists()


def test_demo_configuration_for_agents(seeded_small):
    """The four custom fields (some on the portal), the agent guide's replies, spam filters."""
    fields = {f.name: f for f in CustomField.objects.all()}
    assert set(fields) == {"Contract / order number", "Version / affected module", "Customer tier",
                           "Origin channel"}
    assert fields["Contract / order number"].field_type == "text"
    assert all(fields[n].field_type == "dropdown" for n in fields if n != "Contract / order number")
    assert fields["Contract / order number"].show_on_client_portal and not fields["Customer tier"].show_on_client_portal
    titles = set(PredefinedReply.objects.values_list("title", flat=True))
    assert {"Receipt confirmation", "Knowledge base article", "Forwarded to the specialist team",
            "Resolution", "Closing"} <= titles
    for reply in PredefinedReply.objects.all():
        names = {n for _t, n, _s, _c in Formatter().parse(reply.body) if n}
        assert names <= set(PredefinedReply.MERGE_FIELDS), reply.title
    forwarded = PredefinedReply.objects.get(title="Forwarded to the specialist team")
    assert "forwarded the issue to the specialist team" in forwarded.body
    assert SpamFilter.objects.count() >= 3
    assert apps.get_model("crm", "Announcement").objects.filter(for_customers=True).exists()


def test_steps_are_dotted_paths_other_apps_can_append_to():
    """Each step is importable by name; tickets names no plug-in app."""
    from django.utils.module_loading import import_string

    assert STEPS[:2] == ["crm.demo.seed_staff", "crm.demo.seed_clients"]
    for path in STEPS:
        assert callable(import_string(path))


def test_seeding_sends_no_mail(mailoutbox, django_capture_on_commit_callbacks, monkeypatch):
    """Demo replies are stored, never emailed to the demo customers."""
    monkeypatch.setattr("tickets.demo.seed.TICKET_COUNT", 60)
    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo", verbosity=0)
    assert mailoutbox == []
