"""Test set-up shared by the whole suite.

Unit tests run Celery tasks eagerly and capture mail in memory. Real parts, when a test asks:
- `smtp_server`: an aiosmtpd SMTP server on loopback; Django's SMTP backend points at it.
- `browser` / `page`: Playwright driving Debian's /usr/bin/chromium (use with `live_server`).
- `celery_worker_redis`: starts a real Celery worker (optionally with beat) on Redis, against
  the test database; skipped unless the run uses PostgreSQL and a redis:// broker.
"""

import email
import importlib
import os
import socket
import subprocess
import sys
import threading
import time
from email import policy
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.db import connection

from helpdesk.celery import app as celery_app

# Playwright's sync API keeps an event loop in the main thread; the ORM calls our tests make
# between page actions are still synchronous and safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


# Data migrations that seed rows every install has. Transactional tests (live_server, worker)
# flush the database afterwards; these are replayed before each database test so the next
# test finds them again. Add yours here.
SEED_MIGRATIONS = [
    "tickets.migrations.0002_seed_configuration",
    "tickets.migrations.0005_seed_automation_rules",
    "tickets.migrations.0005_seed_email_receipt_template",
    "tickets.migrations.0014_escalations_portal_labels",
    "surveys.migrations.0001_surveys",
]


@pytest.fixture(autouse=True)
def _seeded_configuration(request):
    if request.node.get_closest_marker("django_db") is None:
        return
    from django.apps import apps

    request.getfixturevalue("transactional_db" if _is_transactional(request) else "db")
    for module in SEED_MIGRATIONS:
        importlib.import_module(module).seed(apps, None)


def _is_transactional(request) -> bool:
    marker = request.node.get_closest_marker("django_db")
    return bool(marker.kwargs.get("transaction")) or "live_server" in request.fixturenames


@pytest.fixture(autouse=True)
def _test_settings(settings, tmp_path):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    settings.CELERY_TASK_EAGER_PROPAGATES = True
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.AXES_ENABLED = False
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    from django.core.cache import cache

    cache.clear()  # locmem caches live as long as the process: start every test empty
    # Celery reads its configuration once; set the running app directly.
    eager = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    celery_app.conf.task_eager_propagates = True
    yield
    celery_app.conf.task_always_eager = eager


# --- SMTP ----------------------------------------------------------------------------------


class _SMTPSink:
    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self.refusals: dict[str, str] = {}  # recipient (lower case) -> the RCPT reply, e.g. "550 ..."
        self._lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        if reply := self.refusals.get(address.lower()):
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's hook name)
        message = email.message_from_bytes(envelope.original_content or envelope.content, policy=policy.default)
        with self._lock:
            self.messages.append(message)
            self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        return "250 Message accepted for delivery"


