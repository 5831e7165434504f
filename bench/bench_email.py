"""Benchmark the email intake on PostgreSQL: generated emails (70 % new tickets, 30 % replies,
some with attachments) through `import_emails` and through a real Celery worker.

Prints one line: end-to-end emails/s for import_emails and for the worker, the floors for the same
emails (stdlib parsing alone, bare database inserts alone), the wall time of one pipe_email (measured
first, on a quiet database) and the load average before and after.

Runs in a throw-away database (`<DATABASE_URL name>_bench_email`), created and dropped here.
Environment: DATABASE_URL (PostgreSQL), BENCH_EMAILS (default 10000), BENCH_REDIS_URL
(default redis://127.0.0.1:6379/4; the worker phase is skipped if Redis is unreachable).
"""

import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from email.message import EmailMessage
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")
os.environ.setdefault("LOG_LEVEL", "WARNING")
# Production settings, as bench/_setup.py does: no query log, no template debug.
os.environ.setdefault("DEBUG", "false")
os.environ.setdefault("SECRET_KEY", "bench-only-secret-key-not-for-production-use-0123456789")
os.environ.setdefault("SECURE_SSL_REDIRECT", "false")
os.environ.setdefault("AXES_ENABLED", "false")
os.environ.setdefault("EMAIL_BACKEND", "django.core.mail.backends.locmem.EmailBackend")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/4")
os.environ["CELERY_BROKER_URL"] = REDIS_URL

WORKER_SPLIT: list[str] = []
PDF = b"%PDF-1.4\n" + bytes(random.Random(1).getrandbits(8) for _ in range(30000)) + b"\n%%EOF\n"


def generate(count: int, *, prefix: str, senders: list[str], seed: int = 42) -> list[bytes]:
    """Return `count` raw emails: 70 % new, 30 % replies to earlier ones, 10 % with a PDF."""
    rng = random.Random(seed)
    emails: list[bytes] = []
    opened: list[tuple[str, str, str]] = []  # message id, sender, subject
    departments = ["support@company.com", "tech@company.com", "billing@company.com", "orders@company.com"]
    for i in range(count):
        msg = EmailMessage()
        if opened and rng.random() < 0.3:
            parent_id, sender, subject = opened[rng.randrange(len(opened))]
            msg["Subject"] = f"Re: {subject}"
            msg["In-Reply-To"] = parent_id
            msg["References"] = parent_id
            body = f"Thanks, here is more detail ({i}).\n\nOn Mon, 23 Nov 2026 at 10:00, Support wrote:\n> earlier\n"
        else:
            sender = senders[rng.randrange(len(senders))]
            subject = f"Issue {i}: {rng.choice(['printer', 'VPN', 'invoice', 'delivery', 'login'])} problem"
            msg["Subject"] = subject
            body = f"Hello,\n\nwe have a problem number {i}. " + "Details follow. " * rng.randint(5, 60)
        message_id = f"<{prefix}.{i}@client.example>"
        msg["From"] = f"Customer {i % 997} <{sender}>"
        msg["To"] = rng.choice(departments)
        msg["Date"] = "Mon, 23 Nov 2026 10:00:00 +0000"
        msg["Message-ID"] = message_id
        msg.set_content(body)
        if rng.random() < 0.1:
            msg.add_attachment(PDF, maintype="application", subtype="pdf", filename=f"report-{i}.pdf")
        if "In-Reply-To" not in msg:
            opened.append((message_id, sender, subject))
        emails.append(msg.as_bytes())
    return emails


def setup_data(senders: list[str]) -> None:
    from crm.models import Client, Contact
    from tickets.models import Department

    for name, address in [("General Support", "support@company.com"), ("Technical Support", "tech@company.com"),
                          ("Billing", "billing@company.com"), ("Orders", "orders@company.com")]:
        Department.objects.create(name=name, email=address, is_default=address.startswith("support"))
    # Three agents per department: every new ticket notifies its department's staff.
    from crm.models import User

    for department in Department.objects.all():
        department.members.set(User.objects.bulk_create([
            User(email=f"agent{k}.{department.pk}@company.com", is_staff=True) for k in range(3)
        ]))
    clients = Client.objects.bulk_create([Client(name=f"Client {i}") for i in range(300)])
    # Two thirds of the senders are registered contacts, the rest strangers.
    Contact.objects.bulk_create(
        [Contact(client=clients[i % len(clients)], first_name=f"C{i}", email=address)
         for i, address in enumerate(senders) if i % 3]
    )


