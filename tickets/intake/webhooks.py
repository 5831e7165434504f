"""Provider inbound webhooks (django-anymail) feed the same intake path as the mail pipe.

Anymail verifies the provider's request (basic auth with ANYMAIL["WEBHOOK_SECRET"], plus the
provider's signature where it has one), turns the payload into an AnymailInboundMessage and
sends the `anymail.signals.inbound` signal; we store the message's raw bytes as an
InboundEmail. A database error propagates, anymail answers 500, and the provider retries.
"""

import logging

from anymail.signals import inbound

from tickets.intake.services import NotAnEmail, store_inbound_email
from tickets.models import InboundEmail

logger = logging.getLogger(__name__)


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
    inbound.connect(store_provider_inbound, dispatch_uid="tickets.store_provider_inbound")
