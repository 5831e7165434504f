"""The ticket page: conversation, customer panel, replying, notes, escalation, tasks, presence,
attachments and access."""

from datetime import date, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from crm.models import Activity, Contract, DeliveryNote, Invoice, Opportunity, Order
from tests.factories import ClientFactory, ContactFactory, MessageFactory, StaffFactory, TicketFactory, status
from tickets import services
from tickets.models import PredefinedReply, Task, TicketMessage
from tickets.workspace import presence

pytestmark = pytest.mark.django_db


@pytest.fixture
def ticket(support, contact):
    with_msg = services.open_ticket(subject="Cannot log in", body_text="I cannot log in since Monday.",
                                    department=support, contact=contact, message_id="<cust-1@client.example>")
    return with_msg


def test_conversation_oldest_first_with_kinds_and_sanitised_html(agent_client, ticket, agent):
    """Messages show oldest first, each kind with its own class; HTML is sanitised again on render."""
    MessageFactory(ticket=ticket, kind=TicketMessage.Kind.NOTE, body_text="Checked the logs",
                   created_at=timezone.now() + timedelta(minutes=1))
    MessageFactory(ticket=ticket, kind=TicketMessage.Kind.STAFF, body_text="",
                   body_html='<p>Hi <script>alert(1)</script><a href="javascript:x">x</a></p>',
                   created_at=timezone.now() + timedelta(minutes=2))
    body = agent_client.get(f"/staff/tickets/{ticket.pk}/").content.decode()
    first, note, staff = (body.index("I cannot log in"), body.index("Checked the logs"), body.index("<p>Hi"))
    assert first < note < staff
    assert 'class="msg note"' in body and 'class="msg staff"' in body and 'class="msg customer"' in body
    assert "<script>alert" not in body and "javascript:x" not in body


def test_quoted_history_is_collapsed(agent_client, ticket):
    """A quoted tail ('On … wrote:') sits in a closed <details>."""
    MessageFactory(ticket=ticket, body_text="Still broken.\n\nOn Mon, 1 Jan 2026, Support wrote:\n> try again")
    body = agent_client.get(f"/staff/tickets/{ticket.pk}/").content.decode()
    assert '<details class="quoted"><summary>' in body
    assert body.index("Still broken.") < body.index("<details class=\"quoted\">") < body.index("&gt; try again")


def test_quoted_history_is_found_as_the_intake_finds_it(agent_client, ticket):
    """The page folds what the intake cuts (one splitter): a German "schrieb" line and an Outlook
    header block; a "From:" line in the text itself is no history."""
    MessageFactory(ticket=ticket, body_text="Geht wieder.\n\nAm Mo., 1. Jan. 2026 schrieb Support:\n> Neustart")
    MessageFactory(ticket=ticket, body_text="See below.\n\nFrom: Support <s@company.com>\nSent: Monday\n"
                                            "To: me\nSubject: Printer\n\nTry again")
    MessageFactory(ticket=ticket, body_text="Lines like\nFrom: the printer log\nare part of my message.")
    body = agent_client.get(f"/staff/tickets/{ticket.pk}/").content.decode()
    assert body.count('<details class="quoted"><summary>') == 2
    assert body.index("Geht wieder.") < body.index("Am Mo., 1. Jan. 2026 schrieb") < body.index("See below.")
    assert body.index("See below.") < body.index("Try again") < body.index("Lines like")
    assert body.index("<details", body.index("See below.")) < body.index("From: Support")
    assert "From: the printer log" in body


def test_customer_panel_shows_the_clients_context(agent_client, support):
    """The panel lists other open tickets, invoices (overdue flagged), orders with AWB, contracts,
    opportunities and activity, and links to the client file."""
    acme = ClientFactory(name="Acme Corp")
    contact = ContactFactory(client=acme)
    ticket = TicketFactory(department=support, contact=contact, client=acme)
    other = TicketFactory(department=support, contact=contact, client=acme, subject="Second problem")
    today = date.today()
    Invoice.objects.create(client=acme, number="INV-OLD", amount=100, issued_on=today - timedelta(days=60),
                           due_on=today - timedelta(days=30))
    order = Order.objects.create(client=acme, number="ORD-1", summary="Toner")
    DeliveryNote.objects.create(order=order, awb_number="AWB123", carrier="DHL", tracking_url="https://track.example/AWB123")
    Contract.objects.create(client=acme, subject="Support 2026", start_on=today - timedelta(days=10), sla_tier="pro")
    Opportunity.objects.create(client=acme, name="Upgrade to Enterprise")
    Activity.objects.create(client=acme, kind="call", description="Called about toner")
    body = agent_client.get(f"/staff/tickets/{ticket.pk}/").content.decode()
    for text in ("Second problem", f"#{other.pk}", "INV-OLD", "Overdue", "AWB123", "https://track.example/AWB123",
                 "Support 2026", "Upgrade to Enterprise", "Called about toner", f"/staff/clients/{acme.pk}/"):
        assert text in body, text