def parse_floor(raws: list[bytes]) -> float:
    from django.conf import settings

    from tickets.intake.email import parse_email

    started = time.perf_counter()
    for raw in raws:
        parse_email(raw, our_domain=settings.HELPDESK_MAIL_DOMAIN)
    return len(raws) / (time.perf_counter() - started)


def insert_floor(raws: list[bytes]) -> float:
    """Bare inserts of what intake writes per email (raw row, ticket, message), in bulk."""
    from django.db import transaction

    from tickets.intake.email import sha256
    from tickets.models import Department, InboundEmail, Priority, Ticket, TicketMessage, TicketStatus

    department = Department.objects.first()
    status = TicketStatus.objects.get(slug="new")
    priority = Priority.objects.get(is_default=True)
    started = time.perf_counter()
    for start in range(0, len(raws), 500):
        chunk = raws[start:start + 500]
        with transaction.atomic():
            InboundEmail.objects.bulk_create(
                [InboundEmail(raw=raw, sha256=sha256(raw), fingerprint=f"floor.{start + i}",
                              message_id=f"<floor.{start + i}@x>", size=len(raw))
                 for i, raw in enumerate(chunk)]
            )
            tickets = Ticket.objects.bulk_create(
                [Ticket(subject="floor", department=department, status=status, priority=priority,
                        priority_level=priority.level) for _ in chunk]
            )
            TicketMessage.objects.bulk_create(
                [TicketMessage(ticket=t, kind="customer", body_text="floor") for t in tickets]
            )
    rate = len(raws) / (time.perf_counter() - started)
    TicketMessage.objects.filter(body_text="floor").delete()
    Ticket.objects.filter(subject="floor").delete()
    InboundEmail.objects.filter(message_id__startswith="<floor.").delete()
    return rate


def run_import(raws: list[bytes]) -> tuple[float, str]:
    from io import StringIO

    from django.core.management import call_command

    folder = Path(tempfile.mkdtemp(prefix="bench-email-"))
    for i, raw in enumerate(raws):
        (folder / f"{i:06d}.eml").write_bytes(raw)
    # The import ends when tickets and replies are written and receipts queued on Redis (the
    # workers send them; the worker phase below times that part).
    out = StringIO()
    started = time.perf_counter()
    call_command("import_emails", str(folder), "--no-progress", stdout=out)
    elapsed = time.perf_counter() - started
    try:
        import redis

        redis.Redis.from_url(REDIS_URL).flushdb()
    except Exception:
        pass
    subprocess.run(["rm", "-rf", str(folder)], check=False)
    return len(raws) / elapsed, out.getvalue().strip().splitlines()[0]


def database_url() -> str:
    from django.db import connection

    s = connection.settings_dict
    auth = (s["USER"] or "") + (f":{s['PASSWORD']}" if s["PASSWORD"] else "")
    return f"postgres://{auth}{'@' if auth else ''}{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


def run_worker(raws: list[bytes]) -> float | None:
    """Store the emails, queue one task each on Redis, and time a 2-process worker until all are done."""
    import redis
    from django.db import connection
    from django.db.models import Count

    from tickets.intake.services import queue_inbound_email, release_queue_marker, store_inbound_batch
    from tickets.models import InboundEmail, TicketMessage

    try:
        redis.Redis.from_url(REDIS_URL).flushdb()
    except redis.RedisError:
        return None
    release_queue_marker()  # it stood for a task of an earlier run, flushed with the queue
    env = {**os.environ, "DATABASE_URL": database_url(), "CELERY_BROKER_URL": REDIS_URL,
           "CELERY_TASK_ALWAYS_EAGER": "0", "EMAIL_BACKEND": "django.core.mail.backends.dummy.EmailBackend"}
    # Receipts queued by the import phase were dropped with its Redis queue: count only ours.
    last_message = TicketMessage.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    ids = []
    for start in range(0, len(raws), 500):
        ids += [r.inbound.pk for r in store_inbound_batch(raws=raws[start:start + 500], source="pipe")]
    connection.close()
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "helpdesk", "worker", "--concurrency=2", "--pool=prefork",
         "--without-gossip", "--without-mingle", "--loglevel=WARNING", "--hostname=bench-email@%h"],
        cwd=ROOT, env=env, stderr=subprocess.STDOUT,
        stdout=open(os.environ["BENCH_WORKER_LOG"], "w") if os.environ.get("BENCH_WORKER_LOG") else subprocess.DEVNULL,  # noqa: SIM115
    )
    try:
        _wait_until_ready()  # the clock starts when the worker answers, not while it boots
        started = time.perf_counter()
        for pk in ids:  # as each pipe_email would, one call per email
            queue_inbound_email(pk)
        deadline = time.monotonic() + 1800
        processed_after = None
        first, last = min(ids), max(ids)  # a range, not a 10,000-id IN list, for the poll
        while time.monotonic() < deadline:
            pending = InboundEmail.objects.filter(pk__gte=first, pk__lte=last, state__in=["new", "processing"]).count()
            if pending == 0 and processed_after is None:
                processed_after = time.perf_counter() - started
            unsent = TicketMessage.objects.filter(delivery_status="pending", pk__gt=last_message).count()
            if pending == 0 and unsent == 0:
                break
            time.sleep(0.25)
        elapsed = time.perf_counter() - started
        outcomes = dict(
            InboundEmail.objects.filter(pk__gte=first, pk__lte=last).values_list("outcome")
            .annotate(n=Count("id")).values_list("outcome", "n")
        )
        WORKER_SPLIT.append(f"all {len(ids)} processed after {processed_after:.1f} s, receipts sent after "
                            f"{elapsed:.1f} s: new tickets {outcomes.pop('ticket_opened', 0)}, replies "
                            f"{outcomes.pop('reply_added', 0)}, failed {outcomes.pop('failed', 0)}"
                            + "".join(f", {k or 'unprocessed'} {v}" for k, v in outcomes.items()))
    finally:
        worker.terminate()
        worker.wait(timeout=60)
        redis.Redis.from_url(REDIS_URL).flushdb()
    return len(ids) / elapsed


