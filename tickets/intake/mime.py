"""Reading MIME without surprises: the parsers, raw header values decoded by hand (raw 8-bit
bytes as UTF-8, else the message's charset, declared or guessed; RFC 2047 words leniently),
addresses and Message-IDs, text parts decoded by charset, and the parts of a message walked
without recursion. No database access; tickets.intake.email builds on it.
"""

import codecs
import functools
import re
from collections.abc import Iterator
from datetime import datetime
from email import policy
from email.header import decode_header, make_header
from email.headerregistry import HeaderRegistry
from email.message import Message
from email.parser import BytesHeaderParser, BytesParser
from email.utils import getaddresses, parsedate_to_datetime


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


