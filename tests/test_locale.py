"""Languages and date formats: one format per language on every surface, English and Romanian
pages, the language switcher, and the committed Romanian catalogue."""

import ast
import gettext
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from crm.models import User
from helpdesk import datetimes
from tests.factories import (
    ContactFactory,
    DepartmentFactory,
    ManagerFactory,
    MessageFactory,
    PortalContactFactory,
    StaffFactory,
    TicketFactory,
)
from tickets.models import Ticket, TicketMessage

pytestmark = pytest.mark.django_db

LOCALE = Path(__file__).resolve().parent.parent / "locale" / "ro" / "LC_MESSAGES"
# 10:05 UTC is 12:05 in Bucharest, where everyone in these tests lives.
MOMENT = datetime(2026, 11, 20, 10, 5, tzinfo=UTC)
EN = "20 Nov 2026, 12:05"
RO = "20.11.2026, 12:05"


@pytest.fixture
def world(db):
    department = DepartmentFactory(name="Customer Support", email="support@company.com")
    agent = StaffFactory(email="lina@company.com", full_name="Lina Agent", departments=[department],
                         timezone="Europe/Bucharest")
    manager = ManagerFactory(email="mara@company.com", full_name="Mara Manager", is_superuser=True,
                             timezone="Europe/Bucharest")
    contact = PortalContactFactory(first_name="Ana", email="ana@client.example", timezone="Europe/Bucharest")
    ticket = TicketFactory(subject="Printer smoking", contact=contact, department=department)
    message = MessageFactory(ticket=ticket, body_text="It smokes.", author_contact=contact)
    # The same moment everywhere: when the ticket opened, its first message and its first-response due.
    Ticket.objects.filter(pk=ticket.pk).update(created_at=MOMENT, first_response_due_at=MOMENT)
    TicketMessage.objects.filter(pk=message.pk).update(created_at=MOMENT)
    return type("World", (), {"agent": agent, "manager": manager, "contact": contact, "ticket": ticket})


def _pages(client, world) -> dict[str, str]:
    """Return the text of the queue, the ticket page, the portal ticket page and the admin list."""
    pages = {}
    client.force_login(world.agent)
    pages["queue"] = client.get("/staff/tickets/").content.decode()
    pages["ticket"] = client.get(reverse("staff:ticket_detail", args=[world.ticket.pk])).content.decode()
    client.force_login(world.contact.user)
    pages["portal"] = client.get(reverse("portal:ticket_detail", args=[world.ticket.pk])).content.decode()
    client.force_login(world.manager)
    pages["admin"] = client.get("/admin/tickets/ticket/").content.decode()
    return pages


def test_one_moment_reads_the_same_on_queue_ticket_portal_and_admin_in_english(client, world):
    """An English user sees 20 Nov 2026, 12:05 (their Bucharest time) on every surface."""
    for name, page in _pages(client, world).items():
        assert EN in page, name
        assert "2026-11-20 12:05" not in page and "Nov. 20, 2026" not in page, name


def test_one_moment_reads_the_same_in_romanian(client, world):
    """Romanian users (staff by their preference, the contact by theirs) see 20.11.2026, 12:05."""
    User.objects.filter(pk__in=[world.agent.pk, world.manager.pk]).update(language="ro")
    type(world.contact).objects.filter(pk=world.contact.pk).update(language="ro")
    for name, page in _pages(client, world).items():
        assert RO in page, name
        assert EN not in page, name
        assert '<html lang="ro"' in page, name


def test_python_texts_use_the_same_formats():
    """Notification and email texts built in Python write moments as the pages do."""
    with translation.override("en"), timezone.override("Europe/Bucharest"):
        assert datetimes.moment(MOMENT) == EN
        assert datetimes.day(MOMENT) == "20 Nov 2026"
        assert datetimes.moment(MOMENT, tz_name="UTC", weekday=True) == "Fri 20 Nov 2026, 10:05"
    with translation.override("ro"), timezone.override("Europe/Bucharest"):
        assert datetimes.moment(MOMENT) == RO
        assert datetimes.day(MOMENT) == "20.11.2026"
        assert datetimes.ago(MOMENT, MOMENT.replace(hour=13)) == "acum 3 h 00 min"


