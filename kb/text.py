"""Plain-text handling for KB search: tokens, a light stemmer, snippets with highlights.

PostgreSQL does the real linguistics (the `english` text search configuration); these pure
functions serve the SQLite fallback, the snippets (the same for both databases) and the topic
matching of the metrics page. Snippets are built by escaping each piece of text separately and
wrapping only matched words in <mark>, so no article text can inject markup.
"""

import re
from collections.abc import Sequence

from django.template.loader import render_to_string
from django.utils.safestring import SafeString

# The common English function words (PostgreSQL's english stop list, shortened) plus the
# filler of customer questions ("how do I", "can't", "please").
STOPWORDS = frozenset(
    """
    a about above after again against all am an and any are as at be because been before being
    below between both but by can cannot could did do does doing down during each few for from
    further had has have having he her here hers herself him himself his how i if in into is it its
    itself just me more most my myself no nor not now of off on once only or other our ours
    ourselves out over own same she should so some such than that the their theirs them themselves
    then there these they this those through to too under until up very was we were what when where
    which while who whom why will with would you your yours yourself yourselves
    im ive dont doesnt didnt cant couldnt wont isnt arent wasnt get got please hi hello thanks
    """.split()
)

_WORD = re.compile(r"[^\W_]+", re.UNICODE)
_SUFFIXES = ("ing", "ies", "es", "ed", "s")


def words(text: str) -> list[str]:
    """Return the lowercase words of `text` (letters and digits; punctuation splits words)."""
    return [w.lower() for w in _WORD.findall(text.replace("'", ""))]


def stem(word: str) -> str:
    """Return a crude stem: strip one common English suffix, then a final "e" or "y", from longer words.

    Crude on purpose: it only needs to make "invoices", "invoicing" and "invoice", or "delivery"
    and "delivered", meet, the same way on both sides of a comparison.
    """
    if len(word) <= 4:
        return word
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            word = word[:-3] + "y" if suffix == "ies" else word[: -len(suffix)]
            break
    if word[-1] in "ey" and len(word) > 5:
        return word[:-1]
    return word


def terms(text: str, *, limit: int = 8) -> list[str]:
    """Return the distinct significant words of a query in order (stop words dropped)."""
    seen: list[str] = []
    for word in words(text):
        if word in STOPWORDS or word in seen:
            continue
        seen.append(word)
        if len(seen) == limit:
            break
    return seen


def stems(text: str) -> set[str]:
    """Return the set of stems of the significant words of `text`."""
    return {stem(w) for w in words(text) if w not in STOPWORDS}


def _term_pattern(query_terms: Sequence[str]) -> re.Pattern[str] | None:
    roots = sorted({stem(t) for t in query_terms if len(t) >= 2}, key=len, reverse=True)
    if not roots:
        return None
    # A word matches when it starts with a query word's stem: "invoic" marks "invoices".
    return re.compile(r"\b(?:" + "|".join(re.escape(r) for r in roots) + r")\w*", re.IGNORECASE)


def _parts(text: str, pattern: re.Pattern[str] | None) -> list[tuple[str, bool]]:
    """Split `text` into (piece, matches the query) pairs."""
    if pattern is None:
        return [(text, False)]
    parts: list[tuple[str, bool]] = []
    pos = 0
    for match in pattern.finditer(text):
        parts.append((text[pos : match.start()], False))
        parts.append((match.group(0), True))
        pos = match.end()
    parts.append((text[pos:], False))
    return [part for part in parts if part[0]]


def _render(parts: list[tuple[str, bool]], *, lead: bool = False, trail: bool = False) -> SafeString:
    # kb/_highlight.html escapes every piece and wraps the matches in <mark>.
    return render_to_string("kb/_highlight.html", {"parts": parts, "lead": lead, "trail": trail})


def highlight(text: str, query_terms: Sequence[str]) -> SafeString:
    """Return `text` HTML-escaped, with the words matching the query wrapped in <mark>."""
    return _render(_parts(text, _term_pattern(query_terms)))


def snippet(text: str, query_terms: Sequence[str], *, width: int = 180) -> SafeString:
    """Return an escaped excerpt of about `width` characters around the first query match, highlighted."""
    text = " ".join(text.split())
    pattern = _term_pattern(query_terms)
    match = pattern.search(text) if pattern else None
    start = 0
    if match and match.start() > width // 3:
        start = match.start() - width // 3
        space = text.find(" ", start)
        start = space + 1 if 0 <= space < match.start() else start
    end = min(len(text), start + width)
    if end < len(text):
        space = text.rfind(" ", start, end)
        end = space if space > start + width // 2 else end
    return _render(_parts(text[start:end], pattern), lead=start > 0, trail=end < len(text))
