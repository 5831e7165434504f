"""`manage.py seed_scale` bulk-loads a consistent data set (COPY on PostgreSQL, bulk_create on SQLite)."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.db.models import Count, F, Q

from crm.models import Client, Contact, Invoice
from tests.factories import ContactFactory, DepartmentFactory, TicketFactory
from tickets import services
from tickets.demo.scale import LONG_THREAD_SUBJECT
from tickets.models import Ticket, TicketEvent, TicketMessage

pytestmark = pytest.mark.django_db


def test_seed_scale_small_run():
    """500 tickets spread over departments, statuses, priorities and channels, each with 1-3
    messages and a created event, consistent timestamps, plus one 200-message ticket; the id
    sequences continue after the loaded rows."""
    existing = TicketFactory()
    out = StringIO()
    call_command("seed_scale", tickets=500, clients=10, stdout=out)
    assert "seed_scale: 501 tickets" in out.getvalue()
    seeded = Ticket.objects.exclude(pk=existing.pk)
    assert seeded.count() == 501
    assert seeded.values("department").distinct().count() >= 4
    assert seeded.values("status").distinct().count() >= 4
    assert seeded.values("priority").distinct().count() == 4
    assert seeded.values("channel").distinct().count() >= 4
    assert Client.objects.count() >= 10 and Contact.objects.count() >= 30 and Invoice.objects.exists()

    long_ticket = seeded.get(subject__startswith=LONG_THREAD_SUBJECT)
    assert long_ticket.messages.count() == 200
    normal = seeded.exclude(pk=long_ticket.pk).annotate(n=Count("messages"))
    assert not normal.filter(Q(n__lt=1) | Q(n__gt=3)).exists()
    assert TicketEvent.objects.filter(kind=TicketEvent.Kind.CREATED, ticket__in=seeded).count() == 501

    assert not seeded.filter(Q(first_response_due_at__isnull=True) | Q(resolution_due_at__isnull=True)).exists()
    assert not seeded.filter(first_response_due_at__lt=F("created_at")).exists()
    assert not seeded.filter(status__is_closed=True, closed_at__isnull=True).exists()
    assert not seeded.filter(status__is_closed=False, closed_at__isnull=False).exists()
    assert not seeded.filter(first_response_at__lt=F("created_at")).exists()
    assert seeded.filter(client=F("contact__client")).count() == 501
    assert seeded.filter(priority_level=F("priority__level")).count() == 501

    # Sequences were moved past the loaded ids: the next ticket opened by the service gets a new id.
    dept = DepartmentFactory()
    ticket = services.open_ticket(subject="After", body_text="x", department=dept, contact=ContactFactory())
    assert ticket.pk > long_ticket.pk
    assert TicketMessage.objects.filter(ticket=ticket).count() == 1


def test_seed_scale_appends_on_a_second_run():
    call_command("seed_scale", tickets=50, clients=3, long_thread=0, stdout=StringIO())
    call_command("seed_scale", tickets=50, clients=3, long_thread=0, stdout=StringIO())
    assert Ticket.objects.count() == 100
