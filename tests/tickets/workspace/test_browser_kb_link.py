"""An agent answers with a knowledge-base link from the reply box's picker (real browser, real
SMTP server on loopback): the customer's email carries the article's public URL."""

import pytest

from kb import services as kb_services
from tests.factories import ContactFactory, DepartmentFactory, StaffFactory
from tickets import services

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_agent_inserts_a_kb_link_and_the_customer_gets_the_public_url(live_server, page, smtp_server, settings):
    settings.SITE_URL = live_server.url
    support = DepartmentFactory(name="Customer Support", email="support@company.com")
    agent = StaffFactory(email="lina@company.com", full_name="Lina Agent", departments=[support])
    contact = ContactFactory(first_name="Ana", email="ana@client.example")
    group = kb_services.save_group(name="Account & Access", order=1)
    article = kb_services.save_article(
        title="How to reset your password", group=group, status="published",
        body_markdown="Open the login page, choose **Forgot password** and follow the emailed link.",
    )
    ticket = services.open_ticket(subject="Forgot my password", body_text="I cannot sign in.",
                                  department=support, contact=contact)

    page.goto(f"{live_server.url}/staff/login/")
    page.fill("#id_username", agent.email)
    page.fill("#id_password", "pw")
    page.click("button[type=submit]")
    page.goto(f"{live_server.url}/staff/tickets/{ticket.pk}/")
    page.fill("#reply-body", "We've identified the solution. Please follow the steps in our article:\n")
    page.fill("#picker-q", "reset password")
    link_button = page.locator("#picker-results [data-insert-link]").first
    link_button.wait_for()
    public_url = link_button.get_attribute("data-insert-link")
    assert public_url == f"{live_server.url}/knowledge-base/article/{article.slug}/"
    page.locator("#reply-body").click()
    page.keyboard.press("End")
    link_button.click()
    assert public_url in page.input_value("#reply-body")
    page.select_option("#reply-status", label="Answered")
    page.click("#reply-send")
    page.wait_for_selector(".flash")

    [email] = smtp_server.wait_for(1)
    assert email["To"] == "ana@client.example"
    assert public_url in email.get_body(("plain",)).get_content()
    # The customer can open that URL without signing in.
    page.context.clear_cookies()
    page.goto(public_url)
    assert page.locator("h1").first.inner_text() == "How to reset your password"
