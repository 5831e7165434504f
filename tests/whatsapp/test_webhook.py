"""The webhook replays captured Cloud API payloads: signatures, storage first, every type, once."""

import json

import pytest

from crm.models import Lead
from tests.factories import ContactFactory
from tests.whatsapp.conftest import PHONE_NUMBER_ID, VERIFY_TOKEN, fixture_body, sign
from whatsapp import services
from whatsapp.models import Conversation, Media, Message, PhoneNumber, WebhookEvent

pytestmark = pytest.mark.django_db

TYPES = {
    "text": ("text", "Does it come in another color?"),
    "location": ("location", "Philz Coffee · 101 Forest Ave, Palo Alto, CA 94301 · 37.483872693672, -122.14861044287"),
    "contacts": ("contacts", "Barbara J. Johnson +1 (650) 555-1234"),
    "interactive_button_reply": ("interactive", "Yes, please"),
    "interactive_list_reply": ("interactive", "Express Shipping — Next Day to 2 Days"),
    "template_button_reply": ("button", "Confirm"),
    "unsupported": ("unsupported", "[unsupported: edit]"),
    "unknown_type": ("order", "[unsupported: order]"),
    "error_message": ("unsupported", "[unsupported: unsupported]"),
}


def test_get_handshake_answers_the_challenge(client, account):
    """Meta's verification GET gets the challenge back as plain text with the right token."""
    response = client.get("/whatsapp/webhook/getdata", {"hub.mode": "subscribe", "hub.challenge": "1158201444",
                                                        "hub.verify_token": VERIFY_TOKEN})
    assert response.status_code == 200
    assert response.content == b"1158201444"


def test_get_handshake_with_a_wrong_token_is_refused(client, account):
    """A wrong verify token gets 403."""
    response = client.get("/whatsapp/webhook/getdata", {"hub.mode": "subscribe", "hub.challenge": "1",
                                                        "hub.verify_token": "nope"})
    assert response.status_code == 403


@pytest.mark.parametrize("signature", [None, "sha256=" + "0" * 64, "forged", sign(b"other body")])
def test_post_without_a_valid_signature_is_refused_and_nothing_stored(post_webhook, account, signature):
    """A missing or forged X-Hub-Signature-256 gets 403 and stores nothing."""
    response = post_webhook(fixture_body("text"), signature=signature)
    assert response.status_code == 403
    assert not WebhookEvent.objects.exists()
    assert not Message.objects.exists()


def test_signature_is_checked_over_the_raw_bytes(post_webhook, account):
    """The same JSON re-serialised differently is a different body: its signature must match its bytes."""
    body = fixture_body("text")
    compact = json.dumps(json.loads(body)).encode()
    assert post_webhook(compact, signature=sign(body)).status_code == 403
    assert post_webhook(compact).status_code == 200


def test_text_message_is_stored_before_it_is_processed(post_webhook, account):
    """The raw event is kept; its message lands in a conversation of the number's department."""
    response = post_webhook(fixture_body("text"))
    assert response.status_code == 200
    event = WebhookEvent.objects.get()
    assert bytes(event.body) == fixture_body("text")
    assert event.state == WebhookEvent.State.DONE
    message = Message.objects.get()
    assert (message.type, message.body, message.direction) == ("text", "Does it come in another color?", "in")
    conversation = message.conversation
    assert conversation.wa_id == "16505551234"
    assert conversation.profile_name == "Sheena Nelson"
    assert conversation.department.name == "General Support"
    assert conversation.unread_count == 1
    assert conversation.last_inbound_at.timestamp() == 1749416384  # Meta's time, not ours
    assert not conversation.window_open()  # the captured message is long past its 24 hours


def test_same_delivery_twice_gives_one_message(post_webhook, account):
    """Meta's retry of the same POST is counted, not processed again."""
    body = fixture_body("text")
    assert post_webhook(body).status_code == 200
    assert post_webhook(body).status_code == 200
    assert Message.objects.count() == 1
    assert WebhookEvent.objects.get().deliveries == 2


