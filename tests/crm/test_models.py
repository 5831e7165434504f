"""crm rules that live on the models: derived overdue status, date and audience validation,
E.164 phones, email logins that ignore case, time zones."""

from datetime import date, timedelta

import pytest
from django.contrib.auth import authenticate
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from crm.models import Announcement, Contract, Invoice, StaffProfile, User
from tests.factories import ClientFactory, ContactFactory, ManagerFactory, StaffFactory

pytestmark = pytest.mark.django_db
TODAY = date.today()


def invoice(**kw) -> Invoice:
    defaults = {"client": ClientFactory(), "number": "INV-1", "amount": 100, "issued_on": TODAY - timedelta(30),
                "due_on": TODAY - timedelta(1)}
    return Invoice(**{**defaults, **kw})


@pytest.mark.parametrize(
    "status,paid_on,due_in_days,overdue",
    [
        (Invoice.Status.UNPAID, None, -1, True),
        (Invoice.Status.UNPAID, None, 0, False),  # due today is not yet overdue
        (Invoice.Status.UNPAID, None, 5, False),
        (Invoice.Status.PAID, TODAY, -10, False),
        (Invoice.Status.CANCELLED, None, -10, False),
        (Invoice.Status.DRAFT, None, -10, False),
    ],
)
def test_overdue_is_derived_from_status_and_dates(status, paid_on, due_in_days, overdue):
    """Only an unpaid invoice past its due date is overdue; the label says so."""
    inv = invoice(status=status, paid_on=paid_on, due_on=TODAY + timedelta(due_in_days))
    assert inv.is_overdue is overdue
    assert (inv.display_status == "Overdue") is overdue


def test_invoice_cannot_be_due_before_it_is_issued():
    with pytest.raises(ValidationError) as exc:
        invoice(issued_on=TODAY, due_on=TODAY - timedelta(1)).full_clean()
    assert "The due date cannot be before the issue date." in exc.value.message_dict["due_on"]


def test_contract_cannot_end_before_it_starts_and_knows_if_active():
    client = ClientFactory()
    bad = Contract(client=client, subject="S", start_on=TODAY, end_on=TODAY - timedelta(1), sla_tier="pro")
    with pytest.raises(ValidationError, match="cannot end before it starts"):
        bad.full_clean()
    assert Contract(client=client, subject="S", start_on=TODAY - timedelta(5), end_on=None, sla_tier="pro").is_active
    assert not Contract(client=client, subject="S", start_on=TODAY - timedelta(50), end_on=TODAY - timedelta(1),
                        sla_tier="pro").is_active


def test_announcement_needs_an_audience_and_an_end_after_its_start():
    now = timezone.now()
    with pytest.raises(ValidationError, match="at least one audience"):
        Announcement(title="t", body="b", for_customers=False, for_staff=False).full_clean()
    with pytest.raises(ValidationError) as exc:
        Announcement(title="t", body="b", starts_at=now, ends_at=now - timedelta(hours=1)).full_clean()
    assert "ends_at" in exc.value.message_dict


@pytest.mark.parametrize("phone,ok", [("+40721234567", True), ("0721234567", False), ("+0721234567", False),
                                      ("+40 721 234 567", False), ("+1415555", True)])
def test_contact_phone_must_be_e164(phone, ok):
    contact = ContactFactory.build(client=ClientFactory(), phone=phone)
    if ok:
        contact.full_clean(exclude=["user"])
    else:
        with pytest.raises(ValidationError, match="E.164"):
            contact.full_clean(exclude=["user"])


def test_email_login_ignores_case_and_addresses_are_stored_lower_case():
    """Users sign in with their address in any case; two users cannot share one address."""
    user = User.objects.create_user("Ana.L1@Company.COM", "pw-12345")
    assert user.email == "ana.l1@company.com"
    assert authenticate(username="ANA.l1@company.com", password="pw-12345") == user
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create_user("ana.l1@company.com", "x")


def test_contact_emails_are_unique_ignoring_case():
    ContactFactory(email="john@acme.example")
    with pytest.raises(IntegrityError), transaction.atomic():
        ContactFactory(email="JOHN@acme.example")


def test_unknown_time_zone_is_refused():
    user = User(email="x@example.com", timezone="Mars/Olympus")
    with pytest.raises(ValidationError, match="not a known time zone"):
        user.full_clean(exclude=["password"])


def test_managers_are_role_managers_or_superusers():
    assert ManagerFactory().is_manager
    assert not StaffFactory().is_manager
    assert User.objects.create_superuser("root@company.com", "pw").is_manager
    assert StaffFactory().staff_profile.role == StaffProfile.Role.L1


@pytest.mark.django_db
def test_marking_a_return_received_records_it_on_the_timeline():
    """The warehouse marks a return received: its time is kept and the client's timeline says so."""
    from crm import services
    from crm.models import Activity, DeliveryReturn, Order, OrderLine
    from tests.factories import ClientFactory

    order = Order.objects.create(client=ClientFactory(), number="ORD-R1")
    line = OrderLine.objects.create(order=order, description="Chair", quantity=2)
    delivery_return = services.create_delivery_return(order=order, lines=[(line, "Chair", 1)], reason="Broken")
    services.set_return_status(delivery_return=delivery_return, status=DeliveryReturn.Status.RECEIVED)
    delivery_return.refresh_from_db()
    assert delivery_return.received_at is not None
    assert Activity.objects.filter(client=order.client, kind="delivery_return").count() == 1
