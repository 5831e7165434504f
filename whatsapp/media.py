"""Fetch an inbound media file in the worker (REFERENCE §1.9): GET /{media_id} for a short-lived
URL, then GET that URL with the bearer token; check size, type and sha256; store the file.

Idempotent per media row: a stored file is never fetched again. Transient failures (rate
limit, connection) raise GraphError(retry=True) for the task to retry; others mark the row failed.
"""

import hashlib
import logging
import mimetypes

from django.core.files.base import ContentFile
from django.db import transaction

from whatsapp.graph import Client, GraphError
from whatsapp.models import Account, Media
from whatsapp.services import media_limit_bytes

logger = logging.getLogger(__name__)

ALLOWED_PREFIXES = ("image/", "video/", "audio/")
ALLOWED_TYPES = {
    "application/pdf", "text/plain", "text/csv", "application/msword", "application/vnd.ms-excel",
    "application/vnd.ms-powerpoint", "application/zip",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation",
}


def mime_allowed(mime_type: str) -> bool:
    base = mime_type.split(";")[0].strip().lower()
    return base.startswith(ALLOWED_PREFIXES) or base in ALLOWED_TYPES


def fetch_media(*, media_pk: int) -> Media | None:
    """Download one media file; return the row (stored or failed)."""
    media = Media.objects.select_related("message__conversation__phone_number__account").filter(pk=media_pk).first()
    if media is None or media.state == Media.State.STORED:
        return media
    account: Account = media.message.conversation.phone_number.account
    limit = min(account.max_media_bytes, media_limit_bytes())
    client = Client(account)
    try:
        info = client.media_info(media_id=media.media_id)
        mime = str(info.get("mime_type") or media.mime_type)
        declared = int(str(info.get("file_size") or 0) or 0)
        if not mime_allowed(mime):
            return _fail(media, f"type {mime} not accepted")
        if declared > limit:
            return _fail(media, f"{declared} bytes is over the limit of {limit}")
        content = client.download(url=str(info["url"]), max_bytes=limit)
    except GraphError as exc:
        if exc.retry:
            raise
        return _fail(media, str(exc))
    except KeyError:
        return _fail(media, "Meta gave no download URL")
    expected = str(info.get("sha256") or media.sha256)
    if expected and hashlib.sha256(content).hexdigest() != expected:
        return _fail(media, "sha256 does not match: file not kept")
    name = media.filename or f"{media.media_id}{mimetypes.guess_extension(mime.split(';')[0]) or ''}"
    with transaction.atomic():
        media = Media.objects.select_for_update().get(pk=media.pk)
        if media.state == Media.State.STORED:
            return media
        media.file.save(name.replace("/", "_")[:200], ContentFile(content), save=False)
        media.mime_type, media.size, media.state, media.error = mime[:120], len(content), Media.State.STORED, ""
        if not media.filename:
            media.filename = name[:255]
        media.save()
    return media


def _fail(media: Media, error: str) -> Media:
    logger.warning("whatsapp media not kept", extra={"media": media.pk, "reason": error})
    Media.objects.filter(pk=media.pk).update(state=Media.State.FAILED, error=error[:300])
    media.refresh_from_db()
    return media
