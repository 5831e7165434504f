"""Knowledge base test helpers: groups and articles are written through kb.services, as in production."""

import itertools

import pytest

from kb import services
from kb.demo import seed_kb
from kb.models import KBArticle, KBGroup

_seq = itertools.count(1)


def make_group(*, name: str | None = None, staff_only: bool = False, **kwargs: object) -> KBGroup:
    n = next(_seq)
    return services.save_group(name=name or f"Group {n}", staff_only=staff_only, order=n, **kwargs)


def make_article(
    *,
    title: str | None = None,
    group: KBGroup | None = None,
    body: str = "Some helpful text.",
    status: str = KBArticle.Status.PUBLISHED,
    staff_only: bool = False,
    keywords: str = "",
    **kwargs: object,
) -> KBArticle:
    return services.save_article(
        title=title or f"Article {next(_seq)}",
        group=group or make_group(),
        body_markdown=body,
        status=status,
        staff_only=staff_only,
        search_keywords=keywords,
        **kwargs,
    )


@pytest.fixture
def seeded_kb(db) -> None:
    seed_kb()
