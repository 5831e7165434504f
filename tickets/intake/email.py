"""Raw RFC 5322 bytes -> InboundMessage. No database access.

How it copes with what real mail does:
- The standard library parses (tickets.intake.mime: `email.policy.default`, with a header
  registry that remembers the short headers it parsed). Header values are read raw and decoded
  there (`_header`: raw 8-bit bytes as UTF-8, else the message's declared or guessed charset,
  else cp1252; RFC 2047 words leniently), several times faster than the header registry and never
  raising; address headers are split before decoding so an encoded comma cannot break an address.
- Text parts are decoded by `_decode_text`: the declared charset (normalised), then strict UTF-8,
  then a guess, then cp1252 with replacement. An unknown or empty charset never raises.
- Broken input is repaired before parsing (`_strip_mbox_from`): junk lines before the headers,
  NUL bytes, headers folded without the leading space. HTML too large or deep to sanitise in
  bounded time is kept as text; MIME is walked without recursion.
- HTML-only mail keeps a sanitised copy (nh3, cid: images allowed) and a derived plain text.
- Quoted history below a reply is cut by `split_quoted` (Gmail "On ... wrote:", Outlook
  "From:/Sent:" blocks and "-----Original Message-----", Apple Mail, trailing ">" quotes); the
  caller keeps the full text too.
- Auto-replies, bounces, lists, spam verdicts and our own mail coming back are classified by
  tickets.intake.automatic, so the service only decides what to do about them.
"""

import hashlib
import re
import tempfile
from dataclasses import dataclass
from datetime import UTC
from email import policy
from email.header import decode_header, make_header
from email.message import EmailMessage, Message
from email.utils import parseaddr
from html import unescape

from tickets.intake.automatic import _classify
from tickets.intake.bodies import FORWARD_SUBJECT, clean_subject, html_to_text, sanitise_html, split_quoted, trim_html
from tickets.intake.message import InboundAttachment, InboundMessage
from tickets.intake.mime import (
    _HEADER_PARSER,
    _PARSER,
    _address_values,
    _addresses,
    _charset,
    _ctype,
    _date,
    _decode_header_value,
    _decode_text,
    _first_address,
    _header,
    _headers,
    _parts,
    _payload_bytes,
    _raw_headers,
    _unbyte,
    message_ids,
    normalise_message_id,
)

# Attachments bigger than this are spooled to a temporary file instead of kept in memory.
SPOOL_BYTES = 1024 * 1024


class NotAnEmail(ValueError):
    """The input is not an email at all (empty, binary garbage, no header section)."""


# --- cheap checks used before storing ------------------------------------------------------

_HEADER_LINE = re.compile(rb"^[!-9;-~]{1,76}[ \t]*:", re.MULTILINE)
_KNOWN_HEADERS = re.compile(
    rb"^(from|to|cc|subject|date|message-id|received|return-path|delivered-to|mime-version|"
    rb"content-type|reply-to|sender|x-[a-z0-9-]+)\s*:",
    re.IGNORECASE | re.MULTILINE,
)


def check_raw(raw: bytes) -> None:
    """Raise NotAnEmail with a one-line reason when `raw` cannot be an email message."""
    if not raw or not raw.strip():
        raise NotAnEmail("empty input")
    head = _skip_preamble(raw[:65536].lstrip())
    if head[:5] == b"From " and b"\n" in head:
        # An mbox "From " separator line before the headers is fine.
        head = _skip_preamble(head.split(b"\n", 1)[1])
    end = re.search(rb"\r?\n\r?\n", head)
    header_block = head[: end.start()] if end else head
    # A stray NUL byte is no reason to refuse an email (parsing drops it); binary data is.
    printable = sum(1 for b in header_block if b in b"\t\r\n" or 32 <= b < 127 or b >= 128)
    if printable < len(header_block) * 0.95:
        raise NotAnEmail("binary data in the header section")
    if not _HEADER_LINE.match(header_block):
        raise NotAnEmail("no RFC 5322 header section at the start of the input")
    if not _KNOWN_HEADERS.search(header_block):
        raise NotAnEmail("no email headers (From, To, Subject, Date, Message-ID ...) found")


# A forwarded email may start with a line or two of junk ("Forwarded message:") before its
# headers; like Zammad, skip up to this many lines when real headers follow them.
MAX_PREAMBLE_LINES = 5