def test_public_reply_emails_the_customer_and_sets_status(agent_client, ticket, agent, mailoutbox,
                                                         django_capture_on_commit_callbacks):
    """A reply is emailed with the subject token, threading headers, signature and attachment."""
    agent.staff_profile.signature = "Lina, Customer Support"
    agent.staff_profile.save()
    upload = SimpleUploadedFile("steps.txt", b"1. reset\n2. log in\n", content_type="text/plain")
    with django_capture_on_commit_callbacks(execute=True):
        r = agent_client.post(f"/staff/tickets/{ticket.pk}/reply/",
                              {"body": "Please reset your password.", "status_after": "on-hold",
                               "attachments": [upload]})
    assert r.status_code == 302
    ticket.refresh_from_db()
    assert ticket.status.slug == "on-hold" and ticket.first_response_at is not None
    assert len(mailoutbox) == 1
    mail = mailoutbox[0]
    assert mail.subject == f"[Ticket ID: {ticket.pk}] Cannot log in"
    assert mail.extra_headers["In-Reply-To"] == "<cust-1@client.example>"
    assert "Lina, Customer Support" in mail.body
    assert mail.attachments[0][0] == "steps.txt"


def test_internal_note_sends_nothing(agent_client, ticket, mailoutbox, django_capture_on_commit_callbacks):
    """An internal note is stored as a note, emails nobody and leaves the status alone."""
    with django_capture_on_commit_callbacks(execute=True):
        agent_client.post(f"/staff/tickets/{ticket.pk}/reply/",
                          {"body": "Customer is on the old plan", "internal": "1", "status_after": "answered"})
    assert mailoutbox == []
    assert ticket.messages.filter(kind="note", body_text="Customer is on the old plan").exists()
    ticket.refresh_from_db()
    assert ticket.status.slug == "new"


def test_rejected_attachment_keeps_the_text(agent_client, ticket, mailoutbox):
    """A file of a forbidden type is refused with a clear message; the typed text stays in the form."""
    bad = SimpleUploadedFile("virus.exe", b"MZ", content_type="application/octet-stream")
    r = agent_client.post(f"/staff/tickets/{ticket.pk}/reply/", {"body": "My long answer", "attachments": [bad]})
    assert r.status_code == 400
    body = r.content.decode()
    assert "virus.exe: files of type .exe are not allowed" in body and "My long answer" in body
    assert ticket.messages.count() == 1 and mailoutbox == []


def test_predefined_reply_fills_merge_fields_and_counts_use(agent_client, ticket, agent):
    """The picker returns the text personalised for the ticket and agent; sending counts one use."""
    reply = PredefinedReply.objects.create(title="Receipt", body="Hi {contact_first_name}, {agent_name} here "
                                           "about #{ticket_number}. {unknown} {agent_name.__class__}")
    r = agent_client.get(f"/staff/tickets/{ticket.pk}/predefined/{reply.pk}/")
    text = r.json()["text"]
    assert text == f"Hi Ana, Lina Agent here about #{ticket.pk}. {{unknown}} {{agent_name.__class__}}"
    page = agent_client.get(f"/staff/tickets/{ticket.pk}/?use_reply={reply.pk}").content.decode()
    assert "Hi Ana, Lina Agent here" in page
    agent_client.post(f"/staff/tickets/{ticket.pk}/reply/", {"body": text, "predefined_reply": reply.pk})
    reply.refresh_from_db()
    assert reply.usage_count == 1
    # The reply remembers where it started (the reports' "predefined reply usage").
    assert ticket.messages.filter(kind="staff", predefined_reply=reply).count() == 1


def test_picker_search_finds_replies_without_kb(agent_client, ticket):
    """The picker searches predefined replies (and the KB when it is installed)."""
    PredefinedReply.objects.create(title="Password reset steps", body="Go to …")
    r = agent_client.get(f"/staff/tickets/{ticket.pk}/pickers/?q=password")
    assert "Password reset steps" in r.content.decode()


