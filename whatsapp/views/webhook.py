"""Meta's WhatsApp Cloud API webhook: GET verification handshake, POST signed deliveries.

A POST is checked against X-Hub-Signature-256 over the raw body bytes (never re-serialised
JSON), stored as it came, and answered 200 at once; a Celery task queued on commit processes it.
A missing or wrong signature is refused with 403 and nothing is stored.
"""

import hashlib
import hmac
import logging

from django.http import HttpRequest, HttpResponse, HttpResponseForbidden
from django.views.decorators.csrf import csrf_exempt

from whatsapp import services
from whatsapp.queries import webhook_secrets

logger = logging.getLogger(__name__)


def signature_ok(*, body: bytes, header: str, app_secret: str) -> bool:
    """Return whether `header` is sha256=<HMAC-SHA256 of body keyed with the app secret>."""
    if not app_secret or not header.startswith("sha256="):
        return False
    expected = hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(header[7:].strip().lower(), expected)


@csrf_exempt
def webhook(request: HttpRequest) -> HttpResponse:
    verify_token, app_secret = webhook_secrets()
    if request.method == "GET":
        if (
            verify_token
            and request.GET.get("hub.mode") == "subscribe"
            and hmac.compare_digest(request.GET.get("hub.verify_token", ""), verify_token)
        ):
            return HttpResponse(request.GET.get("hub.challenge", ""), content_type="text/plain")
        return HttpResponseForbidden("verification failed")
    if request.method != "POST":
        return HttpResponse(status=405)
    body = request.body
    if not signature_ok(body=body, header=request.headers.get("X-Hub-Signature-256", ""), app_secret=app_secret):
        logger.warning("whatsapp webhook with a bad signature refused", extra={"bytes": len(body)})
        return HttpResponseForbidden("bad signature")
    services.store_webhook_event(body=body, sha256=hashlib.sha256(body).hexdigest())
    return HttpResponse("ok")
