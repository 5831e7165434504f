"""The agent's WhatsApp inbox: list, badge, conversation page, replies, quick replies, the
24-hour window with templates, and Workflow 5 (ticket from selected messages, linked both ways)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.factories import ContactFactory, DepartmentFactory, StaffFactory
from tests.whatsapp.conftest import fixture_body
from tickets import services as ticket_services
from tickets.models import Ticket, TicketMessage
from whatsapp.models import Conversation, Message, MessageTemplate, PhoneNumber, QuickReply

pytestmark = pytest.mark.django_db


@pytest.fixture
def support(account):
    return PhoneNumber.objects.get().default_department


@pytest.fixture
def agent(support):
    return StaffFactory(email="lina@company.com", full_name="Lina Agent", departments=[support])


@pytest.fixture
def agent_client(client, agent):
    client.force_login(agent)
    return client


def _conversation(support, wa_id="16505551234", name="Sheena Nelson", **kwargs) -> Conversation:
    defaults = {"last_inbound_at": timezone.now(), "department": support}
    defaults.update(kwargs)
    return Conversation.objects.create(phone_number=PhoneNumber.objects.get(), wa_id=wa_id, profile_name=name,
                                       **defaults)


def _inbound(conversation, body, minutes_ago=5) -> Message:
    return Message.objects.create(conversation=conversation, direction="in", type="text", body=body,
                                  status="received", wamid=f"wamid.IN{Message.objects.count() + 1}",
                                  created_at=timezone.now() - timedelta(minutes=minutes_ago))


def test_list_shows_unread_and_filters(agent_client, agent, support):
    """Mine / unassigned / department / closed filters and search by name or number."""
    mine = _conversation(support, "111111111", "Alice", assignee=agent, unread_count=2)
    _conversation(support, "222222222", "Bob")
    _conversation(support, "333333333", "Carol", status="closed")
    other = _conversation(DepartmentFactory(name="Billing"), "444444444", "Dave")
    body = agent_client.get("/staff/whatsapp/").content.decode()
    assert "Alice" in body and "Bob" in body and "Carol" not in body
    assert "Dave" not in body  # another department's conversation
    assert f'data-conversation="{mine.pk}"' in body and 'class="wa-unread"' in body
    assert "Bob" not in agent_client.get("/staff/whatsapp/?view=mine").content.decode()
    assert "Alice" not in agent_client.get("/staff/whatsapp/?view=unassigned").content.decode()
    assert "Carol" in agent_client.get("/staff/whatsapp/?status=closed").content.decode()
    assert "Bob" in agent_client.get("/staff/whatsapp/?q=bo").content.decode()
    found = agent_client.get("/staff/whatsapp/?q=%2B1111").content.decode()
    assert "Alice" in found and "Bob" not in found
    assert other.pk  # visible to managers only


def test_list_pages_by_cursor_in_fixed_queries(agent_client, support, django_assert_max_num_queries):
    for i in range(60):
        _conversation(support, f"4470000{i:04d}", f"Customer {i}", unread_count=1,
                      last_message_at=timezone.now() - timedelta(minutes=i))
    with django_assert_max_num_queries(12):
        first = agent_client.get("/staff/whatsapp/").content.decode()
    assert "Customer 0<" in first.replace(" <small", "<") and "Customer 55" not in first
    cursor = first.split("cursor=")[1].split('"')[0].replace("&amp;", "&")
    second = agent_client.get(f"/staff/whatsapp/?cursor={cursor}", HTTP_HX_REQUEST="true").content.decode()
    assert "Customer 55" in second and "Customer 10<" not in second.replace(" <small", "<")


def test_unread_badge_on_every_workspace_page(agent_client, support):
    _conversation(support, unread_count=3)
    body = agent_client.get("/staff/tickets/").content.decode()
    assert 'id="whatsapp-unread"' in body and ">3</span>" in body


def test_badge_follows_reading_and_new_messages_on_the_next_page(agent_client, support, post_webhook):
    """The top bar's count is cached between pages, yet reading the conversation clears the badge
    and a new customer message brings it back on the very next page."""
    conversation = _conversation(support, unread_count=2)
    assert ">2</span>" in agent_client.get("/staff/tickets/").content.decode()
    agent_client.get(f"/staff/whatsapp/{conversation.pk}/")
    assert 'id="whatsapp-unread"' not in agent_client.get("/staff/tickets/").content.decode()
    assert post_webhook(fixture_body("text")).status_code == 200
    body = agent_client.get("/staff/tickets/").content.decode()
    assert 'id="whatsapp-unread"' in body and ">1</span>" in body


def test_badge_follows_joining_and_leaving_a_department(agent_client, agent, support):
    """Conversations of a department the agent just joined count in the badge on the next page."""
    sales = DepartmentFactory(name="Sales", email="sales@company.com")
    _conversation(sales, wa_id="447700900123", unread_count=4)
    assert 'id="whatsapp-unread"' not in agent_client.get("/staff/tickets/").content.decode()
    agent.departments.add(sales)
    assert ">4</span>" in agent_client.get("/staff/tickets/").content.decode()
    sales.members.remove(agent)
    assert 'id="whatsapp-unread"' not in agent_client.get("/staff/tickets/").content.decode()


def test_conversation_page_marks_read_and_shows_history_and_ticks(agent_client, support, agent):
    conversation = _conversation(support, unread_count=1)
    _inbound(conversation, "My printer is broken")
    Message.objects.create(conversation=conversation, direction="out", type="text", body="On it", status="read",
                           wamid="wamid.OUT1", sent_by=agent)
    Message.objects.create(conversation=conversation, direction="out", type="text", body="Hello?", status="failed",
                           error_code=131026, error_title="Message undeliverable")
    body = agent_client.get(f"/staff/whatsapp/{conversation.pk}/").content.decode()
    assert "My printer is broken" in body and "On it" in body
    assert 'class="wa-tick read"' in body
    assert "Message undeliverable" in body
    assert 'id="wa-window"' in body  # the countdown
    conversation.refresh_from_db()
    assert conversation.unread_count == 0


def test_agent_of_another_department_gets_404(client, support):
    conversation = _conversation(support)
    client.force_login(StaffFactory(departments=[DepartmentFactory(name="Billing")]))
    assert client.get(f"/staff/whatsapp/{conversation.pk}/").status_code == 404


def test_customer_context_when_the_number_is_a_contact(agent_client, support):
    contact = ContactFactory(first_name="Ana", last_name="Pop", phone="+16505551234", client__name="Acme Ltd")
    conversation = _conversation(support, contact=contact)
    body = agent_client.get(f"/staff/whatsapp/{conversation.pk}/").content.decode()
    assert "Ana Pop" in body and "Acme Ltd" in body and "Other open tickets" in body


def test_reply_goes_to_the_graph_api(agent_client, support, fake_graph, django_capture_on_commit_callbacks):
    conversation = _conversation(support)
    with django_capture_on_commit_callbacks(execute=True):
        response = agent_client.post(f"/staff/whatsapp/{conversation.pk}/reply/", {"body": "We are on it"})
    assert response.status_code == 302
    assert fake_graph.sent[0]["text"]["body"] == "We are on it"
    assert Message.objects.get(direction="out").status == "accepted"


def test_outside_the_window_free_text_is_disabled_and_templates_offered(agent_client, support, fake_graph,
                                                                         django_capture_on_commit_callbacks):
    conversation = _conversation(support, last_inbound_at=timezone.now() - timedelta(hours=25))
    MessageTemplate.objects.create(name="follow_up", language="en", status="APPROVED",
                                   components=[{"type": "BODY", "text": "Hi {{1}}, any news?"}])
    body = agent_client.get(f"/staff/whatsapp/{conversation.pk}/").content.decode()
    assert 'id="wa-window-closed"' in body and 'id="reply-body"' not in body
    assert 'data-template="follow_up"' in body
    assert agent_client.post(f"/staff/whatsapp/{conversation.pk}/reply/", {"body": "hi"}).status_code == 400
    template = MessageTemplate.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        agent_client.post(f"/staff/whatsapp/{conversation.pk}/template/",
                          {"template": template.pk, "param": ["Sheena"]})
    assert fake_graph.sent[0]["type"] == "template"
    assert Message.objects.get(direction="out").body == "Hi Sheena, any news?"


def test_slash_keyword_lists_quick_replies_and_use_is_counted(agent_client, support, agent):
    conversation = _conversation(support)
    reply = QuickReply.objects.create(keyword="hours", title="Opening hours",
                                      body="Hi {contact_first_name}, we are open 9-17. {agent_first_name}")
    QuickReply.objects.create(keyword="address", title="Address", body="Main St 1")
    listed = agent_client.get(f"/staff/whatsapp/{conversation.pk}/quick-replies/", {"body": "Hello /ho"})
    assert "/hours" in listed.content.decode() and "/address" not in listed.content.decode()
    url = f"/staff/whatsapp/{conversation.pk}/quick-replies/"
    assert agent_client.get(url, {"body": "no slash"}).content.strip() == b""
    used = agent_client.post(f"/staff/whatsapp/{conversation.pk}/quick-replies/{reply.pk}/use/", {"body": "Hello /ho"})
    text = used.content.decode()
    assert "Hello Hi Sheena, we are open 9-17. Lina" in text and "/ho" not in text
    reply.refresh_from_db()
    assert reply.usage_count == 1


def test_ticket_from_selected_messages_linked_both_ways(agent_client, support, agent, fake_graph,
                                                        django_capture_on_commit_callbacks):
    """Workflow 5: customer preselected, subject, department, priority, description = the selected messages;
    later messages join the open ticket; the agent's reply on the ticket goes out on WhatsApp; closing the
    ticket offers to close the conversation."""
    contact = ContactFactory(first_name="Ana", last_name="Pop", phone="+16505551234")
    conversation = _conversation(support, contact=contact)
    first = _inbound(conversation, "I was charged twice", minutes_ago=10)
    _inbound(conversation, "unrelated hello", minutes_ago=9)
    third = _inbound(conversation, "Invoice INV-7", minutes_ago=8)
    page = agent_client.get(f"/staff/whatsapp/{conversation.pk}/").content.decode()
    assert 'value="Invoice INV-7"' in page  # subject prefilled with the latest customer text
    response = agent_client.post(f"/staff/whatsapp/{conversation.pk}/ticket/", {
        "subject": "Double charge", "department": support.pk, "messages": [first.pk, third.pk]})
    ticket = Ticket.objects.get()
    assert response.url == ticket.get_absolute_url()
    assert (ticket.channel, ticket.contact, ticket.subject) == ("whatsapp", contact, "Double charge")
    description = ticket.messages.order_by("pk").first().body_text
    assert "I was charged twice" in description and "Invoice INV-7" in description
    assert "unrelated" not in description
    conversation.refresh_from_db()
    assert conversation.ticket == ticket
    assert f"/staff/whatsapp/{conversation.pk}/" in ticket.events.filter(kind="note").first().note

    # A later customer message joins the open ticket.
    from whatsapp.payloads import InboundWa
    from whatsapp.services import receive_message

    receive_message(inbound=InboundWa(
        phone_number_id=conversation.phone_number.phone_number_id, wa_id="16505551234", profile_name="Ana",
        wamid="wamid.LATER", type="text", timestamp=timezone.now(), body="Any news?", raw={}))
    assert ticket.messages.filter(kind="customer", body_text="Any news?", channel="whatsapp").exists()

    # The agent's reply on the ticket goes out on WhatsApp.
    with django_capture_on_commit_callbacks(execute=True):
        reply = ticket_services.add_reply(ticket=ticket, body_text="Refund on its way", kind="staff", author=agent)
    assert fake_graph.sent[-1]["text"]["body"] == "Refund on its way"
    reply.refresh_from_db()
    assert reply.delivery_status == "sent"
    assert Message.objects.get(ticket_message=reply).status == "accepted"

    ticket_services.close_ticket(ticket=ticket, actor=agent)
    page = agent_client.get(f"/staff/whatsapp/{conversation.pk}/").content.decode()
    assert 'id="wa-close-offer"' in page
    agent_client.post(f"/staff/whatsapp/{conversation.pk}/status/", {"status": "closed"})
    conversation.refresh_from_db()
    assert conversation.status == "closed"


def test_reply_on_a_ticket_outside_the_window_is_marked_failed(support, agent, django_capture_on_commit_callbacks):
    conversation = _conversation(support, last_inbound_at=timezone.now() - timedelta(days=2))
    ticket = ticket_services.open_ticket(subject="x", body_text="y", department=support, channel="whatsapp")
    conversation.ticket = ticket
    conversation.save()
    with django_capture_on_commit_callbacks(execute=True):
        reply = ticket_services.add_reply(ticket=ticket, body_text="Hello", kind="staff", author=agent)
    reply.refresh_from_db()
    assert reply.delivery_status == "failed" and "24 hours" in reply.delivery_error
    assert not TicketMessage.objects.filter(pk=reply.pk, delivery_status="sent").exists()
