"""Behaviour of every ticket service: timestamps, events, validation, reopening, merging, SLA."""

import hashlib
from collections import defaultdict
from datetime import timedelta

import pytest
from django.utils import timezone

from tests.factories import (
    ContactFactory,
    DepartmentFactory,
    ServiceFactory,
    StaffFactory,
    UserFactory,
    priority,
    status,
)
from tickets import hooks, services
from tickets.exceptions import (
    AttachmentRejected,
    CustomFieldError,
    EscalationNoteRequired,
    InvalidMerge,
    StatusInUse,
    TicketError,
)
from tickets.models import (
    Attachment,
    CustomField,
    CustomFieldValue,
    PredefinedReply,
    Task,
    Ticket,
    TicketEvent,
    TicketMessage,
    TicketStatus,
)
from tickets.models.core import Channel

pytestmark = pytest.mark.django_db

STAFF = TicketMessage.Kind.STAFF
CUSTOMER = TicketMessage.Kind.CUSTOMER
NOTE = TicketMessage.Kind.NOTE
SYSTEM = TicketMessage.Kind.SYSTEM


@pytest.fixture
def dept():
    return DepartmentFactory(name="General Support", email="support@company.com")


@pytest.fixture
def tech():
    return DepartmentFactory(name="Technical Support", email="tech@company.com")


@pytest.fixture
def agent(dept):
    return StaffFactory(full_name="Ana Lungu", departments=[dept])


@pytest.fixture
def contact():
    return ContactFactory(first_name="John", last_name="Carter", email="john@acme.example")


@pytest.fixture
def ticket(dept, contact):
    return services.open_ticket(subject="Cannot log in", body_text="Help me", department=dept, contact=contact)


@pytest.fixture
def heard(monkeypatch):
    """Capture the lifecycle hooks the services emit (after commit)."""
    monkeypatch.setattr(hooks, "_listeners", defaultdict(list))
    calls: list[tuple[str, dict]] = []

    def listener(event: str, **payload: object) -> None:
        calls.append((event, payload))

    for name in ("ticket_created", "staff_replied", "customer_replied", "note_added", "status_changed",
                 "closed", "assigned", "escalated", "priority_changed", "system_message", "merged"):
        hooks.subscribe(name, listener)
    return calls


def events(ticket: Ticket, kind: str | None = None) -> list[TicketEvent]:
    qs = TicketEvent.objects.filter(ticket=ticket).order_by("created_at", "id")
    return list(qs.filter(kind=kind) if kind else qs)


def reload(ticket: Ticket) -> Ticket:
    return Ticket.objects.get(pk=ticket.pk)


# --- open_ticket ---------------------------------------------------------------------------


def test_open_ticket_records_defaults_sla_dues_and_created_event(dept, contact, agent):
    """A new ticket starts New with the default priority, its dues from the priority's targets,
    the contact's client and address, one customer message and a Created event by its actor."""
    at = timezone.now() - timedelta(hours=2)
    t = services.open_ticket(subject="  Printer offline ", body_text="It is offline", department=dept,
                             contact=contact, channel=Channel.PHONE, actor=agent, created_at=at)
    t = reload(t)
    medium = priority("Medium")
    assert t.subject == "Printer offline"
    assert t.status == status("new") and t.priority == medium and t.priority_level == medium.level
    assert t.client == contact.client and t.requester_email == contact.email
    assert t.created_at == at and t.last_customer_reply_at == at and t.first_response_at is None
    assert t.first_response_due_at == at + timedelta(minutes=medium.first_response_minutes)
    assert t.resolution_due_at == at + timedelta(minutes=medium.resolution_minutes)
    [message] = t.messages.all()
    assert message.kind == CUSTOMER and message.author_contact == contact and message.channel == Channel.PHONE
    [created] = events(t)
    assert created.kind == TicketEvent.Kind.CREATED and created.actor == agent and created.created_at == at


def test_open_ticket_uses_the_department_default_priority(dept, contact):
    """A department's default priority wins over the global default."""
    dept.default_priority = priority("High")
    dept.save()
    t = services.open_ticket(subject="x", body_text="y", department=dept, contact=contact)
    assert t.priority == priority("High")


def test_open_ticket_from_an_outside_sender_keeps_name_and_address(dept):
    """A sender who is no contact is kept as requester name and (lower-cased) address."""
    t = services.open_ticket(subject="Hi", body_text="Question", department=dept,
                             requester_name="Dan Wright", requester_email="Dan@Example.COM")
    assert t.contact is None and t.requester_email == "dan@example.com"
    assert t.reply_email == "dan@example.com" and t.requester_display == "Dan Wright"


