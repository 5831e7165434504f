"""Message bodies of inbound mail: HTML to text, sanitised HTML, the quoted history below a
reply, and the subject without Re:/Fwd: prefixes or our ticket token. Pure functions."""

import re
from html.parser import HTMLParser

import nh3

from tickets.threading import SUBJECT_TOKEN


class _HtmlToText(HTMLParser):
    _BLOCK = {"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "table", "ul", "ol",
              "blockquote", "pre", "hr", "section", "article", "header", "footer"}
    _SKIP = {"script", "style", "head", "title"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag in self._SKIP:
            self._skip += 1
        elif tag in self._BLOCK:
            self.parts.append("\n")
        elif tag == "img":
            alt = dict(attrs).get("alt")
            if alt:
                self.parts.append(f"[{alt}]")

    def handle_endtag(self, tag: str) -> None:
        if tag in self._SKIP:
            self._skip = max(0, self._skip - 1)
        elif tag in self._BLOCK:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(re.sub(r"[ \t\r\n\f]+", " ", data))


def html_to_text(html: str) -> str:
    """Return readable plain text for an HTML body."""
    parser = _HtmlToText()
    try:
        parser.feed(html)
        parser.close()
    except Exception:
        return re.sub(r"<[^>]+>", " ", html)
    text = "".join(parser.parts)
    lines = [line.strip() for line in text.splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


_URL_SCHEMES = {"http", "https", "mailto", "cid", "tel"}


def sanitise_html(html: str) -> str:
    """Return HTML safe to show to agents: nh3 defaults plus cid: images."""

    try:
        return nh3.clean(html, url_schemes=_URL_SCHEMES, link_rel="noopener noreferrer nofollow")
    except Exception:
        return ""


# Quoted history in HTML: cut at the first of these markers (the text part has its own rules).
_HTML_QUOTE_MARKERS = re.compile(
    r"<div[^>]+class=\"?gmail_quote|<blockquote[^>]+type=\"?cite|<div[^>]+id=\"?(divRplyFwdMsg|appendonsend)"
    r"|<div[^>]+class=\"?(yahoo_quoted|moz-cite-prefix)|-----\s*Original Message\s*-----",
    re.IGNORECASE,
)


def trim_html(html: str) -> str:
    match = _HTML_QUOTE_MARKERS.search(html)
    if not match or not html_to_text(html[: match.start()]).strip():
        return html
    return html[: match.start()]


# --- quoted history ------------------------------------------------------------------------

_WROTE = re.compile(
    r"^\s*(On\s.+wrote|Am\s.+schrieb|Le\s.+a\s+écrit|El\s.+escribió|Op\s.+schreef|Il\s.+ha\s+scritto"
    r"|Den\s.+skrev|W\s+dniu\s.+pisze|Em\s.+escreveu)\s*:?\s*$",
    re.IGNORECASE,
)
_ORIGINAL = re.compile(
    r"^\s*-{2,}\s*(Original Message|Ursprüngliche Nachricht|Message d'origine|Mensaje original|"
    r"Oorspronkelijk bericht|Messaggio originale|Originalmeddelande)\s*-{2,}\s*$",
    re.IGNORECASE,
)
_OUTLOOK_FROM = re.compile(r"^\s*\*?(From|Von|De|Van|Da|Från|Od)\s*:\*?\s+\S", re.IGNORECASE)
_OUTLOOK_NEXT = re.compile(
    r"^\s*\*?(Sent|Date|Gesendet|Datum|Envoyé|Enviado|Verzonden|Inviato|Skickat|Wysłano|To|An|À|Para|Aan|A|Till|Do"
    r"|Subject|Betreff|Objet|Asunto|Onderwerp|Oggetto|Ämne|Temat)\s*:",
    re.IGNORECASE,
)
_UNDERSCORES = re.compile(r"^\s*_{20,}\s*$")
FORWARD_SUBJECT = re.compile(r"^\s*(fwd?|wg|tr|enc|rv)\s*:", re.IGNORECASE)


def split_quoted(text: str) -> tuple[str, bool]:
    """Return the reply without the quoted history below it, and whether anything was cut."""
    lines = text.splitlines()
    cut = _quote_start(lines)
    if cut is None:
        return text, False
    reply = "\n".join(lines[:cut]).rstrip()
    if not reply.strip():
        return text, False
    return reply, True


def _quote_start(lines: list[str]) -> int | None:
    for i, line in enumerate(lines):
        stripped = line.strip()
        if not stripped:
            continue
        if _WROTE.match(line) or (
            i + 1 < len(lines) and re.match(r"^\s*On\s", line) and _WROTE.match(f"{line} {lines[i + 1]}")
        ):
            return i
        if _ORIGINAL.match(line):
            return i
        if _OUTLOOK_FROM.match(line):
            window = lines[i + 1 : i + 5]
            if sum(1 for w in window if _OUTLOOK_NEXT.match(w)) >= 2:
                return i - 1 if i > 0 and _UNDERSCORES.match(lines[i - 1]) else i
        if stripped.startswith(">"):
            rest = [x for x in lines[i:] if x.strip()]
            if all(x.lstrip().startswith(">") for x in rest):
                return i
    return None


# --- subjects ------------------------------------------------------------------------------

_NOISE = re.compile(
    r"^\s*((re|fwd?|aw|sv|vs|wg|tr|antw|odp|rif|enc|res|rv|ynt|atb)\s*(\[\d+\]|\(\d+\))?\s*[:：]\s*)+",
    re.IGNORECASE,
)


def clean_subject(subject: str) -> str:
    """Return the subject without Re:/Fwd:/AW:/SV:/RE[2]: prefixes and our ticket token."""
    previous = None
    subject = " ".join((subject or "").split())
    while previous != subject:
        previous = subject
        subject = _NOISE.sub("", subject)
        subject = SUBJECT_TOKEN.sub("", subject).strip()
    return subject
