"""Raw RFC 5322 bytes -> InboundMessage. No database access.

How it copes with what real mail does:
- The standard library parses (`email.policy.default`, with a header registry that remembers
  the short headers it parsed: the parser asks for Content-Type again and again). Header values
  are read raw and decoded here (`_header`: raw 8-bit bytes as UTF-8 else cp1252, RFC 2047
  words leniently), which is several times faster than the header registry and never raises;
  address headers are split before decoding so an encoded comma cannot break an address.
- Text parts are decoded by `_decode_text`: the declared charset (normalised), then strict UTF-8,
  then cp1252 with replacement. An unknown or empty charset never raises.
- HTML-only mail keeps a sanitised copy (nh3, cid: images allowed) and a derived plain text.
- Quoted history below a reply is cut by `split_quoted` (Gmail "On ... wrote:", Outlook
  "From:/Sent:" blocks and "-----Original Message-----", Apple Mail, trailing ">" quotes); the
  caller keeps the full text too.
- Auto-replies, bounces and our own mail coming back are classified here (RFC 3834 and the
  de-facto headers peers honour), so the service only decides what to do about them.
"""

import codecs
import functools
import hashlib
import re
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from email import policy
from email.header import decode_header, make_header
from email.headerregistry import HeaderRegistry
from email.message import EmailMessage, Message
from email.parser import BytesHeaderParser, BytesParser
from email.utils import getaddresses, parseaddr, parsedate_to_datetime
from html import unescape

from tickets.intake.bodies import FORWARD_SUBJECT, clean_subject, html_to_text, sanitise_html, split_quoted, trim_html
from tickets.intake.message import InboundAttachment, InboundMessage
from tickets.threading import ticket_id_from_message_id

# Attachments bigger than this are spooled to a temporary file instead of kept in memory.
SPOOL_BYTES = 1024 * 1024


class _RememberingHeaders(HeaderRegistry):
    """policy.default's header registry, remembering what it parsed: the parser itself asks for
    a part's Content-Type and Content-Transfer-Encoding again and again, and most emails share
    those values, so the same short header is parsed once (about twice the parsing speed).
    Header objects are never modified after parsing."""

    def __call__(self, name: str, value: str) -> object:
        if len(value) > 300:  # long values (References, Received) are rarely asked for twice
            return super().__call__(name, value)
        return self._remembered(name, value)

    @functools.lru_cache(maxsize=2048)  # noqa: B019 (one registry for the life of the process)
    def _remembered(self, name: str, value: str) -> object:
        return super().__call__(name, value)


_POLICY = policy.default.clone(header_factory=_RememberingHeaders())
_HEADER_PARSER = BytesHeaderParser(policy=_POLICY)
_PARSER = BytesParser(policy=_POLICY)


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


# --- headers -------------------------------------------------------------------------------


def _raw_headers(msg: Message) -> dict[str, list[str]]:
    """Return the message's raw header values by lower-case name (read once, never parsed).

    The header registry of policy.default parses every value it hands out; we only need the
    decoded text, so we decode raw values ourselves (much faster, and robust to junk).
    """
    heads = getattr(msg, "_helpdesk_heads", None)
    if heads is None:
        heads = {}
        for key, value in msg.raw_items():
            heads.setdefault(key.lower(), []).append(value)
        try:
            msg._helpdesk_heads = heads  # type: ignore[attr-defined]
        except AttributeError:
            pass
    return heads


def _unbyte(value: object, msg: Message | None = None) -> str:
    """Turn raw 8-bit header bytes (kept as surrogates by the parser) into text: UTF-8, else the
    message's charset (declared on its text parts, or guessed: `_charset_hint`), else cp1252."""
    value = str(value)
    try:
        data = value.encode("ascii", "surrogateescape")
    except UnicodeEncodeError:
        return value
    if any(b > 127 for b in data):
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            pass
        codec = _charset_hint(msg) if msg is not None else None
        if codec:
            try:
                return data.decode(codec)
            except (UnicodeDecodeError, LookupError):
                pass
        return data.decode("cp1252", "replace")
    return value


