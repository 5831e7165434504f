"""Replies go out through the Graph API (a fake one on loopback) and Meta's errors are handled
as REFERENCE §1.11 says: retry a rate limit, never retry what cannot succeed or may have gone."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.whatsapp.fake_graph import TOKEN
from whatsapp import connection, message_templates, sending
from whatsapp.models import Account, Conversation, Message, MessageTemplate, PhoneNumber

pytestmark = pytest.mark.django_db


@pytest.fixture
def conversation(account):
    return Conversation.objects.create(phone_number=PhoneNumber.objects.get(), wa_id="16505551234",
                                       profile_name="Sheena Nelson", last_inbound_at=timezone.now())


@pytest.fixture
def run_on_commit(django_capture_on_commit_callbacks):
    def run(fn, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return fn(**kwargs)

    return run


def test_text_reply_reaches_meta_with_the_token(conversation, fake_graph, run_on_commit):
    """The text goes to /{phone_number_id}/messages; Meta's wamid is stored to match statuses."""
    message = run_on_commit(sending.send_text, conversation=conversation, body="Hello Sheena")
    message.refresh_from_db()
    assert message.status == "accepted"
    assert message.wamid == "wamid.FAKE1"
    assert fake_graph.sent == [{"messaging_product": "whatsapp", "recipient_type": "individual",
                                "to": "16505551234", "type": "text",
                                "text": {"preview_url": False, "body": "Hello Sheena"}}]
    post = [r for r in fake_graph.requests if r[0] == "POST"][0]
    assert post[1] == "/v21.0/106540352242922/messages"
    assert post[2]["Authorization"] == f"Bearer {TOKEN}"


def test_free_text_outside_the_window_is_refused(conversation):
    """After 24 hours without a customer message only a template may go."""
    conversation.last_inbound_at = timezone.now() - timedelta(hours=24, minutes=1)
    with pytest.raises(sending.WindowClosed):
        sending.send_text(conversation=conversation, body="Hello")
    assert not Message.objects.exists()


def test_window_closed_error_fails_the_message_once(conversation, fake_graph, run_on_commit):
    """131047 (Meta thinks the window closed): failed, shown, a template offered, not retried."""
    fake_graph.fail_next(131047)
    message = run_on_commit(sending.send_text, conversation=conversation, body="Hello")
    message.refresh_from_db()
    assert (message.status, message.error_code) == ("failed", 131047)
    assert message.can_retry_with_template
    assert len([r for r in fake_graph.requests if r[0] == "POST"]) == 1


def test_undeliverable_is_never_retried(conversation, fake_graph, run_on_commit):
    """131026 (not on WhatsApp, blocked...): failed with Meta's title, one attempt only."""
    fake_graph.fail_next(131026)
    message = run_on_commit(sending.send_text, conversation=conversation, body="Hello")
    message.refresh_from_db()
    assert (message.status, message.error_code) == ("failed", 131026)
    assert "undeliverable" in message.error_title.lower()
    assert message.attempts == 1
    assert fake_graph.sent == []


def test_rate_limit_is_retried_later_and_sent_once(conversation, fake_graph, run_on_commit):
    """130429 puts the message back to pending and the task tries again; one message reaches Meta."""
    from celery.exceptions import Retry

    from whatsapp.tasks import send_message

    fake_graph.fail_next(130429)
    with pytest.raises(Retry):
        run_on_commit(sending.send_text, conversation=conversation, body="Hello")
    message = Message.objects.get()
    assert (message.status, message.error_code) == ("pending", 130429)
    assert message.error_title.startswith("Retrying")
    send_message.apply(args=(message.pk,))  # what the worker runs after the countdown
    message.refresh_from_db()
    assert (message.status, message.error_code) == ("accepted", None)
    assert message.attempts == 2
    assert len(fake_graph.sent) == 1


def test_expired_token_fails_and_tells_the_managers(conversation, fake_graph, run_on_commit):
    """190 (token expired): the message fails and the account shows the token error."""
    fake_graph.fail_next(190)
    message = run_on_commit(sending.send_text, conversation=conversation, body="Hello")
    message.refresh_from_db()
    assert (message.status, message.error_code) == ("failed", 190)
    assert "expired" in Account.objects.get().token_error


def test_a_message_is_never_sent_twice(conversation, fake_graph, run_on_commit):
    """A redelivered task finds the message no longer pending and sends nothing."""
    message = run_on_commit(sending.send_text, conversation=conversation, body="Hello")
    assert sending.deliver(message_id=message.pk).sent is False
    assert len(fake_graph.sent) == 1


def test_attachment_is_uploaded_then_sent(conversation, fake_graph, run_on_commit):
    message = run_on_commit(sending.send_text, conversation=conversation, body="See attached",
                            attachment=("report.pdf", b"%PDF-1.4 report", "application/pdf"))
    message.refresh_from_db()
    assert message.status == "accepted"
    assert b"%PDF-1.4 report" in fake_graph.uploads[0]
    assert fake_graph.sent[0]["type"] == "document"
    assert fake_graph.sent[0]["document"] == {"id": "upload-1", "filename": "report.pdf", "caption": "See attached"}


def test_template_goes_outside_the_window_with_its_variables(conversation, fake_graph, run_on_commit):
    conversation.last_inbound_at = timezone.now() - timedelta(days=3)
    conversation.save()
    template = MessageTemplate.objects.create(
        name="ticket_update", language="en", status="APPROVED", category="UTILITY",
        components=[{"type": "BODY", "text": "Hello {{1}}, your ticket #{{2}} was updated."}])
    message = run_on_commit(sending.send_template, conversation=conversation, template=template,
                            params=["Sheena", "42"])
    message.refresh_from_db()
    assert message.body == "Hello Sheena, your ticket #42 was updated."
    assert message.status == "accepted"
    assert fake_graph.sent[0]["template"] == {
        "name": "ticket_update", "language": {"code": "en"},
        "components": [{"type": "body", "parameters": [{"type": "text", "text": "Sheena"},
                                                       {"type": "text", "text": "42"}]}]}


def test_template_needs_all_its_variables(conversation):
    template = MessageTemplate.objects.create(name="t", language="en", status="APPROVED",
                                              components=[{"type": "BODY", "text": "Hi {{1}} {{2}}"}])
    with pytest.raises(sending.SendError):
        sending.send_template(conversation=conversation, template=template, params=["only one"])


def test_template_sync_follows_paging(account, fake_graph):
    """Every page of message_templates is read; components and variables are stored."""
    fake_graph.templates = [
        {"id": str(i), "name": f"tpl_{i}", "language": "en", "status": "APPROVED" if i % 2 else "PENDING",
         "category": "UTILITY", "components": [{"type": "BODY", "text": "Hi {{1}}, #{{2}}"}]} for i in range(5)]
    assert message_templates.sync_templates() == 5
    assert MessageTemplate.objects.count() == 5
    assert MessageTemplate.objects.get(name="tpl_1").variable_count == 2
    assert len([r for r in fake_graph.requests if r[1].endswith("message_templates")]) == 3


def test_test_connection_says_what_it_found(account, fake_graph):
    ok, text = connection.test_connection(account=account)
    assert ok and "+1 555-078-3881" in text
    fake_graph.fail_next(190)
    ok, text = connection.test_connection(account=account)
    assert not ok and "190" in text