def test_same_wamid_in_another_body_is_processed_once(post_webhook, account):
    """The wamid decides: a second, differently serialised delivery adds nothing."""
    body = fixture_body("text")
    post_webhook(body)
    post_webhook(json.dumps(json.loads(body)).encode())
    assert WebhookEvent.objects.count() == 2
    assert Message.objects.count() == 1
    assert Conversation.objects.get().unread_count == 1


@pytest.mark.parametrize("name", list(TYPES))
def test_every_message_type_is_kept_and_described(post_webhook, account, name):
    """Text, location, contacts, interactive and template replies, unsupported and unknown types."""
    post_webhook(fixture_body(name))
    message = Message.objects.get()
    assert (message.type, message.body) == TYPES[name]
    assert message.payload["id"].startswith("wamid.")


def test_unsupported_message_keeps_its_error(post_webhook, account):
    """Meta's errors on an unsupported message are kept for the agent to see."""
    post_webhook(fixture_body("unsupported"))
    message = Message.objects.get()
    assert message.error_code == 131051
    assert "not supported" in message.error_title


@pytest.mark.parametrize("name,mime,filename", [
    ("image", "image/jpeg", ""), ("video", "video/mp4", ""), ("audio", "audio/ogg; codecs=opus", ""),
    ("voice", "audio/ogg; codecs=opus", ""), ("sticker", "image/webp", ""),
    ("document", "application/pdf", "invoice-2291.pdf"),
])
def test_media_is_fetched_with_the_token_and_stored(post_webhook, account, fake_graph, name, mime, filename):
    """The worker looks the media up, downloads it with the bearer token, checks sha256, keeps it."""
    payload = json.loads(fixture_body(name))
    media_id = payload["entry"][0]["changes"][0]["value"]["messages"][0]
    media_id = media_id[media_id["type"]]["id"]
    digest = fake_graph.add_media(media_id, b"\x89PNG fake bytes of " + name.encode(), mime)
    post_webhook(fixture_body(name, SHA_PLACEHOLDER=digest))
    media = Media.objects.get()
    assert media.state == Media.State.STORED, media.error
    assert media.file.read().startswith(b"\x89PNG fake bytes")
    assert media.mime_type == mime
    if filename:
        assert media.filename == filename
    download = [r for r in fake_graph.requests if r[1].startswith("/download/")]
    assert download and download[0][2]["Authorization"].startswith("Bearer ")


def test_media_with_a_wrong_checksum_is_not_kept(post_webhook, account, fake_graph):
    """A file whose sha256 differs from the one Meta announced is refused; the message stays."""
    fake_graph.add_media("1003383421387256", b"bytes", "image/jpeg")
    fake_graph.digests["1003383421387256"] = "0" * 64
    post_webhook(fixture_body("image", SHA_PLACEHOLDER="0" * 64))
    media = Media.objects.get()
    assert media.state == Media.State.FAILED
    assert "sha256" in media.error
    assert not media.file
    assert Message.objects.get().body == "The broken part"


def test_media_too_large_or_of_a_refused_type_is_not_kept(post_webhook, account, fake_graph):
    """Size and type are checked before the download."""
    account.max_media_bytes = 10
    account.save()
    digest = fake_graph.add_media("1003383421387256", b"x" * 100, "image/jpeg")
    post_webhook(fixture_body("image", SHA_PLACEHOLDER=digest))
    media = Media.objects.get()
    assert media.state == Media.State.FAILED
    assert "limit" in media.error
    digest = fake_graph.add_media("1003383421387261", b"MZ", "application/x-msdownload")
    post_webhook(fixture_body("document", SHA_PLACEHOLDER=digest))
    assert "not accepted" in Media.objects.get(media_id="1003383421387261").error


def test_reaction_and_its_removal_show_on_the_target(post_webhook, account):
    """A reaction puts its emoji on the message it reacts to; removing it clears it."""
    payload = json.loads(fixture_body("text"))
    payload["entry"][0]["changes"][0]["value"]["messages"][0]["id"] = (
        "wamid.HBgLMTY1MDU1NTEyMzQVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA1")
    post_webhook(json.dumps(payload).encode())
    post_webhook(fixture_body("reaction"))
    target = Message.objects.get(type="text")
    assert target.reaction == "\U0001F44D"
    post_webhook(fixture_body("reaction_removed"))
    target.refresh_from_db()
    assert target.reaction == ""
    assert Conversation.objects.get().unread_count == 1


