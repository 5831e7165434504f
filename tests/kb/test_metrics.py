from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from kb import metrics, services
from kb.models import KBArticle
from tests.factories import ManagerFactory, MessageFactory, StaffFactory, TicketFactory
from tests.kb.conftest import make_article, make_group
from tickets.models import TicketMessage

pytestmark = pytest.mark.django_db


def _votes(article: KBArticle, yes: int, no: int) -> None:
    for i in range(yes):
        services.record_vote(article=article, visitor_key=f"ay{i}", helpful=True)
    for i in range(no):
        services.record_vote(article=article, visitor_key=f"an{i}", helpful=False)


def _age(article: KBArticle, *, days: int, viewed_days_ago: int | None = None) -> None:
    """Backdate an article (test set-up only: counters are never written like this in the app)."""
    now = timezone.now()
    last = now - timedelta(days=viewed_days_ago) if viewed_days_ago is not None else None
    KBArticle.objects.filter(pk=article.pk).update(created_at=now - timedelta(days=days), last_viewed_at=last)


def test_negative_articles_need_more_than_20_percent_and_the_minimum_votes(settings):
    """Listed: 2 of 5 negative (40 %). Not listed: 4 of 4 (too few votes), 2 of 10 (exactly 20 %)."""
    settings.KB_NEGATIVE_MIN_VOTES = 5
    bad = make_article(title="Bad")
    few = make_article(title="Few votes")
    borderline = make_article(title="Borderline")
    make_article(title="No votes")
    _votes(bad, yes=3, no=2)
    _votes(few, yes=0, no=4)
    _votes(borderline, yes=8, no=2)
    conf = metrics.kb_settings()
    listed = list(metrics.negative_articles(min_votes=conf["negative_min_votes"], share=conf["negative_share"]))
    assert [a.title for a in listed] == ["Bad"]
    assert listed[0].vote_total == 5


def test_stale_articles_are_old_and_unread_for_30_days():
    """Listed: old and never read, or last read 31 days ago. Not listed: read recently, or new."""
    never = make_article(title="Never read")
    long_ago = make_article(title="Read long ago")
    recent = make_article(title="Read last week")
    new = make_article(title="Brand new")
    draft = make_article(title="Old draft", status=KBArticle.Status.DRAFT)
    _age(never, days=60)
    _age(long_ago, days=90, viewed_days_ago=31)
    _age(recent, days=90, viewed_days_ago=7)
    _age(draft, days=90)
    assert new.last_viewed_at is None
    assert [a.title for a in metrics.stale_articles(days=30)] == ["Never read", "Read long ago"]


def test_most_viewed_orders_by_views():
    a, b = make_article(title="A"), make_article(title="B")
    make_article(title="Unread")
    for i in range(3):
        services.record_view(article=b, visitor_key=f"a{i}")
    services.record_view(article=a, visitor_key="a0")
    assert [x.title for x in metrics.most_viewed()] == ["B", "A"]


def test_topic_matching_needs_every_significant_word_of_a_title_or_phrase():
    group = make_group()
    reset = make_article(title="How to reset your password", group=group, keywords="forgot password, locked out")
    tracking = make_article(title="How to track an order", group=group, keywords="where is my order")
    catalogue = [(a, metrics._signatures(a)) for a in (reset, tracking)]
    assert metrics.match_article("Forgot my password!!", catalogue) == reset
    assert metrics.match_article("Please reset the password of John", catalogue) == reset
    assert metrics.match_article("Where is my order 4711?", catalogue) == tracking
    assert metrics.match_article("Tracking orders", catalogue) == tracking
    assert metrics.match_article("Password policy question", catalogue) is None
    assert metrics.match_article("Order arrived broken", catalogue) is None


def _ticket(subject: str, *, agent, reply: str | None):
    ticket = TicketFactory(subject=subject, assignee=agent)
    if reply is not None:
        MessageFactory(ticket=ticket, kind=TicketMessage.Kind.STAFF, author=agent, body_text=reply)
    return ticket


