"""The Content-Security-Policy (django-csp): every page allows our own scripts and styles only,
and the pages still work under it in Chromium (htmx without eval, no inline handlers)."""

import re

import pytest

from tests.factories import ContactFactory, DepartmentFactory, StaffFactory
from tests.kb.conftest import make_article
from tickets import services

CSP_WORDS = ("Content Security Policy", "Content-Security-Policy", "unsafe-eval", "EvalError", "evalDisallowed")


@pytest.mark.django_db
def test_pages_send_a_policy_without_unsafe_inline_scripts_or_eval(client):
    """Every page's policy allows scripts and styles from our origin only: no inline script,
    no eval; style attributes (database colours) are the one inline allowance."""
    staff = StaffFactory()
    client.force_login(staff)
    for url in ("/staff/login/", "/staff/tickets/", "/authentication/login/"):
        policy = client.get(url)["Content-Security-Policy"]
        directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
        assert directives["script-src"] == "'self'", url
        assert directives["style-src"] == "'self'", url
        assert directives["object-src"] == "'none'" and directives["frame-ancestors"] == "'none'", url


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_workspace_works_under_the_policy_without_violations(live_server, page):
    """Queue, ticket page (presence poll telling we type), new-ticket contact search and a KB
    article's copy button work in Chromium with the policy on, and the browser reports
    no violation."""
    support = DepartmentFactory(name="Customer Support", email="support@company.com")
    agent = StaffFactory(email="csp@company.com", departments=[support])
    contact = ContactFactory(first_name="Ana", last_name="Pop", email="ana@client.example")
    ticket = services.open_ticket(subject="CSP check", body_text="Hello", department=support, contact=contact)
    article = make_article(title="Reset a password")
    problems: list[str] = []
    page.on("console", lambda msg: problems.append(msg.text) if any(w in msg.text for w in CSP_WORDS) else None)
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    presence_posts: list[str] = []
    page.on("request", lambda r: presence_posts.append(r.post_data or "") if r.url.endswith("/presence/") else None)

    page.goto(f"{live_server.url}/staff/login/")
    page.fill("#id_username", agent.email)
    page.fill("#id_password", "pw")
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"/staff/tickets/"))
    assert page.locator("#queue-rows tr.queue-row").count() == 1
    assert page.evaluate("htmx.config.allowEval") is False

    page.goto(f"{live_server.url}/staff/tickets/{ticket.pk}/")
    page.fill("#reply-body", "Typing a reply")
    page.evaluate("htmx.ajax('POST', document.querySelector('#presence').getAttribute('hx-post'),"
                  " {source: '#presence', target: '#presence', swap: 'innerHTML'})")
    page.wait_for_timeout(800)
    assert any("typing=1" in body for body in presence_posts), presence_posts

    page.goto(f"{live_server.url}/staff/tickets/new/")
    with page.expect_response(re.compile(r"/staff/tickets/new/contacts/")):
        page.fill("#customer-q", "Ana")
    page.wait_for_selector("#contact-results :text('Ana')")

    page.goto(f"{live_server.url}{article.get_absolute_url()}")
    page.click("[data-copy-from='#kb-public-link']")
    assert page.inner_text("[data-copy-from='#kb-public-link']") == "Copied"
    assert problems == []
