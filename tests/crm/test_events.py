"""crm announces invoice domain events on status transitions only, whoever listens."""

from datetime import date

import pytest

from crm import events
from crm.models import Invoice
from tests.factories import InvoiceFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def heard():
    received: list[tuple[str, str]] = []

    def listen(sender, invoice, event, **kwargs):
        received.append((invoice.number, event))

    events.invoice_issued.connect(listen, dispatch_uid="test-issued")
    events.payment_confirmed.connect(listen, dispatch_uid="test-paid")
    yield received
    events.invoice_issued.disconnect(dispatch_uid="test-issued")
    events.payment_confirmed.disconnect(dispatch_uid="test-paid")


def test_draft_then_issued_then_paid_each_announced_once(heard):
    invoice = InvoiceFactory(number="INV-1", status=Invoice.Status.DRAFT)
    assert heard == []
    invoice.status = Invoice.Status.UNPAID
    invoice.save()
    invoice.save()
    Invoice.objects.get(pk=invoice.pk).save()
    assert heard == [("INV-1", "invoice_issued")]
    loaded = Invoice.objects.get(pk=invoice.pk)
    loaded.status, loaded.paid_on = Invoice.Status.PAID, date.today()
    loaded.save(update_fields=["status", "paid_on"])
    loaded.save()
    assert heard == [("INV-1", "invoice_issued"), ("INV-1", "payment_confirmed")]


def test_created_paid_is_issued_only_and_other_changes_are_silent(heard):
    invoice = InvoiceFactory(number="INV-2", status=Invoice.Status.PAID)
    assert heard == [("INV-2", "invoice_issued")]
    invoice.amount = 10
    invoice.save(update_fields=["amount"])
    stale = Invoice.objects.only("pk", "number").get(pk=invoice.pk)  # status not loaded: nothing known
    stale.save()
    assert heard == [("INV-2", "invoice_issued")]


def test_transitions_table():
    s = Invoice.Status
    assert events.invoice_transitions(None, s.DRAFT) == []
    assert events.invoice_transitions(None, s.UNPAID) == ["invoice_issued"]
    assert events.invoice_transitions(s.DRAFT, s.PAID) == ["invoice_issued"]
    assert events.invoice_transitions(s.UNPAID, s.PAID) == ["payment_confirmed"]
    assert events.invoice_transitions(s.PAID, s.PAID) == []
    assert events.invoice_transitions(s.PAID, s.UNPAID) == []
