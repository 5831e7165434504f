"""Every write of the knowledge base: groups, articles, votes, views."""

import html
import re
from collections.abc import Iterable

import markdown
import nh3
from django.contrib.postgres.search import SearchVector
from django.db import IntegrityError, connection, transaction
from django.db.models import F, QuerySet
from django.db.models.functions import Greatest
from django.utils import timezone
from django.utils.text import slugify

from kb.models import KBArticle, KBGroup, KBView, KBVote

_MARKDOWN_EXTENSIONS = ["extra", "sane_lists", "smarty"]
_ALLOWED_TAGS = nh3.ALLOWED_TAGS | {"h1", "h2", "h3", "h4", "h5", "h6", "table", "thead", "tbody", "tr", "th",
                                   "td", "pre", "code", "kbd", "hr", "dl", "dt", "dd", "sup", "sub", "img"}
_ALLOWED_ATTRIBUTES = {
    **{tag: set(attrs) for tag, attrs in nh3.ALLOWED_ATTRIBUTES.items()},
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "width", "height"},
    "th": {"align"},
    "td": {"align"},
    "code": {"class"},
}


def render_markdown(source: str) -> str:
    """Return the Markdown rendered to HTML and sanitised (no script, style, event handlers or javascript: URLs)."""
    raw = markdown.markdown(source, extensions=_MARKDOWN_EXTENSIONS, output_format="html")
    return nh3.clean(
        raw,
        tags=_ALLOWED_TAGS,
        attributes=_ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto", "tel"},
        link_rel="noopener noreferrer",
    )


_BLOCK_TAG = re.compile(r"</?(?:p|div|h[1-6]|li|ul|ol|dl|dt|dd|tr|td|th|table|br|hr|pre|blockquote)\b", re.I)


def html_to_text(fragment: str) -> str:
    """Return the visible text of an HTML fragment, whitespace collapsed."""
    spaced = _BLOCK_TAG.sub(r" \g<0>", fragment)
    return " ".join(html.unescape(nh3.clean(spaced, tags=set())).split())


def search_vector_expression() -> SearchVector:
    """Return the weighted vector: title and search phrases weight A, body weight B (english config)."""
    return (
        SearchVector("title", weight="A", config="english")
        + SearchVector("search_keywords", weight="A", config="english")
        + SearchVector("body_text", weight="B", config="english")
    )


def title_vector_expression() -> SearchVector:
    """Return the vector of the title and search phrases alone (weight A)."""
    return SearchVector("title", weight="A", config="english") + SearchVector(
        "search_keywords", weight="A", config="english"
    )


def refresh_search_vectors(articles: QuerySet[KBArticle] | None = None) -> int:
    """Recompute the search vectors of the given articles (all by default) in one UPDATE; PostgreSQL only."""
    if connection.vendor != "postgresql":
        return 0
    qs = articles if articles is not None else KBArticle.objects.all()
    return qs.update(search_vector=search_vector_expression(), title_vector=title_vector_expression())


def _unique_slug(model: type, base: str, *, exclude_pk: int | None = None, max_length: int = 200) -> str:
    base = (slugify(base) or "article")[: max_length - 8].strip("-")
    candidate, n = base, 2
    while model.objects.filter(slug=candidate).exclude(pk=exclude_pk).exists():
        candidate, n = f"{base}-{n}", n + 1
    return candidate


@transaction.atomic
def save_group(
    *,
    group: KBGroup | None = None,
    name: str,
    slug: str = "",
    order: int = 0,
    description: str = "",
    staff_only: bool = False,
) -> KBGroup:
    """Create or update a group; an empty slug is derived from the name (and kept unique)."""
    group = group or KBGroup()
    group.name, group.order, group.description, group.staff_only = name, order, description, staff_only
    group.slug = slug or group.slug or _unique_slug(KBGroup, name, exclude_pk=group.pk, max_length=120)
    group.full_clean()
    group.save()
    return group


