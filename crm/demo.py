"""Demo data of the crm app: staff logins, the managers' group, three clients and their file.

Every step is idempotent (rows are found by a natural key before they are created), so
`manage.py seed_demo` may run on every `make run`. crm has no services module: these rows
have no business rules beyond their model validation, so get_or_create is the write.
"""

from datetime import date, timedelta
from decimal import Decimal

from django.contrib.auth.models import Group, Permission
from django.utils import timezone

from crm.models import (
    Activity,
    Announcement,
    Client,
    Contact,
    Contract,
    DeliveryNote,
    Invoice,
    Lead,
    Opportunity,
    Order,
    StaffProfile,
    User,
)

DEMO_PASSWORD = "demo1234!"  # noqa: S105 - printed by `make run`; demo only
DEMO_LOGINS = [
    ("Manager", "manager@company.com"),
    ("L1 agent", "ana.l1@company.com"),
    ("L1 agent", "bogdan.l1@company.com"),
    ("L2 agent", "carmen.l2@company.com"),
    ("Customer (Acme Logistics)", "john@acme.example"),
    ("Customer (Globex Retail)", "maria@globex.example"),
]
MANAGERS_GROUP = "Support managers"

STAFF = [
    # email, full name, role, superuser, time zone, signature
    ("manager@company.com", "Mara Manager", StaffProfile.Role.MANAGER, True, "Europe/Bucharest",
     "Mara Manager\nCustomer Support Manager"),
    ("ana.l1@company.com", "Ana Lungu", StaffProfile.Role.L1, False, "Europe/Bucharest",
     "Ana Lungu\nCustomer Support"),
    ("bogdan.l1@company.com", "Bogdan Ionescu", StaffProfile.Role.L1, False, "Europe/London",
     "Bogdan Ionescu\nCustomer Support"),
    ("carmen.l2@company.com", "Carmen Dumitru", StaffProfile.Role.L2, False, "Europe/Berlin",
     "Carmen Dumitru\nTechnical Support (L2)"),
]

CLIENTS = [
    # name, tier, phone, website, vat
    ("Acme Logistics", Client.Tier.ENTERPRISE, "+40213100100", "https://acme.example", "RO11223344"),
    ("Globex Retail", Client.Tier.PRO, "+442071234567", "https://globex.example", "GB123456789"),
    ("Initech", Client.Tier.BASIC, "+14155550142", "https://initech.example", "US-94-1234567"),
]

CONTACTS = [
    # client, first, last, email, phone, job title, primary, portal login, time zone
    ("Acme Logistics", "John", "Carter", "john@acme.example", "+40721000001", "IT Manager", True, True,
     "Europe/Bucharest"),
    ("Acme Logistics", "Elena", "Popa", "elena.popa@acme.example", "+40721000002", "Accountant", False, False,
     "Europe/Bucharest"),
    ("Acme Logistics", "Radu", "Stan", "radu.stan@acme.example", "+40721000003", "Warehouse Lead", False, False,
     "Europe/Bucharest"),
    ("Globex Retail", "Maria", "Lopez", "maria@globex.example", "+447700900001", "Operations Director", True, True,
     "Europe/London"),
    ("Globex Retail", "Tom", "Baker", "tom.baker@globex.example", "+447700900002", "Store Manager", False, False,
     "Europe/London"),
    ("Globex Retail", "Priya", "Shah", "priya.shah@globex.example", "+447700900003", "Finance", False, False,
     "Europe/London"),
    ("Initech", "Peter", "Gibbons", "peter@initech.example", "+14155550101", "Software Engineer", True, False,
     "America/Los_Angeles"),
    ("Initech", "Joanna", "Smith", "joanna@initech.example", "+14155550102", "Office Manager", False, False,
     "America/Los_Angeles"),
]


def seed_staff() -> str:
    """Create the demo staff (password demo1234!) and the managers' group."""
    created = 0
    for email, name, role, superuser, tz, signature in STAFF:
        user = User.objects.filter(email__iexact=email).first()
        if user is None:
            maker = User.objects.create_superuser if superuser else User.objects.create_user
            user = maker(email, DEMO_PASSWORD, full_name=name, is_staff=True, timezone=tz)
            created += 1
        StaffProfile.objects.get_or_create(user=user, defaults={"role": role, "signature": signature})
    group, _ = Group.objects.get_or_create(name=MANAGERS_GROUP)
    perms = Permission.objects.filter(content_type__app_label__in=["crm", "tickets", "kb"])
    group.permissions.add(*perms)
    manager = User.objects.get(email="manager@company.com")
    manager.groups.add(group)
    return f"{created} staff created, group '{MANAGERS_GROUP}' has {group.permissions.count()} permissions"