def _charset_hint(msg: Message) -> str | None:
    """Return the codec for raw 8-bit headers of this message: the charset its text parts
    declare, else a guess from all its 8-bit header bytes together (GB2312, Shift-JIS ... sent
    without any declaration); remembered on the message."""
    if hasattr(msg, "_helpdesk_hint"):
        return msg._helpdesk_hint  # type: ignore[attr-defined]
    hint = None
    for index, part in enumerate(_parts(msg)):
        if index > 20:
            break
        codec = _codec(_charset(part))
        if codec and codec not in ("ascii", "utf-8"):
            hint = codec
            break
    if hint is None:
        data = b" ".join(
            str(v).encode("ascii", "surrogateescape") for vs in _raw_headers(msg).values() for v in vs
            if not str(v).isascii()
        )
        hint = _guess_codec(data)
    try:
        msg._helpdesk_hint = hint  # type: ignore[attr-defined]
    except AttributeError:
        pass
    return hint


def _guess_codec(data: bytes) -> str | None:
    """Guess the charset of undeclared 8-bit text (charset-normalizer; East Asian codecs first
    when the bytes decode as one of them)."""
    if not data:
        return None
    from charset_normalizer import from_bytes

    # (EUC-KR left out: it decodes Chinese text as Hangul, and Korean mail declares its charset.)
    best = from_bytes(data, cp_isolation=["gb18030", "shift_jis", "euc_jp", "big5", "cp1252", "cp1251"]).best()
    return _codec(best.encoding) if best is not None else None


def _decode_header_value(value: object, msg: Message | None = None) -> str:
    """Decode one raw header value: raw 8-bit bytes (UTF-8, else the message's charset, else
    cp1252) and RFC 2047 words."""
    value = _unbyte(value, msg)
    if "=?" in value:
        try:
            value = str(make_header(decode_header(value)))
        except Exception:
            value = _decode_words_leniently(value)
    return " ".join(value.split())


def _decode_words_leniently(value: str) -> str:
    try:
        parts = decode_header(value)
    except Exception:
        return value
    out = []
    for chunk, charset in parts:
        if isinstance(chunk, str):
            out.append(chunk)
            continue
        codec = _codec(charset) or "utf-8"
        try:
            out.append(chunk.decode(codec))
        except (UnicodeDecodeError, LookupError):
            out.append(chunk.decode("utf-8", "replace"))
    return "".join(out)


def _header(msg: Message, name: str) -> str:
    """Return a header's decoded value (first occurrence), never raising."""
    values = _raw_headers(msg).get(name)
    return _decode_header_value(values[0], msg) if values else ""


def _headers(msg: Message, name: str) -> list[str]:
    return [_decode_header_value(v, msg) for v in _raw_headers(msg).get(name, [])]


def _address_values(msg: Message, *names: str) -> list[str]:
    """Raw values of address headers: parsed before decoding, so an encoded comma in a display
    name cannot split an address."""
    return [" ".join(_unbyte(v, msg).split()) for name in names for v in _raw_headers(msg).get(name, [])]


_MSGID = re.compile(r"<([^<>\s]+)>")


def normalise_message_id(value: str) -> str:
    """Return `<id>` for the first Message-ID in `value`, or "" if there is none."""
    ids = message_ids(value)
    return ids[0] if ids else ""


def message_ids(value: str) -> list[str]:
    """Return every `<id>` in a In-Reply-To/References value, in order, without duplicates."""
    found = _MSGID.findall(value or "")
    if not found and value and "@" in value and " " not in value.strip():
        found = [value.strip().strip("<>")]
    return list(dict.fromkeys(f"<{mid[:990]}>" for mid in found))


MAX_PARSED_ADDRESS_CHARS = 64 * 1024
_BARE_ADDRESS = re.compile(r"[^\s<>,;:\"()\[\]@]+@[^\s<>,;:\"()\[\]@]+")


