"""Search quality on the seeded articles, on whichever database the run uses (SQLite or PostgreSQL)."""

import pytest
from django.db import connection

from kb import text
from kb.models import KBArticle
from kb.search import SearchHit, search_articles
from tests.kb.conftest import make_article, make_group

pytestmark = pytest.mark.django_db
postgres_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL only")


@pytest.mark.parametrize(
    ("query", "expected_slug"),
    [
        ("forgot password", "how-to-reset-your-password"),
        ("invoice download", "how-to-download-an-invoice"),
        ("where is my order", "how-to-track-an-order"),
        ("I forgot my password and can't log in", "how-to-reset-your-password"),
        ("how do I download my invoices?", "how-to-download-an-invoice"),
        ("tracking number of my delivery", "how-to-track-an-order"),
        ("return goods", "return-procedure"),
        ("invoice overdue", "what-overdue-status-means"),
        ("csv import failed", "import-errors"),
        ("account locked", "why-is-my-account-locked"),
        ("passw", "how-to-reset-your-password"),  # a partial word, as typed
    ],
)
def test_typical_customer_phrasings_rank_the_right_article_first(seeded_kb, query, expected_slug):
    hits = search_articles(query)
    assert hits, query
    assert hits[0].url.endswith(f"/knowledge-base/article/{expected_slug}/"), [h.title for h in hits[:3]]


@pytest.mark.parametrize(
    ("query", "expected_slug"),
    [("pasword reset", "how-to-reset-your-password"), ("pasword", "how-to-reset-your-password"),
     ("invoce", "how-to-download-an-invoice"), ("retrun procedure", "return-procedure")],
)
def test_typos_still_find_the_article(seeded_kb, query, expected_slug):
    """Misspelt words still find the article: through the other words, or by similarity of the title
    (pg_trgm on PostgreSQL, difflib on SQLite)."""
    hits = search_articles(query)
    assert hits and hits[0].url.endswith(f"/knowledge-base/article/{expected_slug}/"), [h.title for h in hits]


def test_hit_carries_absolute_url_group_and_highlighted_snippet(seeded_kb, settings):
    settings.SITE_URL = "https://help.example.com"
    hit = search_articles("download invoice", limit=1)[0]
    assert isinstance(hit, SearchHit)
    assert hit.url == "https://help.example.com/knowledge-base/article/how-to-download-an-invoice/"
    assert hit.path == "/knowledge-base/article/how-to-download-an-invoice/"
    assert hit.group == hit.group_name == "Billing & Payments"
    assert hit.id == hit.article_id == KBArticle.objects.get(slug="how-to-download-an-invoice").pk
    assert "<mark>" in hit.snippet
    assert hit.title_html == "How to <mark>download</mark> an <mark>invoice</mark>"
    assert hit.rank > 0


def test_staff_only_and_drafts_are_left_out_unless_asked(seeded_kb):
    """Staff-only articles appear only with include_staff_only; drafts never appear."""
    assert "SLA per contract" not in [h.title for h in search_articles("SLA per contract")]
    assert search_articles("SLA per contract", include_staff_only=True)[0].title == "SLA per contract"
    make_article(title="Upcoming SLA changes", status=KBArticle.Status.DRAFT, group=make_group(staff_only=True))
    titles = [h.title for h in search_articles("SLA", include_staff_only=True)]
    assert "Upcoming SLA changes" not in titles


def test_snippet_escapes_article_html(db):
    """Text that looks like HTML is escaped in snippets and titles; only <mark> is markup."""
    make_article(
        title="Error <b>E42</b> when saving",
        body="The message `<script>alert(1)</script>` appears with error E42 & then the page stops.",
    )
    hit = search_articles("E42")[0]
    assert "<script>" not in hit.snippet
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in hit.snippet
    assert "&amp;" in hit.snippet
    assert "<mark>E42</mark>" in hit.snippet
    assert hit.title_html == "Error &lt;b&gt;<mark>E42</mark>&lt;/b&gt; when saving"


def test_empty_and_stop_word_queries_return_nothing(seeded_kb):
    assert search_articles("") == []
    assert search_articles("   ") == []
    assert search_articles("how to do it") == []
    assert search_articles("password", limit=0) == []


def test_limit_is_respected(seeded_kb):
    assert len(search_articles("order", limit=2)) == 2


def test_highlight_marks_whole_words_by_stem():
    html = text.highlight("Invoices & invoicing <now>", ["invoice"])
    assert html == "<mark>Invoices</mark> &amp; <mark>invoicing</mark> &lt;now&gt;"


def test_snippet_is_centred_on_the_first_match():
    body = "Intro sentence. " * 30 + "Here the password is reset. " + "Trailing text. " * 30
    snippet = text.snippet(body, ["password"])
    assert snippet.startswith("… ") and snippet.endswith(" …")
    assert "<mark>password</mark>" in snippet
    assert len(snippet) < 260


@postgres_only
def test_typo_only_query_uses_the_trigram_index(seeded_kb):
    """A query of misspelt words only is answered by trigram word similarity on the title."""
    hits = search_articles("pasword")
    assert hits[0].title == "How to reset your password"
    assert 0 < hits[0].rank < 1  # a similarity, not a ts_rank plus phrase bonus
