"""Error pages (403, 404, 500, CSRF failure) are in the product's look with a way back."""

import pytest
from django.test import Client
from django.urls import path

from tests.factories import StaffFactory


def _boom(request):
    raise RuntimeError("boom")


def _forbidden(request):
    from django.core.exceptions import PermissionDenied

    raise PermissionDenied


urlpatterns = [path("boom/", _boom), path("staff/forbidden/", _forbidden)]

pytestmark = pytest.mark.django_db


@pytest.fixture
def prod(settings):
    settings.DEBUG = False


def test_404_has_the_product_look_and_a_way_back(client, prod):
    """A staff 404 links back to the workspace; elsewhere to the start page."""
    client.force_login(StaffFactory())
    body = client.get("/staff/no-such-page/").content.decode()
    assert 'id="error-page"' in body and "app.css" in body and 'href="/staff/"' in body
    assert 'href="/"' in Client().get("/nothing-here/").content.decode()


def test_403_and_500(settings, prod):
    """Forbidden and server errors render our pages, not Django's bare text."""
    settings.ROOT_URLCONF = __name__
    client = Client(raise_request_exception=False)
    r = client.get("/staff/forbidden/")
    assert r.status_code == 403 and "You may not open this page" in r.content.decode()
    r = client.get("/boom/")
    assert r.status_code == 500 and "Something went wrong on our side" in r.content.decode()


def test_csrf_failure_explains_and_links_back(prod):
    """A form posted without its token gets the "form expired" page with a way back."""
    client = Client(enforce_csrf_checks=True)
    r = client.post("/staff/login/", {"username": "a", "password": "b"})
    assert r.status_code == 403 and "This form has expired" in r.content.decode()
    assert 'href="/staff/"' in r.content.decode()
