"""A month of generated helpdesk activity with known answers.

`build_month(seed)` writes tickets, their timestamps, events (staff replies, escalations,
reopens, closes), staff reply messages (some from predefined replies), KB views and survey
invitations with responses, all straight to the database, and returns `Expected`: what every
KPI must be, overall and per department / agent / service / priority / channel / tier,
computed in Python from the generated specs by the definitions in tickets.reports.kpis.
The period is November 2026 (UTC); October holds the previous period and tickets created
before it and closed within it.
"""

import random
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from crm.models import Client
from kb.models import KBArticle, KBGroup, KBView
from surveys.models import Invitation, Response, Survey
from tests.factories import ClientFactory, ContactFactory, DepartmentFactory, ServiceFactory, StaffFactory
from tickets.models import PredefinedReply, Priority, Ticket, TicketEvent, TicketMessage, TicketStatus

SINCE = datetime(2026, 11, 1, tzinfo=UTC)
UNTIL = datetime(2026, 12, 1, tzinfo=UTC)
PREVIOUS = datetime(2026, 10, 2, tzinfo=UTC)  # a 30-day period before November


@dataclass
class Spec:
    pk: int
    department: int
    agent: int
    service: int
    priority: int
    channel: str
    tier: str
    created: datetime
    first_response: datetime | None
    breached: bool
    closed: datetime | None
    escalated: bool
    reopened: bool
    rating: int | None = None
    nps: int | None = None
    invited_at: datetime | None = None


@dataclass
class Figures:
    created: int = 0
    answered: int = 0
    frt_sum: float = 0.0
    closed: int = 0
    resolution_sum: float = 0.0
    fcr: int = 0
    sla_total: int = 0
    sla_met: int = 0
    sent: int = 0
    rated: int = 0
    rating_sum: int = 0
    promoters: int = 0
    detractors: int = 0
    nps_answers: int = 0

    @property
    def frt(self) -> float | None:
        return self.frt_sum / self.answered if self.answered else None

    @property
    def resolution(self) -> float | None:
        return self.resolution_sum / self.closed if self.closed else None

    @property
    def fcr_pct(self) -> float | None:
        return 100 * self.fcr / self.closed if self.closed else None

    @property
    def sla_pct(self) -> float | None:
        return 100 * self.sla_met / self.sla_total if self.sla_total else None

    @property
    def csat(self) -> float | None:
        return self.rating_sum / self.rated if self.rated else None

    @property
    def nps(self) -> float | None:
        return 100 * (self.promoters - self.detractors) / self.nps_answers if self.nps_answers else None


@dataclass
class Expected:
    total: Figures
    by: dict[str, dict[Any, Figures]]
    kb_views: int
    staff_replies: int
    predefined: int
    active_agents: int
    open_at_end: int
    open_urgent_at_end: int
    ids: dict[str, Any] = field(default_factory=dict)


def _add(f: Figures, s: Spec, since: datetime, until: datetime) -> None:
    created_in = since <= s.created < until
    closed_in = s.closed is not None and since <= s.closed < until
    if created_in:
        f.created += 1
        if s.first_response:
            f.answered += 1
            f.frt_sum += (s.first_response - s.created).total_seconds()
        if s.first_response or s.breached:
            f.sla_total += 1
            f.sla_met += bool(s.first_response and not s.breached)
    if closed_in:
        f.closed += 1
        f.resolution_sum += (s.closed - s.created).total_seconds()
        f.fcr += not (s.escalated or s.reopened)
    if s.invited_at and since <= s.invited_at < until:
        f.sent += 1
        if s.rating is not None:
            f.rated += 1
            f.rating_sum += s.rating
        if s.nps is not None:
            f.nps_answers += 1
            f.promoters += s.nps >= 9
            f.detractors += s.nps <= 6