def _skip_preamble(raw: bytes) -> bytes:
    """Return `raw` from its header section on: without up to MAX_PREAMBLE_LINES lines of junk
    before it, when at least two known headers follow."""
    if _HEADER_LINE.match(raw) or raw[:5] == b"From ":
        return raw
    pos = 0
    for _ in range(MAX_PREAMBLE_LINES):
        newline = raw.find(b"\n", pos, pos + 2000)
        if newline < 0:
            return raw
        pos = newline + 1
        if _HEADER_LINE.match(raw, pos):
            block = raw[pos: pos + 16384]
            end = re.search(rb"\r?\n\r?\n", block)
            if len(_KNOWN_HEADERS.findall(block[: end.start()] if end else block)) >= 2:
                return raw[pos:]
    return raw


def sha256(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()


@dataclass
class Peek:
    """The few headers stored with the raw bytes, read without parsing the body."""

    message_id: str
    from_email: str
    subject: str
    fingerprint: str = ""


_BODY_START = re.compile(rb"\r?\n\r?\n")
_BOUNDARY = re.compile(rb"""boundary\s*=\s*(?:"([^"\r\n]{1,200})"|([^\s;"]{1,200}))""", re.IGNORECASE)


def peek(raw: bytes) -> Peek:
    """Return Message-ID, sender, subject and the message's fingerprint from the header section
    (and a digest of the body)."""
    raw = _strip_mbox_from(raw)
    msg = _HEADER_PARSER.parsebytes(raw, headersonly=True)
    message_id = normalise_message_id(_header(msg, "message-id"))
    from_email = _first_address(" ".join(_address_values(msg, "from")[:1]))
    subject = _header(msg, "subject")
    return Peek(
        message_id=message_id,
        from_email=from_email,
        subject=subject[:255],
        fingerprint=fingerprint(raw, message_id=message_id, from_email=from_email, subject=subject,
                                date=_header(msg, "date")),
    )


def fingerprint(raw: bytes, *, message_id: str, from_email: str, subject: str, date: str) -> str:
    """Return what makes an email the same email: its Message-ID, sender, date, subject and a digest
    of its body, not the headers each relay adds (Received, Delivered-To, DKIM and spam
    verdicts), so a redelivery, or the same mail to two of our addresses, has the same
    fingerprint, and a different mail under a reused Message-ID a different one."""
    end = _BODY_START.search(raw)
    body = raw[end.end():] if end else b""
    # MIME boundaries are random: a provider rebuilding the same email (a webhook retry) picks new ones.
    for boundary in {m.group(1) or m.group(2) for m in _BOUNDARY.finditer(raw)}:
        if len(boundary) > 3:
            body = body.replace(boundary, b"")
    body = body.replace(b"\r\n", b"\n").rstrip()
    parsed = _date(date)
    when = parsed.astimezone(UTC).isoformat() if parsed else " ".join(date.split())
    key = "\n".join([message_id, from_email.lower(), when, " ".join(subject.split()), hashlib.sha256(body).hexdigest()])
    return hashlib.sha256(key.encode("utf-8", "surrogateescape")).hexdigest()


_OBS_HEADER_NAME = re.compile(rb"^([!-9;-~]{1,76})[ \t]+:", re.MULTILINE)


def _strip_mbox_from(raw: bytes) -> bytes:
    """Prepare raw bytes for the parser: drop an mbox "From " line and junk lines before the
    headers, NUL bytes in the header section, fix obsolete `Name  :` headers (RFC 5322 4.5) and
    header lines folded without the leading space (so From and Subject after them survive)."""
    raw = _skip_preamble(raw)
    if raw[:5] == b"From ":
        raw = _skip_preamble(raw.split(b"\n", 1)[1] if b"\n" in raw else b"")
    end = re.search(rb"\r?\n\r?\n", raw)
    head = raw[: end.start()] if end else raw
    fixed = head.replace(b"\x00", b"")
    if _OBS_HEADER_NAME.search(fixed):
        fixed = _OBS_HEADER_NAME.sub(rb"\1:", fixed)
    lines = fixed.split(b"\n")
    broken = [i for i, line in enumerate(lines) if i and line.strip() and line[:1] not in b" \t"
              and not _HEADER_LINE.match(line)]
    if broken:
        last_header = max(i for i, line in enumerate(lines) if _HEADER_LINE.match(line))
        for i in broken:
            if i < last_header:
                lines[i] = b" " + lines[i]
        fixed = b"\n".join(lines)
    return raw if fixed == head else fixed + raw[len(head):]


# --- the parser ----------------------------------------------------------------------------


def _disposition(part: Message) -> str:
    values = _raw_headers(part).get("content-disposition")
    return _unbyte(values[0]).split(";", 1)[0].strip().lower() if values else ""


def _filename(part: Message) -> str:
    heads = _raw_headers(part)
    if not any("name" in v.lower() for key in ("content-disposition", "content-type") for v in heads.get(key, [])):
        return ""
    try:
        name = part.get_filename()
    except Exception:
        name = None
    if not name:
        try:
            name = part.get_param("name")
            if isinstance(name, tuple):
                name = name[2]
        except Exception:
            name = None
    if not name:
        return ""
    name = str(name)
    if "=?" in name:
        try:
            name = str(make_header(decode_header(name)))
        except Exception:
            pass
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    return "".join(ch for ch in name if ch.isprintable()).strip()[:200]


_EXT = {"text/plain": ".txt", "text/html": ".html", "image/png": ".png", "image/jpeg": ".jpg", "image/jpg": ".jpg",
        "image/gif": ".gif", "application/pdf": ".pdf", "message/rfc822": ".eml", "text/calendar": ".ics",
        "application/ms-tnef": ".dat"}


def _attachment(part: Message, index: int, html_cids: set[str]) -> InboundAttachment | None:
    ctype = _ctype(part)
    if ctype == "message/rfc822":
        inner = part.get_payload()
        inner = inner[0] if isinstance(inner, list) and inner else inner
        data = inner.as_bytes(policy=policy.compat32) if isinstance(inner, Message) else _payload_bytes(part)
        subject = _header(inner, "subject") if isinstance(inner, Message) else ""
        name = _filename(part) or f"{(clean_subject(subject) or 'message')[:80]}.eml"
    else:
        data = _payload_bytes(part)
        name = _filename(part)
    if not data and ctype.startswith("multipart/"):
        return None
    content_id = _header(part, "content-id").strip().strip("<>")
    disposition = _disposition(part)
    inline = bool(content_id) and (disposition != "attachment" or content_id in html_cids)
    if not name:
        if ctype == "application/ms-tnef":
            name = "winmail.dat"
        else:
            name = f"{'inline' if inline else 'attachment'}-{index}{_EXT.get(ctype, '.bin')}"
    content: bytes | tempfile.SpooledTemporaryFile = data
    if len(data) > SPOOL_BYTES:
        spooled = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)  # noqa: SIM115 (the caller closes it)
        spooled.write(data)
        spooled.seek(0)
        content = spooled
    return InboundAttachment(
        name=name, content=content, size=len(data), content_type=ctype, content_id=content_id, inline=inline
    )