def test_open_ticket_emits_ticket_created_after_commit(dept, contact, heard, django_capture_on_commit_callbacks):
    """Listeners hear of the new ticket only once the transaction commits."""
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        t = services.open_ticket(subject="x", body_text="y", department=dept, contact=contact)
    assert heard == []
    for callback in callbacks:
        callback()
    assert [e for e, _ in heard] == ["ticket_created"] and heard[0][1]["ticket_id"] == t.pk


def test_open_ticket_in_a_pausing_status_starts_paused(dept, contact):
    """A ticket opened On Hold has its SLA clock paused from the start."""
    t = services.open_ticket(subject="x", body_text="y", department=dept, contact=contact, status=status("on-hold"))
    assert t.sla_paused_at == t.created_at


def test_open_ticket_stores_attachments_with_size_and_hash(dept, contact, settings):
    """Attachments are stored with their original name, size, content type and sha256."""
    t = services.open_ticket(subject="x", body_text="see log", department=dept, contact=contact,
                             attachments=[services.NewAttachment(name="../../error.LOG", content=b"boom")])
    [att] = Attachment.objects.filter(message__ticket=t)
    assert att.original_name == "error.LOG" and att.size == 4 and att.content_type == "application/octet-stream"
    assert att.sha256 == hashlib.sha256(b"boom").hexdigest()
    with att.file.open("rb") as fh:
        assert fh.read() == b"boom"


@pytest.mark.parametrize("name", ["virus.exe", "script.JS", "noextension"])
def test_attachment_of_a_forbidden_type_is_refused_and_nothing_is_created(dept, contact, name):
    """A file type outside ATTACHMENT_ALLOWED_EXTENSIONS refuses the whole ticket, with the reason."""
    with pytest.raises(AttachmentRejected, match="not allowed"):
        services.open_ticket(subject="x", body_text="y", department=dept, contact=contact,
                             attachments=[services.NewAttachment(name=name, content=b"MZ")])
    assert Ticket.objects.count() == 0 and TicketMessage.objects.count() == 0


def test_attachment_over_the_size_limit_is_refused(ticket, agent, settings):
    """A file larger than ATTACHMENT_MAX_BYTES is refused with its size and the limit."""
    settings.ATTACHMENT_MAX_BYTES = 1024 * 1024
    big = services.NewAttachment(name="dump.zip", content=b"0" * (1024 * 1024 + 1))
    with pytest.raises(AttachmentRejected, match="the limit is 1.0 MB"):
        services.add_reply(ticket=ticket, body_text="here", kind=STAFF, author=agent, attachments=[big])
    assert not TicketMessage.objects.filter(ticket=ticket, kind=STAFF).exists()


def test_attachment_policy_can_be_waived_for_inbound_mail(ticket):
    """Inbound mail keeps every file (enforce_attachment_policy=False): nothing is lost."""
    message = services.add_reply(ticket=ticket, body_text="", kind=CUSTOMER, enforce_attachment_policy=False,
                                 attachments=[services.NewAttachment(name="tool.exe", content=b"MZ")])
    assert message.attachments.get().original_name == "tool.exe"


def test_check_attachment_accepts_allowed_types_in_any_case():
    """Extensions compare case-insensitively."""
    services.check_attachment(name="Scan.PDF", size=10)


# --- custom fields -------------------------------------------------------------------------


@pytest.fixture
def fields():
    def make(slug, kind, **kw):
        return CustomField.objects.create(name=slug.title(), slug=slug, field_type=kind, **kw)

    FT = CustomField.FieldType
    return {
        "order": make("order", FT.TEXT, show_on_client_portal=True),
        "notes": make("notes", FT.TEXTAREA),
        "seats": make("seats", FT.NUMBER),
        "since": make("since", FT.DATE),
        "module": make("module", FT.DROPDOWN, options="Portal\nAPI\nReports", required=True,
                       show_on_client_portal=True),
        "browsers": make("browsers", FT.MULTISELECT, options="Chrome\nFirefox\nSafari"),
        "agree": make("agree", FT.CHECKBOX),
    }


