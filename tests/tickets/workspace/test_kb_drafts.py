""""Create KB article from this ticket": an agent drafts an article prefilled from the public
thread (notes left out), saved as a draft that managers are pointed to for review."""

import pytest
from django.test import Client

from kb.models import KBArticle, KBGroup
from tests.factories import ManagerFactory
from tickets import services

pytestmark = pytest.mark.django_db


@pytest.fixture
def ticket(support, contact, agent):
    ticket = services.open_ticket(subject="Cannot download my invoice", body_text="The PDF link fails.",
                                  department=support, contact=contact)
    services.add_reply(ticket=ticket, body_text="Open Invoices, then the PDF icon.", kind="staff", author=agent)
    services.add_reply(ticket=ticket, body_text="SECRET internal note", kind="note", author=agent)
    return ticket


def test_agent_drafts_an_article_from_the_thread(agent_client, ticket):
    """The form is prefilled from the public thread; saving creates a draft, not a published article."""
    group = KBGroup.objects.create(name="Billing", slug="billing")
    page = agent_client.get(f"/staff/tickets/{ticket.pk}/")
    assert f"/staff/tickets/{ticket.pk}/kb-draft/" in page.content.decode()
    form = agent_client.get(f"/staff/tickets/{ticket.pk}/kb-draft/")
    body = form.context["form"].initial["body"]
    assert "The PDF link fails." in body and "Open Invoices, then the PDF icon." in body
    assert "SECRET" not in body
    r = agent_client.post(f"/staff/tickets/{ticket.pk}/kb-draft/", {
        "title": "How to download an invoice", "group": group.pk, "body": "Open **Invoices**, then the PDF icon."})
    assert r.status_code == 302
    article = KBArticle.objects.get()
    assert article.status == KBArticle.Status.DRAFT and article.group == group
    assert Client().get(f"/knowledge-base/article/{article.slug}/").status_code == 404
    manager = Client()
    manager.force_login(ManagerFactory(is_superuser=True))
    assert "1 draft to review" in manager.get("/knowledge-base/").content.decode()


def test_draft_of_a_ticket_the_agent_cannot_see_is_404(agent_client, technical):
    """The draft page is permission-checked like the ticket page."""
    other = services.open_ticket(subject="Other", body_text="x", department=technical)
    assert agent_client.get(f"/staff/tickets/{other.pk}/kb-draft/").status_code == 404
