"""Domain events of the CRM: other apps subscribe, crm imports none of them.

- `invoice_issued`: an invoice left the draft state (created unpaid or paid, or moved from draft
  to unpaid/paid).
- `payment_confirmed`: an existing, issued invoice became paid.

Both are sent with `sender=Invoice, invoice=<Invoice>, event=<name>` from a post_save listener
that compares the status the row had when it was loaded (Invoice.from_db) with the status it
is saved with. Saving an invoice again without a status change sends nothing; a queryset
`.update()` bypasses models and sends nothing either. Receivers run inside the saving
transaction: anything with an outside effect belongs in `transaction.on_commit`, and must be
idempotent per (invoice, event), since two concurrent saves of the same row may both see the
transition.
"""

from typing import Any

from django.db.models.signals import post_save
from django.dispatch import Signal

from crm.models import Invoice

invoice_issued = Signal()
payment_confirmed = Signal()

INVOICE_ISSUED = "invoice_issued"
PAYMENT_CONFIRMED = "payment_confirmed"
_ISSUED = {Invoice.Status.UNPAID, Invoice.Status.PAID}


def invoice_transitions(before: str | None, after: str) -> list[str]:
    """Return the events of an invoice moving from status `before` (None: new) to `after`."""
    events = []
    if after in _ISSUED and before in (None, Invoice.Status.DRAFT):
        events.append(INVOICE_ISSUED)
    if after == Invoice.Status.PAID and before in (Invoice.Status.UNPAID, Invoice.Status.CANCELLED):
        events.append(PAYMENT_CONFIRMED)
    return events


def _on_invoice_saved(sender: type, instance: Invoice, created: bool, raw: bool = False,
                      update_fields: Any = None, **_kwargs: Any) -> None:
    if raw or (update_fields is not None and "status" not in update_fields):
        return
    before = None if created else instance.loaded_status
    instance.loaded_status = instance.status
    if before is Invoice.UNKNOWN_STATUS:
        return
    signals = {INVOICE_ISSUED: invoice_issued, PAYMENT_CONFIRMED: payment_confirmed}
    for event in invoice_transitions(before, instance.status):
        signals[event].send(sender=Invoice, invoice=instance, event=event)


def connect() -> None:
    """Listen to invoice saves (CrmConfig.ready)."""
    post_save.connect(_on_invoice_saved, sender=Invoice, dispatch_uid="crm.events.invoice_saved")