@pytest.mark.parametrize(
    "slug,value,message",
    [
        ("order", "x" * 256, "At most 255"),
        ("notes", "x" * 5001, "At most 5000"),
        ("seats", "twelve", "Enter a number"),
        ("seats", "NaN", "Enter a number"),
        ("since", "31/12/2024", "YYYY-MM-DD"),
        ("module", "Mobile", "Choose one of: Portal, API, Reports"),
        ("module", "", "required"),
        ("browsers", ["Chrome", "Lynx"], "Unknown choice: Lynx"),
    ],
)
def test_custom_values_are_validated_by_type(ticket, fields, slug, value, message):
    """Each type refuses what it cannot hold, naming the field and the reason; nothing is stored."""
    values = {"module": "API", slug: value}
    with pytest.raises(CustomFieldError) as exc:
        services.set_custom_values(ticket=ticket, values=values)
    assert slug in exc.value.errors and message in exc.value.errors[slug]
    assert not CustomFieldValue.objects.filter(ticket=ticket).exists()


def test_required_checkbox_must_be_ticked(ticket, fields):
    """A required checkbox refuses an unticked value."""
    fields["agree"].required = True
    fields["agree"].save()
    with pytest.raises(CustomFieldError, match="ticked"):
        services.set_custom_values(ticket=ticket, values={"agree": False})


def test_custom_values_are_normalised_and_each_change_is_an_event(ticket, fields, agent):
    """Values are stored normalised per type; a changed value records an event, an unchanged one not."""
    services.set_custom_values(
        ticket=ticket, actor=agent,
        values={"order": " ORD-1 ", "seats": "12", "since": "2024-03-01", "module": "API",
                "browsers": ["Chrome", "Safari"], "agree": "on"},
    )
    stored = {v.field.slug: v.value for v in CustomFieldValue.objects.filter(ticket=ticket).select_related("field")}
    assert stored == {"order": "ORD-1", "seats": 12, "since": "2024-03-01", "module": "API",
                      "browsers": ["Chrome", "Safari"], "agree": True}
    assert len(events(ticket, TicketEvent.Kind.CUSTOM_FIELD)) == 6
    services.set_custom_values(ticket=ticket, actor=agent, values={"seats": "12.5", "module": "API"})
    changes = events(ticket, TicketEvent.Kind.CUSTOM_FIELD)
    assert len(changes) == 7 and changes[-1].before == "Seats: 12" and changes[-1].after == "12.5"
    assert changes[-1].actor == agent


def test_portal_form_cannot_set_staff_only_fields(ticket, fields):
    """With portal_fields_only, fields not shown on the portal are ignored."""
    services.set_custom_values(ticket=ticket, values={"order": "A-1", "seats": "3", "module": "Portal"},
                               portal_fields_only=True)
    assert set(CustomFieldValue.objects.filter(ticket=ticket).values_list("field__slug", flat=True)) == {
        "order", "module"}


def test_open_ticket_validates_custom_values_and_stores_only_filled_ones(dept, contact, fields):
    """open_ticket refuses invalid values (no ticket) and stores no row for empty optional fields."""
    with pytest.raises(CustomFieldError):
        services.open_ticket(subject="x", body_text="y", department=dept, contact=contact,
                             custom_values={"module": "Nope"})
    assert not Ticket.objects.exists()
    t = services.open_ticket(subject="x", body_text="y", department=dept, contact=contact,
                             custom_values={"module": "Reports", "seats": ""})
    stored = dict(t.custom_values.values_list("field__slug", "value"))
    assert stored == {"module": "Reports", "agree": False}  # an unticked box is a value: No


# --- add_reply: timestamps -----------------------------------------------------------------


def test_first_response_is_set_by_the_first_public_staff_reply_only(ticket, agent):
    """Notes and automatic messages never count; the first public reply does; later ones keep it."""
    t0 = ticket.created_at
    services.add_reply(ticket=ticket, body_text="checked logs", kind=NOTE, author=agent,
                       created_at=t0 + timedelta(minutes=5))
    services.add_reply(ticket=ticket, body_text="We received your request", kind=STAFF, is_automatic=True,
                       created_at=t0 + timedelta(minutes=6))
    services.add_reply(ticket=ticket, body_text="Automation", kind=SYSTEM, created_at=t0 + timedelta(minutes=7))
    t = reload(ticket)
    assert t.first_response_at is None and t.last_staff_reply_at is None and t.status == status("new")
    assert t.messages.filter(kind=SYSTEM).count() == 2

    first = t0 + timedelta(minutes=30)
    services.add_reply(ticket=ticket, body_text="Try this", kind=STAFF, author=agent, created_at=first)
    later = t0 + timedelta(hours=2)
    services.add_reply(ticket=ticket, body_text="And this", kind=STAFF, author=agent, created_at=later)
    t = reload(ticket)
    assert t.first_response_at == first
    assert t.last_staff_reply_at == later and t.last_reply_at == later
    assert t.last_reply_by_staff is True and t.last_replier_name == "Ana Lungu"
    assert t.first_response_breached is False


