"""Invoice events on WhatsApp: crm announces "invoice issued" and "payment confirmed"
(crm.events, crm imports no other app); when the event mapping has an active template for the
event, the client's contact with a WhatsApp number gets it.

1. `on_invoice_event` (connected in apps.py) runs inside the transaction that saved the invoice:
   it only queues `whatsapp.send_invoice_event` after commit, and only when a mapping exists.
2. `send_for_invoice` (the task) claims the key invoice:<pk>:<event> (EventSend, unique) in the
   transaction that writes the message, so a retried task, a second worker or a second save that
   saw the same transition sends nothing. A skip (no number) or a refusal is kept on the row and
   on the client's Activity tab; a failure at Meta is recorded there by whatsapp.sending.
"""

from typing import Any

from celery import current_app
from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from crm import services as crm_services
from crm.models import Contact, Invoice
from whatsapp import sending
from whatsapp.event_templates import conversation_for_contact, fill
from whatsapp.models import EventMapping, EventSend


def on_invoice_event(sender: type, invoice: Invoice, event: str, **_kwargs: Any) -> None:
    """Queue the event's template for after commit when the event is mapped (crm.events receiver)."""
    if not EventMapping.objects.filter(event=event, is_active=True).exists():
        return
    invoice_id = invoice.pk
    transaction.on_commit(lambda: current_app.tasks["whatsapp.send_invoice_event"].delay(invoice_id, event))


def whatsapp_contact(client_id: int) -> Contact | None:
    """The client's contact to write to: the primary contact with a phone number first."""
    return (Contact.objects.filter(client_id=client_id, is_active=True).exclude(phone="")
            .order_by("-is_primary", "pk").first())


def invoice_values(invoice: Invoice, contact: Contact | None) -> dict[str, str]:
    return {
        "ID": invoice.number,
        "No": invoice.number,
        "amount": f"{invoice.amount:,.2f} {invoice.currency}",
        "due": invoice.due_on.isoformat(),
        "SLA": "",
        "link": settings.SITE_URL + reverse("portal:invoice_pdf", args=[invoice.pk]),
        "name": contact.first_name if contact else "",
    }


def _log(invoice: Invoice, text: str, link: str = "") -> None:
    crm_services.record_activity(client_id=invoice.client_id, kind="whatsapp", description=text,
                                 link=link or reverse("staff:client_detail", args=[invoice.client_id]))


@transaction.atomic
def send_for_invoice(*, invoice_id: int, event: str) -> EventSend | None:
    """Send the mapped template for an invoice event once; return the record (None: nothing to do)."""
    invoice = Invoice.objects.select_related("client").filter(pk=invoice_id).first()
    mapping = EventMapping.objects.filter(event=event, is_active=True).select_related("template").first()
    if invoice is None or mapping is None:
        return None
    record, created = EventSend.objects.get_or_create(
        key=f"invoice:{invoice.pk}:{event}", defaults={"event": event, "invoice": invoice, "client": invoice.client})
    if not created:
        return record
    what = {"t": mapping.template.name, "n": invoice.number, "e": mapping.get_event_display()}
    contact = whatsapp_contact(invoice.client_id)
    conversation = conversation_for_contact(contact) if contact else None
    if conversation is None:
        reason = _("no contact with a WhatsApp number") if contact is None else _("no active WhatsApp number here")
        return _refused(record, invoice, EventSend.State.SKIPPED, reason, what)
    params = fill(mapping.parameters, invoice_values(invoice, contact))
    try:
        message = sending.send_template(conversation=conversation, template=mapping.template, params=params)
    except sending.SendError as exc:
        return _refused(record, invoice, EventSend.State.FAILED, str(exc), what)
    record.message = message
    record.save(update_fields=["message"])
    _log(invoice, _("WhatsApp template %(t)s for invoice %(n)s (%(e)s) queued to +%(wa)s: %(body)s")
         % {**what, "wa": conversation.wa_id, "body": message.body[:300]}, link=conversation.get_absolute_url())
    return record


def _refused(record: EventSend, invoice: Invoice, state: str, reason: str, what: dict[str, str]) -> EventSend:
    record.state, record.note = state, reason[:300]
    record.save(update_fields=["state", "note"])
    _log(invoice, _("WhatsApp template %(t)s for invoice %(n)s (%(e)s) not sent: %(r)s") % {**what, "r": reason})
    return record
