"""The knowledge base in a real browser (Debian's Chromium through Playwright)."""

import pytest
from django.conf import settings
from django.test import Client

from kb.demo import seed_kb
from kb.models import KBArticle, KBVote
from tests.factories import ManagerFactory, PortalContactFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = "/tmp/kb-shot-{}.png"


def _log_in(page, live_server, user) -> None:
    client = Client()
    client.force_login(user)
    page.context.add_cookies([{
        "name": settings.SESSION_COOKIE_NAME, "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
        "url": live_server.url,
    }])


def _counts(slug: str = "how-to-reset-your-password") -> tuple[int, int, int]:
    article = KBArticle.objects.get(slug=slug)
    return article.helpful_yes, article.helpful_no, article.view_count


def _search_open_and_vote(page, live_server, *, shots: bool) -> KBArticle:
    page.goto(f"{live_server.url}/knowledge-base/")
    if shots:
        page.screenshot(path=SHOTS.format("home"), full_page=True)
    page.fill("#kb-q", "forgot password")
    page.press("#kb-q", "Enter")
    page.wait_for_selector(".kb-hit")
    first = page.locator(".kb-hit h3 a").first
    assert first.inner_text() == "How to reset your password"
    assert page.locator(".kb-hit mark").count() > 0
    if shots:
        page.screenshot(path=SHOTS.format("search"), full_page=True)
    first.click()
    page.wait_for_url("**/knowledge-base/article/how-to-reset-your-password/")
    page.get_by_role("button", name="Yes").click()
    page.wait_for_selector(".kb-thanks")
    assert "Thank you for your feedback!" in page.inner_text("#vote")
    assert page.get_by_role("button", name="Yes").get_attribute("aria-pressed") == "true"
    if shots:
        page.screenshot(path=SHOTS.format("article-voted"), full_page=True)
    page.reload()
    page.wait_for_selector("#vote")
    assert "You found this helpful." in page.inner_text("#vote")
    return KBArticle.objects.get(slug="how-to-reset-your-password")


def test_anonymous_visitor_searches_reads_and_votes_once(page, live_server):
    """An anonymous visitor finds the article by search, votes yes (htmx), and a reload counts nothing twice."""
    seed_kb()
    yes, no, views = _counts()
    _search_open_and_vote(page, live_server, shots=True)
    assert _counts() == (yes + 1, no, views + 1)
    page.get_by_role("button", name="Yes").click()  # voting the same again changes nothing
    page.wait_for_selector(".kb-thanks")
    assert _counts() == (yes + 1, no, views + 1)


def test_customer_changes_their_vote_without_double_counting(page, live_server):
    """A signed-in contact votes yes, then no: the article has one negative vote and no positive one."""
    seed_kb()
    yes, no, views = _counts()
    contact = PortalContactFactory()
    _log_in(page, live_server, contact.user)
    article = _search_open_and_vote(page, live_server, shots=False)
    page.get_by_role("button", name="No").click()
    page.wait_for_selector(".kb-thanks")
    assert _counts() == (yes, no + 1, views + 1)
    assert KBVote.objects.filter(article=article, visitor_key=f"u{contact.user.pk}", helpful=False).exists()
    page.goto(f"{live_server.url}/knowledge-base/article/sla-per-contract/")
    assert "Page not found" in page.content() or "Not Found" in page.content()


def test_vote_works_without_javascript(browser, live_server):
    """With JavaScript off the vote form posts and redirects back with the thank-you message."""
    seed_kb()
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    yes, no, _views = _counts("how-to-track-an-order")
    page.goto(f"{live_server.url}/knowledge-base/article/how-to-track-an-order/")
    page.get_by_role("button", name="No").click()
    page.wait_for_url("**/knowledge-base/article/how-to-track-an-order/#vote")
    assert "Thank you for your feedback!" in page.content()
    context.close()
    assert _counts("how-to-track-an-order")[:2] == (yes, no + 1)


def test_screenshots_of_staff_pages(page, live_server):
    """Staff see staff-only groups and the public link; managers open the metrics page (screenshots in /tmp)."""
    seed_kb()
    _log_in(page, live_server, ManagerFactory(full_name="Mia Manager"))
    page.goto(f"{live_server.url}/knowledge-base/")
    assert "Advanced Guides" in page.content()
    page.screenshot(path=SHOTS.format("staff-home"), full_page=True)
    page.goto(f"{live_server.url}/knowledge-base/article/sla-per-contract/")
    assert page.locator("#kb-public-link").input_value().endswith("/knowledge-base/article/sla-per-contract/")
    page.screenshot(path=SHOTS.format("staff-article"), full_page=True)
    page.goto(f"{live_server.url}/knowledge-base/metrics/")
    assert "Knowledge base metrics" in page.content()
    page.screenshot(path=SHOTS.format("metrics"), full_page=True)
    page.goto(f"{live_server.url}/knowledge-base/suggest/?q=invoice&mode=picker&include_staff=1")
    page.screenshot(path=SHOTS.format("suggest"), full_page=True)
