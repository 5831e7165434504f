"""`manage.py seed_scale --tickets 1000000`: fill the database with a realistic volume for the
benchmarks, fast.

What it loads (appending to what is there; ids continue after the existing rows):
- five departments (reused if present), staff: one manager and `--agents` agents spread over the
  departments (password "scale"), clients and their contacts, and per client a few invoices
  (some overdue), orders with delivery notes, contracts, opportunities and activity entries;
- `--tickets` tickets over the last year, spread over departments, statuses, priorities,
  services, channels, clients and contacts, with SLA due columns, first response, last reply and
  closing timestamps that agree with each other; 1-3 messages each and one or two events each;
- one open ticket with a 200-message conversation (subject starts with LONG_THREAD_SUBJECT), the
  ticket-page benchmark's target, dressed like real mail (dress_long_thread): customer replies
  carry the quoted history, every fourth is HTML, every tenth message has an attachment.

On PostgreSQL rows go in with COPY (tickets.bulk_load), the tickets' and messages' secondary
indexes are dropped for the load and built once afterwards, the sequences are moved past the new
ids (setval) and the tables analysed. Elsewhere (SQLite) it uses bulk_create: fine for small N.
"""

import random
import time
from datetime import date, datetime, timedelta
from decimal import Decimal
from itertools import accumulate

from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from crm.models import (
    Activity,
    Client,
    Contact,
    Contract,
    DeliveryNote,
    Invoice,
    Opportunity,
    Order,
    StaffProfile,
    User,
)
from tickets.demo import bulk_load
from tickets.models import (
    Attachment,
    Department,
    Priority,
    Service,
    Ticket,
    TicketEvent,
    TicketMessage,
    TicketStatus,
)

LONG_THREAD_SUBJECT = "[seed_scale] Long conversation"
RECENT = timedelta(days=10)
PASSWORD = "scale"  # noqa: S105 - benchmark logins on a throwaway database
DEPARTMENTS = [
    ("General Support", "support@company.example"),
    ("Technical Support", "tech@company.example"),
    ("Billing / Finance", "billing@company.example"),
    ("Sales", "sales@company.example"),
    ("Warehouse", "warehouse@company.example"),
]
DEPT_WEIGHTS = [45, 25, 15, 8, 7]
CHANNELS = [("email", 55), ("portal", 20), ("whatsapp", 12), ("phone", 10), ("api", 3)]
PRIORITY_WEIGHTS = {1: 20, 2: 50, 3: 22, 4: 8}
FIRST = ["Ana", "Bogdan", "Carmen", "Dan", "Elena", "Florin", "Gabriela", "Horia", "Ioana", "Julia", "Klaus",
         "Laura", "Mihai", "Nora", "Otto", "Paula", "Radu", "Sofia", "Tudor", "Vera", "Will", "Xenia", "Yann", "Zoe"]
LAST = ["Popescu", "Ionescu", "Schmidt", "Muller", "Rossi", "Dubois", "Novak", "Kowalski", "Smith", "Jones",
        "Garcia", "Moreau", "Fischer", "Weber", "Costa", "Silva", "Horvat", "Nagy", "Larsen", "Berg"]
COMPANY_A = ["Nord", "Acme", "Globex", "Vertex", "Blue", "Delta", "Omni", "Stellar", "Quantum", "Atlas", "Green",
             "Iron", "Silver", "Pioneer", "Summit", "Crystal", "Falcon", "Harbor", "Metro", "Union"]
COMPANY_B = ["Logistics", "Retail", "Foods", "Systems", "Motors", "Pharma", "Textiles", "Energy", "Media",
             "Construct", "Labs", "Trading", "Furniture", "Electric", "Travel", "Agro"]
