"""Message-IDs we send carry a signed ticket reference, so replies thread back safely.

Our ids look like `<t123.m456.3f2a9c81d0e4b7a2@helpdesk.local>`: ticket 123, message 456 and an
HMAC of both with SECRET_KEY. A guessed or forged id fails the signature and threads nothing.
"""

import hashlib
import hmac
import re
import uuid

from django.conf import settings

_OURS = re.compile(r"^<?t(?P<ticket>\d+)\.m(?P<message>[0-9a-z]+)\.(?P<sig>[0-9a-f]{16})@(?P<domain>[^>]+)>?$")
SUBJECT_TOKEN = re.compile(r"\[Ticket ID:\s*#?(\d+)\]", re.IGNORECASE)


def _signature(ticket_id: int, message_ref: str) -> str:
    key = settings.SECRET_KEY.encode()
    return hmac.new(key, f"t{ticket_id}.m{message_ref}".encode(), hashlib.sha256).hexdigest()[:16]


def make_message_id(*, ticket_id: int, message_ref: str | int | None = None) -> str:
    """Return a new Message-ID (with angle brackets) that signs the ticket number."""
    ref = str(message_ref) if message_ref is not None else uuid.uuid4().hex[:12]
    return f"<t{ticket_id}.m{ref}.{_signature(ticket_id, ref)}@{settings.HELPDESK_MAIL_DOMAIN}>"


def ticket_id_from_message_id(message_id: str) -> int | None:
    """Return the ticket number signed into one of our Message-IDs, or None."""
    match = _OURS.match(message_id.strip())
    if not match:
        return None
    ticket_id = int(match["ticket"])
    if not hmac.compare_digest(match["sig"], _signature(ticket_id, match["message"])):
        return None
    return ticket_id


def subject_with_token(*, ticket_id: int, subject: str, max_length: int | None = None) -> str:
    """Return the subject our emails carry: `[Ticket ID: N] subject`, the subject cut to
    `max_length` characters (with an ellipsis) when given."""
    subject = " ".join(SUBJECT_TOKEN.sub("", subject).split())
    if max_length is not None and len(subject) > max_length:
        subject = subject[: max(max_length - 1, 0)].rstrip() + "\u2026"
    return f"[Ticket ID: {ticket_id}] {subject}"


def ticket_id_from_subject(subject: str) -> int | None:
    match = SUBJECT_TOKEN.search(subject or "")
    return int(match.group(1)) if match else None
