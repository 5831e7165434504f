"""Provider inbound webhooks are off unless switched on with their secret; forged posts store nothing."""

import base64
import hashlib
import hmac
import time

import pytest
from django.core import checks

from tests.factories import ContactFactory, TicketFactory
from tests.tickets.intake.test_email import build
from tickets.intake.webhooks import PROVIDERS
from tickets.models import InboundEmail, TicketMessage

pytestmark = pytest.mark.django_db

AUTH = {"HTTP_AUTHORIZATION": "Basic " + base64.b64encode(b"hook:s3cret").decode()}

# Every URL django-anymail mounted under /anymail/ before (36 of them answered 500 or took mail).
ANYMAIL_PATHS = [
    *(f"{name}/inbound/" for name in PROVIDERS),
    "mailgun/inbound_mime/",
    *(f"{name}/tracking/" for name in [*PROVIDERS, "unisender_go"]),
    "mandrill/",
    "mandrill/tracking/",
]


@pytest.fixture
def existing_ticket(departments):
    contact = ContactFactory(email="jane@client.example")
    ticket = TicketFactory(contact=contact, client=contact.client, requester_email=contact.email,
                           department=departments["general"])
    TicketMessage.objects.create(ticket=ticket, kind="customer", body_text="first", message_id="<first@client.example>")
    return ticket


def forged_postmark() -> dict:
    return {
        "FromFull": {"Email": "jane@client.example", "Name": "Jane"},
        "ToFull": [{"Email": "support@company.com", "Name": ""}],
        "Subject": "Re: your ticket",
        "MessageID": "pm-forged",
        "TextBody": "Please send the refund to account 666.",
        "Headers": [{"Name": "Message-ID", "Value": "<forged@evil.example>"},
                    {"Name": "In-Reply-To", "Value": "<first@client.example>"}],
        "Date": "Mon, 23 Nov 2026 10:00:00 +0000",
    }


def forged_sendgrid() -> dict:
    raw = build(subject="Re: your ticket", message_id="<forged-sg@evil.example>",
                headers={"In-Reply-To": "<first@client.example>"})
    return {"email": raw.decode(), "envelope": '{"to": ["support@company.com"], "from": "jane@client.example"}'}


@pytest.mark.parametrize("path", ANYMAIL_PATHS)
def test_unconfigured_provider_urls_answer_404(client, settings, path):
    """With no provider switched on, every /anymail/ URL answers 404, never 500, and stores nothing."""
    settings.HELPDESK_INBOUND_WEBHOOKS = []
    response = client.post(f"/anymail/{path}", forged_postmark(), content_type="application/json")
    assert response.status_code == 404
    assert InboundEmail.objects.count() == 0


def test_provider_on_without_secret_answers_404(client, settings, existing_ticket):
    """A provider switched on while ANYMAIL_WEBHOOK_SECRET is empty is not mounted: anymail would
    take an empty secret as "no check"."""
    settings.HELPDESK_INBOUND_WEBHOOKS = ["postmark", "sendgrid"]
    settings.ANYMAIL = {**settings.ANYMAIL, "WEBHOOK_SECRET": ""}
    assert client.post("/anymail/postmark/inbound/", forged_postmark(),
                       content_type="application/json").status_code == 404
    assert client.post("/anymail/sendgrid/inbound/", forged_sendgrid()).status_code == 404
    assert InboundEmail.objects.count() == 0
    assert existing_ticket.messages.count() == 1


@pytest.mark.parametrize("auth", [{}, {"HTTP_AUTHORIZATION": "Basic " + base64.b64encode(b"hook:guess").decode()}])
def test_forged_postmark_post_is_refused(client, settings, existing_ticket, django_capture_on_commit_callbacks, auth):
    """A Postmark post without the right basic-auth secret gets 403 and adds nothing to the ticket."""
    settings.HELPDESK_INBOUND_WEBHOOKS = ["postmark"]
    settings.ANYMAIL = {**settings.ANYMAIL, "WEBHOOK_SECRET": "hook:s3cret"}
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/anymail/postmark/inbound/", forged_postmark(), content_type="application/json",
                               **auth)
    assert response.status_code == 403
    assert InboundEmail.objects.count() == 0
    assert existing_ticket.messages.count() == 1