def _addresses(values: list[str]) -> list[str]:
    """Return the distinct addresses of address headers, in order (linear: 100,000 Cc included)."""
    out: list[str] = []
    seen: set[str] = set()
    if sum(len(v) for v in values) > MAX_PARSED_ADDRESS_CHARS:
        # Thousands of addresses: the standard parser takes tens of microseconds for each.
        pairs = [("", a) for a in _BARE_ADDRESS.findall(" ".join(values))]
    else:
        try:
            pairs = getaddresses(values)
        except Exception:
            pairs = []
    for _name, address in pairs:
        address = address.strip().strip("<>").lower()[:254]
        if "@" in address and " " not in address and address not in seen:
            seen.add(address)
            out.append(address)
    return out


def _first_address(value: str) -> str:
    found = _addresses([value])
    return found[0] if found else ""


def _date(value: str) -> datetime | None:
    if not value:
        return None
    try:
        parsed = parsedate_to_datetime(value)
    except Exception:
        return None
    if parsed is None or parsed.tzinfo is None:
        return None
    return parsed


# --- bodies --------------------------------------------------------------------------------

_CHARSET_ALIASES = {
    "x-mac-roman": "mac_roman",
    "x-mac-ce": "mac_latin2",
    "x-mac-cyrillic": "mac_cyrillic",
    "x-mac-greek": "mac_greek",
    "x-mac-turkish": "mac_turkish",
    "x-mac-icelandic": "mac_iceland",
    "ks_c_5601-1987": "cp949",
    "x-sjis": "shift_jis",
    "x-user-defined": "cp1252",
    "unicode-1-1-utf-7": "utf_7",
    "iso-8859-8-i": "iso-8859-8",
    "windows-874": "cp874",
    "gb2312": "gb18030",
    "gbk": "gb18030",
}


def _codec(charset: str | None) -> str | None:
    if not charset:
        return None
    charset = charset.strip().strip('"').lower()
    charset = _CHARSET_ALIASES.get(charset, charset)
    try:
        return codecs.lookup(charset).name
    except LookupError:
        return None


def _decode_text(data: bytes, charset: str | None) -> str:
    """Decode a text part: declared charset, then UTF-8, then cp1252; never raises."""
    codec = _codec(charset)
    if codec in (None, "ascii") and b"\x1b$" in data:
        codec = "iso2022_jp"  # ISO-2022-JP (7-bit, escape sequences) sent without a charset
    if codec and codec not in ("ascii", "us-ascii"):
        try:
            return data.decode(codec)
        except (UnicodeDecodeError, LookupError):
            pass
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    if codec is None:  # undeclared and not UTF-8: guess (GB2312, Shift-JIS ... sent without a charset)
        codec = _guess_codec(data[:20000])
    if codec:
        try:
            return data.decode(codec, errors="replace") if codec != "ascii" else data.decode("cp1252", "replace")
        except LookupError:
            pass
    return data.decode("cp1252", errors="replace")


def _payload_bytes(part: Message) -> bytes:
    try:
        data = part.get_payload(decode=True)
    except Exception:
        data = None
    if data is None:
        payload = part.get_payload()
        if isinstance(payload, str):
            return payload.encode("utf-8", "surrogateescape")
        return b""
    return data


# --- automatic mail ------------------------------------------------------------------------

