"""Announcements on the portal dashboard: current, for customers, global or the contact's client; dismissible."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.factories import AnnouncementFactory
from tickets.models import AnnouncementDismissal

pytestmark = pytest.mark.django_db


def titles(response) -> list[str]:
    return [a.title for a in response.context["announcements"]]


def test_dashboard_shows_current_customer_announcements(acme, globex, login):
    """Global and own-client announcements that are current are shown; others are not."""
    now = timezone.now()
    AnnouncementFactory(title="Global maintenance")
    AnnouncementFactory(title="Acme migration", client=acme.client)
    AnnouncementFactory(title="Globex migration", client=globex.client)
    AnnouncementFactory(title="Staff only", for_customers=False, for_staff=True)
    AnnouncementFactory(title="Finished", starts_at=now - timedelta(days=2), ends_at=now - timedelta(minutes=1))
    AnnouncementFactory(title="Future", starts_at=now + timedelta(hours=1))
    AnnouncementFactory(title="Ends later", starts_at=now - timedelta(days=1), ends_at=now + timedelta(days=1))
    response = login(acme.alice).get(reverse("portal:dashboard"))
    assert sorted(titles(response)) == ["Acme migration", "Ends later", "Global maintenance"]
    body = response.content.decode()
    assert "Globex migration" not in body and "Staff only" not in body


def test_dismissed_announcement_stays_hidden_for_that_user_only(acme, login):
    """Dismissing hides an announcement for this user on later visits; colleagues still see it."""
    announcement = AnnouncementFactory(title="Global maintenance")
    client = login(acme.alice)
    response = client.post(reverse("portal:dismiss_announcement", args=[announcement.pk]), HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and response.content == b""
    client.post(reverse("portal:dismiss_announcement", args=[announcement.pk]))  # twice is harmless
    assert AnnouncementDismissal.objects.filter(user=acme.alice.user).count() == 1
    assert titles(client.get(reverse("portal:dashboard"))) == []
    assert titles(login(acme.bob).get(reverse("portal:dashboard"))) == ["Global maintenance"]