def test_late_first_response_is_marked_breached(ticket, agent):
    """A first reply after first_response_due_at marks the first-response target breached."""
    late = ticket.first_response_due_at + timedelta(minutes=1)
    services.add_reply(ticket=ticket, body_text="Sorry for the wait", kind=STAFF, author=agent, created_at=late)
    assert reload(ticket).first_response_breached is True


def test_customer_reply_updates_customer_timestamps(ticket, agent, contact):
    """A customer message sets last_customer_reply_at and last_reply_* and records who replied."""
    services.add_reply(ticket=ticket, body_text="Answer", kind=STAFF, author=agent)
    at = timezone.now() + timedelta(seconds=1)
    services.add_reply(ticket=ticket, body_text="Still broken", kind=CUSTOMER, contact=contact, created_at=at)
    t = reload(ticket)
    assert t.last_customer_reply_at == at and t.last_reply_at == at
    assert t.last_reply_by_staff is False and t.last_replier_name == "John Carter"
    [replied] = events(t, TicketEvent.Kind.CUSTOMER_REPLIED)
    assert replied.after == "John Carter"


def test_internal_note_is_an_event_and_changes_no_reply_timestamp(ticket, agent, mailoutbox,
                                                                   django_capture_on_commit_callbacks):
    """An internal note sends nothing, keeps status and reply timestamps, and records its author."""
    before = reload(ticket)
    with django_capture_on_commit_callbacks(execute=True):
        note = services.add_reply(ticket=ticket, body_text="Investigated the logs", kind=NOTE, author=agent)
    t = reload(ticket)
    assert note.is_internal and not note.is_public and note.delivery_status == ""
    assert mailoutbox == []
    assert (t.status, t.last_reply_at, t.last_customer_reply_at) == (
        before.status, before.last_reply_at, before.last_customer_reply_at)
    [ev] = events(t, TicketEvent.Kind.NOTE_ADDED)
    assert ev.actor == agent and "Investigated" in ev.note


def test_staff_reply_is_emailed_after_commit_unless_send_is_false(ticket, agent, mailoutbox,
                                                                   django_capture_on_commit_callbacks):
    """A public reply goes to the customer once committed; send=False stores it without mail."""
    with django_capture_on_commit_callbacks(execute=True):
        services.add_reply(ticket=ticket, body_text="Quiet", kind=STAFF, author=agent, send=False)
    assert mailoutbox == []
    with django_capture_on_commit_callbacks(execute=True):
        services.add_reply(ticket=ticket, body_text="Loud", kind=STAFF, author=agent,
                           cc_emails=["Boss@Acme.example"])
    assert len(mailoutbox) == 1 and mailoutbox[0].to == ["john@acme.example"]
    assert mailoutbox[0].cc == ["boss@acme.example"]
    assert reload(ticket).cc_emails == ["boss@acme.example"]


def test_reply_without_text_or_files_is_refused(ticket, agent):
    """An empty message is refused with a readable reason."""
    with pytest.raises(TicketError, match="Write a message"):
        services.add_reply(ticket=ticket, body_text="   ", kind=STAFF, author=agent)


def test_unknown_message_kind_is_refused(ticket, agent):
    with pytest.raises(TicketError, match="Unknown message kind"):
        services.add_reply(ticket=ticket, body_text="x", kind="shout", author=agent)


# --- add_reply: status after sending, reopening --------------------------------------------


def test_staff_reply_answers_the_ticket_by_default_and_can_choose_the_status(ticket, agent):
    """A staff reply moves the ticket to Answered, or to the status chosen for after sending."""
    services.add_reply(ticket=ticket, body_text="a", kind=STAFF, author=agent)
    assert reload(ticket).status == status("answered")
    services.add_reply(ticket=ticket, body_text="b", kind=STAFF, author=agent, status_after=status("on-hold"))
    t = reload(ticket)
    assert t.status == status("on-hold") and t.sla_paused_at is not None
    services.add_reply(ticket=ticket, body_text="c", kind=STAFF, author=agent, status_after=status("closed"))
    t = reload(ticket)
    assert t.status == status("closed") and t.closed_at is not None
    [closed] = events(t, TicketEvent.Kind.CLOSED)
    assert closed.actor == agent and closed.before == "On Hold" and closed.after == "Closed"


