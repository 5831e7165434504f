import pytest
from django.test import Client

from kb.models import KBArticle, KBGroup
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client_() -> Client:
    client = Client()
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


def test_admin_saves_go_through_the_services(admin_client_):
    """Groups and articles added in the admin get a slug, rendered sanitised HTML and plain text."""
    response = admin_client_.post(
        "/admin/kb/kbgroup/add/", {"name": "Billing & Payments", "slug": "", "order": 3, "description": ""}
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    group = KBGroup.objects.get()
    assert group.slug == "billing-payments"
    response = admin_client_.post(
        "/admin/kb/kbarticle/add/",
        {"title": "How to pay", "slug": "", "group": group.pk, "status": "published", "search_keywords": "pay",
         "body_markdown": "Use **transfer**.<script>x()</script>"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    article = KBArticle.objects.get()
    assert article.slug == "how-to-pay"
    assert article.body_html == "<p>Use <strong>transfer</strong>.</p>"
    assert article.body_text == "Use transfer."
    assert article.published_at is not None


def test_admin_lists_render(admin_client_):
    assert admin_client_.get("/admin/kb/kbgroup/").status_code == 200
    assert admin_client_.get("/admin/kb/kbarticle/").status_code == 200


def test_reserved_group_slugs_are_refused(admin_client_):
    """A group cannot take the slug of a fixed KB page such as /knowledge-base/search/."""
    response = admin_client_.post("/admin/kb/kbgroup/add/", {"name": "Search", "slug": "search", "order": 1})
    assert response.status_code == 200
    assert "reserved" in response.content.decode()
    assert not KBGroup.objects.exists()
