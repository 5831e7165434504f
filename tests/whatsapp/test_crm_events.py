"""CRM events on WhatsApp: "invoice issued" and "payment confirmed" send the mapped template once,
with the invoice's number, amount, due date and PDF link, logged on the client's Activity tab;
conversations opened and closed are written there too."""

from datetime import date
from decimal import Decimal

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.urls import reverse

from crm.models import Activity, Invoice
from tests.factories import ContactFactory, InvoiceFactory, StaffFactory
from tests.whatsapp.conftest import fixture_body
from whatsapp import invoice_events
from whatsapp.models import Conversation, EventMapping, EventSend, Message, MessageTemplate, PhoneNumber

pytestmark = pytest.mark.django_db
WAMID = "wamid.HBgLMTY1MDU1NTEyMzQVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA1"


@pytest.fixture
def commit(django_capture_on_commit_callbacks):
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def contact(account):
    return ContactFactory(first_name="Sheena", last_name="Nelson", phone="+16505551234", is_primary=True)


def _map(event: str, body: str, parameters: str) -> EventMapping:
    template = MessageTemplate.objects.create(name=event + "_tpl", language="en", status="APPROVED",
                                              components=[{"type": "BODY", "text": body}])
    return EventMapping.objects.create(event=event, template=template, parameters=parameters)


def _params(sent: dict) -> list[str]:
    return [p["text"] for p in sent["template"]["components"][0]["parameters"]]


def _issue(contact, commit, **kwargs) -> Invoice:
    fields = {"number": "INV-42", "amount": Decimal("1250.00"), "issued_on": date(2026, 12, 1),
              "due_on": date(2026, 12, 31), "status": Invoice.Status.UNPAID}
    fields.update(kwargs)
    with commit():
        return InvoiceFactory(client=contact.client, **fields)


def test_invoice_issued_sends_the_template_once_with_the_invoice_parameters(contact, fake_graph, commit):
    _map("invoice_issued", "Hello {{1}}, invoice {{2}} of {{3}} is due on {{4}}: {{5}}",
         "[name]\n[No]\n[amount]\n[due]\n[link]")
    invoice = _issue(contact, commit)
    assert len(fake_graph.sent) == 1
    sent = fake_graph.sent[0]
    assert sent["to"] == "16505551234" and sent["template"]["name"] == "invoice_issued_tpl"
    pdf = settings.SITE_URL + reverse("portal:invoice_pdf", args=[invoice.pk])
    assert _params(sent) == ["Sheena", "INV-42", "1,250.00 EUR", "2026-12-31", pdf]
    entry = Activity.objects.get(client=contact.client, kind="whatsapp")
    assert "INV-42" in entry.description and "invoice_issued_tpl" in entry.description
    assert entry.link == Conversation.objects.get(wa_id="16505551234").get_absolute_url()

    # Saving the invoice again, as loaded or fresh from the database, sends nothing more.
    with commit():
        invoice.amount = Decimal("1300.00")
        invoice.save()
        Invoice.objects.get(pk=invoice.pk).save()
    assert len(fake_graph.sent) == 1
    # A retried task (or a second worker) finds the key taken.
    invoice_events.send_for_invoice(invoice_id=invoice.pk, event="invoice_issued")
    assert len(fake_graph.sent) == 1 and EventSend.objects.count() == 1


def test_draft_is_not_issued_until_it_leaves_draft(contact, fake_graph, commit):
    _map("invoice_issued", "Invoice {{1}}", "[No]")
    invoice = _issue(contact, commit, status=Invoice.Status.DRAFT)
    assert fake_graph.sent == []
    with commit():
        draft = Invoice.objects.get(pk=invoice.pk)
        draft.status = Invoice.Status.UNPAID
        draft.save()
    assert [_params(s) for s in fake_graph.sent] == [["INV-42"]]


def test_payment_confirmed_once_when_the_invoice_becomes_paid(contact, fake_graph, commit):
    _map("payment_confirmed", "We received {{1}} for invoice {{2}}. Thank you!", "[amount]\n[No]")
    invoice = _issue(contact, commit)
    assert fake_graph.sent == []  # issued, but that event is not mapped
    with commit():
        paid = Invoice.objects.get(pk=invoice.pk)
        paid.status, paid.paid_on = Invoice.Status.PAID, date(2026, 12, 10)
        paid.save()
        paid.save()
    with commit():
        Invoice.objects.get(pk=invoice.pk).save()
    assert [_params(s) for s in fake_graph.sent] == [["1,250.00 EUR", "INV-42"]]
    assert Message.objects.get(direction="out").body == "We received 1,250.00 EUR for invoice INV-42. Thank you!"


