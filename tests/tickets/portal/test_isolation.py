"""Strict isolation: every portal URL answers 404 for another client's (or a hidden) object."""

from datetime import timedelta

import pytest
from django.urls import URLPattern, reverse
from django.utils import timezone

from crm.models import Invoice
from tests.factories import AnnouncementFactory, InvoiceFactory
from tickets.portal import urls as portal_urls

pytestmark = pytest.mark.django_db

# Pattern names and how to call them (POST-only views are also probed with GET).
POST_ONLY = {"ticket_reply", "ticket_resolve", "dismiss_announcement"}


def foreign_ids(acme, globex) -> dict[str, list[dict]]:
    """For each portal URL with an id, ids that Acme's contact Alice must never reach."""
    globex_invoice = InvoiceFactory(client=globex.client)
    acme_draft = InvoiceFactory(client=acme.client, status=Invoice.Status.DRAFT)
    now = timezone.now()
    hidden_announcements = [
        AnnouncementFactory(client=globex.client),  # aimed at another client
        AnnouncementFactory(for_customers=False, for_staff=True),  # staff only
        AnnouncementFactory(starts_at=now - timedelta(days=3), ends_at=now - timedelta(days=1)),  # over
        AnnouncementFactory(starts_at=now + timedelta(days=1)),  # not yet
    ]
    guessed = globex.bob_ticket.pk + 1000
    tickets = [globex.ticket.pk, globex.bob_ticket.pk, acme.bob_ticket.pk, guessed]
    return {
        "ticket_detail": [{"number": n} for n in tickets],
        "ticket_reply": [{"number": n} for n in tickets],
        "ticket_resolve": [{"number": n} for n in tickets],
        # Staff only ("View as the customer"): a contact gets 404 even for their own ticket.
        "staff_preview": [{"number": n} for n in [*tickets, acme.ticket.pk]],
        "contact_preview": [{"contact_id": c.pk} for c in (acme.alice, acme.bob, globex.alice)],
        "contact_preview_ticket": [{"contact_id": acme.alice.pk, "number": acme.ticket.pk},
                                   {"contact_id": globex.alice.pk, "number": globex.ticket.pk}],
        "message": [
            {"pk": globex.staff_reply.pk},
            {"pk": globex.ticket.messages.get(kind="customer").pk},
            {"pk": acme.note.pk},  # own ticket, but an internal note
            {"pk": acme.bob_ticket.messages.get().pk},  # colleague's ticket
            {"pk": globex.note.pk + 1000},
        ],
        "attachment": [
            {"pk": globex.attachment.pk},
            {"pk": globex.customer_attachment.pk},
            {"pk": acme.note_attachment.pk},  # own ticket, internal note
            {"pk": globex.note_attachment.pk + 1000},
        ],
        "invoice_detail": [{"pk": globex_invoice.pk}, {"pk": acme_draft.pk}, {"pk": globex_invoice.pk + 1000}],
        "invoice_pdf": [{"pk": globex_invoice.pk}, {"pk": acme_draft.pk}, {"pk": globex_invoice.pk + 1000}],
        "dismiss_announcement": [{"pk": a.pk} for a in hidden_announcements],
    }


def patterns_with_ids() -> set[str]:
    return {p.name for p in portal_urls.urlpatterns if isinstance(p, URLPattern) and p.pattern.converters}


def test_every_portal_url_with_an_id_is_probed(acme, globex):
    """The isolation walk below covers every portal URL that takes an id (new URLs must be added)."""
    assert set(foreign_ids(acme, globex)) == patterns_with_ids()


