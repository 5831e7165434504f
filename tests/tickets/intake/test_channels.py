"""Other ways in: provider webhooks (anymail), IMAP polling; and the admin list of inbound mail."""

import base64
import imaplib
from types import SimpleNamespace

import pytest
from django.db import connection
from django.urls import reverse

from tests.factories import ManagerFactory
from tests.tickets.intake.test_email import build
from tickets.intake import imap as imap_polling
from tickets.models import DepartmentMailbox, InboundEmail, Ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def webhook_auth(settings):
    settings.ANYMAIL = {**settings.ANYMAIL, "WEBHOOK_SECRET": "hook:s3cret"}
    settings.HELPDESK_INBOUND_WEBHOOKS = ["sendgrid", "postmark"]
    return {"HTTP_AUTHORIZATION": "Basic " + base64.b64encode(b"hook:s3cret").decode()}


def test_sendgrid_inbound_webhook_opens_ticket(client, departments, webhook_auth, django_capture_on_commit_callbacks):
    """A SendGrid raw-MIME inbound post is stored like piped mail and becomes a ticket."""
    raw = build(subject="Via SendGrid", message_id="<sg1@client.example>", to="list@x.example")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/anymail/sendgrid/inbound/",
            {"email": raw.decode(), "envelope": '{"to": ["billing@company.com"], "from": "jane@client.example"}'},
            **webhook_auth,
        )
    assert response.status_code == 200
    row = InboundEmail.objects.get()
    assert (row.source, row.recipient, row.outcome) == ("webhook", "billing@company.com", "ticket_opened")
    assert row.ticket.subject == "Via SendGrid" and row.ticket.department == departments["billing"]


def test_webhook_without_secret_is_refused(client, departments, webhook_auth):
    """Without the webhook's basic-auth secret nothing is stored."""
    response = client.post("/anymail/sendgrid/inbound/", {"email": build().decode()})
    assert response.status_code == 403
    assert InboundEmail.objects.count() == 0


def test_postmark_inbound_webhook_is_deduplicated(client, departments, webhook_auth,
                                                  django_capture_on_commit_callbacks):
    """A provider retrying the same message stores it once."""
    payload = {
        "FromFull": {"Email": "jane@client.example", "Name": "Jane"},
        "ToFull": [{"Email": "support@company.com", "Name": ""}],
        "Subject": "Via Postmark",
        "MessageID": "pm-1",
        "TextBody": "Hello from Postmark",
        "Headers": [{"Name": "Message-ID", "Value": "<pm1@client.example>"}],
        "Date": "Mon, 23 Nov 2026 10:00:00 +0000",
    }
    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post("/anymail/postmark/inbound/", payload, content_type="application/json",
                                   **webhook_auth)
        assert response.status_code == 200
    row = InboundEmail.objects.get()
    assert row.deliveries == 2 and row.outcome == "ticket_opened"
    assert Ticket.objects.get().messages.first().body_text == "Hello from Postmark"


class FakeIMAP:
    """A tiny IMAP server double speaking imaplib's client API."""

    mailbox: dict[int, bytes] = {}
    seen: list[int] = []
    fail_store_at: int | None = None
    validity = 7

    def __init__(self, host: str, port: int, **kwargs: object) -> None:
        self.host = host

    def login(self, user: str, password: str) -> tuple:
        if password != "pw":
            raise imaplib.IMAP4.error("bad login")
        return "OK", [b"logged in"]

    def select(self, folder: str) -> tuple:
        return "OK", [str(len(self.mailbox)).encode()]

    def response(self, code: str) -> tuple:
        return code, [str(self.validity).encode()]

    def uid(self, command: str, *args: object) -> tuple:
        if command == "SEARCH":
            low = int(str(args[1]).split()[1].split(":")[0])
            uids = [u for u in sorted(self.mailbox) if u >= low] or [max(self.mailbox)]
            return "OK", [" ".join(str(u) for u in uids).encode()]
        if command == "FETCH":
            uid = int(args[0])
            assert args[1] == "(BODY.PEEK[])"
            return "OK", [(f"{uid} (UID {uid} BODY[] {{n}}".encode(), self.mailbox[uid]), b")"]
        if command == "STORE":
            FakeIMAP.seen.append(int(args[0]))
            return "OK", []
        raise AssertionError(command)

    def logout(self) -> tuple:
        return "BYE", []