class SMTPServer:
    """A running loopback SMTP server and what it received."""

    def __init__(self, controller, sink: _SMTPSink) -> None:
        self.host = controller.hostname
        self.port = controller.port
        self._sink = sink

    @property
    def messages(self) -> list[email.message.EmailMessage]:
        return list(self._sink.messages)

    @property
    def envelopes(self) -> list[tuple[str, list[str]]]:
        return list(self._sink.envelopes)

    def refuse(self, address: str, reply: str = "550 5.1.1 User unknown") -> None:
        """Answer RCPT TO for `address` with `reply` (a 5xx refuses for good, a 4xx for now)."""
        self._sink.refusals[address.lower()] = reply

    def wait_for(self, count: int, timeout: float = 20.0) -> list[email.message.EmailMessage]:
        """Wait until at least `count` messages arrived; return them (fails the test on timeout)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if len(self._sink.messages) >= count:
                return self.messages
            time.sleep(0.05)
        pytest.fail(f"expected {count} email(s) on the SMTP server, got {len(self._sink.messages)}")


@pytest.fixture
def smtp_server(settings):
    from aiosmtpd.controller import Controller

    sink = _SMTPSink()
    with socket.socket() as probe:  # aiosmtpd cannot bind port 0 itself
        probe.bind(("127.0.0.1", 0))
        free_port = probe.getsockname()[1]
    controller = Controller(sink, hostname="127.0.0.1", port=free_port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = controller.hostname
    settings.EMAIL_PORT = controller.port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    try:
        yield SMTPServer(controller, sink)
    finally:
        controller.stop()


# --- Browser -------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser():
    if not os.path.exists(CHROMIUM):
        if os.environ.get("CI") == "true":
            pytest.fail(f"{CHROMIUM} is missing: .ci/run installs Debian's chromium package")
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 900}, locale="en-GB")
    context.set_default_timeout(15_000)
    page = context.new_page()
    yield page
    context.close()


# --- Celery worker -------------------------------------------------------------------------


class CeleryWorker:
    def __init__(self, process: subprocess.Popen, log_path: Path) -> None:
        self.process = process
        self.log_path = log_path

    @property
    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def stop(self, kill: bool = False) -> None:
        if self.process.poll() is None:
            self.process.kill() if kill else self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def _database_url_for_test_db() -> str:
    s = connection.settings_dict
    user = s.get("USER") or ""
    password = f":{s['PASSWORD']}" if s.get("PASSWORD") else ""
    auth = f"{user}{password}@" if user else ""
    return f"postgres://{auth}{s.get('HOST') or '127.0.0.1'}:{s.get('PORT') or 5432}/{s['NAME']}"


def _forget_queued_inbound_task() -> None:
    """Drop the "a processing task is queued" marker in the cache the subprocesses share: its
    task went with the flushed queue."""
    from tickets.intake.store import QUEUED_KEY

    if os.environ.get("REDIS_URL"):
        from django.core.cache.backends.redis import RedisCache

        RedisCache(os.environ["REDIS_URL"], {}).delete(QUEUED_KEY)


@pytest.fixture
def celery_worker_redis(settings, tmp_path):
    """Return a function that starts a real worker (`beat=True` adds embedded beat).

    The worker runs against the test database and the run's Redis broker, with the same
    media folder and email settings as the test (point them first, e.g. with `smtp_server`).
    Tasks are no longer eager in the test process, so `.delay()` really goes through Redis.
    Use with `@pytest.mark.django_db(transaction=True)` so the worker sees committed rows.
    """
    broker = os.environ.get("CELERY_BROKER_URL", "")
    if not broker.startswith("redis://") or connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (DATABASE_URL) and Redis (CELERY_BROKER_URL=redis://...)")
    workers: list[CeleryWorker] = []
    celery_app.conf.task_always_eager = False
    settings.CELERY_TASK_ALWAYS_EAGER = False

    def start(*, beat: bool = False, extra_env: dict[str, str] | None = None, concurrency: int = 1,
              include: str = "") -> CeleryWorker:
        import redis

        redis.Redis.from_url(broker).flushdb()  # no tasks left over from an earlier run
        _forget_queued_inbound_task()
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "helpdesk.settings",
            "DATABASE_URL": _database_url_for_test_db(),
            "CELERY_BROKER_URL": broker,
            "CELERY_TASK_ALWAYS_EAGER": "0",
            "MEDIA_ROOT": str(django_settings.MEDIA_ROOT),
            "HELPDESK_VAR_DIR": str(tmp_path / "var"),
            "EMAIL_BACKEND": django_settings.EMAIL_BACKEND,
            "EMAIL_HOST": str(django_settings.EMAIL_HOST),
            "EMAIL_PORT": str(django_settings.EMAIL_PORT),
            "SITE_URL": django_settings.SITE_URL,
            "AXES_ENABLED": "0",
            **(extra_env or {}),
        }
        if env["EMAIL_BACKEND"].endswith("locmem.EmailBackend"):
            env["EMAIL_BACKEND"] = "django.core.mail.backends.dummy.EmailBackend"
        (tmp_path / "var" / "celery").mkdir(parents=True, exist_ok=True)
        log_path = tmp_path / f"worker-{len(workers)}.log"
        cmd = [sys.executable, "-m", "celery", "-A", "helpdesk", "worker", "--loglevel=INFO",
               f"--concurrency={concurrency}", "--pool=prefork", "--without-gossip", "--without-mingle",
               f"--hostname=test{len(workers)}@%h", "-Q", "celery,intake_slow"]
        if include:  # modules the worker imports at start (test doubles, e.g. a slow step)
            cmd += [f"--include={include}"]
        if beat:
            cmd += ["-B", f"--schedule={tmp_path / 'var' / 'celery' / 'beat-schedule'}"]
        process = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log_path.open("w"), stderr=subprocess.STDOUT)
        worker = CeleryWorker(process, log_path)
        workers.append(worker)
        deadline = time.monotonic() + 60
        while "ready." not in worker.log:
            if process.poll() is not None or time.monotonic() > deadline:
                worker.stop(kill=True)
                pytest.fail(f"Celery worker did not start:\n{worker.log[-3000:]}")
            time.sleep(0.2)
        return worker

    yield start
    for worker in workers:
        worker.stop()
