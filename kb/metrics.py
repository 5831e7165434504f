"""The manager's KB metrics (manager guide, "KB metrics").

- articles with more than 20 % negative votes (once they have a minimum number of votes),
- articles not viewed in 30 days (only those that have existed that long),
- the most viewed articles,
- tickets on a topic that has an article whose staff replies never linked it, grouped by agent
  ("agent isn't sending the link: training needed").

kb cannot import tickets, so the last report reads tickets through a registered source: the
tickets app registers a function in its AppConfig.ready() that yields TicketSample rows. The
matching is done here: a ticket is "on the topic" of a public article when its subject contains
every significant word of the article's title, or of one of its search phrases (two words at
least, so a lone "invoice" does not match everything).
"""

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import F, FloatField, Q, QuerySet
from django.db.models.functions import Cast, NullIf
from django.utils import timezone

from kb import text
from kb.models import KBArticle
from kb.queries import kb_view_count, public_articles


@dataclass(frozen=True)
class TicketSample:
    """What the topic report needs to know about one answered ticket."""

    number: int
    subject: str
    agent: str
    url: str
    staff_reply_texts: tuple[str, ...]


@dataclass
class UnlinkedTicket:
    number: int
    subject: str
    url: str
    article: KBArticle


@dataclass
class AgentTopics:
    agent: str
    tickets: list[UnlinkedTicket] = field(default_factory=list)


TicketSource = Callable[[datetime], Iterable[TicketSample]]
_ticket_sources: list[TicketSource] = []


def register_ticket_source(source: TicketSource) -> None:
    """Register a function returning the answered tickets created since a moment (idempotent)."""
    if source not in _ticket_sources:
        _ticket_sources.append(source)


def kb_settings() -> dict:
    """Return the metric thresholds (read at call time)."""
    share = getattr(settings, "KB_NEGATIVE_SHARE", 0.2)
    return {
        "negative_min_votes": getattr(settings, "KB_NEGATIVE_MIN_VOTES", 5),
        "negative_share": share,
        "negative_percent": round(share * 100),
        "stale_days": getattr(settings, "KB_STALE_DAYS", 30),
    }


def negative_articles(*, min_votes: int, share: float) -> QuerySet[KBArticle]:
    """Return articles with at least `min_votes` votes of which more than `share` said "not helpful"."""
    total = F("helpful_yes") + F("helpful_no")
    return (
        KBArticle.objects.select_related("group")
        .annotate(vote_total=total, negative=Cast("helpful_no", FloatField()) / Cast(NullIf(total, 0), FloatField()))
        .filter(vote_total__gte=max(min_votes, 1), negative__gt=share)
        .order_by("-negative", "-vote_total", "title")
    )


def stale_articles(*, days: int, now: datetime | None = None) -> QuerySet[KBArticle]:
    """Return published articles older than `days` that nobody has opened in the last `days` days."""
    cutoff = (now or timezone.now()) - timedelta(days=days)
    return (
        KBArticle.objects.select_related("group")
        .filter(status=KBArticle.Status.PUBLISHED, created_at__lte=cutoff)
        .filter(Q(last_viewed_at__isnull=True) | Q(last_viewed_at__lt=cutoff))
        .order_by(F("last_viewed_at").asc(nulls_first=True), "title")
    )


def most_viewed(*, limit: int = 10) -> QuerySet[KBArticle]:
    return (
        KBArticle.objects.select_related("group")
        .filter(status=KBArticle.Status.PUBLISHED, view_count__gt=0)
        .order_by("-view_count", "title")[:limit]
    )


@dataclass(frozen=True)
class Signature:
    """How an article's topic shows in a subject: all the title's stems, or one search phrase in order."""

    stems: frozenset[str] = frozenset()
    sequence: tuple[str, ...] = ()
    whole_words: bool = False  # compare the sequence with the subject's words, stop words included

    @property
    def weight(self) -> int:
        return max(len(self.stems), len(self.sequence))

    def matches(self, subject: "_Subject") -> bool:
        if self.stems:
            return self.stems <= subject.stem_set
        return _contains_run(subject.words if self.whole_words else subject.stems, self.sequence)