def _is_attachment(part: Message) -> bool:
    if _disposition(part) == "attachment":
        return True
    ctype = _ctype(part)
    if ctype in ("text/plain", "text/html"):
        return bool(_filename(part))
    return ctype not in ("message/delivery-status", "message/disposition-notification", "text/rfc822-headers")


# HTML bodies beyond these are reduced to their text (sanitising is superlinear in nesting).
MAX_HTML_CHARS = 2 * 1024 * 1024
MAX_HTML_TAGS = 30000
_TAG = re.compile(r"<[^>]*>")


def tags_to_text(html: str) -> str:
    """Return the text of HTML by dropping its tags (linear, for HTML too big to parse)."""
    return "\n".join(line.strip() for line in unescape(_TAG.sub(" ", html)).splitlines() if line.strip())


def _walk(part: Message, texts: list[str], htmls: list[str], files: list[Message]) -> None:
    """Collect body parts and attachments; nested message/rfc822 parts stay attachments."""
    skip: set[int] = set()  # parts inside a message/rfc822 attachment
    for sub in _parts(part):
        if id(sub) in skip:
            if sub.is_multipart():
                skip.update(id(c) for c in sub.get_payload() if isinstance(c, Message))
            continue
        ctype = _ctype(sub)
        if sub.is_multipart():
            if ctype == "message/rfc822":
                files.append(sub)
                skip.update(id(c) for c in sub.get_payload() if isinstance(c, Message))
            continue
        _collect(sub, ctype, texts, htmls, files)