def test_foreign_ids_answer_404_everywhere(acme, globex, login):
    """Another client's tickets, messages, attachments, invoices, announcements and guessed ids: 404."""
    client = login(acme.alice)
    probed = 0
    for name, kwargs_list in foreign_ids(acme, globex).items():
        for kwargs in kwargs_list:
            url = reverse(f"portal:{name}", kwargs=kwargs)
            methods = ["post", "get"] if name in POST_ONLY else ["get", "post"]
            for method in methods:
                response = getattr(client, method)(url, {"message": "x"})
                # A GET on a POST-only URL is refused before any lookup (405 tells nothing).
                expected = 405 if (method == "get" and name in POST_ONLY) else 404
                assert response.status_code == expected, (name, kwargs, method, response.status_code)
                probed += 1
    assert probed > 40
    # Nothing was written through the probes.
    assert globex.ticket.messages.count() == 3
    acme.bob_ticket.refresh_from_db()
    assert acme.bob_ticket.messages.count() == 1 and not acme.bob_ticket.is_closed


def test_own_objects_are_reachable(acme, globex, login):
    """The same walk with Alice's own ids succeeds, so the 404s above are not an accident."""
    client = login(acme.alice)
    invoice = InvoiceFactory(client=acme.client)
    announcement = AnnouncementFactory()
    assert client.get(reverse("portal:ticket_detail", args=[acme.ticket.pk])).status_code == 200
    assert client.get(reverse("portal:message", args=[acme.staff_reply.pk])).status_code == 302
    assert client.get(reverse("portal:attachment", args=[acme.attachment.pk])).status_code == 200
    assert client.get(reverse("portal:attachment", args=[acme.customer_attachment.pk])).status_code == 200
    assert client.get(reverse("portal:invoice_detail", args=[invoice.pk])).status_code == 200
    assert client.post(reverse("portal:dismiss_announcement", args=[announcement.pk])).status_code == 302


def test_non_primary_contact_sees_only_own_tickets(acme, globex, login):
    """Alice's list shows her ticket, not her colleague Bob's nor Globex's."""
    response = login(acme.alice).get(reverse("portal:ticket_list"))
    numbers = {t.pk for t in response.context["tickets"]}
    assert numbers == {acme.ticket.pk}


def test_primary_contact_sees_all_client_tickets(acme, globex, login):
    """Pat, Acme's primary contact, sees every Acme ticket (and opens Bob's), never Globex's."""
    client = login(acme.primary)
    response = client.get(reverse("portal:ticket_list"))
    numbers = {t.pk for t in response.context["tickets"]}
    assert numbers == {acme.ticket.pk, acme.bob_ticket.pk}
    assert client.get(reverse("portal:ticket_detail", args=[acme.bob_ticket.pk])).status_code == 200
    assert client.get(reverse("portal:ticket_detail", args=[globex.ticket.pk])).status_code == 404
    assert client.get(reverse("portal:attachment", args=[globex.attachment.pk])).status_code == 404


def test_invoice_list_shows_only_own_client(acme, globex, login):
    """The invoice page lists the contact's client's invoices, never another client's or drafts."""
    own = InvoiceFactory(client=acme.client, number="INV-ACME-1")
    InvoiceFactory(client=acme.client, number="INV-ACME-DRAFT", status=Invoice.Status.DRAFT)
    InvoiceFactory(client=globex.client, number="INV-GLOBEX-1")
    response = login(acme.bob).get(reverse("portal:invoice_list"))
    assert list(response.context["invoices"]) == [own]
    assert b"INV-GLOBEX-1" not in response.content
    assert b"INV-ACME-DRAFT" not in response.content


def test_staff_and_anonymous_users_cannot_use_the_portal(acme, agent, client):
    """Anonymous visitors are sent to the portal login; staff without a contact too."""
    url = reverse("portal:ticket_detail", args=[acme.ticket.pk])
    response = client.get(url)
    assert response.status_code == 302 and response["Location"].startswith("/authentication/login/")
    client.force_login(agent)
    assert client.get(url).status_code == 302


def test_contact_without_portal_access_is_refused(acme, login):
    """A contact whose portal access was switched off is sent back to the login page."""
    acme.alice.portal_access = False
    acme.alice.save()
    response = login(acme.alice).get(reverse("portal:dashboard"))
    assert response.status_code == 302
