"""Read a Cloud API webhook body into plain data (REFERENCE §1.4–1.6). No database, no I/O.

One POST may batch several entry[] × changes[] × messages[]/statuses[]; every one is returned.
Unknown message types are kept (type and raw object) and described, never a crash.
"""

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

MEDIA_TYPES = ("image", "video", "audio", "voice", "sticker", "document")


@dataclass
class InboundWa:
    """One customer message."""

    phone_number_id: str
    wa_id: str
    profile_name: str
    wamid: str
    type: str
    timestamp: datetime
    body: str
    raw: dict[str, Any]
    context_wamid: str = ""
    media: dict[str, Any] | None = None
    reaction_to: str = ""
    reaction_emoji: str = ""
    new_wa_id: str = ""  # system: user_changed_number
    error_code: int | None = None
    error_title: str = ""


@dataclass
class StatusWa:
    wamid: str
    status: str
    timestamp: datetime
    recipient_id: str
    raw: dict[str, Any]
    error_code: int | None = None
    error_title: str = ""


@dataclass
class Batch:
    messages: list[InboundWa] = field(default_factory=list)
    statuses: list[StatusWa] = field(default_factory=list)
    other_fields: list[str] = field(default_factory=list)


class BadPayload(ValueError):
    """The body is not a WhatsApp webhook JSON document."""


def _time(value: object) -> datetime:
    try:
        return datetime.fromtimestamp(int(str(value)), tz=UTC)
    except (TypeError, ValueError):
        return datetime.now(tz=UTC)


def _first_error(obj: dict[str, Any]) -> tuple[int | None, str]:
    errors = obj.get("errors") or []
    if not errors or not isinstance(errors, list):
        return None, ""
    err = errors[0] or {}
    code = err.get("code")
    try:
        code = int(code) if code is not None else None
    except (TypeError, ValueError):
        code = None
    title = str(err.get("title") or err.get("message") or "")
    details = (err.get("error_data") or {}).get("details")
    if details and details not in title:
        title = f"{title}: {details}" if title else str(details)
    return code, title[:300]


def describe(msg_type: str, obj: dict[str, Any]) -> str:
    """Return the text to show for a message of this type (what the agent reads)."""
    part = obj.get(msg_type)
    part = part if isinstance(part, dict) else {}
    if msg_type == "text":
        return str(part.get("body", ""))
    if msg_type in MEDIA_TYPES:
        return str(part.get("caption") or part.get("filename") or "")
    if msg_type == "location":
        bits = [str(part.get(k)) for k in ("name", "address") if part.get(k)]
        coords = f"{part.get('latitude')}, {part.get('longitude')}"
        return " · ".join([*bits, coords])
    if msg_type == "contacts":
        cards = obj.get("contacts") or []
        lines = []
        for card in cards:
            name = (card.get("name") or {}).get("formatted_name", "")
            phones = ", ".join(p.get("phone", "") for p in card.get("phones") or [])
            lines.append(f"{name} {phones}".strip())
        return "\n".join(lines)
    if msg_type == "interactive":
        kind = part.get("type", "")
        reply = part.get(kind) or {}
        text = str(reply.get("title", ""))
        if reply.get("description"):
            text += f" — {reply['description']}"
        return text or f"[{kind}]"
    if msg_type == "button":
        return str(part.get("text") or part.get("payload") or "")
    if msg_type == "reaction":
        return str(part.get("emoji", ""))
    if msg_type == "system":
        return str(part.get("body", ""))
    if msg_type == "unsupported" or msg_type not in KNOWN_TYPES:
        inner = part.get("type") if part else ""
        return f"[unsupported: {inner or msg_type}]"
    return ""


KNOWN_TYPES = {"text", *MEDIA_TYPES, "location", "contacts", "interactive", "button", "reaction", "system",
               "unsupported"}


def _message(raw: dict[str, Any], *, phone_number_id: str, names: dict[str, str]) -> InboundWa:
    msg_type = str(raw.get("type") or "unknown")
    wa_id = str(raw.get("from") or "")
    part = raw.get(msg_type) if isinstance(raw.get(msg_type), dict) else {}
    code, title = _first_error(raw)
    msg = InboundWa(
        phone_number_id=phone_number_id,
        wa_id=wa_id,
        profile_name=names.get(wa_id, ""),
        wamid=str(raw.get("id") or ""),
        type=msg_type,
        timestamp=_time(raw.get("timestamp")),
        body=describe(msg_type, raw),
        raw=raw,
        context_wamid=str((raw.get("context") or {}).get("id") or ""),
        error_code=code,
        error_title=title,
    )
    if msg_type in MEDIA_TYPES and part.get("id"):
        msg.media = {"id": str(part["id"]), "mime_type": str(part.get("mime_type", "")),
                     "sha256": str(part.get("sha256", "")), "filename": str(part.get("filename", ""))}
    if msg_type == "reaction":
        msg.reaction_to = str(part.get("message_id", ""))
        msg.reaction_emoji = str(part.get("emoji", ""))  # absent when the customer removed it
    if msg_type == "system" and part.get("type") in ("user_changed_number", "customer_changed_number"):
        msg.new_wa_id = str(part.get("wa_id") or part.get("new_wa_id") or "")
    return msg


def parse(body: bytes) -> Batch:
    """Return every message, status and other change of a webhook body."""
    try:
        doc = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BadPayload(f"not JSON: {exc}") from exc
    if not isinstance(doc, dict) or not isinstance(doc.get("entry"), list):
        raise BadPayload("no entry list")
    batch = Batch()
    for entry in doc["entry"]:
        for change in (entry or {}).get("changes") or []:
            if change.get("field") != "messages":
                batch.other_fields.append(str(change.get("field")))
                continue
            value = change.get("value") or {}
            phone_number_id = str((value.get("metadata") or {}).get("phone_number_id") or "")
            names = {str(c.get("wa_id")): str((c.get("profile") or {}).get("name", ""))
                     for c in value.get("contacts") or []}
            for raw in value.get("messages") or []:
                batch.messages.append(_message(raw, phone_number_id=phone_number_id, names=names))
            for raw in value.get("statuses") or []:
                code, title = _first_error(raw)
                batch.statuses.append(StatusWa(
                    wamid=str(raw.get("id") or ""), status=str(raw.get("status") or ""),
                    timestamp=_time(raw.get("timestamp")), recipient_id=str(raw.get("recipient_id") or ""),
                    raw=raw, error_code=code, error_title=title,
                ))
    return batch