@transaction.atomic
def save_article(
    *,
    article: KBArticle | None = None,
    title: str,
    group: KBGroup,
    body_markdown: str,
    slug: str = "",
    status: str = KBArticle.Status.PUBLISHED,
    staff_only: bool = False,
    search_keywords: str = "",
    related: Iterable[KBArticle] | None = None,
) -> KBArticle:
    """Create or update an article: render the Markdown to sanitised HTML and refresh the search vector.

    The slug (the public link agents paste into replies) is derived from the title once and then
    kept, so retitling or moving an article to another group never breaks links already sent.
    `related` replaces the related articles when given.
    """
    now = timezone.now()
    article = article or KBArticle()
    article.title = title
    article.group = group
    article.body_markdown = body_markdown
    article.status = status
    article.staff_only = staff_only
    article.search_keywords = search_keywords
    article.slug = slug or article.slug or _unique_slug(KBArticle, title, exclude_pk=article.pk)
    article.body_html = render_markdown(body_markdown)
    article.body_text = html_to_text(article.body_html)
    article.updated_at = now
    if article.status == KBArticle.Status.PUBLISHED and article.published_at is None:
        article.published_at = now
    if article.pk is None:
        article.created_at = now
    article.full_clean(exclude=["search_vector", "title_vector"])
    article.save()
    if related is not None:
        article.related.set([r for r in related if r.pk != article.pk])
    refresh_search_vectors(KBArticle.objects.filter(pk=article.pk))
    return article


@transaction.atomic
def set_related_articles(*, article: KBArticle, related: Iterable[KBArticle]) -> KBArticle:
    """Replace the related articles of an article (the relation is symmetrical)."""
    article.related.set([r for r in related if r.pk != article.pk])
    return article


def record_view(*, article: KBArticle, visitor_key: str, by_staff: bool = False) -> bool:
    """Record a visitor's reading of an article, at most once per visitor and day.

    Returns True when this was the visitor's first view today; a reload, or a second tab racing
    the first, returns False and changes nothing. The article's view counter (most viewed, not
    viewed in 30 days) counts its audience: customers for public articles, staff for staff-only
    ones, so agents opening an article to copy its link do not hide that customers never read it.
    """
    now = timezone.now()
    try:
        with transaction.atomic():
            KBView.objects.create(
                article=article, visitor_key=visitor_key, day=timezone.localdate(now), by_staff=by_staff, created_at=now
            )
            if not by_staff or article.is_staff_only:
                KBArticle.objects.filter(pk=article.pk).update(view_count=F("view_count") + 1, last_viewed_at=now)
    except IntegrityError:
        return False
    return True


def record_vote(*, article: KBArticle, visitor_key: str, helpful: bool) -> KBVote:
    """Record "Was this helpful?" for a visitor: one vote per visitor and article.

    A first vote adds one to helpful_yes or helpful_no; voting the same again changes nothing;
    changing the answer moves the one vote from one counter to the other.
    """
    for _attempt in range(2):
        try:
            with transaction.atomic():
                return _record_vote(article=article, visitor_key=visitor_key, helpful=helpful)
        except IntegrityError:
            # Another request of the same visitor inserted the vote first: apply ours as a change.
            continue
    raise RuntimeError("could not record the vote")


def _record_vote(*, article: KBArticle, visitor_key: str, helpful: bool) -> KBVote:
    now = timezone.now()
    counter = {True: "helpful_yes", False: "helpful_no"}
    vote = KBVote.objects.select_for_update().filter(article=article, visitor_key=visitor_key).first()
    if vote is None:
        vote = KBVote.objects.create(
            article=article, visitor_key=visitor_key, helpful=helpful, created_at=now, updated_at=now
        )
        KBArticle.objects.filter(pk=article.pk).update(**{counter[helpful]: F(counter[helpful]) + 1})
        return vote
    if vote.helpful == helpful:
        return vote
    old = counter[vote.helpful]
    vote.helpful, vote.updated_at = helpful, now
    vote.save(update_fields=["helpful", "updated_at"])
    KBArticle.objects.filter(pk=article.pk).update(
        **{old: Greatest(F(old) - 1, 0), counter[helpful]: F(counter[helpful]) + 1}
    )
    return vote