def test_customer_reply_moves_an_answered_ticket_back_to_in_progress(ticket, agent):
    """When the customer answers, the ball is back with us."""
    services.add_reply(ticket=ticket, body_text="a", kind=STAFF, author=agent)
    services.add_reply(ticket=ticket, body_text="no luck", kind=CUSTOMER, contact=ticket.contact)
    assert reload(ticket).status == status("in-progress")


def test_customer_reply_leaves_on_hold_alone(ticket, agent):
    """A customer message does not end a deliberate hold."""
    services.change_status(ticket=ticket, status=status("on-hold"), actor=agent)
    services.add_reply(ticket=ticket, body_text="any news?", kind=CUSTOMER, contact=ticket.contact)
    assert reload(ticket).status == status("on-hold")


def test_customer_reply_reopens_a_closed_ticket(ticket, agent, heard, django_capture_on_commit_callbacks):
    """A customer reply to a closed ticket reopens it (In Progress, closed_at cleared, Reopened event)."""
    services.close_ticket(ticket=ticket, actor=agent)
    assert reload(ticket).closed_at is not None
    with django_capture_on_commit_callbacks(execute=True):
        services.add_reply(ticket=ticket, body_text="It is broken again", kind=CUSTOMER, contact=ticket.contact)
    t = reload(ticket)
    assert t.status == status("in-progress") and t.closed_at is None and not t.is_closed
    [reopened] = events(t, TicketEvent.Kind.REOPENED)
    assert reopened.before == "Closed" and reopened.after == "In Progress"
    assert {"customer_replied", "status_changed"} <= {e for e, _ in heard}


def test_reply_to_a_merged_ticket_lands_in_the_target(dept, contact, agent):
    """After a merge, a reply addressed to the source is added to the ticket it was merged into."""
    target = services.open_ticket(subject="A", body_text="a", department=dept, contact=contact)
    source = services.open_ticket(subject="A again", body_text="a2", department=dept, contact=contact)
    services.merge_tickets(target=target, sources=[source], actor=agent)
    message = services.add_reply(ticket=source, body_text="more info", kind=CUSTOMER, contact=contact)
    assert message.ticket_id == target.pk
    assert reload(source).status == status("closed")  # the source stays closed


# --- change_status, SLA pause ---------------------------------------------------------------


def test_change_status_records_who_before_and_after(ticket, agent, heard, django_capture_on_commit_callbacks):
    """A status change is an event with actor, old and new status; the same status is no change."""
    with django_capture_on_commit_callbacks(execute=True):
        services.change_status(ticket=ticket, status=status("in-progress"), actor=agent, note="on it")
        services.change_status(ticket=ticket, status=status("in-progress"), actor=agent)
    [ev] = events(ticket, TicketEvent.Kind.STATUS)
    assert (ev.actor, ev.before, ev.after, ev.note) == (agent, "New", "In Progress", "on it")
    assert [e for e, _ in heard] == ["status_changed"]


def test_closing_sets_closed_at_and_reopening_clears_it(dept, contact, agent):
    """Closing sets closed_at (and marks a late resolution); moving to an open status clears it."""
    ticket = services.open_ticket(subject="old", body_text="x", department=dept, contact=contact,
                                  created_at=timezone.now() - timedelta(days=10))
    late = ticket.resolution_due_at + timedelta(hours=1)
    services.close_ticket(ticket=ticket, actor=agent, created_at=late)
    t = reload(ticket)
    assert t.closed_at == late and t.resolution_breached is True
    services.change_status(ticket=ticket, status=status("in-progress"), actor=agent)
    t = reload(ticket)
    assert t.closed_at is None
    assert [e.kind for e in events(t)][-2:] == [TicketEvent.Kind.CLOSED, TicketEvent.Kind.REOPENED]