SUBJECTS = [
    "Cannot log in to the portal", "Invoice {inv} shows the wrong amount", "Order {ord} not delivered yet",
    "Request a refund for order {ord}", "Error 500 when exporting the report", "Password reset email never arrives",
    "Change the billing address", "Damaged goods received in order {ord}", "How do I add a new user?",
    "VAT number missing on invoice {inv}", "Delivery AWB {awb} shows no tracking", "API returns 401 unauthorized",
    "Need a copy of the contract", "Upgrade our plan to Enterprise", "Duplicate charge on invoice {inv}",
    "Sync with the warehouse stopped", "Return request for order {ord}", "Slow loading of the dashboard",
    "Question about payment terms", "Integration webhook failing since yesterday",
]
SENTENCES = [
    "Hello, we have a problem since this morning.", "Could you please check this as soon as possible?",
    "The issue started after the last update.", "Our accounting team noticed the difference yesterday.",
    "The courier says the parcel was handed over but we never received it.",
    "We tried clearing the cache and logging in again, without success.",
    "Attached you will find the screenshot of the error.", "This blocks our whole team from working.",
    "Please send us the corrected document.", "Thank you for the quick answer, it works now.",
    "We restarted the integration and the error is still there.", "Can you confirm the expected delivery date?",
    "The amount on the invoice does not match the offer.", "We would like to extend the service to two more sites.",
    "Kind regards from the operations team.", "Is there a workaround until the fix is released?",
]
STAFF_SENTENCES = [
    "Thank you for contacting us.", "I have checked your account and found the cause.",
    "Please try again now; the issue is fixed on our side.", "I forwarded the request to our billing team.",
    "You can follow the steps in our knowledge base article.", "The corrected invoice is attached.",
    "The courier confirmed the delivery for tomorrow.", "Could you send us a screenshot of the error?",
]
NOTE_SENTENCES = [
    "Checked the logs: timeout on the export job.", "Customer has an overdue invoice, be careful with credits.",
    "Escalating to technical support, reproduced on staging.", "Called the courier, parcel is in the depot.",
]
CARRIERS = [("DHL", "https://www.dhl.com/track?AWB={awb}"), ("UPS", "https://www.ups.com/track?tracknum={awb}"),
            ("FedEx", "https://www.fedex.com/fedextrack/?trknbr={awb}"), ("GLS", "")]