def test_metrics_page_lists_unlinked_topic_tickets_by_agent(settings):
    """Tickets on a documented topic whose staff replies never linked the article are listed under their agent."""
    group = make_group()
    reset = make_article(title="How to reset your password", group=group, keywords="forgot password")
    make_article(title="Internal SLA table", group=make_group(staff_only=True))
    anna = StaffFactory(full_name="Anna Agent")
    bob = StaffFactory(full_name="Bob Agent")
    missed = _ticket("Forgot password for the portal", agent=anna, reply="Please click Forgot your password.")
    linked = _ticket("I forgot my password", agent=bob,
                     reply=f"Please follow the steps in our article: {settings.SITE_URL}{reset.get_absolute_url()}")
    unanswered = _ticket("Forgot password again", agent=bob, reply=None)
    off_topic = _ticket("Question about pricing", agent=bob, reply="Prices are on the website.")
    old = _ticket("Forgot password last year", agent=bob, reply="Try again")
    TicketFactory._meta.model.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=90))

    client = Client()
    client.force_login(ManagerFactory())
    response = client.get("/knowledge-base/metrics/")
    assert response.status_code == 200
    unlinked = response.context["unlinked"]
    assert [(g.agent, [t.number for t in g.tickets]) for g in unlinked] == [("Anna Agent", [missed.pk])]
    assert unlinked[0].tickets[0].article == reset
    html = response.content.decode()
    assert "Forgot password for the portal" in html
    assert f"/staff/tickets/{missed.pk}/" in html
    for ticket in (linked, unanswered, off_topic, old):
        assert f"/staff/tickets/{ticket.pk}/" not in html


def test_metrics_page_shows_each_report(settings):
    settings.KB_NEGATIVE_MIN_VOTES = 2
    bad = make_article(title="Confusing article")
    _votes(bad, yes=0, no=2)
    stale = make_article(title="Forgotten article")
    _age(stale, days=45)
    popular = make_article(title="Popular article")
    services.record_view(article=popular, visitor_key="a1")
    client = Client()
    client.force_login(ManagerFactory())
    html = client.get("/knowledge-base/metrics/").content.decode()
    negative_section = html.split('id="negative"')[1].split("</section>")[0]
    stale_section = html.split('id="stale"')[1].split("</section>")[0]
    viewed_section = html.split('id="most-viewed"')[1].split("</section>")[0]
    assert "Confusing article" in negative_section and "100 %" in negative_section
    assert "Forgotten article" in stale_section and "never" in stale_section
    assert "Popular article" in viewed_section
    assert "Popular article" not in stale_section


def test_kb_view_count_counts_customer_views_in_the_period():
    """The deflection rate's "KB views": one per visitor, article and day; staff views left out by default."""
    from kb.queries import kb_view_count

    a, b = make_article(), make_article()
    services.record_view(article=a, visitor_key="a1")
    services.record_view(article=a, visitor_key="a1")
    services.record_view(article=b, visitor_key="a1")
    services.record_view(article=a, visitor_key="u9", by_staff=True)
    today = timezone.localdate()
    assert kb_view_count(start=today, end=today) == 2
    assert kb_view_count(start=today, end=today, include_staff=True) == 3
    assert kb_view_count(start=today - timedelta(days=9), end=today - timedelta(days=1)) == 0


@pytest.mark.parametrize(
    ("subject", "slug"),
    [
        ("Where is my order?", "how-to-track-an-order"),
        ("Password reset email never arrives", "how-to-reset-your-password"),
        ("Cannot log in to the client portal", "how-to-reset-your-password"),
        ("Request for a copy of invoice", "how-to-download-an-invoice"),
        ("Delivered goods are damaged", "damaged-or-incomplete-delivery"),
        ("Wrong quantity delivered", "damaged-or-incomplete-delivery"),
        ("Request to return an item", "return-procedure"),
        ("Sync between warehouse and portal stopped", "sync-issues"),
        ("Please add a new user for our accountant", "adding-new-users"),
        ("Training session for new staff", None),
        ("Error 500 when exporting the monthly report", None),
        ("API returns 429 too many requests", None),
        ("I forgot my password", "how-to-reset-your-password"),
    ],
)
def test_demo_ticket_subjects_match_the_demo_articles(seeded_kb, subject, slug):
    """The seeded tickets on documented topics are recognised (and the others are not)."""
    catalogue = [(a, metrics._signatures(a)) for a in metrics.public_articles()]
    match = metrics.match_article(subject, catalogue)
    assert (match.slug if match else None) == slug