def test_escalation_moves_the_ticket_out_of_the_agents_queue(agent_client, ticket, technical, tech_agent,
                                                            mailoutbox, django_capture_on_commit_callbacks):
    """Escalating to another department needs a note, notifies that department and leaves the queue;
    the agent keeps read access as a follower (agent guide, Workflow 3: keep the customer informed)."""
    r = agent_client.post(f"/staff/tickets/{ticket.pk}/escalate/", {"department": technical.pk, "note": ""})
    assert r.status_code == 400 and "Write an internal note" in r.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        r = agent_client.post(f"/staff/tickets/{ticket.pk}/escalate/",
                              {"department": technical.pk, "note": "Login fails with error 500 in the logs."})
    assert r.status_code == 302 and r["Location"] == "/staff/tickets/"
    ticket.refresh_from_db()
    assert ticket.department == technical
    assert ticket.messages.filter(kind="note", body_text__startswith="Login fails").exists()
    assert [m.to for m in mailoutbox] == [[tech_agent.email]]
    assert "error 500" in mailoutbox[0].body
    page = agent_client.get(f"/staff/tickets/{ticket.pk}/")
    assert page.status_code == 200 and page.context["is_follower"] and not page.context["is_member"]
    queue = agent_client.get("/staff/tickets/?view=all")
    assert ticket.pk not in [t.pk for t in queue.context["page"].rows]


def test_task_from_ticket_is_linked_both_ways(agent_client, ticket, technical):
    """A task created on the ticket belongs to it and shows on the page."""
    data = {"title": "Check the SSO server", "department": technical.pk}
    agent_client.post(f"/staff/tickets/{ticket.pk}/task/", data)
    task = Task.objects.get()
    assert task.ticket == ticket and task.department == technical
    assert "Check the SSO server" in agent_client.get(f"/staff/tickets/{ticket.pk}/").content.decode()


def test_properties_change_through_services(agent_client, ticket, agent):
    """The side form changes status and assignee and records events."""
    from tests.factories import priority

    agent_client.post(f"/staff/tickets/{ticket.pk}/properties/", {
        "status": status("in-progress").pk, "priority": priority("High").pk, "service": "", "assignee": agent.pk})
    ticket.refresh_from_db()
    assert ticket.status.slug == "in-progress" and ticket.assignee == agent and ticket.priority_level == 3
    history = agent_client.get(f"/staff/tickets/{ticket.pk}/?tab=history").content.decode()
    assert "Assignee changed" in history and "Status changed" in history


def test_presence_shows_viewers_and_typists(client, ticket, agent, support):
    """Another agent on the same ticket is shown, and marked as writing while they type."""
    colleague = StaffFactory(full_name="Carl Colleague", departments=[support])
    client.force_login(colleague)
    client.post(f"/staff/tickets/{ticket.pk}/presence/", {"typing": "1"})
    client.force_login(agent)
    r = client.post(f"/staff/tickets/{ticket.pk}/presence/", {"typing": "0"})
    assert "Carl Colleague is writing a reply" in r.content.decode()
    presence.touch(ticket_id=ticket.pk, user_id=colleague.pk, name="Carl Colleague", leaving=True)
    r = client.post(f"/staff/tickets/{ticket.pk}/presence/")
    assert "Carl" not in r.content.decode()


def test_attachment_download_is_permission_checked(client, agent, tech_agent, ticket, technical):
    """Only staff who may see the ticket can download its attachments."""
    services.add_reply(ticket=ticket, body_text="see file", kind="customer",
                       attachments=[services.NewAttachment(name="log.txt", content=b"secret log")])
    attachment = ticket.messages.last().attachments.get()
    client.force_login(agent)
    r = client.get(f"/staff/attachments/{attachment.pk}/")
    assert r.status_code == 200 and b"".join(r.streaming_content) == b"secret log"
    assert "attachment" in r["Content-Disposition"]
    client.force_login(tech_agent)
    assert client.get(f"/staff/attachments/{attachment.pk}/").status_code == 404
    client.logout()
    assert client.get(f"/staff/attachments/{attachment.pk}/").status_code == 302


@pytest.mark.parametrize("name,content_type,inline", [
    ("logo.svg", "image/svg+xml", False), ("page.html", "text/html", False), ("photo.png", "image/png", True),
])
def test_only_raster_images_show_inline(client, agent, ticket, name, content_type, inline):
    """?inline=1 shows PNG/JPEG/GIF/WebP inline; SVG and HTML always download, sandboxed."""
    services.add_reply(ticket=ticket, body_text="file", kind="customer", enforce_attachment_policy=False,
                       attachments=[services.NewAttachment(name=name, content=b"<svg onload=alert(1)>",
                                                           content_type=content_type)])
    attachment = ticket.messages.last().attachments.get()
    client.force_login(agent)
    r = client.get(f"/staff/attachments/{attachment.pk}/?inline=1")
    assert r["Content-Disposition"].startswith("inline;" if inline else "attachment;")
    assert r["Content-Security-Policy"] == "default-src 'none'; sandbox"


