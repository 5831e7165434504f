import pytest
from django.test import Client

from kb.models import KBArticle
from kb.visitors import COOKIE
from tests.factories import ManagerFactory, PortalContactFactory, StaffFactory
from tests.kb.conftest import make_article, make_group

pytestmark = pytest.mark.django_db


@pytest.fixture
def content():
    public = make_group(name="Billing & Payments")
    internal = make_group(name="Advanced Guides", staff_only=True)
    return {
        "public_group": public,
        "internal_group": internal,
        "article": make_article(title="How to download an invoice", group=public, body="Open **Invoices**."),
        "staff_article": make_article(title="Credit limits for resellers", group=public, staff_only=True),
        "draft": make_article(title="New payment portal", group=public, status=KBArticle.Status.DRAFT),
        "internal_article": make_article(title="SLA per contract", group=internal),
    }


def _contact_client() -> Client:
    client = Client()
    client.force_login(PortalContactFactory().user)
    return client


def _staff_client() -> Client:
    client = Client()
    client.force_login(StaffFactory())
    return client


def test_home_lists_public_groups_with_counts(client, content):
    """Anonymous visitors see public groups with the number of articles they can open, not staff-only groups."""
    response = client.get("/knowledge-base/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Billing &amp; Payments" in html
    assert "1 article" in html  # the staff-only article and the draft are not counted
    assert "Advanced Guides" not in html


@pytest.mark.parametrize("who", ["anonymous", "contact"])
@pytest.mark.parametrize("target", ["internal_group", "staff_article", "draft", "internal_article"])
def test_hidden_content_is_404_for_customers(content, who, target):
    """Staff-only groups and articles and drafts answer 404 to anonymous visitors and to contacts."""
    client = Client() if who == "anonymous" else _contact_client()
    obj = content[target]
    assert client.get(obj.get_absolute_url()).status_code == 404
    if target != "internal_group":
        assert client.post(f"{obj.get_absolute_url()}vote/", {"helpful": "yes"}).status_code == 404


def test_group_page_hides_staff_only_and_draft_articles_from_customers(content):
    """A public group's page lists only the articles a contact may open."""
    html = _contact_client().get(content["public_group"].get_absolute_url()).content.decode()
    assert "How to download an invoice" in html
    assert "Credit limits for resellers" not in html
    assert "New payment portal" not in html


@pytest.mark.parametrize("target", ["internal_group", "staff_article", "draft", "internal_article"])
def test_hidden_content_is_visible_to_staff_with_a_badge(content, target):
    """Staff open staff-only content and drafts, marked as such."""
    response = _staff_client().get(content[target].get_absolute_url())
    assert response.status_code == 200
    html = response.content.decode()
    assert ("draft" if target == "draft" else "staff only") in html


def test_staff_see_the_public_link_to_paste(content, settings):
    """The article page shows staff the absolute public URL to paste into replies."""
    settings.SITE_URL = "https://help.example.com"
    html = _staff_client().get(content["article"].get_absolute_url()).content.decode()
    assert 'value="https://help.example.com/knowledge-base/article/how-to-download-an-invoice/"' in html


def test_reloads_do_not_inflate_the_view_count(client, content):
    """An anonymous visitor gets a signed visitor cookie; reloading the article counts one view."""
    article = content["article"]
    first = client.get(article.get_absolute_url())
    assert COOKIE in first.cookies
    client.get(article.get_absolute_url())
    client.get(article.get_absolute_url())
    article.refresh_from_db()
    assert article.view_count == 1
    Client().get(article.get_absolute_url())  # another browser, another visitor
    article.refresh_from_db()
    assert article.view_count == 2


def test_forged_visitor_cookie_is_not_trusted(content):
    """A hand-made cookie value is ignored: the visitor gets a fresh signed id."""
    client = Client()
    client.cookies[COOKIE] = "made-up"
    response = client.get(content["article"].get_absolute_url())
    assert response.cookies[COOKIE].value != "made-up"


def test_vote_without_javascript_redirects_and_counts_once(client, content):
    """A plain form post records the vote and redirects back with a thank-you; repeating it adds nothing."""
    article = content["article"]
    client.get(article.get_absolute_url())
    response = client.post(f"{article.get_absolute_url()}vote/", {"helpful": "yes"}, follow=True)
    assert response.redirect_chain[-1][0] == f"{article.get_absolute_url()}#vote"
    assert "Thank you for your feedback!" in response.content.decode()
    assert "You found this helpful." in response.content.decode()
    client.post(f"{article.get_absolute_url()}vote/", {"helpful": "yes"})
    article.refresh_from_db()
    assert (article.helpful_yes, article.helpful_no) == (1, 0)


def test_vote_with_htmx_returns_the_vote_box(client, content):
    """An htmx vote gets only the vote box back, with the thank-you and the chosen answer pressed."""
    article = content["article"]
    response = client.post(f"{article.get_absolute_url()}vote/", {"helpful": "no"}, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<div id="vote"')
    assert "Thank you for your feedback!" in html
    assert 'value="no" aria-pressed="true"' in html
    article.refresh_from_db()
    assert (article.helpful_yes, article.helpful_no) == (0, 1)


def test_vote_needs_a_csrf_token(content):
    """Votes are POST with CSRF protection."""
    client = Client(enforce_csrf_checks=True)
    response = client.post(f"{content['article'].get_absolute_url()}vote/", {"helpful": "yes"})
    assert response.status_code == 403


def test_vote_rejects_other_answers_and_get(client, content):
    url = f"{content['article'].get_absolute_url()}vote/"
    assert client.post(url, {"helpful": "maybe"}).status_code == 400
    assert client.get(url).status_code == 405


def test_signed_in_votes_follow_the_user_across_browsers(content):
    """A signed-in contact's vote is keyed on the user, so a second browser changes it instead of adding one."""
    contact = PortalContactFactory()
    article = content["article"]
    for helpful in ("yes", "no"):
        browser = Client()
        browser.force_login(contact.user)
        browser.post(f"{article.get_absolute_url()}vote/", {"helpful": helpful})
    article.refresh_from_db()
    assert (article.helpful_yes, article.helpful_no) == (0, 1)


def test_search_page_highlights_matches(client, content):
    html = client.get("/knowledge-base/search/", {"q": "invoice"}).content.decode()
    assert "<mark>invoice</mark>" in html
    assert "How to download an" in html
    assert "Credit limits" not in html


def test_search_page_htmx_returns_results_fragment(client, content):
    response = client.get("/knowledge-base/search/", {"q": "invoice"}, HTTP_HX_REQUEST="true")
    assert response.content.decode().lstrip().startswith('<section id="kb-results"')


def test_suggest_returns_html_and_json(client, content):
    """The suggestion endpoint answers an HTML list for htmx, or JSON with absolute URLs."""
    html = client.get("/knowledge-base/suggest/", {"q": "download invoice"}).content.decode()
    assert 'data-kb-url="http://' in html and "how-to-download-an-invoice" in html
    data = client.get("/knowledge-base/suggest/", {"q": "download invoice", "format": "json"}).json()
    assert data["results"][0]["url"].endswith("/knowledge-base/article/how-to-download-an-invoice/")
    assert data["results"][0]["title"] == "How to download an invoice"


def test_suggest_includes_staff_only_articles_only_for_staff_who_ask(content):
    """include_staff=1 adds staff-only articles for staff; contacts asking for it get public ones only."""
    params = {"q": "sla contract", "include_staff": "1", "format": "json"}
    assert _contact_client().get("/knowledge-base/suggest/", params).json()["results"] == []
    staff_results = _staff_client().get("/knowledge-base/suggest/", params).json()["results"]
    assert [r["title"] for r in staff_results] == ["SLA per contract"]
    assert staff_results[0]["staff_only"] is True
    assert _staff_client().get("/knowledge-base/suggest/", {**params, "include_staff": "0"}).json()["results"] == []


def test_picker_mode_adds_insert_buttons(content):
    html = _staff_client().get("/knowledge-base/suggest/", {"q": "invoice", "mode": "picker"}).content.decode()
    assert 'data-kb-insert="http://' in html


def test_metrics_page_is_for_managers_only(client):
    """Anonymous visitors are sent to the staff login; contacts and agents get 404; managers get the page."""
    assert client.get("/knowledge-base/metrics/").status_code == 302
    assert _contact_client().get("/knowledge-base/metrics/").status_code == 404
    assert _staff_client().get("/knowledge-base/metrics/").status_code == 404
    manager = Client()
    manager.force_login(ManagerFactory())
    response = manager.get("/knowledge-base/metrics/")
    assert response.status_code == 200
    assert "Knowledge base metrics" in response.content.decode()


def test_suggest_accepts_the_subject_field_and_carries_ref(client, content):
    """The portal's subject input can ask directly (?subject=...); ?ref= is carried into the article links."""
    params = {"subject": "download invoice", "ref": "ticket-form"}
    html = client.get("/knowledge-base/suggest/", params).content.decode()
    assert 'href="/knowledge-base/article/how-to-download-an-invoice/?ref=ticket-form"' in html
    html = client.get("/knowledge-base/suggest/", {"subject": "download invoice", "ref": "<x>"}).content.decode()
    assert "?ref=" not in html


def test_article_opened_from_suggestions_is_noted_in_the_session(client, content):
    """Opening an article with ?ref=ticket-form records it in session["kb_opened"] for the deflection count."""
    article = content["article"]
    client.get(article.get_absolute_url(), {"ref": "ticket-form"})
    client.get(article.get_absolute_url(), {"ref": "ticket-form"})
    opened = client.session["kb_opened"]
    assert [(o["article_id"], o["ref"]) for o in opened] == [(article.pk, "ticket-form")]
    client.get(content["draft"].get_absolute_url(), {"ref": "ticket-form"})  # 404: not recorded
    assert len(client.session["kb_opened"]) == 1


def test_home_lists_groups_in_their_order_for_everyone(seeded_kb):
    """Groups appear in the manager's order (not alphabetically), for customers and for staff."""
    expected = ["Getting Started", "Account &amp; Access", "Billing &amp; Payments", "Orders &amp; Delivery",
                "Common Errors"]
    for client in (Client(), _staff_client()):
        html = client.get("/knowledge-base/").content.decode()
        positions = [html.index(f"<h2>{name}") for name in expected]
        assert positions == sorted(positions)
    staff_html = _staff_client().get("/knowledge-base/").content.decode()
    assert staff_html.index("<h2>Common Errors") < staff_html.index("<h2>Advanced Guides")


def test_new_article_button_only_for_those_who_may_open_it(content):
    """An L1 agent sees no "New article" button (its page would be a 403); a superuser does."""
    assert "New article" not in _staff_client().get("/knowledge-base/").content.decode()
    admin = Client()
    admin.force_login(ManagerFactory(is_superuser=True))
    assert "New article" in admin.get("/knowledge-base/").content.decode()
