"""Portal sign-in: login, password reset by email, invitations, login throttling."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from crm import services as crm_services
from tests.factories import ContactFactory, ManagerFactory, PortalContactFactory, StaffFactory

pytestmark = pytest.mark.django_db

LINK = re.compile(r"http://portal\.example\.com(/authentication/password-reset/[^/\s]+/[^/\s]+/)")


@pytest.fixture(autouse=True)
def _site_url(settings):
    settings.SITE_URL = "http://portal.example.com"


def set_password_through_link(client, body: str, password: str) -> None:
    path = LINK.search(body).group(1)
    response = client.get(path)  # Django swaps the token into the session and redirects
    assert response.status_code == 302
    response = client.post(response["Location"], {"new_password1": password, "new_password2": password})
    assert response.status_code == 302 and response["Location"] == "/authentication/password-reset/done/"


def test_contact_signs_in_to_the_portal(client):
    """A contact with portal access signs in with email and password and lands on the dashboard."""
    contact = PortalContactFactory(email="ann@acme.example")
    response = client.post("/authentication/login/", {"username": "ANN@acme.example", "password": "pw"})
    assert response.status_code == 302 and response["Location"] == "/portal/"
    assert client.get("/portal/").context["request"].contact == contact


def test_staff_cannot_sign_in_on_the_portal(client):
    """The portal login refuses staff accounts with a pointer to the staff login."""
    StaffFactory(email="agent@company.com")
    response = client.post("/authentication/login/", {"username": "agent@company.com", "password": "pw"})
    assert response.status_code == 200
    assert "Use the staff login" in response.content.decode()


def test_login_page_links_to_password_reset(client):
    """The sign-in page offers "Forgot your password?"."""
    assert "/authentication/password-reset/" in client.get("/authentication/login/").content.decode()


def test_password_reset_by_email(client, mailoutbox, settings):
    """A reset request emails a one-time link built from SITE_URL (not the Host header); the new
    password then works."""
    settings.ALLOWED_HOSTS = ["testserver", "evil.example"]
    PortalContactFactory(email="ann@acme.example")
    response = client.post("/authentication/password-reset/", {"email": "ann@acme.example"}, HTTP_HOST="evil.example")
    assert response.status_code == 302 and response["Location"] == "/authentication/password-reset/sent/"
    assert len(mailoutbox) == 1
    mail = mailoutbox[0]
    assert mail.to == ["ann@acme.example"] and mail.subject == "Set your support portal password"
    assert "evil.example" not in mail.body
    set_password_through_link(client, mail.body, "a-new-Secret-42")
    assert client.login(username="ann@acme.example", password="a-new-Secret-42")


def test_password_reset_for_unknown_address_sends_nothing(client, mailoutbox):
    """An unknown address gets the same answer and no email (no account enumeration)."""
    response = client.post("/authentication/password-reset/", {"email": "nobody@nowhere.example"})
    assert response.status_code == 302
    assert mailoutbox == []


def test_invitation_creates_login_and_emails_set_password_link(client, mailoutbox, django_capture_on_commit_callbacks):
    """Inviting a contact creates a login without a usable password and emails a set-password link."""
    contact = ContactFactory(first_name="Ann", email="Ann@Acme.example", client__name="Acme Corp", portal_access=False)
    manager = ManagerFactory(full_name="Maria Manager")
    with django_capture_on_commit_callbacks(execute=True):
        user = crm_services.invite_contact(contact=contact, invited_by=manager)
    contact.refresh_from_db()
    assert contact.user == user and contact.portal_access
    assert user.email == "ann@acme.example" and not user.has_usable_password() and not user.is_staff
    assert len(mailoutbox) == 1
    mail = mailoutbox[0]
    assert mail.to == ["Ann@Acme.example"]
    assert mail.subject == "Your support portal account for Acme Corp"
    assert "Maria Manager invited you" in mail.body and "http://portal.example.com/authentication/login/" in mail.body
    set_password_through_link(client, mail.body, "Welcome-to-portal-7")
    credentials = {"username": "ann@acme.example", "password": "Welcome-to-portal-7"}
    response = client.post("/authentication/login/", credentials)
    assert response.status_code == 302 and response["Location"] == "/portal/"


def test_invited_contact_who_lost_the_email_can_ask_for_a_reset(client, mailoutbox):
    """A contact invited but without a password yet can still request a password link."""
    contact = ContactFactory(email="ann@acme.example")
    crm_services.invite_contact(contact=contact)
    client.post("/authentication/password-reset/", {"email": "ann@acme.example"})
    assert [m.subject for m in mailoutbox] == ["Set your support portal password"]


def test_invitation_refuses_an_address_used_by_staff(mailoutbox):
    """A contact whose email belongs to a staff login is not linked to it."""
    StaffFactory(email="ann@acme.example")
    contact = ContactFactory(email="ann@acme.example")
    with pytest.raises(crm_services.InvitationError):
        crm_services.invite_contact(contact=contact)
    contact.refresh_from_db()
    assert contact.user is None


def test_reinviting_keeps_the_existing_login(django_capture_on_commit_callbacks, mailoutbox):
    """Inviting a contact who already has a login sends a fresh link and creates no second user."""
    contact = PortalContactFactory(email="ann@acme.example")
    with django_capture_on_commit_callbacks(execute=True):
        user = crm_services.invite_contact(contact=contact)
    assert user == contact.user and user.check_password("pw")
    assert get_user_model().objects.filter(email__iexact="ann@acme.example").count() == 1
    assert len(mailoutbox) == 1


def test_admin_action_sends_invitations(client, mailoutbox, django_capture_on_commit_callbacks):
    """The Contact admin's "Send portal invitation" action invites every selected contact."""
    manager = ManagerFactory(is_superuser=True)
    contacts = [ContactFactory(email="a@acme.example"), ContactFactory(email="b@acme.example")]
    client.force_login(manager)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("admin:crm_contact_changelist"),
            {"action": "send_portal_invitation", "_selected_action": [c.pk for c in contacts]},
        )
    assert response.status_code == 302
    assert sorted(m.to[0] for m in mailoutbox) == ["a@acme.example", "b@acme.example"]


def test_portal_login_locks_out_after_failure_limit(client, settings):
    """After AXES_FAILURE_LIMIT wrong passwords the portal login answers with the lockout page, even
    for the right password."""
    settings.AXES_ENABLED = True
    settings.AXES_FAILURE_LIMIT = 3
    PortalContactFactory(email="ann@acme.example")
    for _ in range(2):
        response = client.post("/authentication/login/", {"username": "ann@acme.example", "password": "wrong"})
        assert response.status_code == 200
        assert "Sign-in paused" not in response.content.decode()
    response = client.post("/authentication/login/", {"username": "ann@acme.example", "password": "wrong"})
    assert response.status_code == 429
    assert "Sign-in paused" in response.content.decode()
    response = client.post("/authentication/login/", {"username": "ann@acme.example", "password": "pw"})
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session