_BOUNCE_SUBJECT = re.compile(
    r"^\s*(undeliver(ed|able)|delivery (status notification|failure|has failed|notification)|mail delivery failed"
    r"|failure notice|returned mail|delivery failure|non[- ]?delivery|mail system error|message not delivered"
    r"|warning: could not send message|nondeliverable)",
    re.IGNORECASE,
)
# What the text of a delivery report says (RFC 3464 fields, the usual MTA sentences, SMTP codes).
_DSN_TEXT = re.compile(
    r"(^(final-recipient|diagnostic-code|action:\s*failed|status:\s*5\.\d)"
    r"|could not be delivered|couldn't be delivered|delivery to the following recipients? (failed|has failed)"
    r"|permanent (fatal )?errors?|message (was )?not delivered|undeliverable|user unknown|mailbox unavailable"
    r"|no such user|address rejected|\b5[0-5]\d[ -]5\.\d\.\d)",
    re.IGNORECASE | re.MULTILINE,
)
_BOUNCE_SENDERS = ("mailer-daemon", "postmaster")
_REPORT_TYPES = ("multipart/report", "message/delivery-status")
_SPAM_FLAG = re.compile(r"^\s*yes\b", re.IGNORECASE)


def _classify(msg: EmailMessage, result: InboundMessage, our_domain: str) -> None:
    heads = _raw_headers(msg)

    def has(name: str) -> bool:
        return name in heads

    sender_local = result.from_email.split("@", 1)[0]
    return_path = _header(msg, "return-path")
    return_local = _first_address(return_path).split("@", 1)[0]
    null_return = "return-path" in heads and return_path.strip() in ("<>", "")
    report = _report_part(msg)
    dsn_text = bool(_DSN_TEXT.search(result.text[:20000]))
    if report:
        result.auto_kind, result.auto_reason = "bounce", f"{report} delivery report"
    elif sender_local in _BOUNCE_SENDERS or "mailer-daemon" in result.from_name.lower():
        result.auto_kind, result.auto_reason = "bounce", f"sender {result.from_email or result.from_name}"
    elif return_local in _BOUNCE_SENDERS:
        result.auto_kind, result.auto_reason = "bounce", f"Return-Path {return_path.strip()}"
    elif has("x-failed-recipients"):
        result.auto_kind, result.auto_reason = "bounce", "X-Failed-Recipients header"
    elif null_return and (_BOUNCE_SUBJECT.match(result.subject) or dsn_text):
        result.auto_kind, result.auto_reason = "bounce", "null Return-Path and a delivery failure subject or text"
    elif _BOUNCE_SUBJECT.match(result.subject) and dsn_text and not result.in_reply_to:
        result.auto_kind, result.auto_reason = "bounce", "a delivery failure subject and text"
    if result.auto_kind == "bounce":
        _bounce_details(msg, result)
        return

    # Mailing lists (RFC 2369/2919) get no receipt: it would go to the list or its bounce address.
    if has("list-id") or has("list-unsubscribe") or has("list-post"):
        result.list_reason = "List-Id/List-Unsubscribe header"
    # The MTA's spam verdict (SpamAssassin, rspamd in SpamAssassin mode).
    spam_flag, spam_status = _header(msg, "x-spam-flag"), _header(msg, "x-spam-status")
    if _SPAM_FLAG.match(spam_flag) or _SPAM_FLAG.match(spam_status):
        result.spam_reason = f"X-Spam-Status: {spam_status[:120]}" if spam_status else f"X-Spam-Flag: {spam_flag}"

    auto_submitted = _header(msg, "auto-submitted").lower()
    precedence = (_header(msg, "precedence") or _header(msg, "x-precedence")).lower()
    suppress = _header(msg, "x-auto-response-suppress").lower()
    if auto_submitted and not auto_submitted.startswith("no"):
        kind = "auto_reply" if auto_submitted.startswith("auto-replied") else "automated"
        result.auto_kind, result.auto_reason = kind, f"Auto-Submitted: {auto_submitted}"
    elif has("x-autoreply") or has("x-autorespond") or has("x-autoresponse") or has("x-autoreply-from"):
        result.auto_kind, result.auto_reason = "auto_reply", "X-Autoreply/X-Autorespond header"
    elif suppress and re.search(r"\b(all|oof|autoreply)\b", suppress):
        result.auto_kind, result.auto_reason = "auto_reply", f"X-Auto-Response-Suppress: {suppress}"
    elif precedence.startswith(("bulk", "junk", "list", "auto_reply")):
        kind = "auto_reply" if precedence.startswith("auto_reply") else "automated"
        result.auto_kind, result.auto_reason = kind, f"Precedence: {precedence}"
    elif _header(msg, "x-loop").lower() in ("yes", "true"):
        result.auto_kind, result.auto_reason = "automated", "X-Loop header"
    elif return_path.strip() == "<>":
        result.auto_kind, result.auto_reason = "auto_reply", "null Return-Path"

    # Our own mail by the signature of our Message-IDs (tickets/threading.py), never by their
    # domain: a local user's mail through a server named like our mail domain is no loop.
    if has("x-helpdesk-ticket"):
        result.loop, result.loop_reason = True, "carries our X-Helpdesk-Ticket header"
    elif result.message_id and ticket_id_from_message_id(result.message_id) is not None:
        result.loop, result.loop_reason = True, "its Message-ID is one of ours (signed)"