@dataclass(frozen=True)
class _Subject:
    stems: tuple[str, ...]
    stem_set: frozenset[str]
    words: tuple[str, ...]

    @classmethod
    def parse(cls, subject: str) -> "_Subject":
        stems = _significant_stems(subject)
        return cls(stems=stems, stem_set=frozenset(stems), words=tuple(text.words(subject)))


def _contains_run(haystack: tuple[str, ...], needle: tuple[str, ...]) -> bool:
    n = len(needle)
    return any(haystack[i : i + n] == needle for i in range(len(haystack) - n + 1))


def _significant_stems(phrase: str) -> tuple[str, ...]:
    return tuple(text.stem(w) for w in text.words(phrase) if w not in text.STOPWORDS)


def _signatures(article: KBArticle) -> list[Signature]:
    """Return the article's topic signatures.

    - The title: a subject containing all its significant words (two at least), in any order.
    - Each search phrase of two significant words or more: those words in that order, stop words
      aside ("I forgot my password" matches "forgot password"; "API returns 429 too many
      requests" does not match "return request").
    - A search phrase with a single significant word ("where is my order") word for word.
    """
    signatures = []
    title_stems = frozenset(_significant_stems(article.title))
    if len(title_stems) >= 2:
        signatures.append(Signature(stems=title_stems))
    for phrase in article.search_keywords.split(","):
        stems = _significant_stems(phrase)
        words = tuple(text.words(phrase))
        if len(stems) >= 2:
            signatures.append(Signature(sequence=stems))
        elif len(words) >= 2:
            signatures.append(Signature(sequence=words, whole_words=True))
    return signatures


def match_article(subject: str, catalogue: list[tuple[KBArticle, list[Signature]]]) -> KBArticle | None:
    """Return the article whose topic the subject covers most specifically, or None."""
    parsed = _Subject.parse(subject)
    best: tuple[int, KBArticle] | None = None
    for article, signatures in catalogue:
        for signature in signatures:
            if signature.matches(parsed) and (best is None or signature.weight > best[0]):
                best = (signature.weight, article)
    return best[1] if best else None


def unlinked_topics(
    samples: Iterable[TicketSample], *, articles: Iterable[KBArticle] | None = None
) -> list[AgentTopics]:
    """Return, per agent (most first), the tickets on an article's topic whose staff replies never linked it."""
    catalogue = [(a, _signatures(a)) for a in (articles if articles is not None else public_articles())]
    catalogue = [(a, sigs) for a, sigs in catalogue if sigs]
    by_agent: dict[str, AgentTopics] = defaultdict(lambda: AgentTopics(agent=""))
    for sample in samples:
        article = match_article(sample.subject, catalogue)
        if article is None:
            continue
        link = f"/knowledge-base/article/{article.slug}"
        if any(link in reply for reply in sample.staff_reply_texts):
            continue
        group = by_agent[sample.agent]
        group.agent = sample.agent
        group.tickets.append(UnlinkedTicket(sample.number, sample.subject, sample.url, article))
    return sorted(by_agent.values(), key=lambda g: (-len(g.tickets), g.agent))


def overview(*, now: datetime | None = None) -> dict:
    """Return everything the metrics page shows."""
    now = now or timezone.now()
    conf = kb_settings()
    since = now - timedelta(days=conf["stale_days"])
    samples: list[TicketSample] = []
    for source in _ticket_sources:
        samples.extend(source(since))
    return {
        "conf": conf,
        "published_count": KBArticle.objects.filter(status=KBArticle.Status.PUBLISHED).count(),
        "customer_views": kb_view_count(start=timezone.localdate(since), end=timezone.localdate(now)),
        "negative": negative_articles(min_votes=conf["negative_min_votes"], share=conf["negative_share"]),
        "stale": stale_articles(days=conf["stale_days"], now=now),
        "most_viewed": most_viewed(limit=10),
        "unlinked": unlinked_topics(samples),
        "has_ticket_source": bool(_ticket_sources),
        "tickets_checked": len(samples),
    }
