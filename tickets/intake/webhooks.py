"""Provider inbound webhooks (django-anymail) feed the same intake path as the mail pipe.

Only the providers named in HELPDESK_INBOUND_WEBHOOKS are mounted, and only while their
secret is configured: the shared basic-auth secret (ANYMAIL_WEBHOOK_SECRET, `user:password`)
for providers that do not sign, the provider's own signing key where it signs (Mailgun,
Postal, MailerSend, Mailtrap, Resend). Anymail takes an empty secret as "no check", so an
unchecked URL would let anyone post mail as any customer; here every other provider's URL, and
a listed one without its secret, answers 404. A request failing the check answers 403 before
the `anymail.signals.inbound` signal is sent, so nothing is stored.

Anymail verifies the provider's request, turns the payload into an AnymailInboundMessage and
sends the signal; we store the message's raw bytes as an InboundEmail. A database error
propagates, the view answers 500, and the provider retries.
"""

import functools
import logging
from collections.abc import Callable
from dataclasses import dataclass

from anymail.exceptions import AnymailConfigurationError, AnymailWebhookValidationFailure
from anymail.signals import inbound
from anymail.utils import get_anymail_setting
from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseForbidden
from django.utils.module_loading import import_string
from django.views.decorators.csrf import csrf_exempt

from tickets.intake.services import NotAnEmail, store_inbound_email
from tickets.models import InboundEmail

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Provider:
    """An anymail inbound view and the setting that must be non-empty before it is mounted:
    (esp_name, setting name) as anymail reads it; esp_name "" means the shared webhook secret."""

    view: str
    esp_name: str = ""
    secret: str = "webhook_secret"
    needs: str = ""  # a module the view imports (Resend: svix)


_VIEWS = "anymail.webhooks"
PROVIDERS: dict[str, Provider] = {
    "amazon_ses": Provider(f"{_VIEWS}.amazon_ses.AmazonSESInboundWebhookView"),
    "brevo": Provider(f"{_VIEWS}.brevo.BrevoInboundWebhookView"),
    "sendinblue": Provider(f"{_VIEWS}.sendinblue.SendinBlueInboundWebhookView"),
    "mailersend": Provider(f"{_VIEWS}.mailersend.MailerSendInboundWebhookView", "MailerSend", "inbound_secret"),
    "mailgun": Provider(f"{_VIEWS}.mailgun.MailgunInboundWebhookView", "Mailgun", "webhook_signing_key"),
    "mailjet": Provider(f"{_VIEWS}.mailjet.MailjetInboundWebhookView"),
    "mailtrap": Provider(f"{_VIEWS}.mailtrap.MailtrapInboundWebhookView", "Mailtrap", "inbound_secret"),
    "postal": Provider(f"{_VIEWS}.postal.PostalInboundWebhookView", "Postal", "webhook_key"),
    "postmark": Provider(f"{_VIEWS}.postmark.PostmarkInboundWebhookView"),
    "resend": Provider(f"{_VIEWS}.resend.ResendInboundWebhookView", "Resend", "signing_secret", needs="svix"),
    "sendgrid": Provider(f"{_VIEWS}.sendgrid.SendGridInboundWebhookView"),
    "sparkpost": Provider(f"{_VIEWS}.sparkpost.SparkPostInboundWebhookView"),
}


def enabled_providers() -> list[str]:
    """Return the provider names the operator switched on (HELPDESK_INBOUND_WEBHOOKS)."""
    return [name.strip().lower() for name in getattr(settings, "HELPDESK_INBOUND_WEBHOOKS", []) if name.strip()]


def provider_problem(name: str) -> str:
    """Return why provider `name` may not receive mail now, or "" when it may."""
    provider = PROVIDERS.get(name)
    if provider is None:
        return f"{name!r} is not a provider with inbound webhooks we support"
    setting = f"{provider.esp_name}_{provider.secret}".upper().lstrip("_")
    try:
        value = get_anymail_setting(provider.secret, esp_name=provider.esp_name or None, default=None)
    except AnymailConfigurationError:
        value = None
    if provider.secret == "webhook_secret":
        values = [value] if isinstance(value, str) else list(value or [])
        if not any(isinstance(v, str) and ":" in v and v.strip(":") for v in values):
            return f"ANYMAIL_WEBHOOK_SECRET (user:password) is not set, which {name} needs"
    elif not value:
        return f"{setting} is not set, which {name} needs to sign its webhooks"
    if provider.needs:
        try:
            __import__(provider.needs)
        except ImportError:
            return f"{name} needs the {provider.needs} package"
    return ""


@functools.cache
def _anymail_view(path: str) -> Callable[..., HttpResponse]:
    return import_string(path).as_view()


@csrf_exempt
def inbound_webhook(request: HttpRequest, provider: str, mime: str = "") -> HttpResponse:
    """Hand a provider's inbound post to anymail when that provider is on and has its secret:
    404 otherwise, 403 when the request fails anymail's check (nothing is stored)."""
    if provider not in enabled_providers():
        raise Http404("no such webhook")
    problem = provider_problem(provider)
    if problem:
        logger.error("inbound webhook called but not configured", extra={"esp": provider, "reason": problem})
        raise Http404("no such webhook")
    if mime and provider != "mailgun":
        raise Http404("no such webhook")
    try:
        return _anymail_view(PROVIDERS[provider].view)(request)
    except AnymailWebhookValidationFailure as exc:
        logger.warning("inbound webhook refused", extra={"esp": provider, "reason": str(exc)})
        return HttpResponseForbidden("webhook check failed")


def store_provider_inbound(sender: object, event: object, esp_name: str, **kwargs: object) -> None:
    """Store one inbound message received through a provider webhook."""
    message = event.message
    if message is None:
        return
    raw = message.as_bytes()
    recipient = getattr(message, "envelope_recipient", None) or ""
    try:
        result = store_inbound_email(raw=raw, recipient=recipient, source=InboundEmail.Source.WEBHOOK)
    except NotAnEmail as exc:
        logger.warning("provider inbound is not an email", extra={"esp": esp_name, "reason": str(exc)})
        return
    logger.info("provider inbound stored", extra={"esp": esp_name, "inbound_email": result.inbound.pk,
                                                  "duplicate": not result.created})


def connect() -> None:
    from tickets.intake import checks  # noqa: F401  (registers the deploy check)

    inbound.connect(store_provider_inbound, dispatch_uid="tickets.store_provider_inbound")
