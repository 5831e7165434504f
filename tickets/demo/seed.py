"""Demo data of the tickets app: the manager guide's departments, custom fields, predefined
replies, spam filters, and 300 tickets with conversations and history over the past weeks.

Tickets are written through tickets.services with backdated `created_at`, so their events,
timestamps and SLA dues are what the real services would have produced. Hooks are muted and
replies are not sent: seeding must not email customers or start automation. The 300 tickets
are created once; the first one's Message-ID is the marker.
"""

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from crm.models import Client, Contact, User
from tickets import hooks, services
from tickets.models import (
    CustomField,
    Department,
    PredefinedReply,
    Priority,
    Service,
    SpamFilter,
    Ticket,
    TicketMessage,
    TicketStatus,
)
from tickets.models.core import Channel

TICKET_COUNT = 300
DUPLICATES = 2  # of the 300, merged into the ticket they repeat
MARKER_DOMAIN = "seed.helpdesk.local"

DEPARTMENTS = [
    # name, email, default, members
    ("General Support", "support@company.com", True,
     ["manager@company.com", "ana.l1@company.com", "bogdan.l1@company.com"]),
    ("Technical Support", "tech@company.com", False, ["manager@company.com", "carmen.l2@company.com"]),
    ("Billing", "billing@company.com", False, ["manager@company.com", "ana.l1@company.com"]),
    ("Orders", "orders@company.com", False, ["manager@company.com", "bogdan.l1@company.com"]),
]

MODULES = ["Client portal", "Billing & invoices", "Orders & delivery", "Warehouse scanner app", "API", "Reports"]
CUSTOM_FIELDS = [
    # slug, name, type, options, show on portal, order, help
    ("contract-order-number", "Contract / order number", CustomField.FieldType.TEXT, [], True, 1,
     "The contract or order this is about, e.g. ORD-ACM-1002."),
    ("affected-module", "Version / affected module", CustomField.FieldType.DROPDOWN, MODULES, True, 2,
     "Which part of the product is affected."),
    ("customer-tier", "Customer tier", CustomField.FieldType.DROPDOWN, ["Basic", "Pro", "Enterprise"], False, 3,
     "Differentiated SLA by tier."),
    ("origin-channel", "Origin channel", CustomField.FieldType.DROPDOWN,
     ["Email", "Client portal", "WhatsApp", "Phone", "API", "Website form"], False, 4, "For source analytics."),
]

PREDEFINED_REPLIES = [
    ("Receipt confirmation", None,
     "Hello {contact_first_name},\n\nThank you for contacting us. We have received your request "
     "\"{ticket_subject}\" and registered it as ticket #{ticket_number}. {agent_first_name} from "
     "{department} is looking into it and will come back to you shortly.\n\nKind regards,\n{agent_name}"),
    ("Knowledge base article", None,
     "Hello {contact_first_name},\n\nWe've identified the solution for the reported issue. Please follow "
     "the steps in our article:\n\n[KB article link]\n\nIf you need further assistance, don't hesitate to "
     "contact us.\n\nKind regards,\n{agent_name}"),
    ("Forwarded to the specialist team", None,
     "Hello {contact_first_name},\n\nWe've forwarded the issue to the specialist team, who will "
     "investigate it in detail. We will keep you informed on ticket #{ticket_number} and come back to you "
     "as soon as we have news.\n\nKind regards,\n{agent_name}"),
    ("Resolution", None,
     "Hello {contact_first_name},\n\nGood news: the issue reported in ticket #{ticket_number} has been "
     "resolved. Could you please check on your side and confirm that everything works as expected?\n\n"
     "Kind regards,\n{agent_name}"),
    ("Closing", None,
     "Hello {contact_first_name},\n\nThank you for confirming. We are closing ticket #{ticket_number} now. "
     "If anything else comes up, simply reply to this email and the ticket reopens.\n\n"
     "Kind regards,\n{agent_name}\n{department}"),
    ("Invoice copy sent", "Billing",
     "Hello {contact_first_name},\n\nYou can download a copy of every invoice of {client_name} from the "
     "client portal, under Invoices. We have also attached the requested invoice to this reply.\n\n"
     "Kind regards,\n{agent_name}"),
]

SPAM_FILTERS = [
    (SpamFilter.Kind.SENDER, "@spam-offers.example"),
    (SpamFilter.Kind.SENDER, "noreply@lottery-winner.example"),
    (SpamFilter.Kind.SUBJECT, "you have won"),
    (SpamFilter.Kind.SUBJECT, "seo services"),
    (SpamFilter.Kind.PHRASE, "crypto investment opportunity"),
]