def test_number_change_moves_the_conversation(post_webhook, account):
    """A user_changed_number system message re-keys the conversation to the new wa_id."""
    post_webhook(fixture_body("text"))
    post_webhook(fixture_body("system_number_changed"))
    conversation = Conversation.objects.get()
    assert conversation.wa_id == "16505559999"
    assert conversation.messages.count() == 2


def test_statuses_only_move_forward(post_webhook, account):
    """read, then sent and delivered (out of order) leave the message read."""
    conversation = _conversation()
    message = Message.objects.create(conversation=conversation, wamid="wamid.OUTBOUND1", direction="out",
                                     type="text", body="hi", status="accepted")
    post_webhook(fixture_body("statuses_sent_delivered_read"))
    message.refresh_from_db()
    assert message.status == "read"


def test_failed_status_keeps_its_code_and_title(post_webhook, account):
    conversation = _conversation()
    message = Message.objects.create(conversation=conversation, wamid="wamid.OUTBOUND2", direction="out",
                                     type="text", body="hi", status="sent")
    post_webhook(fixture_body("status_failed"))
    message.refresh_from_db()
    assert (message.status, message.error_code) == ("failed", 131026)
    assert message.error_title.startswith("Message undeliverable")


def test_status_before_the_send_returned_is_applied_later(post_webhook, account):
    """A status for a wamid we do not know yet is stored and applied when the message gets it."""
    post_webhook(fixture_body("statuses_sent_delivered_read"))
    conversation = _conversation()
    message = Message.objects.create(conversation=conversation, wamid="wamid.OUTBOUND1", direction="out",
                                     type="text", body="hi", status="accepted")
    services.apply_stored_statuses(message=message)
    assert message.status == "read"


def test_every_entry_change_message_and_status_of_a_batch(post_webhook, account):
    """Two entries, three changes, three messages in two conversations and a status: all handled."""
    conversation = _conversation()
    out = Message.objects.create(conversation=conversation, wamid="wamid.OUTBOUND3", direction="out", type="text",
                                 body="hi", status="accepted")
    post_webhook(fixture_body("batched"))
    assert Message.objects.filter(direction="in").count() == 3
    assert Conversation.objects.count() == 2
    out.refresh_from_db()
    assert out.status == "sent"
    event = WebhookEvent.objects.get()
    assert "3 messages" in event.summary and "message_template_status_update" in event.summary


def test_failed_event_is_kept_and_processed_again(post_webhook, account):
    """A message for a number not configured fails the event, which is kept and reprocessed later."""
    PhoneNumber.objects.all().delete()
    assert post_webhook(fixture_body("text")).status_code == 200
    event = WebhookEvent.objects.get()
    assert event.state == WebhookEvent.State.FAILED
    assert "UnknownNumber" in event.summary
    PhoneNumber.objects.create(account=account, phone_number_id=PHONE_NUMBER_ID, display_number="+1")
    assert services.reprocess_events(event_ids=[event.pk]) == 1
    assert Message.objects.count() == 1


def test_known_contact_is_matched_by_number(post_webhook, account):
    contact = ContactFactory(phone="+16505551234")
    post_webhook(fixture_body("text"))
    assert Conversation.objects.get().contact == contact
    assert not Lead.objects.exists()


def test_auto_lead_creates_one_lead_per_number(post_webhook, account):
    """With auto-lead on, an unknown number gets one Lead, never two."""
    account.auto_lead = True
    account.lead_source = "WhatsApp"
    account.save()
    post_webhook(fixture_body("text"))
    post_webhook(fixture_body("location"))
    lead = Lead.objects.get()
    assert (lead.phone, lead.source, lead.name) == ("+16505551234", "WhatsApp", "Sheena Nelson")
    assert Conversation.objects.get().lead == lead


def test_no_lead_without_the_setting(post_webhook, account):
    post_webhook(fixture_body("text"))
    assert not Lead.objects.exists()


def _conversation() -> Conversation:
    number = PhoneNumber.objects.get()
    conversation, _ = Conversation.objects.get_or_create(phone_number=number, wa_id="16505551234")
    return conversation