def test_forged_sendgrid_post_is_refused(client, settings, existing_ticket, django_capture_on_commit_callbacks):
    """A SendGrid Inbound Parse post without the secret gets 403 and adds nothing to the ticket."""
    settings.HELPDESK_INBOUND_WEBHOOKS = ["sendgrid"]
    settings.ANYMAIL = {**settings.ANYMAIL, "WEBHOOK_SECRET": "hook:s3cret"}
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/anymail/sendgrid/inbound/", forged_sendgrid())
    assert response.status_code == 403
    assert InboundEmail.objects.count() == 0
    assert existing_ticket.messages.count() == 1


def test_genuine_postmark_post_still_threads(client, settings, existing_ticket, django_capture_on_commit_callbacks):
    """With the secret, the same post is accepted and threads to the ticket (the check is not a wall)."""
    settings.HELPDESK_INBOUND_WEBHOOKS = ["postmark"]
    settings.ANYMAIL = {**settings.ANYMAIL, "WEBHOOK_SECRET": "hook:s3cret"}
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/anymail/postmark/inbound/", forged_postmark(), content_type="application/json",
                               **AUTH)
    assert response.status_code == 200
    assert existing_ticket.messages.count() == 2


def test_mailgun_needs_its_signing_key(client, settings):
    """Mailgun signs its posts: without MAILGUN_WEBHOOK_SIGNING_KEY its URL is 404 even with the
    basic-auth secret; with it, a post with a wrong signature gets 403."""
    settings.HELPDESK_INBOUND_WEBHOOKS = ["mailgun"]
    settings.ANYMAIL = {**settings.ANYMAIL, "WEBHOOK_SECRET": "hook:s3cret", "MAILGUN_WEBHOOK_SIGNING_KEY": ""}
    data = {"body-mime": build().decode(), "timestamp": str(int(time.time())), "token": "t" * 50,
            "signature": "0" * 64}
    assert client.post("/anymail/mailgun/inbound_mime/", data, **AUTH).status_code == 404
    settings.ANYMAIL = {**settings.ANYMAIL, "MAILGUN_WEBHOOK_SIGNING_KEY": "key-123"}
    assert client.post("/anymail/mailgun/inbound_mime/", data, **AUTH).status_code == 403
    assert InboundEmail.objects.count() == 0
    good = hmac.new(b"key-123", (data["timestamp"] + data["token"]).encode(), hashlib.sha256).hexdigest()
    assert client.post("/anymail/mailgun/inbound_mime/", {**data, "signature": good}, **AUTH).status_code == 200
    assert InboundEmail.objects.count() == 1


def test_check_deploy_warns_about_a_provider_without_secret(settings):
    """`check --deploy` warns when a provider is switched on without its secret, and not otherwise."""
    settings.HELPDESK_INBOUND_WEBHOOKS = ["postmark", "mailgun"]
    settings.ANYMAIL = {**settings.ANYMAIL, "WEBHOOK_SECRET": "", "MAILGUN_WEBHOOK_SIGNING_KEY": ""}
    found = [m for m in checks.run_checks(include_deployment_checks=True) if m.id == "helpdesk.W101"]
    assert sorted(m.msg.split("'")[1] for m in found) == ["mailgun", "postmark"]
    settings.ANYMAIL = {**settings.ANYMAIL, "WEBHOOK_SECRET": "hook:s3cret", "MAILGUN_WEBHOOK_SIGNING_KEY": "k"}
    assert not [m for m in checks.run_checks(include_deployment_checks=True) if m.id == "helpdesk.W101"]