def _collect(part: Message, ctype: str, texts: list[str], htmls: list[str], files: list[Message]) -> None:
    if _is_attachment(part):
        files.append(part)
    elif ctype == "text/html":
        htmls.append(_decode_text(_payload_bytes(part), _charset(part)))
    elif ctype in ("text/plain", "text/rfc822-headers"):
        texts.append(_decode_text(_payload_bytes(part), _charset(part)))


def parse_email(raw: bytes, *, envelope_recipient: str = "", our_domain: str = "") -> InboundMessage:
    """Parse raw bytes into an InboundMessage; never raises on malformed mail."""
    raw = _strip_mbox_from(raw)
    msg: EmailMessage = _PARSER.parsebytes(raw)
    result = InboundMessage(channel="email", envelope_recipient=(envelope_recipient or "").strip().lower())
    result.message_id = normalise_message_id(_header(msg, "message-id"))
    result.in_reply_to = message_ids(" ".join(_headers(msg, "in-reply-to")))
    result.references = message_ids(" ".join(_headers(msg, "references")))
    result.subject = _header(msg, "subject")
    from_values = _address_values(msg, "from") or _address_values(msg, "sender")
    from_value = from_values[0] if from_values else ""
    name, address = "", ""
    try:
        name, address = parseaddr(from_value)
    except Exception:
        pass
    address = (address or "").strip().lower()
    if "@" not in address:
        address = _first_address(_decode_header_value(from_value, msg))
    result.from_email = address[:254]
    result.from_name = _decode_header_value(name or "", msg).strip().strip('"').strip()[:200]
    result.reply_to = _first_address(" ".join(_address_values(msg, "reply-to")))
    result.to = _addresses(_address_values(msg, "to"))
    result.cc = _addresses(_address_values(msg, "cc"))
    result.delivered_to = _addresses(_address_values(msg, "delivered-to", "x-original-to", "envelope-to"))
    result.date = _date(_header(msg, "date"))
    result.defects = [type(d).__name__ for d in getattr(msg, "defects", [])][:20]

    texts: list[str] = []
    htmls: list[str] = []
    files: list[Message] = []
    try:
        _walk(msg, texts, htmls, files)
    except Exception as exc:  # a broken MIME tree: keep what the top level gives us
        result.defects.append(f"walk: {type(exc).__name__}")
        texts = [_decode_text(_payload_bytes(msg), _charset(msg))]
    html = "\n".join(h for h in htmls if h.strip()).replace("\x00", "")
    text = "\n\n".join(t.strip("\n") for t in texts if t.strip())
    if html and (len(html) > MAX_HTML_CHARS or html.count("<") > MAX_HTML_TAGS):
        # An HTML bomb (200,000 nested <div>) would take the sanitiser minutes: keep its text only.
        result.defects.append("html too large or deep: kept as text")
        text = text or tags_to_text(html)
        html = ""
    if html:
        result.html = sanitise_html(html)
        if not text:
            text = html_to_text(html)
    result.text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "").strip()
    if not FORWARD_SUBJECT.match(result.subject):
        reply, trimmed = split_quoted(result.text)
        if trimmed:
            result.reply_text = reply
            if html:
                result.reply_html = sanitise_html(trim_html(html))
    html_cids = set(re.findall(r"cid:([^\"'\s>)]+)", html))
    for index, part in enumerate(files, start=1):
        try:
            attachment = _attachment(part, index, html_cids)
        except Exception as exc:
            result.defects.append(f"attachment {index}: {type(exc).__name__}")
            continue
        if attachment is not None:
            result.attachments.append(attachment)
    _classify(msg, result, our_domain)
    _without_nul(result)
    return result


def _without_nul(result: InboundMessage) -> None:
    """Drop NUL characters from every text field (PostgreSQL text cannot hold them; the raw
    bytes keep them)."""
    for name in ("subject", "from_name", "from_email", "reply_to", "message_id", "text", "html", "reply_text",
                 "reply_html", "auto_reason", "bounced_message_id"):
        value = getattr(result, name)
        if "\x00" in value:
            setattr(result, name, value.replace("\x00", ""))
    for name in ("to", "cc", "delivered_to", "in_reply_to", "references", "bounce_recipients"):
        values = getattr(result, name)
        if any("\x00" in v for v in values):
            setattr(result, name, [v.replace("\x00", "") for v in values])
    for attachment in result.attachments:
        attachment.name = attachment.name.replace("\x00", "")
        attachment.content_id = attachment.content_id.replace("\x00", "")