def build_month(seed: int = 12, count: int = 160) -> Expected:
    """Write the month's activity; return the expected figures for November 2026."""
    rng = random.Random(seed)
    departments = [DepartmentFactory(name=f"Reports Dept {i}", email=f"rep{i}@company.com") for i in range(2)]
    agents = [StaffFactory(email=f"rep-agent{i}@company.com", full_name=f"Agent {i}", departments=departments)
              for i in range(3)]
    services = [ServiceFactory(name=n) for n in ("Billing", "Login", "Exports")]
    priorities = list(Priority.objects.order_by("-level"))
    urgent = priorities[0]
    clients = [ClientFactory(tier=Client.Tier.BASIC), ClientFactory(tier=Client.Tier.ENTERPRISE)]
    contacts = [ContactFactory(client=c) for c in clients]
    open_status = TicketStatus.objects.get(slug=TicketStatus.IN_PROGRESS)
    closed_status = TicketStatus.objects.get(slug=TicketStatus.CLOSED)
    reply = PredefinedReply.objects.create(title="Thanks", body="Thank you")
    survey = Survey.objects.get(is_default=True)
    start = datetime(2026, 10, 10, tzinfo=UTC)
    specs: list[Spec] = []
    tickets: list[Ticket] = []
    for n in range(count):
        created = start + timedelta(minutes=rng.randrange(0, 50 * 24 * 60))
        if created >= UNTIL:
            created = UNTIL - timedelta(minutes=rng.randrange(1, 600))
        priority = rng.choice(priorities)
        frt = timedelta(minutes=rng.choice([5, 30, 90, 200, 400, 1500])) if rng.random() < 0.85 else None
        first_response = created + frt if frt else None
        target = timedelta(minutes=priority.first_response_minutes)
        breached = bool(frt and frt > target) or (frt is None and rng.random() < 0.5)
        closed = None
        if first_response and rng.random() < 0.7:
            closed = first_response + timedelta(hours=rng.choice([1, 5, 20, 60, 100]))
        contact = rng.choice(contacts)
        spec = Spec(
            pk=0, department=rng.choice(departments).pk, agent=rng.choice(agents).pk, service=rng.choice(services).pk,
            priority=priority.pk, channel=rng.choice(["email", "portal", "phone"]), tier=contact.client.tier,
            created=created, first_response=first_response, breached=breached, closed=closed,
            escalated=rng.random() < 0.2, reopened=closed is not None and rng.random() < 0.15,
        )
        specs.append(spec)
        tickets.append(Ticket(
            subject=f"Generated {n}", contact=contact, client=contact.client, department_id=spec.department,
            assignee_id=spec.agent, service_id=spec.service, priority=priority, priority_level=priority.level,
            channel=spec.channel, status=closed_status if closed else open_status, created_at=created,
            updated_at=created, first_response_at=first_response, first_response_breached=breached,
            closed_at=closed, requester_email=contact.email,
        ))
    # A spam ticket and a merged one never count.
    for flag in ({"is_spam": True}, {"merged_into": None}):
        tickets.append(Ticket(subject="Noise", department=departments[0], priority=urgent,
                              priority_level=urgent.level, status=open_status, created_at=SINCE + timedelta(days=3),
                              **flag))
    Ticket.objects.bulk_create(tickets)
    Ticket.objects.filter(pk=tickets[-1].pk).update(merged_into=tickets[0].pk)
    events: list[TicketEvent] = []
    messages: list[TicketMessage] = []
    staff_replies = predefined = 0
    agents_replying: set[int] = set()
    for spec, ticket in zip(specs, tickets, strict=False):
        spec.pk = ticket.pk
        events.append(TicketEvent(ticket=ticket, kind=TicketEvent.Kind.CREATED, created_at=spec.created))
        if spec.first_response:
            replies = [spec.first_response] + ([spec.first_response + timedelta(hours=2)] if rng.random() < 0.4 else [])
            for at in replies:
                used = rng.random() < 0.3
                events.append(TicketEvent(ticket=ticket, kind=TicketEvent.Kind.STAFF_REPLIED, actor_id=spec.agent,
                                          created_at=at))
                messages.append(TicketMessage(ticket=ticket, kind=TicketMessage.Kind.STAFF, author_id=spec.agent,
                                              body_text="Reply", created_at=at,
                                              predefined_reply=reply if used else None))
                if SINCE <= at < UNTIL:
                    staff_replies += 1
                    predefined += used
                    agents_replying.add(spec.agent)
        if spec.escalated:
            events.append(TicketEvent(ticket=ticket, kind=TicketEvent.Kind.ESCALATED, actor_id=spec.agent,
                                      created_at=spec.created + timedelta(minutes=1)))
        if spec.reopened:
            events.append(TicketEvent(ticket=ticket, kind=TicketEvent.Kind.REOPENED,
                                      created_at=spec.closed - timedelta(minutes=30)))
        if spec.closed:
            events.append(TicketEvent(ticket=ticket, kind=TicketEvent.Kind.CLOSED, actor_id=spec.agent,
                                      created_at=spec.closed))
    TicketEvent.objects.bulk_create(events)
    TicketMessage.objects.bulk_create(messages)
    # Surveys for closed tickets: about two thirds invited, most of those answered.
    responses = []
    for spec in specs:
        if spec.closed and rng.random() < 0.66:
            spec.invited_at = spec.closed + timedelta(hours=1)
            invitation = Invitation.objects.create(
                survey=survey, ticket_id=spec.pk, email="c@example.com", token_hash=f"{spec.pk:064d}",
                sent_at=spec.invited_at, expires_at=spec.invited_at + timedelta(days=28),
            )
            if rng.random() < 0.7:
                spec.rating = rng.randint(1, 5)
                spec.nps = rng.choice([None, 0, 5, 7, 8, 9, 10])
                responses.append(Response(invitation=invitation, rating=spec.rating, nps=spec.nps,
                                          submitted_at=spec.invited_at + timedelta(hours=2)))
    Response.objects.bulk_create(responses)
    # KB views: customers' reads in November count; staff reads and October reads do not.
    group = KBGroup.objects.create(name="Reports group", slug="reports-group")
    article = KBArticle.objects.create(title="How to export", slug="how-to-export", group=group,
                                       body_markdown="x", status=KBArticle.Status.PUBLISHED)
    views = [KBView(article=article, visitor_key=f"v{i}", day=date(2026, 11, 1 + i % 30)) for i in range(90)]
    views += [KBView(article=article, visitor_key=f"s{i}", day=date(2026, 11, 5), by_staff=True) for i in range(7)]
    views += [KBView(article=article, visitor_key=f"o{i}", day=date(2026, 10, 20)) for i in range(11)]
    KBView.objects.bulk_create(views)

    total = Figures()
    by: dict[str, dict[Any, Figures]] = {d: defaultdict(Figures) for d in
                                         ("department", "agent", "service", "priority", "channel", "tier")}
    for spec in specs:
        _add(total, spec, SINCE, UNTIL)
        for dimension, key in (("department", spec.department), ("agent", spec.agent), ("service", spec.service),
                               ("priority", spec.priority), ("channel", spec.channel), ("tier", spec.tier)):
            _add(by[dimension][key], spec, SINCE, UNTIL)
    open_specs = [s for s in specs if s.created < UNTIL and (s.closed is None or s.closed >= UNTIL)]
    return Expected(
        total=total, by={d: dict(v) for d, v in by.items()}, kb_views=90, staff_replies=staff_replies,
        predefined=predefined, active_agents=len(agents_replying), open_at_end=len(open_specs),
        open_urgent_at_end=sum(1 for s in open_specs if s.priority == urgent.pk),
        ids={"departments": [d.pk for d in departments], "agents": agents, "urgent": urgent.pk},
    )