class SeedScaleCommand(BaseCommand):
    help = "Bulk-load a large realistic data set (tickets, messages, clients) for the benchmarks."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--tickets", type=int, default=100_000, help="How many tickets to add.")
        parser.add_argument("--clients", type=int, default=0, help="Clients to add (default: tickets / 400).")
        parser.add_argument("--contacts-per-client", type=int, default=3)
        parser.add_argument("--agents", type=int, default=20)
        parser.add_argument("--long-thread", type=int, default=200, help="Messages on the long ticket (0: none).")
        parser.add_argument("--seed", type=int, default=42, help="Random seed (same seed, same data).")
        parser.add_argument(
            "--keep-indexes", action="store_true", help="Do not drop and rebuild the ticket indexes (PostgreSQL)."
        )

    def handle(self, *args: object, **options: object) -> None:
        started = time.perf_counter()
        self.rng = random.Random(options["seed"])
        self.now = timezone.now().replace(microsecond=0)
        n_tickets = max(0, int(options["tickets"]))
        n_clients = int(options["clients"]) or max(20, n_tickets // 400)
        with transaction.atomic():
            self._config()
            self._staff(int(options["agents"]))
            self._clients(n_clients, int(options["contacts_per_client"]))
            crm_done = time.perf_counter()
            self.stdout.write(f"config, staff, {n_clients} clients with CRM data: {crm_done - started:.1f}s")
            fk_skipped = bulk_load.skip_foreign_key_checks()
            drop = bulk_load.is_postgres() and not options["keep_indexes"] and n_tickets >= 50_000
            if drop:
                with bulk_load.indexes_dropped(Ticket, TicketMessage, TicketEvent):
                    counts = self._tickets(n_tickets, int(options["long_thread"]))
                    loaded = time.perf_counter()
                    self.stdout.write(f"loaded rows: {loaded - crm_done:.1f}s; rebuilding indexes…")
            else:
                counts = self._tickets(n_tickets, int(options["long_thread"]))
            bulk_load.reset_sequences(
                User, StaffProfile, Department, Client, Contact, Invoice, Order, DeliveryNote, Contract,
                Opportunity, Activity, Ticket, TicketMessage, TicketEvent,
            )
        indexed = time.perf_counter()
        bulk_load.analyze(Client, Contact, Ticket, TicketMessage, TicketEvent, Invoice, Order)
        elapsed = time.perf_counter() - started
        self.stdout.write(
            self.style.SUCCESS(
                f"seed_scale: {counts['tickets']} tickets, {counts['messages']} messages, {counts['events']} events "
                f"in {elapsed:.1f}s ({counts['tickets'] / max(elapsed, 1e-6):,.0f} tickets/s; "
                f"tickets+indexes {indexed - crm_done:.1f}s) on {bulk_load.connection.vendor}"
                + (" without row-by-row foreign key checks" if fk_skipped else "")
            )
        )
        if counts.get("long_ticket"):
            self.stdout.write(f"long thread: ticket #{counts['long_ticket']} ({options['long_thread']} messages)")
        self.stdout.write(f"logins: scale-manager@company.example / scale-agent-1@company.example, password {PASSWORD}")

    # --- configuration and people ---------------------------------------------------------

    def _config(self) -> None:
        existing = {d.name for d in Department.objects.all()}
        missing = [(name, email) for name, email in DEPARTMENTS if name not in existing]
        if missing:
            start = bulk_load.next_id(Department)
            Department.objects.bulk_create(
                [Department(pk=start + i, name=name, email=email) for i, (name, email) in enumerate(missing)],
                ignore_conflicts=True,
            )
        by_name = {d.name: d for d in Department.objects.all()}
        self.departments = [by_name[name] for name, _email in DEPARTMENTS if name in by_name] or list(by_name.values())
        self.dept_weights = DEPT_WEIGHTS[: len(self.departments)] + [5] * max(0, len(self.departments) - 5)
        self.statuses = {s.slug: s for s in TicketStatus.objects.all()}
        self.priorities = list(Priority.objects.order_by("level"))
        self.priority_weights = [PRIORITY_WEIGHTS.get(p.level, 10) for p in self.priorities]
        self.services = list(Service.objects.filter(is_active=True)) or [None]

    def _staff(self, n_agents: int) -> None:
        password = make_password(PASSWORD)
        wanted = ["scale-manager@company.example"]
        wanted += [f"scale-agent-{i}@company.example" for i in range(1, n_agents + 1)]
        have = set(User.objects.filter(email__in=wanted).values_list("email", flat=True))
        start = bulk_load.next_id(User)
        new_users = []
        for email in wanted:
            if email in have:
                continue
            name = email.split("@")[0].replace("scale-", "").replace("-", " ").title()
            new_users.append(User(pk=start + len(new_users), email=email, full_name=f"Scale {name}", is_staff=True,
                                  password=password))
        User.objects.bulk_create(new_users)
        users = {u.email: u for u in User.objects.filter(email__in=wanted)}
        profile_start = bulk_load.next_id(StaffProfile)
        profiles = []
        for email, user in users.items():
            role = StaffProfile.Role.MANAGER if "manager" in email else (
                StaffProfile.Role.L2 if user.pk % 4 == 0 else StaffProfile.Role.L1)
            profiles.append(StaffProfile(pk=profile_start + len(profiles), user=user, role=role))
        StaffProfile.objects.bulk_create(profiles, ignore_conflicts=True)
        membership = Department.members.through
        links = []
        self.dept_agents: dict[int, list[int]] = {d.pk: [] for d in self.departments}
        agents = [users[e] for e in wanted[1:]]
        for i, agent in enumerate(agents):
            homes = {self.departments[i % len(self.departments)]}
            if i % 3 == 0:
                homes.add(self.departments[0])
            for dept in homes:
                links.append(membership(department_id=dept.pk, user_id=agent.pk))
                self.dept_agents[dept.pk].append(agent.pk)
        membership.objects.bulk_create(links, ignore_conflicts=True)
        for dept in self.departments:
            if not self.dept_agents[dept.pk]:
                self.dept_agents[dept.pk] = [a.pk for a in agents[:1]]
        self.agent_names = {a.pk: a.full_name for a in agents}

    # --- clients and their CRM records ------------------------------------------------------

    def _clients(self, n_clients: int, per_client: int) -> None:
        rng = self.rng
        client_id = bulk_load.next_id(Client)
        contact_id = bulk_load.next_id(Contact)
        tag = f"{client_id:x}"
        clients, contacts = [], []
        self.contacts: list[tuple[int, int, str, str]] = []  # (contact id, client id, name, email)
        tiers = [Client.Tier.BASIC] * 5 + [Client.Tier.PRO] * 3 + [Client.Tier.ENTERPRISE] * 2
        for i in range(n_clients):
            cid = client_id + i
            name = f"{rng.choice(COMPANY_A)} {rng.choice(COMPANY_B)} {cid:05d}"
            clients.append(Client(pk=cid, name=name, tier=rng.choice(tiers), vat_number=f"RO{10_000_000 + cid}",
                                  created_at=self.now - timedelta(days=rng.randint(30, 2000))))
            for j in range(per_client):
                first, last = rng.choice(FIRST), rng.choice(LAST)
                pk = contact_id + len(contacts)
                email = f"{first.lower()}.{last.lower()}.{pk}@c{cid}-{tag}.example"
                contacts.append(Contact(pk=pk, client_id=cid, first_name=first, last_name=last, email=email,
                                        phone=f"+4072{pk:07d}"[:16], is_primary=j == 0, job_title=""))
                self.contacts.append((pk, cid, f"{first} {last}", email))
        Client.objects.bulk_create(clients, batch_size=2000)
        Contact.objects.bulk_create(contacts, batch_size=2000)
        self._crm_records(clients, tag)

    def _crm_records(self, clients: list[Client], tag: str) -> None:
        rng, today = self.rng, date.today()
        ids = {m: bulk_load.next_id(m) for m in (Invoice, Order, DeliveryNote, Contract, Opportunity, Activity)}
        rows: dict[type, list] = {m: [] for m in ids}

        def new(model: type, **values: object) -> int:
            pk = ids[model] + len(rows[model])
            rows[model].append(model(pk=pk, **values))
            return pk

        for client in clients:
            for _ in range(rng.randint(0, 8)):
                issued = today - timedelta(days=rng.randint(0, 400))
                due = issued + timedelta(days=30)
                paid = due < today and rng.random() < 0.85
                new(Invoice, client_id=client.pk, number=f"INV-{tag}-{ids[Invoice] + len(rows[Invoice])}",
                    amount=Decimal(rng.randint(50, 20_000)), issued_on=issued, due_on=due,
                    paid_on=due - timedelta(days=rng.randint(0, 20)) if paid else None,
                    status=Invoice.Status.PAID if paid else Invoice.Status.UNPAID)
            for _ in range(rng.randint(0, 6)):
                ordered = self.now - timedelta(days=rng.randint(0, 300), hours=rng.randint(0, 23))
                status = rng.choice([Order.Status.DELIVERED] * 4 + [Order.Status.SHIPPED, Order.Status.PROCESSING,
                                                                      Order.Status.RETURNED])
                oid = new(Order, client_id=client.pk, number=f"ORD-{tag}-{ids[Order] + len(rows[Order])}",
                          status=status, summary=f"{rng.randint(1, 40)} x item {rng.randint(100, 999)}",
                          total=Decimal(rng.randint(20, 9_000)), ordered_at=ordered)
                if status != Order.Status.PROCESSING:
                    carrier, url = rng.choice(CARRIERS)
                    awb = f"{rng.randint(10**9, 10**10 - 1)}"
                    shipped = ordered + timedelta(days=1)
                    new(DeliveryNote, order_id=oid, awb_number=awb, carrier=carrier,
                        tracking_url=url.format(awb=awb), shipped_at=shipped,
                        delivered_at=shipped + timedelta(days=2) if status == Order.Status.DELIVERED else None)
            for _ in range(rng.randint(0, 2)):
                start = today - timedelta(days=rng.randint(0, 900))
                end = start + timedelta(days=365) if rng.random() < 0.6 else None
                new(Contract, client_id=client.pk, subject=f"Support agreement {start.year}", start_on=start,
                    end_on=end, sla_tier=client.tier, value=Decimal(rng.randint(1_000, 60_000)))
            for _ in range(rng.randint(0, 3)):
                new(Opportunity, client_id=client.pk, name=f"{rng.choice(['Upgrade', 'New site', 'Renewal'])}",
                    value=Decimal(rng.randint(500, 50_000)), stage=rng.choice(Opportunity.Stage.values),
                    created_at=self.now - timedelta(days=rng.randint(0, 300)))
            for _ in range(rng.randint(0, 10)):
                new(Activity, client_id=client.pk, kind=rng.choice(["call", "email", "meeting", "note"]),
                    description=rng.choice(SENTENCES), created_at=self.now - timedelta(days=rng.randint(0, 365)))
        for model, objs in rows.items():
            model.objects.bulk_create(objs, batch_size=2000)

    # --- tickets, messages, events -------------------------------------------------------

    def _tickets(self, n: int, long_thread: int) -> dict[str, int]:
        t_cols, m_cols, e_cols = (bulk_load.index_of(m) for m in (Ticket, TicketMessage, TicketEvent))
        t_base, m_base, e_base = (bulk_load.defaults(m) for m in (Ticket, TicketMessage, TicketEvent))
        ticket_id = bulk_load.next_id(Ticket)
        self._prepare_generation()
        self.message_id = bulk_load.next_id(TicketMessage)
        self.event_id = bulk_load.next_id(TicketEvent)
        messages: list[list] = []
        events: list[list] = []
        counts = {"tickets": 0, "messages": 0, "events": 0}

        def flush_children() -> None:
            counts["messages"] += bulk_load.write_rows(TicketMessage, messages)
            counts["events"] += bulk_load.write_rows(TicketEvent, events)
            messages.clear()
            events.clear()

        chunk = 50_000  # tickets per COPY; their messages and events follow in their own COPYs
        for start in range(0, n, chunk):
            size = min(chunk, n - start)
            # A generator: PostgreSQL ingests while Python builds the next rows.
            rows = (
                self._ticket_row(
                    ticket_id + start + i, t_base, t_cols, messages, m_base, m_cols, events, e_base, e_cols
                )
                for i in range(size)
            )
            counts["tickets"] += bulk_load.write_rows(Ticket, rows)
            flush_children()
        if long_thread > 0 and self.contacts:
            long_id = ticket_id + n
            row = self._ticket_row(long_id, t_base, t_cols, messages, m_base, m_cols, events, e_base, e_cols,
                                   long_thread=long_thread)
            counts["tickets"] += bulk_load.write_rows(Ticket, [row])
            flush_children()
            dress_long_thread(long_id)
            counts["long_ticket"] = long_id
        return counts

    def _prepare_generation(self) -> None:
        """Precompute what every row needs (cumulative weights, text pools, column positions):
        the generator runs a million times."""
        rng = self.rng
        self.dept_cum = list(accumulate(self.dept_weights))
        self.prio_cum = list(accumulate(self.priority_weights))
        self.chan_values = [c for c, _w in CHANNELS]
        self.chan_cum = list(accumulate(w for _c, w in CHANNELS))
        self.recent_slugs = ["new", "in-progress", "answered", "on-hold", "escalated", "closed"]
        self.recent_cum = list(accumulate([22, 20, 18, 10, 5, 25]))
        self.old_slugs = ["closed", "answered", "on-hold", "in-progress"]
        self.old_cum = list(accumulate([93, 4, 2, 1]))
        self.status_by_slug = {
            slug: self.statuses.get(slug) or self.statuses.get("new") or next(iter(self.statuses.values()))
            for slug in self.recent_slugs
        }
        self.service_ids = [getattr(s, "pk", None) for s in self.services]
        self.customer_bodies = [" ".join(rng.sample(SENTENCES, rng.randint(2, 5))) for _ in range(600)]
        self.staff_bodies = [" ".join(rng.sample(STAFF_SENTENCES, 3)) for _ in range(300)]
        self.subjects = [
            rng.choice(SUBJECTS).format(
                inv=f"INV-{rng.randint(1000, 99999)}", ord=f"ORD-{rng.randint(1000, 99999)}",
                awb=rng.randint(10**9, 10**10 - 1),
            )
            for _ in range(5000)
        ]

    def _ticket_row(self, pk: int, base: list, cols: dict, messages: list, m_base: list, m_cols: dict,
                    events: list, e_base: list, e_cols: dict, long_thread: int = 0) -> list:
        rng, now, choices = self.rng, self.now, self.rng.choices
        contact_id, client_id, name, email = rng.choice(self.contacts)
        dept = choices(self.departments, cum_weights=self.dept_cum)[0]
        priority = choices(self.priorities, cum_weights=self.prio_cum)[0]
        age = timedelta(days=365 * rng.random() ** 2, seconds=rng.randint(0, 86_399))
        created = now - age
        if long_thread:
            slug = "in-progress"
            created = now - timedelta(days=20)
        elif age < RECENT:
            slug = choices(self.recent_slugs, cum_weights=self.recent_cum)[0]
        else:
            slug = choices(self.old_slugs, cum_weights=self.old_cum)[0]
        status = self.status_by_slug[slug]
        first_due = created + timedelta(minutes=priority.first_response_minutes)
        resolution_due = created + timedelta(minutes=priority.resolution_minutes)
        subject = f"{LONG_THREAD_SUBJECT} ({long_thread} messages)" if long_thread else rng.choice(self.subjects)
        channel = choices(self.chan_values, cum_weights=self.chan_cum)[0]
        assignee = None if slug == "new" else rng.choice(self.dept_agents[dept.pk])
        agent_name = self.agent_names.get(assignee, "Support")

        # The conversation: the customer writes, staff answer (unless New), sometimes once more.
        thread: list[tuple[str, datetime, str]] = [("customer", created, name)]
        if long_thread:
            moment = created
            for k in range(1, long_thread):
                moment += timedelta(minutes=rng.randint(5, 180))
                kind = "note" if k % 10 == 5 else ("staff" if k % 2 else "customer")
                thread.append((kind, min(moment, now), agent_name if kind != "customer" else name))
        elif slug != "new":
            reply_at = min(created + timedelta(minutes=priority.first_response_minutes * rng.uniform(0.05, 1.4)), now)
            thread.append(("staff", reply_at, agent_name))
            if rng.random() < 0.45:
                later = min(reply_at + timedelta(hours=rng.randint(1, 48)), now)
                kind = "customer" if slug in ("in-progress", "escalated") or rng.random() < 0.5 else "note"
                thread.append((kind, later, name if kind == "customer" else agent_name))
        staff_times = [t for k, t, _n in thread if k == "staff"]
        customer_times = [t for k, t, _n in thread if k == "customer"]
        last_kind, last_at, last_who = next(m for m in reversed(thread) if m[0] != "note")
        closed_at = None
        if status.is_closed:
            closed_at = min(thread[-1][1] + timedelta(hours=rng.randint(1, 72)), now)
        updated = closed_at or thread[-1][1]
        first_response_at = staff_times[0] if staff_times else None

        row = base[:]
        row[cols["id"]] = pk
        row[cols["subject"]] = subject
        row[cols["client_id"]] = client_id
        row[cols["contact_id"]] = contact_id
        row[cols["requester_name"]] = name
        row[cols["requester_email"]] = email
        row[cols["department_id"]] = dept.pk
        row[cols["status_id"]] = status.pk
        row[cols["priority_id"]] = priority.pk
        row[cols["priority_level"]] = priority.level
        row[cols["service_id"]] = rng.choice(self.service_ids)
        row[cols["assignee_id"]] = assignee
        row[cols["channel"]] = channel
        row[cols["created_at"]] = created
        row[cols["updated_at"]] = updated
        row[cols["first_response_at"]] = first_response_at
        row[cols["last_staff_reply_at"]] = staff_times[-1] if staff_times else None
        row[cols["last_customer_reply_at"]] = customer_times[-1] if customer_times else None
        row[cols["last_reply_at"]] = last_at
        row[cols["last_replier_name"]] = last_who
        row[cols["last_reply_by_staff"]] = last_kind == "staff"
        row[cols["closed_at"]] = closed_at
        row[cols["first_response_due_at"]] = first_due
        row[cols["resolution_due_at"]] = resolution_due
        row[cols["sla_paused_at"]] = updated if status.pauses_sla else None
        row[cols["first_response_breached"]] = (first_response_at or now) > first_due
        row[cols["resolution_breached"]] = (closed_at or now) > resolution_due

        mi = self.message_positions(m_cols)
        first_name = name.split(" ", 1)[0]
        for kind, at, who in thread:
            m = m_base[:]
            if kind == "customer":
                m[mi[3]] = rng.choice(self.customer_bodies)
                m[mi[4]] = email
                m[mi[5]] = channel
                m[mi[7]] = contact_id
            elif kind == "staff":
                m[mi[3]] = f"Hello {first_name},\n\n{rng.choice(self.staff_bodies)}\n\n{who}"
                m[mi[5]] = "email"
                m[mi[8]] = assignee
                m[mi[9]] = "sent"
            else:
                m[mi[3]] = rng.choice(NOTE_SENTENCES)
                m[mi[5]] = "email"
                m[mi[8]] = assignee
            m[mi[0]] = self.message_id
            m[mi[1]] = pk
            m[mi[2]] = kind
            m[mi[6]] = at
            m[mi[10]] = who
            messages.append(m)
            self.message_id += 1
        after = f"{dept.name} / {status.name} / {priority.name}"
        for kind, at, actor, note in (
            (TicketEvent.Kind.CREATED, created, None, f"Opened via {channel}"),
            *([(TicketEvent.Kind.CLOSED, closed_at, assignee, "")] if closed_at else []),
        ):
            e = e_base[:]
            e[e_cols["id"]] = self.event_id
            e[e_cols["ticket_id"]] = pk
            e[e_cols["kind"]] = kind
            e[e_cols["actor_id"]] = actor
            e[e_cols["note"]] = note
            e[e_cols["created_at"]] = at
            e[e_cols["after"]] = after
            events.append(e)
            self.event_id += 1
        return row

    @staticmethod
    def message_positions(m_cols: dict) -> tuple[int, ...]:
        return tuple(
            m_cols[key]
            for key in ("id", "ticket_id", "kind", "body_text", "author_email", "channel", "created_at",
                        "author_contact_id", "author_id", "delivery_status", "author_name")
        )


def dress_long_thread(ticket_id: int) -> None:
    """Make the long conversation look like real mail: quoted history under the customer's
    replies, an HTML body on every fourth, a file on every tenth message (rows only)."""
    messages = list(TicketMessage.objects.filter(ticket_id=ticket_id).order_by("created_at", "id"))
    previous = ""
    changed = []
    for k, m in enumerate(messages):
        if m.kind == TicketMessage.Kind.CUSTOMER and previous:
            quoted = "\n".join(f"> {line}" for line in previous.splitlines())
            m.original_text = f"{m.body_text}\n\nOn {m.created_at:%a, %d %b %Y %H:%M}, Support wrote:\n{quoted}"
            if k % 4 == 0:
                m.body_html = render_to_string("tickets/demo/customer_mail.html", {
                    "paragraphs": [part for part in m.body_text.split(". ") if part], "author": m.author_name})
            changed.append(m)
        if m.kind != TicketMessage.Kind.NOTE:
            previous = m.body_text
    TicketMessage.objects.bulk_update(changed, ["original_text", "body_html"], batch_size=500)
    Attachment.objects.bulk_create(
        Attachment(message=m, file=f"attachments/seed/long-{m.pk}.pdf", original_name=f"report-{k}.pdf",
                   content_type="application/pdf", size=20_000 + 37 * k, sha256="0" * 64)
        for k, m in enumerate(messages) if k % 10 == 3
    )
