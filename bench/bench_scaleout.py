"""Scale-out, proven on one machine: the production shape of docker-compose without docker.

Starts 2 gunicorn servers (one process each, two ports, as two web containers), 3 Celery workers
(one process each) and one beat against one PostgreSQL and one Redis, and a loopback SMTP server
(aiosmtpd) that counts every receipt. Then, at the same time: a burst of emails through
`manage.py pipe_email` (as a mail server runs it, several at once) and portal tickets posted by
logged-in customers through HTTP to both servers; one worker is killed (SIGKILL, the whole
worker) mid-burst. It waits until every email is processed and every receipt sent, and checks:
every email and every form is one ticket, every expected receipt (one per email, and one per form
when HELPDESK_RECEIPT_CHANNELS lists "portal") reached the SMTP server exactly once (by
Message-ID), no sweep ran twice at once (the sweeps' own locks; beat's runs counted in the
workers' logs).

A killed worker's half-done batch is rolled back; its rows are claimed again by the requeue
sweep once HELPDESK_INBOUND_CLAIM_TIMEOUT_SECONDS (here 20 s) passed, and the sweep runs every
HELPDESK_REQUEUE_SECONDS (here 5 s). A task the killed worker held unacknowledged comes back
from Redis after the broker's visibility timeout (CELERY_BROKER_VISIBILITY_TIMEOUT, here 30 s).
A receipt task lost with the killed worker (kombu can lose a message a dying worker popped) is
queued again by the outbound sweep (tickets.outbound.sweep) once the receipt is pending longer than
HELPDESK_OUTBOUND_GRACE_SECONDS (here 45 s); it runs every HELPDESK_OUTBOUND_SWEEP_SECONDS (here 5 s).

Runs in a throw-away database (`<DATABASE_URL name>_bench_scaleout`), created and dropped here.
Environment: DATABASE_URL (PostgreSQL), BENCH_REDIS_URL (broker, default redis://127.0.0.1:6379/6),
BENCH_CACHE_URL (default redis://127.0.0.1:6379/7), BENCH_SCALEOUT_EMAILS (200),
BENCH_SCALEOUT_FORMS (100).
"""

import http.cookiejar
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from email import message_from_bytes
from email.message import EmailMessage
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")
os.environ.setdefault("LOG_LEVEL", "WARNING")
os.environ.setdefault("DEBUG", "false")
os.environ.setdefault("SECRET_KEY", "bench-only-secret-key-not-for-production-use-0123456789")
os.environ.setdefault("SECURE_SSL_REDIRECT", "false")
os.environ.setdefault("AXES_ENABLED", "false")
BROKER = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/6")
CACHE = os.environ.get("BENCH_CACHE_URL", "redis://127.0.0.1:6379/7")
os.environ["CELERY_BROKER_URL"] = BROKER
os.environ["REDIS_URL"] = CACHE
EMAILS = int(os.environ.get("BENCH_SCALEOUT_EMAILS", "200"))
FORMS = int(os.environ.get("BENCH_SCALEOUT_FORMS", "100"))
CUSTOMERS = 10
PASSWORD = "bench-portal-password-1"  # noqa: S105 (a throw-away database)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Receipts:
    """A loopback SMTP server counting what arrives, by Message-ID."""

    def __init__(self) -> None:
        from aiosmtpd.controller import Controller

        self.ids: Counter[str] = Counter()
        self.lock = threading.Lock()
        self.port = free_port()
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    async def handle_DATA(self, server: object, session: object, envelope: object) -> str:  # noqa: N802
        message = message_from_bytes(envelope.original_content or envelope.content)  # type: ignore[attr-defined]
        with self.lock:
            self.ids[str(message.get("Message-ID", ""))] += 1
        return "250 OK"