def test_imap_poll_stores_new_messages_once_and_flags_after_storing(departments, monkeypatch,
                                                                   django_capture_on_commit_callbacks):
    """Polling fetches by UID, stores, then flags \\Seen; a second poll fetches nothing new."""
    FakeIMAP.mailbox = {3: build(subject="imap 1", message_id="<i1@client.example>", to="x@y.example"),
                        5: build(subject="imap 2", message_id="<i2@client.example>", to="x@y.example")}
    FakeIMAP.seen = []
    monkeypatch.setattr(imap_polling.imaplib, "IMAP4_SSL", FakeIMAP)
    box = DepartmentMailbox.objects.create(department=departments["tech"], host="imap.example", username="u",
                                           password="pw")
    with django_capture_on_commit_callbacks(execute=True):
        assert imap_polling.poll_all() == 2
    box.refresh_from_db()
    assert (box.last_uid, box.uid_validity, box.last_error) == (5, 7, "")
    assert FakeIMAP.seen == [3, 5]
    assert set(Ticket.objects.values_list("department__name", flat=True)) == {"Technical Support"}
    assert imap_polling.poll_all() == 0
    assert FakeIMAP.seen == [3, 5]


def test_imap_message_not_flagged_when_storing_fails(departments, monkeypatch):
    """If storing fails, the message is neither flagged nor skipped: the next poll retries it."""
    FakeIMAP.mailbox = {9: build(subject="imap fail")}
    FakeIMAP.seen = []
    monkeypatch.setattr(imap_polling.imaplib, "IMAP4_SSL", FakeIMAP)

    def down(**kwargs):
        raise OSError("database down")

    monkeypatch.setattr(imap_polling, "store_inbound_email", down)
    box = DepartmentMailbox.objects.create(department=departments["tech"], host="imap.example", username="u",
                                           password="pw")
    imap_polling.poll_all()
    box.refresh_from_db()
    assert box.last_uid == 0 and FakeIMAP.seen == [] and "database down" in box.last_error


def test_admin_lists_inbound_mail_and_processes_again(client, departments, monkeypatch,
                                                      django_capture_on_commit_callbacks):
    """Managers see failed mail with its error and can process it again from the list."""
    from tickets.intake import services as inbound_services

    manager = ManagerFactory(is_superuser=True)
    client.force_login(manager)
    stored = inbound_services.store_inbound_email(raw=build(subject="will fail"), queue=False).inbound
    monkeypatch.setattr(inbound_services, "parse_email", lambda *a, **k: 1 / 0)
    inbound_services.process_inbound_email(inbound_id=stored.pk)
    monkeypatch.undo()
    url = reverse("admin:tickets_inboundemail_changelist")
    page = client.get(url, {"state__exact": "failed"})
    assert page.status_code == 200 and b"will fail" in page.content
    detail = client.get(reverse("admin:tickets_inboundemail_change", args=[stored.pk]))
    assert b"ZeroDivisionError" in detail.content and b"Subject: will fail" in detail.content
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, {"action": "process_again", "_selected_action": [stored.pk]})
    stored.refresh_from_db()
    assert stored.outcome == "ticket_opened"


def test_admin_never_renders_mailbox_password(client, departments):
    """The IMAP password is not shown back, and saving with an empty field keeps it."""
    client.force_login(ManagerFactory(is_superuser=True))
    box = DepartmentMailbox.objects.create(department=departments["tech"], host="imap.example", username="u",
                                           password="Sup3rSecret")
    url = reverse("admin:tickets_departmentmailbox_change", args=[box.pk])
    page = client.get(url)
    assert page.status_code == 200 and b"Sup3rSecret" not in page.content
    response = client.post(url, {"department": departments["tech"].pk, "host": "imap2.example", "port": 993,
                                 "use_ssl": "on", "username": "u", "password": "", "folder": "INBOX",
                                 "is_active": "on", "last_uid": 0})
    assert response.status_code == 302
    box.refresh_from_db()
    assert (box.host, box.password) == ("imap2.example", "Sup3rSecret")