def _client_records(client: Client, index: int, owner: User) -> None:
    today = date.today()
    now = timezone.now()
    prefix = client.name.split()[0].upper()[:3]
    for n, (days_ago, amount, status, paid_days) in enumerate(
        [(75, "1250.00", Invoice.Status.PAID, 60), (40, "980.50", Invoice.Status.PAID, 20),
         (20 + 10 * index, "2400.00", Invoice.Status.UNPAID, None), (5, "640.00", Invoice.Status.UNPAID, None)],
        start=1,
    ):
        issued = today - timedelta(days=days_ago)
        # Acme's third invoice is overdue: issued 20 days ago with 14 days to pay.
        due = issued + timedelta(days=14 if (index == 0 and n == 3) else 30 + 15 * index)
        Invoice.objects.get_or_create(
            number=f"INV-{prefix}-{2025000 + n}",
            defaults={
                "client": client, "amount": Decimal(amount), "issued_on": issued, "due_on": due,
                "status": status, "paid_on": issued + timedelta(days=paid_days) if paid_days else None,
            },
        )
    carriers = [("DHL", "https://www.dhl.com/track?AWB={}"), ("FedEx", "https://www.fedex.com/fedextrack/?trknbr={}"),
                ("UPS", "https://www.ups.com/track?tracknum={}")]
    for n, (days_ago, status, summary, total) in enumerate(
        [(30, Order.Status.DELIVERED, "12 x barcode scanners BX-200", "3600.00"),
         (9, Order.Status.SHIPPED, "Label printer LP-4 and 40 label rolls", "1290.00"),
         (2, Order.Status.PROCESSING, "Annual licence renewal, 25 seats", "4500.00")],
        start=1,
    ):
        order, created = Order.objects.get_or_create(
            number=f"ORD-{prefix}-{1000 + n}",
            defaults={"client": client, "status": status, "summary": summary, "total": Decimal(total),
                      "ordered_at": now - timedelta(days=days_ago)},
        )
        if created and status in (Order.Status.DELIVERED, Order.Status.SHIPPED):
            carrier, url = carriers[(index + n) % len(carriers)]
            awb = f"{7000000000 + index * 1000 + n}"
            DeliveryNote.objects.create(
                order=order, awb_number=awb, carrier=carrier, tracking_url=url.format(awb),
                shipped_at=order.ordered_at + timedelta(days=1),
                delivered_at=order.ordered_at + timedelta(days=4) if status == Order.Status.DELIVERED else None,
            )
    Contract.objects.get_or_create(
        client=client, subject=f"{client.get_tier_display()} support agreement",
        defaults={"start_on": today - timedelta(days=200), "end_on": today + timedelta(days=165),
                  "sla_tier": client.tier, "value": Decimal(["24000", "9600", "2400"][index])},
    )
    Contract.objects.get_or_create(
        client=client, subject="Onboarding and training package",
        defaults={"start_on": today - timedelta(days=400), "end_on": today - timedelta(days=35),
                  "sla_tier": client.tier, "value": Decimal("1500")},
    )
    for name, stage, value in [("Extra warehouse seats", Opportunity.Stage.PROPOSAL, "6000"),
                               ("Premium SLA upgrade", Opportunity.Stage.QUALIFIED, "4800")][: 2 - (index == 2)]:
        Opportunity.objects.get_or_create(
            client=client, name=name, defaults={"stage": stage, "value": Decimal(value), "owner": owner},
        )
    for days_ago, kind, text in [
        (60, "meeting", "Quarterly review with the customer's IT team."),
        (21, "call", "Called about the renewal; they want a quote for more seats."),
        (6, "email", "Sent the updated price list and the SLA summary."),
    ]:
        Activity.objects.get_or_create(
            client=client, kind=kind, description=text,
            defaults={"actor": owner, "created_at": now - timedelta(days=days_ago, hours=index)},
        )


def seed_clients() -> str:
    """Create three clients with contacts (two with portal logins), invoices (one overdue),
    orders with delivery notes, contracts, opportunities, activities, leads and an announcement."""
    manager = User.objects.get(email="manager@company.com")
    owners = {0: manager, 1: User.objects.get(email="ana.l1@company.com"), 2: manager}
    clients = {}
    for index, (name, tier, phone, website, vat) in enumerate(CLIENTS):
        client, _ = Client.objects.get_or_create(
            name=name,
            defaults={"tier": tier, "phone": phone, "website": website, "vat_number": vat,
                      "account_manager": owners[index], "address": f"{index + 1} Demo Street"},
        )
        clients[name] = client
    for client_name, first, last, email, phone, title, primary, login, tz in CONTACTS:
        contact = Contact.objects.filter(email__iexact=email).first()
        if contact is None:
            user = None
            if login:
                user = User.objects.filter(email__iexact=email).first() or User.objects.create_user(
                    email, DEMO_PASSWORD, full_name=f"{first} {last}", timezone=tz
                )
            Contact.objects.create(
                client=clients[client_name], user=user, first_name=first, last_name=last, email=email,
                phone=phone, job_title=title, is_primary=primary, portal_access=True, timezone=tz,
            )
    for index, client in enumerate(clients.values()):
        _client_records(client, index, owners[index])
    for name, company, email, source, status in [
        ("Laura Chen", "Umbrella Foods", "laura@umbrella.example", "website", Lead.Status.NEW),
        ("Mihai Georgescu", "Vector Parts", "mihai@vector.example", "whatsapp", Lead.Status.CONTACTED),
        ("Sam Okafor", "Northwind Traders", "sam@northwind.example", "referral", Lead.Status.QUALIFIED),
    ]:
        Lead.objects.get_or_create(
            email=email, defaults={"name": name, "company": company, "source": source, "status": status,
                                   "owner": manager},
        )
    Announcement.objects.get_or_create(
        title="Planned maintenance on Saturday 02:00-04:00 UTC",
        defaults={
            "body": "The client portal and the tracking pages will be unavailable for up to two hours "
                    "while we upgrade our servers. Email support keeps working; tickets sent during "
                    "the window are answered afterwards.",
            "for_customers": True, "for_staff": True,
            "starts_at": timezone.now() - timedelta(days=2), "ends_at": timezone.now() + timedelta(days=12),
        },
    )
    return (f"{Client.objects.count()} clients, {Contact.objects.count()} contacts, "
            f"{Invoice.objects.count()} invoices, {Order.objects.count()} orders")