def setup_data() -> None:
    from crm.models import Client, Contact, User
    from tickets.models import Department

    Department.objects.create(name="General Support", email="support@company.com", is_default=True,
                              show_on_portal=True)
    Department.objects.create(name="Technical Support", email="tech@company.com", show_on_portal=True)
    client = Client.objects.create(name="Scale Ltd")
    for i in range(CUSTOMERS):
        user = User.objects.create_user(email=f"portal{i}@scale.example", password=PASSWORD)
        Contact.objects.create(client=client, first_name=f"P{i}", email=f"portal{i}@scale.example", user=user,
                               portal_access=True)


def database_url() -> str:
    from django.db import connection

    s = connection.settings_dict
    auth = (s["USER"] or "") + (f":{s['PASSWORD']}" if s["PASSWORD"] else "")
    return f"postgres://{auth}{'@' if auth else ''}{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


def email(i: int) -> bytes:
    msg = EmailMessage()
    msg["From"] = f"Sender {i} <sender{i}@outside{i % 50}.example>"
    msg["To"] = "tech@company.com" if i % 2 else "support@company.com"
    msg["Subject"] = f"Scale email {i}"
    msg["Message-ID"] = f"<scale-{i}@outside.example>"
    msg.set_content(f"Email number {i} of the burst.")
    return msg.as_bytes()


def pipe(env: dict[str, str], i: int) -> int:
    return subprocess.run([sys.executable, str(ROOT / "manage.py"), "pipe_email", "--recipient",
                           "support@company.com"], input=email(i), env=env, cwd=ROOT,
                          capture_output=True, timeout=120).returncode


class Portal:
    """A logged-in customer's browser session (cookies, CSRF token) on one server."""

    def __init__(self, base: str, address: str) -> None:
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))
        self.opener.open(f"{base}/authentication/login/", timeout=60).read()
        self._plain_cookies()
        self.post("/authentication/login/", {"username": address, "password": PASSWORD})

    def _plain_cookies(self) -> None:
        # Production settings mark the cookies Secure; this client talks plain HTTP on loopback.
        for cookie in self.jar:
            cookie.secure = False

    def csrf(self) -> str:
        return next(c.value for c in self.jar if c.name == "csrftoken")

    def post(self, path: str, data: dict[str, str]) -> int:
        body = urllib.parse.urlencode({**data, "csrfmiddlewaretoken": self.csrf()}).encode()
        request = urllib.request.Request(f"{self.base}{path}", data=body, headers={"Referer": f"{self.base}{path}"})
        with self.opener.open(request, timeout=60) as response:
            self._plain_cookies()
            return response.status


def start(cmd: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
    return subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT,
                            start_new_session=True)


def wait_http(url: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=5).read()
            return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"{url} did not answer")


def wait_workers(count: int, timeout: float = 120) -> None:
    from helpdesk.celery import app

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if len(app.control.ping(timeout=1.0)) >= count:
            return
    raise RuntimeError(f"fewer than {count} workers answered")


