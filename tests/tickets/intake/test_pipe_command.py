"""pipe_email and import_emails: sysexits codes, durable storing, duplicates and concurrency,
through the command and through manage.py's fast path."""

import base64
import io
import json
import mailbox
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection

from tests.tickets.intake.test_email import build
from tickets.intake.services import process_inbound_email, store_inbound_email
from tickets.models import InboundEmail, Ticket

ROOT = Path(__file__).resolve().parents[3]
on_postgres = pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL (several processes)")


def pipe_in_process(raw: bytes, *args: str) -> tuple[int, str]:
    """Run pipe_email in this process with `raw` on stdin; return (exit code, stderr)."""

    class Stdin:
        buffer = io.BytesIO(raw)

    err = io.StringIO()
    old = sys.stdin
    sys.stdin = Stdin()  # type: ignore[assignment]
    try:
        with pytest.raises(SystemExit) as exit_info:
            call_command("pipe_email", *args, stderr=err)
    finally:
        sys.stdin = old
    return exit_info.value.code, err.getvalue()


def pipe_subprocess(raw: bytes, *, database_url: str, extra_env: dict | None = None, args: tuple = ()):
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "CELERY_TASK_ALWAYS_EAGER": "1",
        "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
        "LOG_LEVEL": "WARNING",
        **(extra_env or {}),
    }
    return subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "pipe_email", *args],
        input=raw, capture_output=True, env=env, cwd=ROOT, timeout=60,
    )


def test_database_url_of_test_db() -> None:
    """(helper check) The PostgreSQL URL of the test database is built from the live connection."""
    assert "://" in _db_url() or connection.vendor != "postgresql"


def _db_url() -> str:
    s = connection.settings_dict
    if connection.vendor != "postgresql":
        return ""
    auth = s["USER"] + (f":{s['PASSWORD']}" if s["PASSWORD"] else "")
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


@pytest.mark.django_db
def test_pipe_stores_and_exits_zero(departments, django_capture_on_commit_callbacks):
    """A valid email exits 0, is stored with its Message-ID and envelope recipient, and is processed."""
    with django_capture_on_commit_callbacks(execute=True):
        code, err = pipe_in_process(build(message_id="<p1@client.example>", to="x@y.example"),
                                    "--recipient", "Tech@Company.com")
    assert code == 0, err
    row = InboundEmail.objects.get()
    assert (row.message_id, row.recipient, row.source) == ("<p1@client.example>", "tech@company.com", "pipe")
    assert row.outcome == "ticket_opened" and row.ticket.department == departments["tech"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "raw, reason",
    [(b"", "empty"), (b"\x00\x01\x02\xff" * 100, "binary"), (b"hello world, no headers at all\n", "header"),
     (os.urandom(4096).replace(b":", b"."), "")],
)
def test_pipe_rejects_non_email_with_65(raw, reason, departments):
    """Input that is not an email exits 65 with a one-line reason on stderr and stores nothing."""
    code, err = pipe_in_process(raw)
    assert code == 65
    assert err.count("\n") <= 1 and "not an email" in err and reason in err
    assert InboundEmail.objects.count() == 0


@pytest.mark.django_db
def test_database_outage_exits_75_then_redelivery_succeeds(departments, django_capture_on_commit_callbacks):
    """With the database unreachable the pipe exits 75 (the MTA retries); the retry is stored."""
    raw = build(message_id="<outage@client.example>")
    result = pipe_subprocess(raw, database_url="postgres://postgres@127.0.0.1:1/nowhere")
    assert result.returncode == 75, result.stderr
    assert b"temporary failure" in result.stderr
    with django_capture_on_commit_callbacks(execute=True):
        code, err = pipe_in_process(raw)
    assert code == 0, err
    assert InboundEmail.objects.get().outcome == "ticket_opened"