# Per service: department, (subject, first message) pairs.
CATALOGUE: dict[str, tuple[str, list[tuple[str, str]]]] = {
    "Account & Access": ("General Support", [
        ("Cannot log in to the client portal",
         "Since this morning I get \"invalid password\" on the portal although I reset it twice. Can you help?"),
        ("Please add a new user for our accountant",
         "We hired a new accountant, Elena. Please create a portal account so she can download invoices."),
        ("Password reset email never arrives",
         "I requested a password reset three times but no email arrived, also not in spam."),
        ("Two-factor code not accepted",
         "The 6-digit code from the authenticator app is rejected every time."),
    ]),
    "Billing": ("Billing", [
        ("Invoice amount does not match the contract",
         "The last invoice is 2,400 EUR but our contract says 2,000 EUR per quarter. Please check."),
        ("Request for a copy of invoice",
         "Could you send us a PDF copy of last month's invoice? Our finance team cannot find it."),
        ("Payment made twice by mistake",
         "We paid the same invoice twice last week. How do we get the second payment refunded?"),
        ("Change of billing address",
         "Please update our billing address to the new office from next month's invoice on."),
    ]),
    "Orders & Delivery": ("Orders", [
        ("Where is my order?",
         "Our order was shipped a week ago but the tracking page has not changed since. When will it arrive?"),
        ("Delivered goods are damaged",
         "Two of the scanners in the last delivery arrived with cracked screens. We need replacements."),
        ("Wrong quantity delivered",
         "We ordered 40 label rolls and received 20. Please send the rest."),
        ("Request to return an item",
         "We would like to return one label printer that we do not need. What is the procedure?"),
    ]),
    "Bug / Technical Error": ("Technical Support", [
        ("Error 500 when exporting the monthly report",
         "Exporting the monthly report to Excel fails with \"Error 500\". It worked last month."),
        ("Scanner app crashes after the update",
         "Since the update yesterday the warehouse scanner app closes as soon as we scan a barcode."),
        ("API returns 429 too many requests",
         "Our integration gets HTTP 429 from the orders API although we send fewer than 10 requests a minute."),
        ("Sync between warehouse and portal stopped",
         "Stock levels in the portal have not been updated since Monday."),
    ]),
    "Feature Request": ("General Support", [
        ("Export tickets to CSV",
         "It would help us a lot to export our ticket list to CSV for our monthly review."),
        ("Dark mode for the portal",
         "Several of our warehouse staff work night shifts; a dark mode would be appreciated."),
        ("Bulk upload of delivery addresses",
         "Can we upload delivery addresses from a spreadsheet instead of typing them one by one?"),
    ]),
    "Onboarding": ("General Support", [
        ("Training session for new staff",
         "We have five new colleagues starting next week. Can we book a training session?"),
        ("How do we set up the label printer?",
         "We received the LP-4 label printer. Is there a setup guide?"),
        ("First steps in the portal",
         "We just signed up. Which settings do you recommend we configure first?"),
    ]),
    "Contracts": ("Billing", [
        ("Renewal of our support agreement",
         "Our support agreement ends soon. Please send us the renewal offer."),
        ("Question about the SLA in our contract",
         "What response time applies to urgent tickets under our current contract?"),
        ("Upgrade from Pro to Enterprise",
         "We are considering the Enterprise tier. What would change for us?"),
    ]),
    "Other": ("General Support", [
        ("Change of our main contact person",
         "Please note that Maria is our new main contact for support questions."),
        ("Question about your opening hours",
         "Are you reachable by phone during public holidays?"),
        ("Feedback on the last support call",
         "Just wanted to say that the last call with your team was very helpful."),
    ]),
}

FOLLOW_UPS = [
    "Thank you for the quick answer. I tried this but the problem is still there. Any other idea?",
    "Here are more details: it happens on every computer in our office, in Chrome and in Firefox.",
    "Any news on this? It is becoming urgent for us.",
    "I attached a screenshot to my previous message. Please let me know if you need anything else.",
]
THANKS = [
    "That worked, thank you very much!",
    "Confirmed, everything is fine now. Thanks for your help.",
    "Great, the issue is solved on our side.",
]
NOTES = [
    "Checked the customer file: no overdue invoices, contract active. Reproduced the issue on the test account.",
    "Looked at the logs for this account: errors started after yesterday's deployment.",
    "Customer called as well; told them we are on it. Waiting for the carrier's answer.",
    "Similar to last month's ticket from the same client; same root cause likely.",
]
OUTSIDE_SENDERS = [
    ("Laura Chen", "laura@umbrella.example"),
    ("Dan Wright", "dan.wright@freemail.example"),
    ("Sofia Rossi", "sofia@rossi-design.example"),
    ("Ahmed Karim", "ahmed.k@northwind.example"),
]