def test_romanian_agent_sees_the_queue_in_romanian(client, world):
    User.objects.filter(pk=world.agent.pk).update(language="ro")
    client.force_login(world.agent)
    page = client.get("/staff/tickets/").content.decode()
    for text in ("Tichete", "Rutina de dimineață", "Tichetele mele deschise", "Nealocat", "Deconectare",
                 "Salvează ca implicit"):
        assert text in page, text
    assert "Morning routine" not in page and "Sign out" not in page


def test_ticket_page_and_reply_box_in_romanian(client, world):
    User.objects.filter(pk=world.agent.pk).update(language="ro")
    client.force_login(world.agent)
    page = client.get(reverse("staff:ticket_detail", args=[world.ticket.pk])).content.decode()
    for text in ("Conversație", "Istoric", "Trimite", "Adaugă notă internă", "Escaladează", "Primul răspuns"):
        assert text in page, text


def test_portal_follows_the_browser_language(client, world):
    """A contact without a preference gets the portal in the language their browser asks for."""
    client.force_login(world.contact.user)
    page = client.get(reverse("portal:dashboard"), HTTP_ACCEPT_LANGUAGE="ro-RO,ro;q=0.9,en;q=0.5")
    body = page.content.decode()
    assert '<html lang="ro"' in body
    for text in ("Tichetele dumneavoastră deschise", "Deschide un tichet", "Facturi", "Deconectare"):
        assert text in body, text
    english = client.get(reverse("portal:dashboard"), HTTP_ACCEPT_LANGUAGE="en-GB,en;q=0.9").content.decode()
    assert "Your open tickets" in english and '<html lang="en"' in english


def test_login_and_error_pages_in_romanian(client, world):
    page = client.get("/authentication/login/", HTTP_ACCEPT_LANGUAGE="ro").content.decode()
    assert "Parolă" in page and "Ați uitat parola?" in page
    client.force_login(world.agent)
    missing = client.get("/staff/tickets/999999/", HTTP_ACCEPT_LANGUAGE="ro")
    assert missing.status_code == 404
    assert "Pagina nu a fost găsită" in missing.content.decode()


def test_switching_language_is_kept_on_the_profile(client, world):
    """The user menu's switch is saved on the user: a new browser (no cookie) opens in Romanian."""
    client.force_login(world.agent)
    page = client.get("/staff/tickets/").content.decode()
    assert 'action="/language/"' in page and 'value="ro"' in page
    response = client.post("/language/", {"language": "ro", "next": "/staff/tickets/"})
    assert response.status_code == 302 and response["Location"] == "/staff/tickets/"
    world.agent.refresh_from_db()
    assert world.agent.language == "ro"
    client.cookies.clear()
    client.force_login(world.agent)
    assert "Rutina de dimineață" in client.get("/staff/tickets/").content.decode()
    client.post("/language/", {"language": "en", "next": "/staff/tickets/"})
    assert "Morning routine" in client.get("/staff/tickets/").content.decode()