# --- IMAP passwords are encrypted at rest ---------------------------------------------------


def stored_password(box: DepartmentMailbox) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT password FROM tickets_departmentmailbox WHERE id = %s", [box.pk])
        return cursor.fetchone()[0]


def test_mailbox_password_is_encrypted_in_the_database(departments):
    """The column holds a Fernet token, not the password; the poller reads the password back."""
    box = DepartmentMailbox.objects.create(department=departments["tech"], host="imap.example", username="u",
                                           password="Sup3rSecret")
    token = stored_password(box)
    assert "Sup3rSecret" not in token and token.startswith("gAAAA")
    assert DepartmentMailbox.objects.get(pk=box.pk).password == "Sup3rSecret"


def test_admin_keeps_the_encrypted_password_when_left_empty(client, departments):
    """Saving the mailbox with an empty password field keeps the password, still encrypted."""
    client.force_login(ManagerFactory(is_superuser=True))
    box = DepartmentMailbox.objects.create(department=departments["tech"], host="imap.example", username="u",
                                           password="Sup3rSecret")
    url = reverse("admin:tickets_departmentmailbox_change", args=[box.pk])
    form = {"department": departments["tech"].pk, "host": "imap.example", "port": 993, "use_ssl": "on",
            "username": "u", "folder": "INBOX", "is_active": "on", "last_uid": 0}
    assert client.post(url, {**form, "password": ""}).status_code == 302
    assert "Sup3rSecret" not in stored_password(box)
    assert DepartmentMailbox.objects.get(pk=box.pk).password == "Sup3rSecret"
    assert client.post(url, {**form, "password": "N3wSecret"}).status_code == 302
    assert DepartmentMailbox.objects.get(pk=box.pk).password == "N3wSecret"


def test_a_dedicated_key_can_be_set_later_and_rotated(departments, settings):
    """A password encrypted with the key derived from SECRET_KEY still opens once
    HELPDESK_FIELD_KEY is set, and is re-encrypted with the new key when saved."""
    from cryptography.fernet import Fernet

    box = DepartmentMailbox.objects.create(department=departments["tech"], host="imap.example", username="u",
                                           password="pw")
    settings.HELPDESK_FIELD_KEY = Fernet.generate_key().decode()
    box = DepartmentMailbox.objects.get(pk=box.pk)
    assert box.password == "pw"
    box.save()
    assert Fernet(settings.HELPDESK_FIELD_KEY.encode()).decrypt(stored_password(box).encode()) == b"pw"


def test_a_password_no_key_opens_is_reported_and_kept(departments, settings, monkeypatch):
    """After SECRET_KEY changed (and no dedicated key), the poller says to enter the password
    again instead of logging in with junk, and saving the mailbox keeps the old ciphertext."""
    monkeypatch.setattr(imap_polling.imaplib, "IMAP4_SSL", FakeIMAP)
    box = DepartmentMailbox.objects.create(department=departments["tech"], host="imap.example", username="u",
                                           password="pw")
    token = stored_password(box)
    settings.SECRET_KEY = "another-secret-key-" + "x" * 40
    box = DepartmentMailbox.objects.get(pk=box.pk)
    assert box.password == ""
    box.save()
    assert stored_password(box) == token
    assert imap_polling.poll_all() == 0
    box.refresh_from_db()
    assert "cannot be decrypted" in box.last_error


def test_migration_encrypts_passwords_stored_in_clear(departments):
    """Mailboxes saved before encryption (clear text in the column) are encrypted by the migration."""
    import importlib

    box = DepartmentMailbox.objects.create(department=departments["tech"], host="imap.example", username="u")
    with connection.cursor() as cursor:
        cursor.execute("UPDATE tickets_departmentmailbox SET password = %s WHERE id = %s", ["Cl3artext", box.pk])
    migration = importlib.import_module("tickets.migrations.0011_encrypt_mailbox_passwords")
    editor = SimpleNamespace(connection=connection)  # the data step only uses its connection
    migration.encrypt_passwords(None, editor)
    migration.encrypt_passwords(None, editor)  # running twice changes nothing more
    assert "Cl3artext" not in stored_password(box)
    assert DepartmentMailbox.objects.get(pk=box.pk).password == "Cl3artext"