# Final statuses, weighted so that the queue has work and the reports have history.
FINAL_STATUSES = (
    [TicketStatus.NEW] * 40
    + [TicketStatus.IN_PROGRESS] * 45
    + [TicketStatus.ANSWERED] * 45
    + [TicketStatus.ON_HOLD] * 25
    + [TicketStatus.ESCALATED] * 30
    + [TicketStatus.CLOSED] * 115
)
CHANNELS = [Channel.EMAIL] * 5 + [Channel.PORTAL] * 3 + [Channel.PHONE] * 2 + [Channel.WHATSAPP] + [Channel.API]
ORIGIN_BY_CHANNEL = {
    Channel.EMAIL: "Email", Channel.PORTAL: "Client portal", Channel.WHATSAPP: "WhatsApp",
    Channel.PHONE: "Phone", Channel.API: "API",
}


def seed_configuration() -> str:
    """Create the four departments with their staff, the four custom fields, predefined replies
    and spam filters (found by name, so managers' later edits are kept)."""
    for name, email, default, members in DEPARTMENTS:
        department = Department.objects.filter(name=name).first()
        if department is None:
            has_default = Department.objects.filter(is_default=True).exists()
            department = Department.objects.create(name=name, email=email, is_default=default and not has_default)
        department.members.add(*User.objects.filter(email__in=members))
    for slug, name, kind, options, portal, order, help_text in CUSTOM_FIELDS:
        CustomField.objects.get_or_create(
            slug=slug,
            defaults={"name": name, "field_type": kind, "options": "\n".join(options),
                      "show_on_client_portal": portal, "order": order, "help_text": help_text},
        )
    for title, department_name, body in PREDEFINED_REPLIES:
        department = Department.objects.filter(name=department_name).first() if department_name else None
        PredefinedReply.objects.get_or_create(title=title, defaults={"body": body, "department": department})
    for kind, value in SPAM_FILTERS:
        SpamFilter.objects.get_or_create(kind=kind, value=value)
    return (f"{Department.objects.count()} departments, {CustomField.objects.count()} custom fields, "
            f"{PredefinedReply.objects.count()} predefined replies, {SpamFilter.objects.count()} spam filters")


def _merge_fields(text: str, *, ticket: Ticket, agent: User) -> str:
    contact = ticket.contact
    first = contact.first_name if contact else (ticket.requester_name.split(" ")[0] or "there")
    return text.format(
        contact_first_name=first,
        contact_name=contact.full_name if contact else ticket.requester_name,
        client_name=ticket.client.name if ticket.client_id else "",
        ticket_number=ticket.pk,
        ticket_subject=ticket.subject,
        agent_name=agent.get_full_name(),
        agent_first_name=agent.get_short_name(),
        department=ticket.department.name,
    )


@dataclass
class _World:
    rng: random.Random
    now: datetime
    statuses: dict[str, TicketStatus]
    priorities: list[Priority]
    services: dict[str, Service]
    departments: dict[str, Department]
    contacts: list[Contact]
    agents_by_department: dict[str, list[User]]
    l2: User
    manager: User
    replies: dict[str, PredefinedReply]


class _Clock:
    """Hands out increasing moments between a ticket's creation and now."""

    def __init__(self, world: _World, start: datetime) -> None:
        self.world = world
        self.at = start

    def step(self, low_minutes: int, high_minutes: int) -> datetime:
        room = (self.world.now - self.at).total_seconds() / 60 - 1
        minutes = min(self.world.rng.randint(low_minutes, high_minutes), max(room * 0.3, 0.05))
        self.at = self.at + timedelta(minutes=minutes)
        return self.at


def _reply(world: _World, ticket: Ticket, clock: _Clock, agent: User, text: str, *,
           status: str | None, low: int = 10, high: int = 240) -> None:
    at = clock.step(low, high)
    services.add_reply(
        ticket=ticket, body_text=_merge_fields(text, ticket=ticket, agent=agent), kind=TicketMessage.Kind.STAFF,
        author=agent, status_after=world.statuses[status] if status else None, send=False, created_at=at,
    )


def _customer(world: _World, ticket: Ticket, clock: _Clock, text: str, *, low: int = 30, high: int = 600) -> None:
    at = clock.step(low, high)
    channel = ticket.channel if ticket.channel != Channel.PHONE else Channel.EMAIL
    services.add_reply(
        ticket=ticket, body_text=text, kind=TicketMessage.Kind.CUSTOMER, contact=ticket.contact,
        author_name="" if ticket.contact_id else ticket.requester_name,
        author_email="" if ticket.contact_id else ticket.requester_email,
        channel=channel, created_at=at, send=False,
    )