@on_postgres
@pytest.mark.django_db(transaction=True)
def test_pipe_twice_and_concurrently_yields_one_ticket(departments):
    """The same email piped by six processes at once, then once more, is one email and one ticket."""
    raw = build(message_id="<race@client.example>", subject="Race")
    procs = [
        subprocess.Popen(
            [sys.executable, str(ROOT / "manage.py"), "pipe_email"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT,
            env={**os.environ, "DATABASE_URL": _db_url(), "CELERY_TASK_ALWAYS_EAGER": "1",
                 "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend", "LOG_LEVEL": "WARNING"},
        )
        for _ in range(6)
    ]
    for proc in procs:  # write to all before reading any, so they race
        proc.stdin.write(raw)
        proc.stdin.close()
    codes = [proc.wait(timeout=60) for proc in procs]
    assert codes == [0] * 6, [p.stderr.read() for p in procs]
    assert pipe_subprocess(raw, database_url=_db_url()).returncode == 0
    row = InboundEmail.objects.get()
    assert row.deliveries == 7
    assert Ticket.objects.filter(subject="Race").count() == 1
    assert row.outcome == "ticket_opened"


@on_postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_workers_process_one_email_once(departments):
    """Four workers processing the same stored email at once write one ticket."""
    stored = store_inbound_email(raw=build(message_id="<workers@client.example>"), queue=False).inbound

    def work(_):
        try:
            return process_inbound_email(inbound_id=stored.pk).outcome
        finally:
            connection.close()

    with ThreadPoolExecutor(4) as pool:
        outcomes = list(pool.map(work, range(4)))
    assert outcomes == ["ticket_opened"] * 4
    assert Ticket.objects.count() == 1


@pytest.mark.django_db
def test_import_emails_from_maildir_mbox_and_files(departments, tmp_path, capsys):
    """import_emails reads Maildirs, mbox files and .eml files; a re-run only skips duplicates."""
    maildir = mailbox.Maildir(str(tmp_path / "Maildir"), create=True)
    for i in range(3):
        maildir.add(build(subject=f"maildir {i}", message_id=f"<md{i}@client.example>"))
    box = mailbox.mbox(str(tmp_path / "archive.mbox"), create=True)
    for i in range(2):
        box.add(build(subject=f"mbox {i}", message_id=f"<mb{i}@client.example>"))
    box.flush()
    eml = tmp_path / "one.eml"
    eml.write_bytes(build(subject="file", message_id="<file@client.example>"))
    junk = tmp_path / "junk.eml"
    junk.write_bytes(b"\x00\x00garbage")
    args = [str(tmp_path / "Maildir"), str(tmp_path / "archive.mbox"), str(eml), str(junk), "--no-progress"]
    call_command("import_emails", *args)
    out = capsys.readouterr().out
    assert "new tickets 6" in out and "rejected 1" in out and "failed 0" in out
    assert Ticket.objects.count() == 6
    call_command("import_emails", *args)
    out = capsys.readouterr().out
    assert "new tickets 0" in out and "duplicates skipped 6" in out


# --- the fast path (manage.py pipe_email without Django's full start-up) -------------------

BROKER = os.environ.get("CELERY_BROKER_URL", "")
on_redis = pytest.mark.skipif(
    connection.vendor != "postgresql" or not BROKER.startswith("redis://"),
    reason="needs PostgreSQL and a redis:// broker (CELERY_BROKER_URL)",
)


@pytest.fixture
def broker_queue():
    """The broker's default queue, empty, and no "task queued" marker left in the cache."""
    import redis

    from tests.conftest import _forget_queued_inbound_task

    client = redis.Redis.from_url(BROKER)
    client.flushdb()
    _forget_queued_inbound_task()
    yield client
    client.flushdb()
    _forget_queued_inbound_task()


def fast_pipe(raw: bytes, *args: str, database_url: str | None = None) -> subprocess.CompletedProcess:
    return pipe_subprocess(raw, database_url=database_url or _db_url(), args=args,
                           extra_env={"CELERY_TASK_ALWAYS_EAGER": "0", "CELERY_BROKER_URL": BROKER})


def test_fast_path_sends_the_message_celery_would_send():
    """The task message pipe_email writes to Redis has Celery's headers and body, so a worker
    runs it like any other (the integration test runs one)."""
    from helpdesk.celery import app
    from helpdesk.task_push import task_message

    ours = json.loads(task_message("tickets.process_inbound_email", [42]))
    theirs = app.amqp.as_task_v2(ours["headers"]["id"], "tickets.process_inbound_email", args=(42,), kwargs={})
    assert set(theirs.headers) <= set(ours["headers"])
    assert {k: ours["headers"][k] for k in ("task", "id", "root_id", "retries", "argsrepr")} == {
        k: theirs.headers[k] for k in ("task", "id", "root_id", "retries", "argsrepr")}
    assert json.loads(base64.b64decode(ours["body"])) == json.loads(json.dumps(theirs.body))
    assert ours["properties"]["delivery_info"] == {"exchange": "", "routing_key": "celery"}


@on_redis
@pytest.mark.django_db(transaction=True)
def test_fast_path_stores_and_queues_once_per_burst(departments, broker_queue):
    """pipe_email stores the email and queues one processing task; an email piped while that
    task waits to start queues none (the task takes it along); a duplicate only counts."""
    first = build(message_id="<fast1@client.example>")
    result = fast_pipe(first, "--recipient", "Tech@Company.com", "-v", "2")
    assert result.returncode == 0, result.stderr
    row = InboundEmail.objects.get()
    assert (row.message_id, row.recipient, row.state) == ("<fast1@client.example>", "tech@company.com", "new")
    assert f"stored inbound email {row.pk}".encode() in result.stdout
    assert fast_pipe(build(message_id="<fast2@client.example>")).returncode == 0
    assert fast_pipe(first).returncode == 0
    messages = broker_queue.lrange("celery", 0, -1)
    assert len(messages) == 1
    message = json.loads(messages[0])
    assert message["headers"]["task"] == "tickets.process_inbound_email"
    assert json.loads(base64.b64decode(message["body"]))[0] == [row.pk]
    assert InboundEmail.objects.count() == 2 and InboundEmail.objects.get(pk=row.pk).deliveries == 2


@on_redis
@pytest.mark.django_db(transaction=True)
def test_fast_path_exit_codes(departments, broker_queue):
    """Through the fast path too: not an email exits 65 with one line, a database outage 75;
    neither queues anything."""
    junk = fast_pipe(b"\x00\x01 not mail")
    assert junk.returncode == 65 and junk.stderr.count(b"\n") == 1 and b"not an email" in junk.stderr
    down = fast_pipe(build(message_id="<down@client.example>"), database_url="postgres://postgres@127.0.0.1:1/nowhere")
    assert down.returncode == 75 and b"temporary failure" in down.stderr
    assert InboundEmail.objects.count() == 0 and broker_queue.llen("celery") == 0


@on_redis
@pytest.mark.django_db(transaction=True)
def test_fast_path_concurrent_deliveries_store_one_email(departments, broker_queue):
    """Six simultaneous fast-path pipes of the same email store it once, with six deliveries."""
    raw = build(message_id="<fastrace@client.example>", subject="Race")
    env = {**os.environ, "DATABASE_URL": _db_url(), "CELERY_TASK_ALWAYS_EAGER": "0", "CELERY_BROKER_URL": BROKER,
           "LOG_LEVEL": "WARNING"}
    procs = [subprocess.Popen([sys.executable, str(ROOT / "manage.py"), "pipe_email"], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT, env=env) for _ in range(6)]
    for proc in procs:
        proc.stdin.write(raw)
        proc.stdin.close()
    assert [proc.wait(timeout=60) for proc in procs] == [0] * 6, [p.stderr.read() for p in procs]
    assert InboundEmail.objects.get().deliveries == 6