def test_on_hold_pauses_the_sla_and_resuming_shifts_the_dues(ticket, agent):
    """Time spent On Hold is added to both dues when the ticket leaves On Hold."""
    first_due, resolution_due = ticket.first_response_due_at, ticket.resolution_due_at
    paused = ticket.created_at + timedelta(minutes=10)
    services.change_status(ticket=ticket, status=status("on-hold"), actor=agent, created_at=paused)
    assert reload(ticket).sla_paused_at == paused
    services.change_status(ticket=ticket, status=status("in-progress"), actor=agent,
                           created_at=paused + timedelta(hours=3))
    t = reload(ticket)
    assert t.sla_paused_at is None
    assert t.first_response_due_at == first_due + timedelta(hours=3)
    assert t.resolution_due_at == resolution_due + timedelta(hours=3)


def test_resuming_after_the_first_response_shifts_only_the_resolution_due(ticket, agent):
    """A first-response target already met is not moved by a pause."""
    services.add_reply(ticket=ticket, body_text="hi", kind=STAFF, author=agent,
                       created_at=ticket.created_at + timedelta(minutes=5))
    t = reload(ticket)
    first_due, resolution_due = t.first_response_due_at, t.resolution_due_at
    paused = ticket.created_at + timedelta(minutes=10)
    services.change_status(ticket=ticket, status=status("on-hold"), created_at=paused)
    services.change_status(ticket=ticket, status=status("answered"), created_at=paused + timedelta(hours=1))
    t = reload(ticket)
    assert t.first_response_due_at == first_due and t.resolution_due_at == resolution_due + timedelta(hours=1)


# --- assign, priority, department, service ---------------------------------------------------


def test_assign_records_before_and_after_and_refuses_customers(ticket, agent, heard,
                                                               django_capture_on_commit_callbacks):
    """Assigning is an event (who, from whom, to whom); only staff can be assigned; None unassigns."""
    other = StaffFactory(full_name="Bogdan Ionescu")
    with django_capture_on_commit_callbacks(execute=True):
        services.assign(ticket=ticket, assignee=agent, actor=agent)
        services.assign(ticket=ticket, assignee=agent, actor=agent)  # no change, no event
        services.assign(ticket=ticket, assignee=other, actor=agent)
        services.assign(ticket=ticket, assignee=None, actor=other)
    assert [(e.before, e.after, e.actor) for e in events(ticket, TicketEvent.Kind.ASSIGNEE)] == [
        ("", "Ana Lungu", agent), ("Ana Lungu", "Bogdan Ionescu", agent), ("Bogdan Ionescu", "", other)]
    assert [e for e, _ in heard] == ["assigned"] * 3
    with pytest.raises(TicketError, match="Only staff"):
        services.assign(ticket=ticket, assignee=UserFactory(), actor=agent)
    assert reload(ticket).assignee is None


def test_change_priority_recomputes_dues_and_the_sort_level(ticket, agent):
    """A new priority brings its targets and its level; the change is an event."""
    urgent = priority("Urgent")
    services.change_priority(ticket=ticket, priority=urgent, actor=agent)
    t = reload(ticket)
    assert t.priority_level == urgent.level
    assert t.first_response_due_at == t.created_at + timedelta(minutes=urgent.first_response_minutes)
    [ev] = events(t, TicketEvent.Kind.PRIORITY)
    assert (ev.before, ev.after, ev.actor) == ("Medium", "Urgent", agent)


def test_change_department_and_service_are_events(ticket, agent, tech):
    """Moving department or service records before and after."""
    billing = ServiceFactory(name="Billing")
    services.change_department(ticket=ticket, department=tech, actor=agent)
    services.change_service(ticket=ticket, service=billing, actor=agent)
    services.change_service(ticket=ticket, service=None, actor=agent)
    t = reload(ticket)
    assert t.department == tech and t.service is None
    [dept_ev] = events(t, TicketEvent.Kind.DEPARTMENT)
    assert (dept_ev.before, dept_ev.after) == ("General Support", "Technical Support")
    assert [(e.before, e.after) for e in events(t, TicketEvent.Kind.SERVICE)] == [("", "Billing"), ("Billing", "")]


# --- escalate ------------------------------------------------------------------------------


@pytest.mark.parametrize("note", ["", "   ", "too short"])
def test_escalation_without_an_investigation_note_is_refused(ticket, agent, tech, note):
    """Escalating needs an internal note saying what was investigated and why; nothing changes."""
    with pytest.raises(EscalationNoteRequired, match="what you investigated"):
        services.escalate(ticket=ticket, actor=agent, note=note, department=tech)
    t = reload(ticket)
    assert t.department.name == "General Support" and t.status == status("new")
    assert not t.messages.filter(kind=NOTE).exists()


