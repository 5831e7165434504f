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


Signature = tuple[frozenset[str], str]


def _signatures(article: KBArticle) -> list[Signature]:
    """Return the article's topic signatures: (significant stems, " phrase words ") of its title and phrases.

    A signature matches a subject that contains all its stems (two at least), or, for a search
    phrase, the whole phrase word for word ("where is my order", whose only significant word is "order").
    """
    signatures = [(frozenset(text.stems(article.title)), "")]
    for phrase in article.search_keywords.split(","):
        phrase_words = text.words(phrase)
        sequence = f" {' '.join(phrase_words)} " if len(phrase_words) > 1 else ""
        signatures.append((frozenset(text.stems(phrase)), sequence))
    return [(stems, seq) for stems, seq in signatures if len(stems) >= 2 or seq]


def match_article(subject: str, catalogue: list[tuple[KBArticle, list[Signature]]]) -> KBArticle | None:
    """Return the article whose topic the subject covers most specifically, or None."""
    subject_stems = text.stems(subject)
    subject_seq = f" {' '.join(text.words(subject))} "
    best: tuple[int, KBArticle] | None = None
    for article, signatures in catalogue:
        for stems, seq in signatures:
            matched = (len(stems) >= 2 and stems <= subject_stems) or (seq and seq in subject_seq)
            weight = max(len(stems), seq.count(" ") - 1)
            if matched and (best is None or weight > best[0]):
                best = (weight, article)
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
