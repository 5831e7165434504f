"""Sign-in throttling cannot lock everyone out: failures lock a username at one IP, a much higher
per-IP limit locks an address, the proxy header counts only from trusted proxies, and the lockout
page says truthfully what was locked and for how long."""

import pytest
from django.test import RequestFactory

from helpdesk.login_throttle import client_ip
from tests.factories import StaffFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def axes_on(settings):
    settings.AXES_ENABLED = True
    settings.AXES_FAILURE_LIMIT = 3
    settings.HELPDESK_LOGIN_IP_FAILURE_LIMIT = 6
    settings.AXES_COOLOFF_TIME = 0.25  # hours: 15 minutes
    from axes.handlers.proxy import AxesProxyHandler

    AxesProxyHandler.implementation = None
    yield
    AxesProxyHandler.implementation = None


def _login(client, email: str, password: str = "wrong", ip: str = "203.0.113.7", **extra):
    return client.post("/staff/login/", {"username": email, "password": password}, REMOTE_ADDR=ip, **extra)


def test_made_up_addresses_do_not_lock_out_colleagues(client, axes_on):
    """Failures with made-up emails from one IP lock those names only; a colleague signs in."""
    colleague = StaffFactory(email="real@company.com")
    for i in range(3):
        for _ in range(1):
            _login(client, f"nobody{i}@example.com")
    r = _login(client, colleague.email, "pw")
    assert r.status_code == 302
    assert client.session.get("_auth_user_id") == str(colleague.pk)


def test_username_is_locked_at_that_ip_only(client, axes_on):
    """The limit locks the username from that IP; the same account from another IP still works."""
    agent = StaffFactory(email="lina@company.com")
    for _ in range(3):
        _login(client, agent.email)
    locked = _login(client, agent.email, "pw")
    assert locked.status_code == 429
    body = locked.content.decode()
    assert "lina@company.com" in body and "15 minutes" in body and "Nothing else is locked" in body
    assert 'href="/staff/login/"' in body
    elsewhere = _login(client, agent.email, "pw", ip="198.51.100.9")
    assert elsewhere.status_code == 302


def test_per_ip_limit_is_separate_and_higher(client, axes_on):
    """Many failures across usernames from one IP lock the address, and the page says so."""
    colleague = StaffFactory(email="real@company.com")
    for i in range(6):
        _login(client, f"guess{i}@example.com")
    r = _login(client, colleague.email, "pw")
    assert r.status_code == 429
    assert "from this address is paused for 15 minutes" in r.content.decode()
    assert _login(client, colleague.email, "pw", ip="198.51.100.9").status_code == 302


def test_forwarded_for_only_from_trusted_proxies(settings):
    """X-Forwarded-For is believed only when the peer is a trusted proxy; the rightmost untrusted
    hop is the client (a client cannot spoof by prepending addresses)."""
    rf = RequestFactory()
    settings.HELPDESK_TRUSTED_PROXIES = []
    spoof = rf.get("/", REMOTE_ADDR="203.0.113.7", HTTP_X_FORWARDED_FOR="1.2.3.4")
    assert client_ip(spoof) == "203.0.113.7"
    settings.HELPDESK_TRUSTED_PROXIES = ["10.0.0.0/8"]
    assert client_ip(spoof) == "203.0.113.7"
    proxied = rf.get("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="1.2.3.4, 198.51.100.9, 10.0.0.5")
    assert client_ip(proxied) == "198.51.100.9"
    assert client_ip(rf.get("/", REMOTE_ADDR="10.0.0.2")) == "10.0.0.2"
