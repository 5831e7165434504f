from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.utils import timezone

from kb import services
from kb.demo import seed_kb, seed_kb_counts
from kb.demo_content import GROUPS
from kb.models import KBArticle, KBGroup, KBView, KBVote
from tests.kb.conftest import make_article, make_group

pytestmark = pytest.mark.django_db


def test_markdown_is_rendered_and_sanitised():
    """Article Markdown becomes HTML without scripts, event handlers or javascript: links."""
    article = make_article(
        body=(
            "## Steps\n\n1. Open **Invoices**\n2. Click *Download*\n\n"
            "<script>alert('x')</script>\n\n"
            '<img src="x.png" onerror="alert(1)">\n\n'
            "[bad](javascript:alert(1)) [good](https://example.com/a)\n\n"
            "| a | b |\n|---|---|\n| 1 | 2 |\n"
        )
    )
    html = article.body_html
    assert "<h2>Steps</h2>" in html
    assert "<strong>Invoices</strong>" in html
    assert "<table>" in html
    assert "<script" not in html
    assert "onerror" not in html
    assert "javascript:" not in html
    assert 'href="https://example.com/a"' in html
    assert "alert" not in article.body_text
    assert "Steps Open Invoices Click Download" in article.body_text


def test_slug_is_derived_once_and_kept_when_retitled_or_moved():
    """The public link survives a new title and a new group; a clashing title gets a suffix."""
    first = make_article(title="How to track an order")
    assert first.slug == "how-to-track-an-order"
    other_group = make_group()
    services.save_article(article=first, title="Tracking your order", group=other_group, body_markdown="x")
    first.refresh_from_db()
    assert first.slug == "how-to-track-an-order"
    assert first.get_absolute_url() == "/knowledge-base/article/how-to-track-an-order/"
    second = make_article(title="How to track an order")
    assert second.slug == "how-to-track-an-order-2"


def test_published_at_is_set_on_first_publication_only():
    """A draft has no publication date; publishing sets it and later edits keep it."""
    article = make_article(status=KBArticle.Status.DRAFT)
    assert article.published_at is None
    services.save_article(article=article, title=article.title, group=article.group, body_markdown="v2")
    published = article.published_at
    assert published is not None
    services.save_article(article=article, title=article.title, group=article.group, body_markdown="v3")
    assert article.published_at == published


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the search vector is PostgreSQL only")
def test_search_vector_is_stored_with_weights():
    """Saving an article stores a vector with the title at weight A and the body at weight B."""
    article = make_article(title="Invoices explained", body="Download the statement")
    with connection.cursor() as cursor:
        cursor.execute("SELECT search_vector::text FROM kb_kbarticle WHERE id = %s", [article.pk])
        vector = cursor.fetchone()[0]
    assert "'invoic':1A" in vector
    assert "'download':" in vector and "B" in vector.split("'download':")[1].split(" ")[0]


def test_vote_counts_once_per_visitor():
    """The same visitor voting yes twice counts once; another visitor adds one."""
    article = make_article()
    services.record_vote(article=article, visitor_key="aabc", helpful=True)
    services.record_vote(article=article, visitor_key="aabc", helpful=True)
    article.refresh_from_db()
    assert (article.helpful_yes, article.helpful_no) == (1, 0)
    services.record_vote(article=article, visitor_key="u7", helpful=True)
    article.refresh_from_db()
    assert (article.helpful_yes, article.helpful_no) == (2, 0)
    assert KBVote.objects.filter(article=article).count() == 2


def test_changing_a_vote_moves_it_between_counters():
    """Changing yes to no moves the single vote; changing back moves it again; never double counted."""
    article = make_article()
    services.record_vote(article=article, visitor_key="aabc", helpful=True)
    services.record_vote(article=article, visitor_key="aabc", helpful=False)
    article.refresh_from_db()
    assert (article.helpful_yes, article.helpful_no) == (0, 1)
    services.record_vote(article=article, visitor_key="aabc", helpful=True)
    article.refresh_from_db()
    assert (article.helpful_yes, article.helpful_no) == (1, 0)
    assert KBVote.objects.get(article=article).helpful is True


def test_view_is_counted_once_per_visitor_and_day():
    """Reloads on the same day add nothing; the next day, or another visitor, counts again."""
    article = make_article()
    assert services.record_view(article=article, visitor_key="aabc") is True
    assert services.record_view(article=article, visitor_key="aabc") is False
    article.refresh_from_db()
    assert article.view_count == 1
    assert article.last_viewed_at is not None
    assert services.record_view(article=article, visitor_key="u3") is True
    with time_machine.travel(timezone.now() + timedelta(days=1)):
        assert services.record_view(article=article, visitor_key="aabc") is True
    article.refresh_from_db()
    assert article.view_count == 3
    assert KBView.objects.filter(article=article).count() == 3


def test_seed_kb_creates_the_recommended_structure_idempotently():
    """seed_kb creates the guide's six groups (Advanced Guides staff-only) and 25+ articles, once."""
    assert seed_kb_counts() == {"groups": 6, "articles": sum(len(g[4]) for g in GROUPS)}
    assert seed_kb_counts() == {"groups": 0, "articles": 0}
    assert seed_kb() == "29 published articles in 6 groups (0 new)"
    names = list(KBGroup.objects.values_list("name", flat=True))
    assert names == ["Getting Started", "Account & Access", "Billing & Payments", "Orders & Delivery",
                     "Common Errors", "Advanced Guides"]
    assert KBGroup.objects.get(name="Advanced Guides").staff_only is True
    assert KBArticle.objects.filter(status=KBArticle.Status.PUBLISHED).count() >= 25
    for title in ["How to reset your password", "How to download an invoice", "How to track an order",
                  "Return procedure", "Sync issues: data not updating", "SLA per contract"]:
        article = KBArticle.objects.get(title=title)
        assert len(article.body_text) > 600, title
        assert article.body_html.count("<p>") >= 2, title
    reset = KBArticle.objects.get(slug="how-to-reset-your-password")
    assert "why-is-my-account-locked" in set(reset.related.values_list("slug", flat=True))


def test_seed_kb_keeps_counters_on_reseed():
    """Re-seeding neither resets nor adds to the view and vote counters (demo feedback comes once)."""
    seed_kb()
    article = KBArticle.objects.get(slug="how-to-track-an-order")
    services.record_view(article=article, visitor_key="aabc")
    services.record_vote(article=article, visitor_key="aabc", helpful=False)
    article.refresh_from_db()
    before = (article.view_count, article.helpful_yes, article.helpful_no)
    assert before[0] > 1 and before[2] >= 1
    seed_kb()
    article.refresh_from_db()
    assert (article.view_count, article.helpful_yes, article.helpful_no) == before


def test_staff_views_count_only_for_staff_only_articles():
    """Agents opening a public article (to copy its link) do not count as readers; on staff-only articles they do."""
    public = make_article()
    internal = make_article(staff_only=True)
    assert services.record_view(article=public, visitor_key="u1", by_staff=True) is True
    assert services.record_view(article=internal, visitor_key="u1", by_staff=True) is True
    public.refresh_from_db()
    internal.refresh_from_db()
    assert (public.view_count, public.last_viewed_at) == (0, None)
    assert internal.view_count == 1
    assert KBView.objects.filter(by_staff=True).count() == 2