def _wait_until_ready(timeout: float = 120) -> None:
    from helpdesk.celery import app

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if app.control.ping(timeout=0.5):
            return
    raise RuntimeError("the benchmark worker did not start")


def pipe_wall_time(raw: bytes, runs: int = 5) -> float:
    """Median wall time of `manage.py pipe_email` (stores the email and queues its task); the
    stored emails and queued tasks are removed again so the later phases do not see them."""
    from tickets.models import InboundEmail

    env = {**os.environ, "DATABASE_URL": database_url(), "CELERY_BROKER_URL": REDIS_URL}
    times = []
    for i in range(runs):
        data = raw.replace(b"Message-ID: <", f"Message-ID: <pipe{i}.".encode(), 1)
        started = time.perf_counter()
        subprocess.run([sys.executable, str(ROOT / "manage.py"), "pipe_email"], input=data, env=env, cwd=ROOT,
                       check=True, capture_output=True)
        times.append(time.perf_counter() - started)
    InboundEmail.objects.filter(message_id__startswith="<pipe").delete()
    try:
        import redis

        redis.Redis.from_url(REDIS_URL).flushdb()
    except Exception:
        pass
    return statistics.median(times)


def main() -> None:
    import django

    count = int(os.environ.get("BENCH_EMAILS", "10000"))
    django.setup()
    from django.conf import settings
    from django.db import connection

    if connection.vendor != "postgresql":
        print("bench_email: skipped (needs DATABASE_URL=postgres://...)")
        return
    settings.DATABASES["default"].setdefault("TEST", {})["NAME"] = f"{connection.settings_dict['NAME']}_bench_email"
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    try:
        senders = [f"customer{i}@client{i % 300}.example" for i in range(3000)]
        setup_data(senders)
        raws = generate(count, prefix="imp", senders=senders)
        load_before = os.getloadavg()[0]
        # First, on a quiet database (after the bulk phases autovacuum and checkpoints run):
        # one email as a mail server pipes it, five times.
        pipe_s = pipe_wall_time(raws[0].replace(b".0@client", b".pipe@client"))
        parse_rate = parse_floor(raws)
        insert_rate = insert_floor(raws)
        import_rate, summary = run_import(raws)
        worker_raws = generate(count, prefix="wrk", senders=senders, seed=7)
        worker_rate = run_worker(worker_raws)
        load = os.getloadavg()[0]
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
    worker_text = f"{worker_rate:.0f}/s ({WORKER_SPLIT[0]})" if worker_rate else "skipped (no Redis)"
    print(
        f"bench_email: {count} emails (70% new, 30% replies, 10% with a 30 KB PDF) on PostgreSQL | "
        f"import_emails end to end {import_rate:.0f}/s | worker (2 processes, Redis) end to end {worker_text} | "
        f"floors: parse only {parse_rate:.0f}/s, bare inserts {insert_rate:.0f}/s | "
        f"pipe_email wall {pipe_s:.2f} s (median of 5) | load avg {load_before:.1f} before, {load:.1f} after | "
        f"{summary}"
    )


if __name__ == "__main__":
    main()
