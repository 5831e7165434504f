"""Opening a ticket on the portal: fields, custom fields, attachments, KB suggestions, deflection."""

from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from tests.factories import CustomFieldFactory, DepartmentFactory, priority
from tickets.models import CustomField, Deflection, Ticket
from tickets.portal.queries import deflection_stats
from tickets.portal.views import new_ticket as portal_new

pytestmark = pytest.mark.django_db


@dataclass
class Hit:
    title: str
    url: str
    snippet: str
    group: str = "Account & Access"


@pytest.fixture
def kb_search(monkeypatch):
    """A stand-in for kb.search.search_articles that records its calls."""
    calls = []

    def search_articles(query: str, *, include_staff_only: bool = False, limit: int = 10) -> list[Hit]:
        calls.append((query, include_staff_only, limit))
        if "password" in query.lower():
            return [Hit("Password reset", "http://testserver/knowledge-base/account/password-reset/",
                        "How to <mark>reset</mark> your <mark>password</mark>")]
        return []

    monkeypatch.setattr(portal_new, "search_articles", search_articles)
    return calls


@pytest.fixture
def fields(db):
    version = CustomFieldFactory(
        slug="version", name="Affected module", field_type=CustomField.FieldType.DROPDOWN,
        options="Billing\nOrders\nReports", required=True, show_on_client_portal=True,
    )
    order_no = CustomFieldFactory(
        slug="order-number", name="Order number", field_type=CustomField.FieldType.NUMBER,
        show_on_client_portal=True,
    )
    internal = CustomFieldFactory(
        slug="origin-channel", name="Origin channel", field_type=CustomField.FieldType.DROPDOWN,
        options="Phone\nEmail", required=True, show_on_client_portal=False,
    )
    return version, order_no, internal


def form_data(department, **extra) -> dict:
    data = {
        "department": department.pk,
        "subject": "Cannot log in",
        "message": "The login page says my password is wrong.",
        "priority": priority("High").pk,
        "form_session": "fs-123",
    }
    data.update(extra)
    return data


def test_form_shows_portal_departments_portal_fields_and_allowed_priorities(acme, department, fields, login):
    """Only active portal departments, portal custom fields and non-urgent priorities are offered."""
    DepartmentFactory(name="Internal IT", email="it@company.com", show_on_portal=False)
    response = login(acme.alice).get(reverse("portal:ticket_new"))
    form = response.context["form"]
    assert list(form.fields["department"].queryset) == [department]
    assert {p.name for p in form.fields["priority"].queryset} == {"High", "Medium", "Low"}
    assert form.custom_field_names == ["cf_version", "cf_order-number"]
    body = response.content.decode()
    assert "Affected module" in body and "Order number" in body
    assert "Origin channel" not in body
    assert 'hx-trigger="keyup changed delay:300ms' in body


def test_priority_choice_can_be_switched_off(acme, department, login, settings):
    """With HELPDESK_PORTAL_PRIORITY_CHOICE off the form has no priority and the default applies."""
    settings.HELPDESK_PORTAL_PRIORITY_CHOICE = False
    client = login(acme.alice)
    assert "priority" not in client.get(reverse("portal:ticket_new")).context["form"].fields
    client.post(reverse("portal:ticket_new"), form_data(department, priority=priority("Urgent").pk))
    assert Ticket.objects.get(subject="Cannot log in").priority == priority("Medium")


def test_urgent_priority_is_refused(acme, department, login):
    """A customer cannot pick the most urgent level by crafting the form."""
    data = form_data(department, priority=priority("Urgent").pk)
    response = login(acme.alice).post(reverse("portal:ticket_new"), data)
    assert response.status_code == 400
    assert not Ticket.objects.filter(subject="Cannot log in").exists()


def test_submit_opens_portal_ticket_with_custom_values_and_files(acme, department, fields, login):
    """A valid form opens a portal ticket for the contact with its custom values and attachments."""
    files = [SimpleUploadedFile("screen.png", b"\x89PNG"), SimpleUploadedFile("log.txt", b"trace")]
    response = login(acme.alice).post(
        reverse("portal:ticket_new"),
        form_data(department, **{"cf_version": "Orders", "cf_order-number": "1042", "attachments": files}),
    )
    ticket = Ticket.objects.get(subject="Cannot log in")
    assert response.status_code == 302 and response["Location"] == f"/portal/tickets/{ticket.pk}/"
    assert ticket.channel == "portal" and ticket.contact == acme.alice and ticket.client == acme.client
    assert ticket.priority == priority("High")
    values = {v.field.slug: v.value for v in ticket.custom_values.all()}
    assert values == {"version": "Orders", "order-number": 1042}
    message = ticket.messages.get()
    assert sorted(a.original_name for a in message.attachments.all()) == ["log.txt", "screen.png"]