def test_escalation_needs_somewhere_to_go(ticket, agent):
    with pytest.raises(TicketError, match="Choose a department"):
        services.escalate(ticket=ticket, actor=agent, note="Checked logs, reproduced the error twice.")


def test_escalation_adds_the_note_moves_the_ticket_and_records_it(ticket, agent, tech, heard,
                                                                  django_capture_on_commit_callbacks):
    """Escalation: the note first, then department, assignee, priority, status Escalated, one Escalated event."""
    l2 = StaffFactory(full_name="Carmen Dumitru", departments=[tech])
    note = "Reproduced on two browsers; error 500 in the export. Needs a developer."
    with django_capture_on_commit_callbacks(execute=True):
        services.escalate(ticket=ticket, actor=agent, note=note, department=tech, assignee=l2,
                          priority=priority("High"))
    t = reload(ticket)
    assert (t.department, t.assignee, t.priority, t.status) == (tech, l2, priority("High"), status("escalated"))
    assert t.messages.get(kind=NOTE).body_text == note
    [ev] = events(t, TicketEvent.Kind.ESCALATED)
    assert ev.actor == agent and ev.note == note and ev.after == "Technical Support / Carmen Dumitru / High"
    assert "escalated" in [e for e, _ in heard]
    assert t.first_response_at is None  # a note is not a response


# --- merge ---------------------------------------------------------------------------------


@pytest.fixture
def trio(dept, contact):
    a = services.open_ticket(subject="Export fails", body_text="first", department=dept, contact=contact)
    b = services.open_ticket(subject="Export fails again", body_text="second", department=dept, contact=contact,
                             cc_emails=["cfo@acme.example"])
    c = services.open_ticket(subject="Export?", body_text="third", department=dept,
                             requester_name="Dan", requester_email="dan@outside.example")
    return a, b, c


def test_merge_moves_messages_and_tasks_and_closes_the_sources(trio, agent):
    """Merging moves every message and task to the target; sources are closed with merged_into."""
    a, b, c = trio
    services.create_task(title="Check export", actor=agent, ticket=b)
    services.merge_tickets(target=a, sources=[b, c], actor=agent)
    assert sorted(a.messages.values_list("body_text", flat=True)) == ["first", "second", "third"]
    assert Task.objects.get().ticket_id == a.pk
    for source in (b, c):
        s = reload(source)
        assert s.merged_into_id == a.pk and s.status == status("closed") and s.closed_at is not None
        [ev] = events(s, TicketEvent.Kind.MERGED)
        assert ev.after == f"#{a.pk}" and ev.actor == agent
    t = reload(a)
    assert t.status == status("new") and t.merged_into is None
    assert set(t.cc_emails) == {"cfo@acme.example", "dan@outside.example", "john@acme.example"}
    [ev] = events(t, TicketEvent.Kind.MERGED)
    assert ev.after == f"#{b.pk}, #{c.pk}"


def test_merge_into_itself_or_nothing_is_refused(trio):
    a, _b, _c = trio
    with pytest.raises(InvalidMerge, match="at least one other"):
        services.merge_tickets(target=a, sources=[a])


def test_merging_an_already_merged_ticket_is_refused(trio):
    """A ticket merged once cannot be merged again, nor be a merge target."""
    a, b, c = trio
    services.merge_tickets(target=a, sources=[b])
    with pytest.raises(InvalidMerge, match="already merged"):
        services.merge_tickets(target=c, sources=[b])
    with pytest.raises(InvalidMerge, match="was itself merged"):
        services.merge_tickets(target=b, sources=[c])


# --- tasks ---------------------------------------------------------------------------------


def test_task_lifecycle_is_recorded_on_its_ticket(ticket, agent):
    """Creating, changing and completing a linked task appear in the ticket's history."""
    with pytest.raises(TicketError, match="needs a title"):
        services.create_task(title=" ", actor=agent, ticket=ticket)
    task = services.create_task(title="Call the carrier", actor=agent, ticket=ticket, assignee=agent)
    task = services.update_task(task=task, changes={"title": "Call DHL", "description": "AWB 123"}, actor=agent)
    assert task.title == "Call DHL"
    task = services.set_task_status(task=task, status=Task.Status.DONE, actor=agent)
    assert task.completed_at is not None
    task = services.set_task_status(task=task, status=Task.Status.OPEN, actor=agent)
    assert task.completed_at is None
    assert len(events(ticket, TicketEvent.Kind.TASK)) == 4
    with pytest.raises(TicketError):
        services.set_task_status(task=task, status="later")
    with pytest.raises(TicketError, match="cannot be changed"):
        services.update_task(task=task, changes={"status": "done"})