def _note(world: _World, ticket: Ticket, clock: _Clock, agent: User) -> None:
    services.add_reply(
        ticket=ticket, body_text=world.rng.choice(NOTES), kind=TicketMessage.Kind.NOTE, author=agent,
        created_at=clock.step(5, 90), send=False,
    )


def _one_ticket(world: _World, index: int, final: str) -> Ticket:
    rng = world.rng
    service_name = rng.choice(list(CATALOGUE))
    department_name, samples = CATALOGUE[service_name]
    subject, body = rng.choice(samples)
    channel = rng.choice(CHANNELS)
    # Open tickets are mostly recent; closed ones spread over the past six weeks.
    max_age_hours = 24 * 42 if final == TicketStatus.CLOSED else 24 * (3 if final == TicketStatus.NEW else 14)
    created = world.now - timedelta(hours=rng.uniform(0.5, max_age_hours))
    priority = rng.choices(world.priorities, weights=[1, 3, 5, 3])[0]  # Urgent, High, Medium, Low
    contact = None
    requester_name = requester_email = ""
    if channel == Channel.EMAIL and rng.random() < 0.15:
        requester_name, requester_email = rng.choice(OUTSIDE_SENDERS)
    else:
        contact = rng.choice(world.contacts)
    agents = world.agents_by_department[department_name]
    agent = rng.choice(agents)
    custom: dict[str, object] = {"origin-channel": ORIGIN_BY_CHANNEL[channel]}
    if contact is not None:
        custom["customer-tier"] = contact.client.get_tier_display()
        if service_name in ("Orders & Delivery", "Billing", "Contracts"):
            prefix = contact.client.name.split()[0].upper()[:3]
            custom["contract-order-number"] = f"ORD-{prefix}-{1001 + index % 3}"
    if service_name == "Bug / Technical Error":
        custom["affected-module"] = rng.choice(MODULES)
    staff_typed = channel in (Channel.PHONE, Channel.WHATSAPP)
    attachments = []
    if service_name == "Bug / Technical Error" and rng.random() < 0.5:
        log = f"{created:%Y-%m-%d %H:%M:%S} ERROR export failed: HTTP 500 (request id {rng.randrange(16**8):08x})\n"
        attachments.append(services.NewAttachment(name="error.log", content=log.encode(), content_type="text/plain"))
    ticket = services.open_ticket(
        subject=subject, body_text=body, department=world.departments[department_name], channel=channel,
        contact=contact, requester_name=requester_name, requester_email=requester_email, priority=priority,
        service=world.services[service_name] if rng.random() < 0.9 else None,
        custom_values=custom, message_id=f"<demo-{index}@{MARKER_DOMAIN}>", attachments=attachments,
        actor=agent if staff_typed else None, created_at=created,
    )
    if final == TicketStatus.NEW:
        if rng.random() < 0.3:
            _customer(world, ticket, _Clock(world, created), rng.choice(FOLLOW_UPS[2:]), low=20, high=120)
        return ticket

    clock = _Clock(world, created)
    # The first response: sometimes in time, sometimes late, so the SLA reports have both.
    target = priority.first_response_minutes
    services.assign(ticket=ticket, assignee=agent, actor=agent, created_at=clock.step(2, 30))
    if rng.random() < 0.15:
        other = rng.choice(world.priorities)
        services.change_priority(ticket=ticket, priority=other, actor=agent, created_at=clock.step(1, 10))
    response_status = TicketStatus.IN_PROGRESS if final in (TicketStatus.IN_PROGRESS, TicketStatus.ESCALATED,
                                                             TicketStatus.ON_HOLD) else TicketStatus.ANSWERED
    first_text = (world.replies["Receipt confirmation"].body if response_status == TicketStatus.IN_PROGRESS
                  else world.replies[rng.choice(["Knowledge base article", "Resolution"])].body)
    _reply(world, ticket, clock, agent, first_text, status=response_status, low=5, high=int(target * 1.4))

    if final == TicketStatus.IN_PROGRESS:
        if rng.random() < 0.6:
            _note(world, ticket, clock, agent)
        return ticket
    if final == TicketStatus.ANSWERED:
        if rng.random() < 0.4:
            _customer(world, ticket, clock, rng.choice(FOLLOW_UPS))
            _reply(world, ticket, clock, agent, world.replies["Resolution"].body, status=TicketStatus.ANSWERED)
        return ticket
    if final == TicketStatus.ON_HOLD:
        _note(world, ticket, clock, agent)
        _reply(world, ticket, clock, agent, world.replies["Forwarded to the specialist team"].body,
               status=TicketStatus.ON_HOLD)
        return ticket
    if final == TicketStatus.ESCALATED:
        _customer(world, ticket, clock, rng.choice(FOLLOW_UPS))
        tech = world.departments["Technical Support"]
        services.escalate(
            ticket=ticket, actor=agent,
            note=rng.choice(NOTES) + " Escalating: needs L2 investigation, outside what L1 can fix.",
            department=tech if ticket.department_id != tech.pk else None, assignee=world.l2,
            priority=world.priorities[0] if rng.random() < 0.3 else None, created_at=clock.step(10, 120),
        )
        _reply(world, ticket, clock, agent, world.replies["Forwarded to the specialist team"].body,
               status=TicketStatus.ESCALATED, low=1, high=15)
        if rng.random() < 0.5:
            services.create_task(
                title=f"Investigate: {ticket.subject}", actor=agent, ticket=ticket, assignee=world.l2,
                department=tech, due_at=clock.at + timedelta(days=2), priority=ticket.priority,
                created_at=clock.step(1, 10),
            )
        return ticket

    # Closed: sometimes a back-and-forth, a pause On Hold, then the customer confirms.
    if rng.random() < 0.4:
        _customer(world, ticket, clock, rng.choice(FOLLOW_UPS))
        if rng.random() < 0.3:
            services.change_status(ticket=ticket, status=world.statuses[TicketStatus.ON_HOLD], actor=agent,
                                   created_at=clock.step(10, 60))
            _note(world, ticket, clock, agent)
        _reply(world, ticket, clock, agent, world.replies["Resolution"].body, status=TicketStatus.ANSWERED,
               low=30, high=1440)
    _customer(world, ticket, clock, rng.choice(THANKS))
    _reply(world, ticket, clock, agent, world.replies["Closing"].body, status=TicketStatus.CLOSED, low=5, high=240)
    if rng.random() < 0.05:
        # A customer writes again after closing: the ticket reopens.
        _customer(world, ticket, clock, "Sorry, the problem is back since this morning.")
    return ticket