def test_portal_custom_field_validation(acme, department, fields, login):
    """Required and typed portal fields are validated with readable errors; non-portal fields are not asked."""
    response = login(acme.alice).post(
        reverse("portal:ticket_new"), form_data(department, **{"cf_version": "", "cf_order-number": "abc"})
    )
    assert response.status_code == 400
    form = response.context["form"]
    assert form.errors["cf_version"] == ["This field is required."]
    assert form.errors["cf_order-number"] == ["Enter a number."]
    assert "cf_origin-channel" not in form.errors
    assert not Ticket.objects.filter(subject="Cannot log in").exists()


def test_dropdown_value_must_be_an_option(acme, department, fields, login):
    """A value outside the dropdown's options is refused."""
    response = login(acme.alice).post(reverse("portal:ticket_new"), form_data(department, cf_version="Hacking"))
    assert response.status_code == 400
    assert "Choose one of: Billing, Orders, Reports." in response.context["form"].errors["cf_version"][0]


def test_rejected_attachment_keeps_the_input(acme, department, fields, login):
    """A forbidden file is refused with its reason; subject, message and custom values stay in the form."""
    bad = SimpleUploadedFile("setup.exe", b"MZ")
    response = login(acme.alice).post(
        reverse("portal:ticket_new"),
        form_data(department, **{"cf_version": "Billing", "cf_order-number": "7", "attachments": [bad]}),
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "setup.exe: files of type .exe are not allowed" in body
    assert 'value="Cannot log in"' in body
    assert "The login page says my password is wrong." in body
    assert '<option value="Billing" selected>' in body
    assert 'value="7"' in body
    assert not Ticket.objects.filter(subject="Cannot log in").exists()


def test_too_large_attachment_is_refused(acme, department, login, settings):
    """A file over ATTACHMENT_MAX_BYTES is refused with the limit in the message."""
    settings.ATTACHMENT_MAX_BYTES = 10
    big = SimpleUploadedFile("big.pdf", b"x" * 100)
    response = login(acme.alice).post(reverse("portal:ticket_new"), form_data(department, attachments=[big]))
    assert response.status_code == 400
    assert "big.pdf is" in response.content.decode()


def test_subject_suggestions_come_from_public_kb_search(acme, login, kb_search):
    """The htmx endpoint asks KB search for public articles only and links through the deflection recorder."""
    response = login(acme.alice).get(
        reverse("portal:ticket_suggestions"),
        {"subject": "forgot password", "form_session": "fs-1"},
        HTTP_HX_REQUEST="true",
    )
    body = response.content.decode()
    assert kb_search == [("forgot password", False, 5)]
    assert "Password reset" in body and "<mark>password</mark>" in body
    assert "/portal/tickets/new/opened/?" in body and "fs=fs-1" in body and "from=ticket-form" in body
    assert "<html" not in body  # a fragment


def test_short_subjects_do_not_search(acme, login, kb_search):
    """Fewer than three characters suggest nothing and do not query the KB."""
    login(acme.alice).get(reverse("portal:ticket_suggestions"), {"subject": "pw"})
    assert kb_search == []


def test_opening_a_suggestion_and_leaving_counts_as_deflection(acme, login):
    """Opening a suggested article records a deflection and redirects to the article."""
    response = login(acme.alice).get(
        reverse("portal:open_suggestion"),
        {"u": "http://testserver/knowledge-base/account/password-reset/", "t": "Password reset",
         "q": "forgot password", "fs": "fs-9", "from": "ticket-form"},
    )
    assert response.status_code == 302
    assert response["Location"] == "/knowledge-base/account/password-reset/?ref=ticket-form"
    row = Deflection.objects.get()
    assert (row.contact, row.form_session, row.article_title, row.query) == (
        acme.alice, "fs-9", "Password reset", "forgot password")
    assert row.is_deflected
    stats = deflection_stats(since=timezone.now() - timedelta(hours=1), until=timezone.now() + timedelta(hours=1))
    assert stats.deflected == 1 and stats.submitted_anyway == 0


def test_submitting_the_same_form_undeflects(acme, department, login):
    """If the contact submits the form after reading suggestions, the session no longer counts as deflected."""
    client = login(acme.alice)
    for url in ("/knowledge-base/a/", "/knowledge-base/b/"):
        client.get(reverse("portal:open_suggestion"), {"u": url, "q": "login", "fs": "fs-123", "from": "ticket-form"})
    client.get(reverse("portal:open_suggestion"), {"u": "/knowledge-base/c/", "fs": "other", "from": "ticket-form"})
    client.post(reverse("portal:ticket_new"), form_data(department))
    ticket = Ticket.objects.get(subject="Cannot log in")
    assert set(Deflection.objects.filter(form_session="fs-123").values_list("ticket", flat=True)) == {ticket.pk}
    assert Deflection.objects.get(form_session="other").is_deflected
    stats = deflection_stats(since=timezone.now() - timedelta(hours=1), until=timezone.now() + timedelta(hours=1))
    assert (stats.deflected, stats.submitted_anyway, stats.suggestions_opened) == (1, 1, 2)


def test_another_contacts_form_session_is_not_undeflected(acme, department, login):
    """A submission only un-deflects the submitting contact's own rows."""
    params = {"u": "/knowledge-base/a/", "fs": "fs-123", "from": "ticket-form"}
    login(acme.bob).get(reverse("portal:open_suggestion"), params)
    login(acme.alice).post(reverse("portal:ticket_new"), form_data(department))
    assert Deflection.objects.get().is_deflected


def test_suggestion_redirect_stays_on_the_knowledge_base(acme, login):
    """The recorder never redirects outside the KB (no open redirect) and records nothing then."""
    client = login(acme.alice)
    for url in ("https://evil.example/phish", "/portal/tickets/", "javascript:alert(1)", "/knowledge-base/../admin/"):
        response = client.get(reverse("portal:open_suggestion"), {"u": url, "fs": "x", "from": "ticket-form"})
        assert response.status_code == 404, url
    response = client.get(reverse("portal:open_suggestion"), {"u": "https://evil.example/knowledge-base/x/"})
    assert response["Location"] == "/knowledge-base/x/?ref=ticket-form"
    assert not Deflection.objects.exists()


def test_kb_search_absent_means_no_suggestions(acme, login, monkeypatch):
    """Without the kb search module the form works and suggests nothing."""
    monkeypatch.setattr(portal_new, "search_articles", None)
    response = login(acme.alice).get(reverse("portal:ticket_suggestions"), {"subject": "forgot password"})
    body = response.content.decode()
    assert response.status_code == 200 and 'id="suggestions"' in body
    assert "No article matches yet" in body and "/portal/tickets/new/opened/" not in body


def test_deflections_are_listed_read_only_in_the_admin(acme, login, client):
    """Managers see the recorded deflections in the admin and cannot add or edit them."""
    from tests.factories import ManagerFactory

    login(acme.alice).get(reverse("portal:open_suggestion"), {"u": "/knowledge-base/a/", "t": "Reset password",
                                                            "fs": "fs-1", "from": "ticket-form"})
    client.force_login(ManagerFactory(is_superuser=True))
    response = client.get(reverse("admin:tickets_deflection_changelist"))
    assert response.status_code == 200 and "Reset password" in response.content.decode()
    assert client.get(reverse("admin:tickets_deflection_add")).status_code == 403


def test_suggestions_from_the_real_knowledge_base(acme, login):
    """With the seeded KB, typical subjects suggest the right public article first, never staff-only ones."""
    from kb.demo import seed_kb

    seed_kb()
    client = login(acme.alice)
    cases = {
        "forgot password": "How to reset your password",
        "invoice download": "How to download an invoice",
        "where is my order": "How to track an order",
    }
    for subject, title in cases.items():
        body = client.get(reverse("portal:ticket_suggestions"), {"subject": subject, "form_session": "f"}).content
        first = body.decode().split('class="suggestion">', 1)[1].split("<", 1)[0]
        assert first == title, subject
    body = client.get(reverse("portal:ticket_suggestions"), {"subject": "B2B escalation procedure"}).content.decode()
    assert "B2B escalation procedure" not in body


def test_opening_a_real_suggestion_shows_the_article_and_counts_a_view(acme, login):
    """The recorder's redirect lands on the public article page, which counts the view."""
    from kb.demo import seed_kb
    from kb.models import KBArticle

    seed_kb()
    client = login(acme.alice)
    hit = portal_new.suggest_articles("forgot password")[0]
    views_before = KBArticle.objects.get(slug="how-to-reset-your-password").view_count
    response = client.get(reverse("portal:open_suggestion"), {"u": hit.url, "t": hit.title, "q": "forgot password",
                                                               "fs": "fs-1", "from": "ticket-form"}, follow=True)
    assert response.status_code == 200 and "How to reset your password" in response.content.decode()
    assert KBArticle.objects.get(slug="how-to-reset-your-password").view_count == views_before + 1
    assert Deflection.objects.get().article_title == "How to reset your password"