def test_marking_paid_in_the_admin_sends_the_payment_template(contact, fake_graph, commit, client):
    _map("payment_confirmed", "Paid: {{1}}", "[No]")
    invoice = _issue(contact, commit)
    manager = get_user_model().objects.create_superuser(email="boss@company.com", password="pw")
    client.force_login(manager)
    form = {"client": contact.client.pk, "number": "INV-42", "amount": "1250.00", "currency": "EUR",
            "issued_on": "2026-12-01", "due_on": "2026-12-31", "paid_on": "2026-12-10", "status": "paid",
            "disputed_at_0": "", "disputed_at_1": "", "dispute_task_id": ""}
    url = reverse("admin:crm_invoice_change", args=[invoice.pk])
    with commit():
        response = client.post(url, form)
    assert response.status_code == 302, response.content.decode()[:2000]
    with commit():
        client.post(url, form)  # saved again, still paid
    assert [_params(s) for s in fake_graph.sent] == [["INV-42"]]


def test_no_mapping_sends_nothing(contact, fake_graph, commit):
    invoice = _issue(contact, commit)
    with commit():
        invoice.status = Invoice.Status.PAID
        invoice.save()
    assert fake_graph.sent == [] and EventSend.objects.count() == 0
    assert not Activity.objects.filter(kind="whatsapp").exists()


def test_graph_error_is_shown_on_the_client_timeline_and_the_message(contact, fake_graph, commit):
    _map("invoice_issued", "Invoice {{1}}", "[No]")
    fake_graph.fail_next(131026)
    _issue(contact, commit)
    message = Message.objects.get(direction="out")
    assert message.status == "failed" and message.error_code == 131026
    assert EventSend.objects.get().state == "failed"
    failed = Activity.objects.get(kind="whatsapp", description__contains="failed")
    assert "INV-42" in failed.description and "131026" in failed.description
    assert "Message undeliverable" in failed.description


def test_client_without_a_whatsapp_number_is_noted(account, fake_graph, commit):
    _map("invoice_issued", "Invoice {{1}}", "[No]")
    contact = ContactFactory(phone="")
    _issue(contact, commit)
    assert fake_graph.sent == []
    assert EventSend.objects.get().state == "skipped"
    note = Activity.objects.get(client=contact.client, kind="whatsapp")
    assert "not sent" in note.description and "no contact with a WhatsApp number" in note.description


# --- conversations on the client's timeline --------------------------------------------------


def test_conversation_opened_and_closed_on_the_client_timeline(contact, post_webhook, client):
    post_webhook(fixture_body("text"))
    conversation = Conversation.objects.get()
    opened = Activity.objects.get(client=contact.client, kind="whatsapp")
    assert "opened" in opened.description and "Does it come in another color?" in opened.description
    assert opened.link == conversation.get_absolute_url()

    post_webhook(fixture_body("text", **{WAMID: "wamid.SECOND"}))  # same conversation: no new entry
    assert Activity.objects.filter(kind="whatsapp").count() == 1

    agent = StaffFactory(email="lina@company.com", departments=[PhoneNumber.objects.get().default_department])
    client.force_login(agent)
    client.post(reverse("whatsapp_inbox:status", args=[conversation.pk]), {"status": "closed"})
    client.post(reverse("whatsapp_inbox:status", args=[conversation.pk]), {"status": "closed"})
    closed = Activity.objects.get(kind="whatsapp", description__contains="closed")
    assert closed.actor == agent and closed.link == conversation.get_absolute_url()
    assert client.get(closed.link).status_code == 200

    post_webhook(fixture_body("text", **{WAMID: "wamid.THIRD"}))  # the customer writes again: reopened
    assert Activity.objects.filter(kind="whatsapp", description__contains="opened").count() == 2
    page = client.get(reverse("staff:client_detail", args=[contact.client.pk]) + "?tab=activity&kind=whatsapp")
    body = page.content.decode()
    assert "WhatsApp conversation with Sheena Nelson (+16505551234) closed" in body
    assert f'href="{conversation.get_absolute_url()}"' in body


def test_unknown_number_writes_no_timeline_entry(account, post_webhook):
    post_webhook(fixture_body("text"))
    assert Conversation.objects.get().contact is None
    assert not Activity.objects.filter(kind="whatsapp").exists()
