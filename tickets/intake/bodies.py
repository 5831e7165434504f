"""Message bodies of inbound mail: HTML to text, sanitised HTML, the quoted history below a
reply, and the subject without Re:/Fwd: prefixes or our ticket token. Pure functions."""

import re
from html.parser import HTMLParser

import nh3

from tickets import quoting
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

FORWARD_SUBJECT = re.compile(r"^\s*(fwd?|wg|tr|enc|rv)\s*:", re.IGNORECASE)


def split_quoted(text: str) -> tuple[str, bool]:
    """Return the reply without the quoted history below it, and whether anything was cut
    (the splitter is tickets.quoting's, shared with the agent workspace)."""
    reply, quoted = quoting.split_quoted(text)
    return reply, bool(quoted)


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