def main() -> None:  # noqa: PLR0915 (one scenario, start to end)
    import django

    django.setup()
    import redis
    from django.conf import settings
    from django.db import connection

    if connection.vendor != "postgresql":
        print("bench_scaleout: skipped (needs DATABASE_URL=postgres://...)")
        return
    try:
        redis.Redis.from_url(BROKER).flushdb()
        redis.Redis.from_url(CACHE).flushdb()
    except redis.RedisError:
        print("bench_scaleout: skipped (needs Redis at BENCH_REDIS_URL)")
        return
    settings.DATABASES["default"].setdefault("TEST", {})["NAME"] = f"{connection.settings_dict['NAME']}_bench_scaleout"
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    smtp = Receipts()
    work = Path(tempfile.mkdtemp(prefix="bench-scaleout-"))
    processes: list[subprocess.Popen] = []
    try:
        setup_data()
        from tickets.models import InboundEmail, Ticket, TicketMessage

        env = {**os.environ, "DATABASE_URL": database_url(), "CELERY_TASK_ALWAYS_EAGER": "0",
               "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend", "EMAIL_HOST": "127.0.0.1",
               "EMAIL_PORT": str(smtp.port), "MEDIA_ROOT": str(work / "media"), "HELPDESK_VAR_DIR": str(work / "var"),
               "HELPDESK_SWEEP_SECONDS": "2", "HELPDESK_REQUEUE_SECONDS": "5",
               "HELPDESK_INBOUND_CLAIM_TIMEOUT_SECONDS": "20", "CELERY_BROKER_VISIBILITY_TIMEOUT": "30",
               "HELPDESK_OUTBOUND_SWEEP_SECONDS": "5", "HELPDESK_OUTBOUND_GRACE_SECONDS": "45",
               "HELPDESK_SENDER_RATE_LIMIT": "1000", "LOG_LEVEL": "INFO", "ALLOWED_HOSTS": "127.0.0.1"}
        connection.close()
        ports = [free_port(), free_port()]
        for n, port in enumerate(ports):
            processes.append(start([sys.executable, "-m", "gunicorn", "helpdesk.wsgi:application", "--bind",
                                    f"127.0.0.1:{port}", "--workers", "1", "--threads", "4"],
                                   env, work / f"web{n}.log"))
        workers = []
        for n in range(3):
            worker = start([sys.executable, "-m", "celery", "-A", "helpdesk", "worker", "--concurrency=1",
                            "--pool=prefork", "--without-gossip", "--without-mingle", "--loglevel=INFO",
                            "-Q", "celery,intake_slow", f"--hostname=scale{n}@%h"], env, work / f"worker{n}.log")
            workers.append(worker)
            processes.append(worker)
        processes.append(start([sys.executable, "-m", "celery", "-A", "helpdesk", "beat", "--loglevel=INFO",
                                f"--schedule={work / 'var' / 'beat' / 'schedule'}"], env, work / "beat.log"))
        for port in ports:
            wait_http(f"http://127.0.0.1:{port}/healthz")
        wait_workers(3)

        from tickets.models import Department, Priority

        department = Department.objects.get(email="support@company.com").pk
        priority = Priority.objects.filter(is_default=True).values_list("pk", flat=True).first()
        sessions = [Portal(f"http://127.0.0.1:{ports[i % 2]}", f"portal{i}@scale.example") for i in range(CUSTOMERS)]
        connection.close()

        piped = Counter()
        posted = Counter()
        killed_at = []
        started = time.perf_counter()

        def send_email(i: int) -> None:
            piped[pipe(env, i)] += 1
            if i == EMAILS // 3 and not killed_at:
                os.killpg(workers[0].pid, signal.SIGKILL)  # the whole worker, main process and child
                killed_at.append(time.perf_counter() - started)

        def send_form(i: int) -> None:
            data = {"department": str(department), "subject": f"Scale form {i}", "message": f"Form {i}"}
            if priority:
                data["priority"] = str(priority)
            try:
                posted[sessions[i % CUSTOMERS].post("/portal/tickets/new/", data)] += 1
            except OSError as exc:
                posted[type(exc).__name__] += 1

        with ThreadPoolExecutor(4) as pipes, ThreadPoolExecutor(4) as forms:
            jobs = [pipes.submit(send_email, i) for i in range(EMAILS)] + [forms.submit(send_form, i)
                                                                           for i in range(FORMS)]
            for job in jobs:
                job.result()
        burst = time.perf_counter() - started

        # Receipts: one per email ticket, one per portal ticket when the portal channel gets them.
        expected = EMAILS + (FORMS if "portal" in settings.HELPDESK_RECEIPT_CHANNELS else 0)
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline:
            pending = InboundEmail.objects.exclude(state="done").count()
            unsent = TicketMessage.objects.filter(kind="system").exclude(delivery_status="sent").count()
            if pending == 0 and unsent == 0 and sum(smtp.ids.values()) >= expected:
                break
            time.sleep(0.5)
        done = time.perf_counter() - started
        time.sleep(5)  # let late duplicates, if any, arrive
        email_tickets = Counter(Ticket.objects.filter(subject__startswith="Scale email ").values_list("subject",
                                                                                                      flat=True))
        form_tickets = Counter(Ticket.objects.filter(subject__startswith="Scale form ").values_list("subject",
                                                                                                    flat=True))
        receipts_db = Counter(TicketMessage.objects.filter(kind="system", ticket__subject__startswith="Scale email ")
                              .values_list("ticket_id", flat=True))
        twice = sum(1 for n in smtp.ids.values() if n > 1)
        receipt_ids = Counter(TicketMessage.objects.filter(kind="system", ticket__subject__startswith="Scale ")
                              .values_list("message_id", flat=True))
        receipts_once = sum(1 for mid, n in receipt_ids.items() if mid and n == 1 and smtp.ids.get(mid) == 1)
        stray = sum(n for mid, n in smtp.ids.items() if mid not in receipt_ids)
        sweeps = Counter()
        requeued = 0
        for n in range(3):
            log = (work / f"worker{n}.log").read_text(errors="replace")
            for name in ("tickets.sla_sweep", "tickets.automation_sweep", "tickets.requeue_inbound_emails",
                         "tickets.requeue_outbound_messages"):
                sweeps[name] += len(re.findall(rf"Task {re.escape(name)}\[[^\]]+\] succeeded", log))
            requeued += sum(int(c) for c in re.findall(r"outbound messages queued again: (\d+)", log))
        beat_sent = Counter(re.findall(r"Sending due task [\w-]+ \(([\w.]+)\)",
                                       (work / "beat.log").read_text(errors="replace")))
        overlap = sum(max(0, sweeps[name] - beat_sent[name]) for name in sweeps)
        ok = (
            len(email_tickets) == EMAILS and all(n == 1 for n in email_tickets.values())
            and len(form_tickets) == FORMS and all(n == 1 for n in form_tickets.values())
            and len(receipts_db) == EMAILS and all(n == 1 for n in receipts_db.values()) and twice == 0
            and receipts_once == expected and sum(smtp.ids.values()) == expected and stray == 0
            and overlap == 0
        )
        load = os.getloadavg()[0]
        print(
            f"bench_scaleout: {'OK' if ok else 'FAILED'} | 2 gunicorn + 3 workers (1 killed with SIGKILL at "
            f"{killed_at[0] if killed_at else float('nan'):.1f} s) + beat, PostgreSQL + Redis | "
            f"{EMAILS} emails through pipe_email (exit codes {dict(piped)}) and {FORMS} portal forms over HTTP "
            f"(statuses {dict(posted)}) in {burst:.1f} s | all processed and receipts sent after {done:.1f} s | "
            f"email tickets {len(email_tickets)} (max per email {max(email_tickets.values(), default=0)}), "
            f"form tickets {len(form_tickets)} (max per form {max(form_tickets.values(), default=0)}), "
            f"receipts {sum(smtp.ids.values())} at SMTP for {len(smtp.ids)} Message-IDs (twice: {twice}), "
            f"expected {expected}, each exactly once: {receipts_once}, requeued by the outbound sweep {requeued}, "
            f"receipt rows per ticket max {max(receipts_db.values(), default=0)} | sweeps run "
            f"{dict(sweeps)} for beat's sends {dict((k, beat_sent[k]) for k in sweeps)} (more runs than sends: "
            f"{overlap}) | load avg {load:.1f} | logs in {work}"
        )
        if not ok:
            sys.exit(1)
    finally:
        for process in processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
        smtp.controller.stop()
        connection.close()
        connection.creation.destroy_test_db(old_name, verbosity=0)
        redis.Redis.from_url(BROKER).flushdb()


if __name__ == "__main__":
    main()