def _report_part(msg: EmailMessage) -> str:
    """Return the content type of a delivery report anywhere in the message, or ""."""
    try:
        for part in _parts(msg):
            ctype = _ctype(part)
            if ctype in _REPORT_TYPES:
                if ctype == "multipart/report":
                    report_type = str(part.get_param("report-type") or "").lower()
                    if report_type not in ("delivery-status", ""):
                        continue
                return ctype
    except RecursionError:
        return ""
    return ""


def _bounce_details(msg: EmailMessage, result: InboundMessage) -> None:
    for part in _parts(msg):
        ctype = _ctype(part)
        try:
            if ctype == "message/delivery-status":
                for block in part.get_payload() or []:
                    action = str(block.get("action", "")).lower()
                    recipient = str(block.get("final-recipient", "") or block.get("original-recipient", ""))
                    if recipient and action.startswith("failed"):
                        address = recipient.split(";", 1)[-1].strip().strip("<>").lower()
                        if address and address not in result.bounce_recipients:
                            result.bounce_recipients.append(address)
            elif ctype in ("message/rfc822", "text/rfc822-headers") and not result.bounced_message_id:
                if ctype == "message/rfc822":
                    inner = part.get_payload()
                    inner = inner[0] if isinstance(inner, list) and inner else inner
                    mid = _header(inner, "message-id") if isinstance(inner, Message) else ""
                else:
                    headers = _HEADER_PARSER.parsebytes(_payload_bytes(part), headersonly=True)
                    mid = _header(headers, "message-id")
                result.bounced_message_id = normalise_message_id(mid)
        except Exception:
            continue


# --- the parser ----------------------------------------------------------------------------


def _ctype(part: Message) -> str:
    """get_content_type() without the header registry (same rules, a fraction of the cost)."""
    values = _raw_headers(part).get("content-type")
    if not values:
        return part.get_default_type()
    ctype = _unbyte(values[0]).split(";", 1)[0].strip().lower()
    return ctype if ctype.count("/") == 1 and " " not in ctype else "text/plain"


_CHARSET = re.compile(r"""charset\s*=\s*["']?([^"';\s]*)""", re.IGNORECASE)


def _charset(part: Message) -> str | None:
    values = _raw_headers(part).get("content-type")
    match = _CHARSET.search(_unbyte(values[0])) if values else None
    return match.group(1).lower() if match and match.group(1) else None


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


# MIME nesting deeper than this is not read (real mail nests a handful of levels; 500 levels
# would exhaust Python's recursion in the standard library's walk()).
MAX_MIME_DEPTH = 50


def _parts(msg: Message) -> Iterator[Message]:
    """Yield every part depth-first, like Message.walk(), without recursion and at most
    MAX_MIME_DEPTH levels deep."""
    stack: list[tuple[Message, int]] = [(msg, 0)]
    while stack:
        part, depth = stack.pop()
        yield part
        if depth >= MAX_MIME_DEPTH or not part.is_multipart():
            continue
        children = part.get_payload()
        if isinstance(children, list):
            stack.extend((child, depth + 1) for child in reversed(children) if isinstance(child, Message))


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