def test_portal_switch_is_kept_on_the_contact(client, world):
    client.force_login(world.contact.user)
    client.post("/language/", {"language": "ro", "next": "/portal/"})
    world.contact.refresh_from_db()
    assert world.contact.language == "ro"
    client.cookies.clear()
    client.force_login(world.contact.user)
    # The contact's choice wins over what the browser asks for.
    body = client.get(reverse("portal:dashboard"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Tichetele dumneavoastră deschise" in body


def test_switch_needs_csrf(world):
    from django.test import Client

    browser = Client(enforce_csrf_checks=True)
    browser.force_login(world.agent)
    assert browser.post("/language/", {"language": "ro"}).status_code == 403


def test_date_pickers_keep_iso_values_in_romanian(client, world):
    """<input type="date"> needs ISO values whatever the page's language (the browser shows them in
    the page's locale)."""
    User.objects.filter(pk=world.agent.pk).update(language="ro")
    client.force_login(world.agent)
    page = client.get("/staff/tickets/", {"created_from": "2026-11-01"}).content.decode()
    assert re.search(r'<input type="date"[^>]*value="2026-11-01"', page)


def test_contact_language_is_offered_to_staff_in_the_admin(client, world):
    client.force_login(world.manager)
    contact = ContactFactory()
    page = client.get(f"/admin/crm/contact/{contact.pk}/change/").content.decode()
    assert 'name="language"' in page and "Română" in page


# --- the catalogue --------------------------------------------------------------------------


def _po_entries(path: Path) -> dict[tuple[str | None, str], list[str]]:
    """Read a .po file: {(context, msgid): [msgstr or plural forms]}, translated entries only."""
    entries: dict[tuple[str | None, str], list[str]] = {}
    block: dict[str, str] = {}
    key = ""
    fuzzy = False

    def flush() -> None:
        if block.get("msgid") and not fuzzy:
            forms = [block[k] for k in sorted(k for k in block if k.startswith("msgstr"))]
            if any(forms):
                entries[(block.get("msgctxt"), block["msgid"])] = forms

    for line in path.read_text(encoding="utf-8").splitlines() + [""]:
        if not line.strip():
            flush()
            block, key, fuzzy = {}, "", False
        elif line.startswith("#,"):
            fuzzy = "fuzzy" in line
        elif line.startswith("#"):
            continue
        elif line.startswith('"'):
            block[key] += ast.literal_eval(line)
        else:
            key, _, value = line.partition(" ")
            block[key] = ast.literal_eval(value)
    return entries


def test_compiled_catalogue_matches_the_po_file():
    """locale/ro/LC_MESSAGES/django.mo is committed (CI may lack gettext) and holds exactly the
    translations of django.po: recompile with msgfmt after editing the .po."""
    entries = _po_entries(LOCALE / "django.po")
    with (LOCALE / "django.mo").open("rb") as fh:
        catalogue = gettext.GNUTranslations(fh)
    compiled = {k: v for k, v in catalogue._catalog.items() if k != ""}
    expected = {}
    for (context, msgid), forms in entries.items():
        base = f"{context}\x04{msgid}" if context else msgid
        if len(forms) == 1:
            expected[base] = forms[0]
        else:
            for n, form in enumerate(forms):
                expected[(base, n)] = form
    assert compiled == expected


def test_romanian_translations_keep_placeholders():
    """A translation never drops or invents a %(name)s placeholder (it would crash or mislead)."""
    placeholder = re.compile(r"%\(\w+\)")
    for (_context, msgid), forms in _po_entries(LOCALE / "django.po").items():
        wanted = set(placeholder.findall(msgid))
        for form in forms:
            assert set(placeholder.findall(form)) <= wanted | {"%(n)"} and form, msgid
            assert wanted <= set(placeholder.findall(form)) | {"%(n)"}, msgid


def test_profile_page_chooses_the_language(client, world):
    client.force_login(world.agent)
    page = client.get("/staff/profile/").content.decode()
    assert '<option value="ro" lang="ro">Română</option>' in page
    client.post("/language/", {"language": "ro", "next": "/staff/profile/"})
    page = client.get("/staff/profile/").content.decode()
    assert "Profilul meu" in page and '<option value="ro" lang="ro" selected>Română</option>' in page


def test_a_romanian_agent_does_not_write_other_peoples_notifications_in_romanian(
    client, world, django_capture_on_commit_callbacks
):
    """Notifications and emails for others are written in the site's language, not the actor's."""
    from tickets.models.notifications import Notification

    technical = DepartmentFactory(name="Technical Support", email="tech@company.com")
    engineer = StaffFactory(email="tom@company.com", departments=[technical])
    User.objects.filter(pk=world.agent.pk).update(language="ro")
    client.force_login(world.agent)
    with translation.override("en"), django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("staff:ticket_escalate", args=[world.ticket.pk]),
                               {"department": technical.pk, "note": "Checked the logs: the API returns 500; needs L2."})
    assert response.status_code in (200, 302)
    texts = list(Notification.objects.filter(recipient=engineer).values_list("text", flat=True))
    assert texts and all(text.startswith("Ticket #") for text in texts), texts


def test_portal_invitation_is_written_in_the_contacts_language(world, mailoutbox, django_capture_on_commit_callbacks):
    from crm import services as crm_services

    contact = ContactFactory(first_name="Ion", email="ion@client.example", language="ro")
    with translation.override("en"), django_capture_on_commit_callbacks(execute=True):
        crm_services.invite_contact(contact=contact, invited_by=world.manager)
    assert "portalul nostru de asistență" in mailoutbox[0].body


@pytest.fixture(autouse=True)
def _no_language_left_behind():
    """Requests activate their language in the test thread; later tests start from English."""
    yield
    translation.deactivate()