@pytest.mark.parametrize("method,path,data", [
    ("get", "/staff/tickets/{n}/", None),
    ("get", "/staff/tickets/{n}/?tab=history", None),
    ("post", "/staff/tickets/{n}/reply/", {"body": "x"}),
    ("post", "/staff/tickets/{n}/escalate/", {"priority": 1, "note": "long enough note here"}),
    ("post", "/staff/tickets/{n}/task/", {"title": "x"}),
    ("post", "/staff/tickets/{n}/properties/", {"status": 1, "priority": 1}),
    ("get", "/staff/tickets/{n}/pickers/?q=ab", None),
    ("post", "/staff/tickets/{n}/presence/", {}),
    ("get", "/staff/tickets/{n}/step/next/", None),
    ("get", "/staff/tickets/{n}/predefined/1/", None),
])
def test_other_departments_ticket_is_404_everywhere(client, tech_agent, ticket, method, path, data):
    """Every ticket view and partial refuses an agent outside the ticket's departments."""
    client.force_login(tech_agent)
    r = getattr(client, method)(path.format(n=ticket.pk), data or {}, HTTP_HX_REQUEST="true")
    assert r.status_code == 404
    assert ticket.messages.count() == 1


def test_merged_ticket_redirects_to_its_target(agent_client, support):
    """Opening a ticket that was merged goes to the ticket it was merged into."""
    target, source = TicketFactory(department=support), TicketFactory(department=support)
    services.merge_tickets(target=target, sources=[source])
    r = agent_client.get(f"/staff/tickets/{source.pk}/")
    assert r.status_code == 302 and r["Location"] == f"/staff/tickets/{target.pk}/"


def test_picker_offers_kb_links_when_the_kb_search_exists(agent_client, ticket, monkeypatch):
    """With kb.search available the picker lists articles with their public link."""
    import sys
    import types
    from dataclasses import dataclass

    @dataclass
    class Hit:
        title: str
        url: str
        snippet: str

    fake = types.ModuleType("kb.search")
    fake.search_articles = lambda q, *, include_staff_only=False, limit=10: [
        Hit("Reset your password", "http://testserver/knowledge-base/reset/", "Steps <b>to</b> reset")]
    monkeypatch.setitem(sys.modules, "kb.search", fake)
    body = agent_client.get(f"/staff/tickets/{ticket.pk}/pickers/?q=reset").content.decode()
    assert 'data-insert-link="http://testserver/knowledge-base/reset/"' in body and "Reset your password" in body


def test_escalation_notice_skips_the_escalating_agent(
    ticket, agent, support, mailoutbox, django_capture_on_commit_callbacks
):
    """The department's staff are told (in the workspace and by email), except whoever escalated."""
    from tickets.models import Notification

    colleague = StaffFactory(email="col@company.com", departments=[support])
    with django_capture_on_commit_callbacks(execute=True):
        services.escalate(ticket=ticket, actor=agent, note="Needs a second pair of eyes.", assignee=colleague)
    escalation_notes = Notification.objects.filter(ticket=ticket, kind="escalated")
    assert set(escalation_notes.values_list("recipient__email", flat=True)) == {"col@company.com"}
    escalation_mail = [m for m in mailoutbox if "escalated" in m.subject.lower()]
    assert [m.to for m in escalation_mail] == [["col@company.com"]]


def test_step_goes_to_the_neighbours_in_the_agents_queue(agent_client, support):
    """j/k (the step links) follow the order of the queue the agent last looked at."""
    now = timezone.now()
    older = TicketFactory(department=support, created_at=now - timedelta(hours=2))
    newer = TicketFactory(department=support, created_at=now - timedelta(hours=1))
    agent_client.get("/staff/tickets/?status=new")
    r = agent_client.get(f"/staff/tickets/{older.pk}/step/next/")
    assert r["Location"] == f"/staff/tickets/{newer.pk}/"
    r = agent_client.get(f"/staff/tickets/{newer.pk}/step/prev/")
    assert r["Location"] == f"/staff/tickets/{older.pk}/"
    r = agent_client.get(f"/staff/tickets/{newer.pk}/step/next/")
    assert r["Location"] == "/staff/tickets/?status=new"


def test_picker_finds_real_kb_articles_with_public_links(agent_client, ticket):
    """With the kb app installed, the picker offers published public articles (not staff-only ones)."""
    from tests.kb.conftest import make_article

    make_article(title="Reset your portal password", body="Open the login page and click reset.")
    make_article(title="Password rotation for staff", body="Internal password procedure.", staff_only=True)
    body = agent_client.get(f"/staff/tickets/{ticket.pk}/pickers/?q=password").content.decode()
    assert "Reset your portal password" in body and 'data-insert-link="http' in body
    assert "Password rotation for staff" not in body
