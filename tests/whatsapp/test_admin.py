"""The manager's WhatsApp configuration: secrets encrypted at rest and never shown back; failed
webhook events processed again from the admin; the inbox page stays in fixed queries."""

import pytest
from django.db import connection
from django.utils import timezone

from tests.factories import ManagerFactory, StaffFactory
from tests.whatsapp.conftest import APP_SECRET, fixture_body
from whatsapp.models import Account, Conversation, Media, Message, PhoneNumber, WebhookEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager_client(client):
    client.force_login(ManagerFactory(is_superuser=True))
    return client


def test_secrets_are_encrypted_and_never_rendered(manager_client, account):
    with connection.cursor() as cursor:
        cursor.execute("SELECT app_secret, access_token FROM whatsapp_account WHERE id = %s", [account.pk])
        stored = cursor.fetchone()
    assert APP_SECRET not in stored[0] and stored[1] and "EAAG" not in stored[1]
    page = manager_client.get(f"/admin/whatsapp/account/{account.pk}/change/").content.decode()
    assert APP_SECRET not in page and account.access_token not in page and "verify-me" not in page


def test_saving_without_secrets_keeps_them(manager_client, account):
    data = {"name": "WhatsApp", "business_id": "1", "waba_id": account.waba_id, "app_id": "1234",
            "app_secret": "", "access_token": "", "verify_token": "", "graph_base_url": account.graph_base_url,
            "graph_version": "v21.0", "lead_status": "new", "lead_source": "WhatsApp", "max_media_bytes": 1000,
            "numbers-TOTAL_FORMS": "0", "numbers-INITIAL_FORMS": "0", "numbers-MIN_NUM_FORMS": "0",
            "numbers-MAX_NUM_FORMS": "1000"}
    response = manager_client.post(f"/admin/whatsapp/account/{account.pk}/change/", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    account.refresh_from_db()
    assert account.app_secret == APP_SECRET


def test_failed_event_processed_again_from_the_admin(manager_client, account, post_webhook):
    PhoneNumber.objects.all().delete()
    post_webhook(fixture_body("text"))
    event = WebhookEvent.objects.get()
    assert event.state == "failed"
    PhoneNumber.objects.create(account=account, phone_number_id="106540352242922", display_number="+1")
    manager_client.post("/admin/whatsapp/webhookevent/", {"action": "process_again", "_selected_action": [event.pk]})
    event.refresh_from_db()
    assert event.state == "done"
    assert Message.objects.count() == 1


def test_conversation_page_in_fixed_queries(client, account, django_assert_max_num_queries):
    number = PhoneNumber.objects.get()
    agent = StaffFactory(departments=[number.default_department])
    client.force_login(agent)
    conversation = Conversation.objects.create(phone_number=number, wa_id="1", department=number.default_department,
                                               last_inbound_at=timezone.now())
    for i in range(60):
        m = Message.objects.create(conversation=conversation, direction="in" if i % 2 else "out", type="image",
                                   body=f"m{i}", status="read", wamid=f"w{i}", sent_by=agent if i % 2 == 0 else None)
        Media.objects.create(message=m, media_id=str(i), mime_type="image/jpeg", state="failed", error="x")
    with django_assert_max_num_queries(30):
        assert client.get(f"/staff/whatsapp/{conversation.pk}/").status_code == 200
    assert Account.objects.exists()