def seed_tickets() -> str:
    """Create 300 tickets over all statuses, priorities, services and channels (once)."""
    if TicketMessage.objects.filter(message_id=f"<demo-1@{MARKER_DOMAIN}>").exists():
        return f"already seeded ({Ticket.objects.count()} tickets)"
    rng = random.Random(20240601)
    world = _World(
        rng=rng,
        now=timezone.now(),
        statuses={s.slug: s for s in TicketStatus.objects.all()},
        priorities=list(Priority.objects.order_by("-level")),
        services={s.name: s for s in Service.objects.all()},
        departments={d.name: d for d in Department.objects.all()},
        contacts=list(Contact.objects.select_related("client").filter(client__in=Client.objects.all())),
        agents_by_department={},
        l2=User.objects.get(email="carmen.l2@company.com"),
        manager=User.objects.get(email="manager@company.com"),
        replies={r.title: r for r in PredefinedReply.objects.all()},
    )
    for name, _email, _default, members in DEPARTMENTS:
        staff = list(User.objects.filter(email__in=[m for m in members if m != "manager@company.com"]))
        world.agents_by_department[name] = staff or [world.manager]
    finals = list(FINAL_STATUSES)
    rng.shuffle(finals)
    created: list[Ticket] = []
    with hooks.muted(), transaction.atomic():
        for index, final in enumerate(finals[: TICKET_COUNT - DUPLICATES], start=1):
            created.append(_one_ticket(world, index, final))
        # Two duplicates merged into the ticket they repeat.
        open_tickets = [t for t in created if t.closed_at is None and t.contact_id]
        for target in open_tickets[:DUPLICATES]:
            sent_at = min(target.created_at + timedelta(minutes=20), world.now - timedelta(minutes=2))
            duplicate = services.open_ticket(
                subject=target.subject, body_text="Sending this again in case my first email was lost.",
                department=target.department, contact=target.contact, channel=Channel.EMAIL,
                message_id=f"<demo-dup-{target.pk}@{MARKER_DOMAIN}>", created_at=sent_at,
            )
            services.merge_tickets(target=target, sources=[duplicate], actor=world.manager,
                                   created_at=sent_at + timedelta(minutes=1))
    return f"{Ticket.objects.count()} tickets, {TicketMessage.objects.count()} messages"
