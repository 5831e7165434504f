"""Every read of the knowledge base that is more than a get, with the visibility rules in one place.

Customers and anonymous visitors see published articles outside staff-only groups that are not
staff-only themselves; anything else answers 404 (never 403, so nothing leaks). Staff see
everything, drafts included, and the pages mark what customers cannot see.
"""

from datetime import date

from django.db.models import Count, Q, QuerySet
from django.http import Http404

from kb.models import KBArticle, KBGroup, KBView, KBVote


def is_staff(user: object) -> bool:
    return bool(getattr(user, "is_authenticated", False) and getattr(user, "is_staff", False) and user.is_active)


def public_articles() -> QuerySet[KBArticle]:
    """Return the articles anyone may read: published, not staff-only, in a public group."""
    return KBArticle.objects.filter(
        status=KBArticle.Status.PUBLISHED, staff_only=False, group__staff_only=False
    )


def articles_for(*, user: object) -> QuerySet[KBArticle]:
    """Return the articles this user may open (staff: all, drafts included)."""
    if is_staff(user):
        return KBArticle.objects.all()
    return public_articles()


def groups_for(*, user: object) -> QuerySet[KBGroup]:
    """Return the groups this user may see, each annotated with `article_count` of articles they can open."""
    # Meta.ordering does not apply to aggregating queries: order explicitly.
    if is_staff(user):
        return KBGroup.objects.annotate(article_count=Count("articles")).order_by("order", "name")
    return (
        KBGroup.objects.filter(staff_only=False)
        .annotate(
            article_count=Count(
                "articles", filter=Q(articles__status=KBArticle.Status.PUBLISHED, articles__staff_only=False)
            )
        )
        .order_by("order", "name")
    )


def get_group_for(*, user: object, slug: str) -> KBGroup:
    """Return the group if this user may see it; 404 otherwise."""
    group = groups_for(user=user).filter(slug=slug).first()
    if group is None:
        raise Http404
    return group


def group_articles(*, user: object, group: KBGroup) -> QuerySet[KBArticle]:
    return articles_for(user=user).filter(group=group).select_related("group").order_by("title")


def get_article_for(*, user: object, slug: str) -> KBArticle:
    """Return the article if this user may open it; 404 otherwise (drafts and staff-only content included)."""
    article = articles_for(user=user).select_related("group").filter(slug=slug).first()
    if article is None:
        raise Http404
    return article


def related_articles(*, user: object, article: KBArticle) -> QuerySet[KBArticle]:
    """Return the related articles this user may open."""
    return (
        articles_for(user=user)
        .filter(pk__in=article.related.values("pk"))
        .exclude(status=KBArticle.Status.DRAFT)
        .select_related("group")
        .order_by("title")
    )


def popular_articles(*, user: object, limit: int = 8) -> QuerySet[KBArticle]:
    return (
        articles_for(user=user)
        .filter(status=KBArticle.Status.PUBLISHED, view_count__gt=0)
        .select_related("group")
        .order_by("-view_count", "title")[:limit]
    )


def visitor_vote(*, article: KBArticle, visitor_key: str) -> bool | None:
    """Return this visitor's vote on the article (True/False), or None if they have not voted."""
    return KBVote.objects.filter(article=article, visitor_key=visitor_key).values_list("helpful", flat=True).first()


def kb_view_count(*, start: date, end: date, include_staff: bool = False) -> int:
    """Return the number of article views (one per visitor, article and day) between two dates, inclusive.

    This is the "KB views" of the deflection rate: (KB views) / (KB views + tickets).
    """
    qs = KBView.objects.filter(day__gte=start, day__lte=end)
    if not include_staff:
        qs = qs.filter(by_staff=False)
    return qs.count()


def draft_count() -> int:
    """Return how many articles are drafts waiting for a manager to review and publish."""
    return KBArticle.objects.filter(status=KBArticle.Status.DRAFT).count()