# --- configuration -------------------------------------------------------------------------


def test_a_status_in_use_cannot_be_deleted_and_the_message_counts_tickets(ticket, dept, contact):
    """delete_status refuses while tickets use the status, saying how many; an unused one goes."""
    services.open_ticket(subject="2", body_text="b", department=dept, contact=contact)
    with pytest.raises(StatusInUse, match="used by 2 tickets"):
        services.delete_status(status=status("new"))
    assert TicketStatus.objects.filter(slug="new").exists()
    spare = TicketStatus.objects.create(name="Waiting for vendor", slug="vendor", colour="#123456", order=9)
    services.delete_status(status=spare)
    assert not TicketStatus.objects.filter(pk=spare.pk).exists()


def test_predefined_reply_use_is_counted():
    reply = PredefinedReply.objects.create(title="Hi", body="Hello {contact_first_name}")
    services.count_predefined_reply_use(reply=reply)
    services.count_predefined_reply_use(reply=reply)
    reply.refresh_from_db()
    assert reply.usage_count == 2


def test_changing_priority_keeps_the_time_spent_on_hold(ticket, agent):
    """A priority change after a pause recomputes the dues from the new targets plus the pause."""
    paused = ticket.created_at + timedelta(minutes=10)
    services.change_status(ticket=ticket, status=status("on-hold"), actor=agent, created_at=paused)
    services.change_status(ticket=ticket, status=status("in-progress"), actor=agent,
                           created_at=paused + timedelta(hours=2))
    services.change_priority(ticket=ticket, priority=priority("High"), actor=agent)
    services.change_department(ticket=ticket, department=DepartmentFactory(name="Orders"), actor=agent)
    t = reload(ticket)
    high = priority("High")
    assert t.first_response_due_at == t.created_at + timedelta(minutes=high.first_response_minutes, hours=2)
    assert t.resolution_due_at == t.created_at + timedelta(minutes=high.resolution_minutes, hours=2)


def test_merge_brings_the_latest_reply_columns_and_is_announced(trio, agent, heard,
                                                                django_capture_on_commit_callbacks):
    """The target's last-reply columns reflect the moved conversation; listeners hear `merged`."""
    a, b, _c = trio
    later = timezone.now() + timedelta(minutes=5)
    services.add_reply(ticket=b, body_text="newest", kind=CUSTOMER, contact=b.contact, created_at=later)
    with django_capture_on_commit_callbacks(execute=True):
        services.merge_tickets(target=a, sources=[b], actor=agent)
    t = reload(a)
    assert t.last_customer_reply_at == later and t.last_reply_at == later and t.last_replier_name == "John Carter"
    assert ("merged", {"ticket_id": a.pk, "actor_id": agent.pk, "source_ids": [b.pk]}) in heard


def test_huge_numbers_and_repeated_choices_are_handled(ticket, fields):
    """A number too large for JSON is refused; a repeated choice is stored once."""
    with pytest.raises(CustomFieldError, match="smaller than"):
        services.set_custom_values(ticket=ticket, values={"module": "API", "seats": "1e999999"})
    services.set_custom_values(ticket=ticket, values={"module": "API", "browsers": ["Chrome", "Chrome"]})
    assert ticket.custom_values.get(field__slug="browsers").value == ["Chrome"]


def test_lookups_fall_back_when_managers_change_the_configuration():
    """Without a flagged default, new tickets take the first open status and the lowest priority;
    with no closing status or no priority at all, the services say so."""
    from tickets.models import Priority

    TicketStatus.objects.update(is_default=False)
    assert services.default_status() == status("new")  # lowest order among open statuses
    Priority.objects.update(is_default=False)
    assert services.default_priority() == priority("Low")
    assert services.closed_status() == status("closed")
    assert services.status_by_slug("nope") is None
    Ticket.objects.all().delete()
    TicketStatus.objects.filter(is_closed=True).delete()
    with pytest.raises(TicketError, match="No closing ticket status"):
        services.closed_status()
    Priority.objects.all().delete()
    with pytest.raises(TicketError, match="No ticket priority"):
        services.default_priority()
