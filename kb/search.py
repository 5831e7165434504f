"""Ranked article search, used by the KB search page, the portal's ticket-form suggestions and the
agent's "insert KB link" picker.

On PostgreSQL every significant query word becomes a prefix term (`word:*`, so "passw" finds
"password") of an OR query over the stored weighted vector (title and search phrases A, body B),
ranked by ts_rank (see _postgres_search for how the work stays bounded); an article whose title or
search phrases contain the whole query gets a bonus (so "where is my order", all stop words but
one, still finds the article that lists that phrase).
When that finds nothing (a typo), the trigram word similarity of the title takes over ("pasword"
finds "password"). On SQLite each query word is looked up with icontains, title and phrases
weighing three times the body, with a difflib typo fallback over titles.
"""

import difflib
from dataclasses import dataclass

from django.conf import settings
from django.contrib.postgres.search import TrigramWordSimilarity
from django.db import connection, transaction
from django.db.models import Case, FloatField, Q, QuerySet, Value, When
from django.db.models.functions import Coalesce
from django.utils.safestring import SafeString

from kb import text
from kb.models import KBArticle

PHRASE_BONUS = 1.0
TRIGRAM_THRESHOLD = 0.45
_FIELDS = ("id", "title", "slug", "body_text", "staff_only", "group__name", "group__staff_only")


@dataclass(frozen=True)
class SearchHit:
    """One search result, ready to show or to paste: `url` is the absolute public link."""

    id: int
    title: str
    url: str
    path: str
    group: str
    snippet: SafeString
    title_html: SafeString
    rank: float
    staff_only: bool = False

    @property
    def article_id(self) -> int:
        return self.id

    @property
    def group_name(self) -> str:
        return self.group


def search_articles(query: str, *, include_staff_only: bool = False, limit: int = 10) -> list[SearchHit]:
    """Return up to `limit` published articles matching `query`, best first.

    Staff-only articles (and those of staff-only groups) are left out unless include_staff_only;
    drafts never appear. An empty or stop-words-only query returns [].
    """
    terms = text.terms(query)
    if not terms or limit <= 0:
        return []
    base = KBArticle.objects.filter(status=KBArticle.Status.PUBLISHED)
    if not include_staff_only:
        base = base.filter(staff_only=False, group__staff_only=False)
    phrase = " ".join(text.words(query))
    if connection.vendor == "postgresql":
        rows = _postgres_search(terms, phrase, limit, include_staff_only)
        if not rows and _has_trigram():
            rows = _trigram_search(base, " ".join(terms), limit)
    else:
        rows = _sqlite_search(base, terms, phrase, limit)
        if not rows:
            rows = _fuzzy_title_search(base, terms, limit)
    return [_hit(row, terms) for row in rows]


def _phrase_bonus(phrase: str) -> Case:
    matches = Q(title__icontains=phrase) | Q(search_keywords__icontains=phrase)
    return Case(When(matches, then=Value(PHRASE_BONUS)), default=Value(0.0), output_field=FloatField())


_PG_SELECT = """
    SELECT a.id, a.title, a.slug, a.body_text, a.staff_only, g.name, g.staff_only,
           ts_rank(a.search_vector, to_tsquery('english', %(any)s), 1) + {bonus} AS rank
    FROM hits JOIN kb_kbarticle a ON a.id = hits.id JOIN kb_kbgroup g ON g.id = a.group_id
    ORDER BY rank DESC, a.view_count DESC, a.title
"""
_PG_BONUS = (
    "(CASE WHEN lower(a.title) LIKE %(phrase)s OR lower(a.search_keywords) LIKE %(phrase)s "
    f"THEN {PHRASE_BONUS} ELSE 0.0 END)"
)
_PG_TITLE_HITS = """
    WITH hits AS (
        SELECT a.id FROM kb_kbarticle a JOIN kb_kbgroup g ON g.id = a.group_id
        WHERE a.title_vector @@ to_tsquery('english', %(any)s) AND {visible}
        ORDER BY ts_rank(a.title_vector, to_tsquery('english', %(any)s)) + {bonus} DESC, a.view_count DESC, a.id
        LIMIT %(candidates)s
    )
""" + _PG_SELECT + " LIMIT %(limit)s"
_PG_BODY_HITS = """
    WITH hits AS (
        SELECT a.id FROM kb_kbarticle a JOIN kb_kbgroup g ON g.id = a.group_id
        WHERE a.search_vector @@ to_tsquery('english', %(match)s) AND {visible} AND NOT (a.id = ANY(%(seen)s))
        ORDER BY a.view_count + 0 DESC, a.id
        LIMIT %(limit)s
    )
""" + _PG_SELECT


