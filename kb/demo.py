"""Demo knowledge base for `seed_demo`: the manager guide's recommended structure.

seed_kb() is idempotent: groups and articles are matched by slug, created when missing and
updated only when their seeded text changed (so view and vote counters survive a re-seed).
"""

from django.db import transaction

from kb import services
from kb.demo_content import GROUPS
from kb.models import KBArticle, KBGroup


def _dedent(body: str) -> str:
    return body.strip() + "\n"


def seed_kb() -> str:
    """Create or refresh the demo knowledge base; return a one-line summary (a seed_demo step)."""
    created = seed_kb_counts()
    total = KBArticle.objects.filter(status=KBArticle.Status.PUBLISHED).count()
    return f"{total} published articles in {KBGroup.objects.count()} groups ({created['articles']} new)"


@transaction.atomic
def seed_kb_counts() -> dict[str, int]:
    """Create or refresh the demo groups and articles; return how many were created."""
    created = {"groups": 0, "articles": 0}
    by_slug: dict[str, KBArticle] = {}
    related_of: dict[str, list[str]] = {}
    for order, (name, slug, description, staff_only, articles) in enumerate(GROUPS, start=1):
        group = KBGroup.objects.filter(slug=slug).first()
        if group is None:
            created["groups"] += 1
        if group is None or (group.name, group.description, group.staff_only) != (name, description, staff_only):
            group = services.save_group(
                group=group, name=name, slug=slug, order=order * 10, description=description, staff_only=staff_only
            )
        for spec in articles:
            body = _dedent(spec["body"])
            article = KBArticle.objects.filter(slug=spec["slug"]).first()
            if article is None:
                created["articles"] += 1
            unchanged = article is not None and (
                article.title, article.group_id, article.body_markdown, article.search_keywords
            ) == (spec["title"], group.pk, body, spec["keywords"])
            if not unchanged:
                article = services.save_article(
                    article=article,
                    title=spec["title"],
                    slug=spec["slug"],
                    group=group,
                    body_markdown=body,
                    search_keywords=spec["keywords"],
                    status=KBArticle.Status.PUBLISHED,
                )
            by_slug[spec["slug"]] = article
            related_of[spec["slug"]] = spec.get("related", [])
    if created["articles"]:
        _demo_feedback(by_slug)
    for slug, related_slugs in related_of.items():
        wanted = [by_slug[s] for s in related_slugs if s in by_slug]
        article = by_slug[slug]
        if set(article.related.values_list("slug", flat=True)) != {a.slug for a in wanted}:
            services.set_related_articles(article=article, related=wanted)
    return created


# Demo readers and votes, so the metrics page has something to show: (slug, readers, yes, no).
DEMO_FEEDBACK = [
    ("how-to-reset-your-password", 42, 18, 2),
    ("how-to-download-an-invoice", 35, 12, 1),
    ("how-to-track-an-order", 31, 9, 1),
    ("what-overdue-status-means", 17, 5, 1),
    ("import-errors", 12, 3, 4),  # more than 20 % "not helpful": listed for review
    ("return-procedure", 9, 4, 0),
    ("sync-issues", 6, 2, 3),
]


def _demo_feedback(articles: dict[str, KBArticle]) -> None:
    for slug, readers, yes, no in DEMO_FEEDBACK:
        article = articles.get(slug)
        if article is None:
            continue
        for n in range(readers):
            services.record_view(article=article, visitor_key=f"ademo{n}")
        for n in range(yes + no):
            services.record_vote(article=article, visitor_key=f"ademo{n}", helpful=n < yes)
