"""Meta's WhatsApp Cloud API webhook: GET verification handshake, POST signed deliveries."""

import hashlib
import hmac
import logging

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseForbidden
from django.views.decorators.csrf import csrf_exempt

logger = logging.getLogger(__name__)


@csrf_exempt
def webhook(request: HttpRequest) -> HttpResponse:
    verify_token = getattr(settings, "WHATSAPP_VERIFY_TOKEN", "")
    app_secret = getattr(settings, "WHATSAPP_APP_SECRET", "")
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
    signature = request.headers.get("X-Hub-Signature-256", "")
    expected = "sha256=" + hmac.new(app_secret.encode(), request.body, hashlib.sha256).hexdigest()
    if not app_secret or not hmac.compare_digest(signature, expected):
        logger.warning("whatsapp webhook with a bad signature refused")
        return HttpResponseForbidden("bad signature")
    logger.info("whatsapp webhook received", extra={"bytes": len(request.body)})
    return HttpResponse("ok")