def _postgres_search(terms: list[str], phrase: str, limit: int, include_staff_only: bool) -> list[dict]:
    """Rank title matches, then fill up with body matches; never rank thousands of full vectors.

    1. Articles whose title or search phrases match any query word: the best few dozen by the
       rank of their small title vector, re-ranked by the full weighted vector (title A, body B).
    2. If that leaves room: articles mentioning every query word in the body (then any word),
       the most read first, ranked by the full vector among themselves.
    ts_rank and a sequential @@ have to read (detoast) every vector they touch; a common word
    matches thousands of bodies but few titles. So only title matches are ranked, and body
    matches come from the GIN index alone (a bitmap scan needs no vector: sequential scans are
    switched off for that query, as the planner underestimates the cost of @@ on large vectors).
    Hand-written SQL: this runs on every keystroke of the suggestion boxes, and building the
    equivalent ORM query cost more than running it.
    """
    visible = "a.status = %(published)s" + ("" if include_staff_only else " AND NOT a.staff_only AND NOT g.staff_only")
    params = {
        "any": " | ".join(f"{term}:*" for term in terms),
        "phrase": f"%{phrase}%",
        "candidates": max(3 * limit, 30),
        "limit": limit,
        "published": KBArticle.Status.PUBLISHED.value,
    }
    with connection.cursor() as cursor:
        cursor.execute(_PG_TITLE_HITS.format(visible=visible, bonus=_PG_BONUS), params)
        rows = [_row(r) for r in cursor.fetchall()]
        matches = [" & ".join(f"{term}:*" for term in terms)] + ([params["any"]] if len(terms) > 1 else [])
        for match in matches:
            if len(rows) >= limit:
                break
            with transaction.atomic():
                cursor.execute("SET LOCAL enable_seqscan = off")
                cursor.execute(
                    _PG_BODY_HITS.format(visible=visible, bonus=_PG_BONUS),
                    {**params, "match": match, "seen": [r["id"] for r in rows], "limit": limit - len(rows)},
                )
                rows += [_row(r) for r in cursor.fetchall()]
    return rows


def _row(values: tuple) -> dict:
    return dict(zip((*_FIELDS, "rank"), values, strict=True))


_trigram_available: bool | None = None


def _has_trigram() -> bool:
    global _trigram_available
    if _trigram_available is None:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")
            _trigram_available = cursor.fetchone() is not None
    return _trigram_available


def _trigram_search(base: QuerySet[KBArticle], words: str, limit: int) -> list[dict]:
    # `title %> words` is word_similarity(words, title) >= pg_trgm.word_similarity_threshold; it uses
    # the trigram GIN index. The default threshold (0.6) misses one-letter typos of short words
    # ("invoce"), so lower it for this transaction only.
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config('pg_trgm.word_similarity_threshold', %s, true)", [str(TRIGRAM_THRESHOLD)])
        return list(
            base.filter(title__trigram_word_similar=words)
            .annotate(rank=TrigramWordSimilarity(words, "title"))
            .order_by("-rank", "-view_count", "title")
            .values(*_FIELDS, "rank")[:limit]
        )


def _sqlite_search(base: QuerySet[KBArticle], terms: list[str], phrase: str, limit: int) -> list[dict]:
    matches = Q()
    score = Value(0.0, output_field=FloatField())
    for term in terms:
        root = text.stem(term)
        in_title = Q(title__icontains=root) | Q(search_keywords__icontains=root)
        in_body = Q(body_text__icontains=root)
        matches |= in_title | in_body
        score = score + Case(When(in_title, then=Value(0.3)), default=Value(0.0), output_field=FloatField())
        score = score + Case(When(in_body, then=Value(0.1)), default=Value(0.0), output_field=FloatField())
    return list(
        base.filter(matches)
        .annotate(rank=Coalesce(score, 0.0) + _phrase_bonus(phrase))
        .order_by("-rank", "title")
        .values(*_FIELDS, "rank")[:limit]
    )


def _fuzzy_title_search(base: QuerySet[KBArticle], terms: list[str], limit: int, *, cutoff: float = 0.75) -> list[dict]:
    """Typo fallback without trigrams: compare each query word with the title words (small installs only)."""
    scored: list[tuple[float, dict]] = []
    for row in base.values(*_FIELDS, "search_keywords")[:5000]:
        candidates = set(text.words(row["title"])) | set(text.words(row["search_keywords"]))
        score = 0.0
        for term in terms:
            best = max((difflib.SequenceMatcher(None, term, w).ratio() for w in candidates), default=0.0)
            score += best if best >= cutoff else 0.0
        if score:
            row["rank"] = score / len(terms)
            scored.append((score, row))
    scored.sort(key=lambda item: (-item[0], item[1]["title"]))
    return [row for _score, row in scored[:limit]]


def _hit(row: dict, terms: list[str]) -> SearchHit:
    path = KBArticle(slug=row["slug"]).get_absolute_url()
    return SearchHit(
        id=row["id"],
        title=row["title"],
        url=settings.SITE_URL + path,
        path=path,
        group=row["group__name"],
        snippet=text.snippet(row["body_text"], terms),
        title_html=text.highlight(row["title"], terms),
        rank=float(row["rank"] or 0.0),
        staff_only=bool(row["staff_only"] or row["group__staff_only"]),
    )
