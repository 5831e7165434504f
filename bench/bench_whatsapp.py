"""Benchmark the WhatsApp webhook on PostgreSQL: signed POSTs on loopback against gunicorn at a
fixed rate (our own bounded asyncio client, open loop), then a real Celery worker processing the
stored events, then the inbox's conversation list at 100,000 conversations.

Prints one line: acknowledgement p50/p99 and throughput at the offered rate, refusals, the
worker's processing rate, whether every message was stored exactly once (5 % of the POSTs are
Meta-style repeats of an earlier body), and the conversation list p95.

Targets (issue 11): p99 < 25 ms at 200 requests/s, none lost, none processed twice; list p95 <
100 ms at 100,000 conversations. Runs in a throw-away database (`<name>_bench_whatsapp`).
Environment: DATABASE_URL (PostgreSQL), BENCH_WA_RATE (200), BENCH_WA_SECONDS (15),
BENCH_WA_CONVERSATIONS (100000), BENCH_REDIS_URL (redis://127.0.0.1:6379/6), BENCH_WA_PORT (8731).
"""

import asyncio
import hashlib
import hmac
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")
os.environ.setdefault("LOG_LEVEL", "WARNING")
os.environ.setdefault("DEBUG", "false")
os.environ.setdefault("SECRET_KEY", "bench-only-secret-key-not-for-production-use-0123456789")
os.environ.setdefault("SECURE_SSL_REDIRECT", "false")
os.environ.setdefault("AXES_ENABLED", "false")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/6")
os.environ["CELERY_BROKER_URL"] = REDIS_URL
SECRET = "bench-app-secret"
PNID = "106540352242922"
PORT = int(os.environ.get("BENCH_WA_PORT", "8731"))


def body_for(i: int) -> bytes:
    wa_id = f"4470090{i % 5000:05d}"
    doc = {"object": "whatsapp_business_account", "entry": [{"id": "1", "changes": [{"field": "messages", "value": {
        "messaging_product": "whatsapp", "metadata": {"display_phone_number": "15550783881", "phone_number_id": PNID},
        "contacts": [{"profile": {"name": f"Customer {i % 5000}"}, "wa_id": wa_id}],
        "messages": [{"from": wa_id, "id": f"wamid.BENCH{i:08d}", "timestamp": str(1764600000 + i), "type": "text",
                      "text": {"body": f"Hello, message number {i}"}}]}}]}]}
    return json.dumps(doc).encode()


def request_bytes(body: bytes) -> bytes:
    signature = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    head = (f"POST /whatsapp/webhook/getdata HTTP/1.1\r\nHost: 127.0.0.1:{PORT}\r\n"
            f"Content-Type: application/json\r\nX-Hub-Signature-256: {signature}\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n")
    return head.encode() + body


async def _post(raw: bytes) -> tuple[float, int]:
    started = time.perf_counter()
    reader, writer = await asyncio.open_connection("127.0.0.1", PORT)
    writer.write(raw)
    await writer.drain()
    status_line = await reader.readline()
    await reader.read()
    writer.close()
    status = int(status_line.split()[1]) if status_line else 0
    return (time.perf_counter() - started) * 1000, status


async def load(bodies: list[bytes], rate: float) -> tuple[list[float], list[int], float]:
    """Open loop: request i starts at i / rate whatever the earlier ones do (at most 500 in flight)."""
    gate = asyncio.Semaphore(500)
    raws = [request_bytes(b) for b in bodies]

    async def one(i: int, start: float) -> tuple[float, int]:
        delay = start + i / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        async with gate:
            return await _post(raws[i])

    start = time.perf_counter()
    results = await asyncio.gather(*(one(i, start) for i in range(len(raws))))
    return [r[0] for r in results], [r[1] for r in results], time.perf_counter() - start


def database_url() -> str:
    from django.db import connection

    s = connection.settings_dict
    auth = (s["USER"] or "") + (f":{s['PASSWORD']}" if s["PASSWORD"] else "")
    return f"postgres://{auth}{'@' if auth else ''}{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


def _wait_port(timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", PORT), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("gunicorn did not start")


def _wait_worker(timeout: float = 120) -> None:
    from helpdesk.celery import app

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if app.control.ping(timeout=0.5):
            return
    raise RuntimeError("the benchmark worker did not start")


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def list_p95(count: int) -> tuple[float, int]:
    """Fill `count` conversations and time the inbox page (full view, an agent of one department)."""
    from django.test import Client
    from django.utils import timezone

    from crm.models import User
    from tickets.models import Department
    from whatsapp.models import Conversation, PhoneNumber

    number = PhoneNumber.objects.get()
    departments = [number.default_department] + [Department.objects.create(name=f"Dept {i}", email=f"d{i}@x.example")
                                                  for i in range(3)]
    agent = User.objects.create(email="bench-agent@company.com", is_staff=True, full_name="Bench Agent")
    agent.departments.add(departments[0])
    agents = [agent] + [User.objects.create(email=f"a{i}@company.com", is_staff=True) for i in range(5)]
    now = timezone.now()
    rng = random.Random(3)
    existing = Conversation.objects.count()
    batch = []
    for i in range(existing, count):
        batch.append(Conversation(
            phone_number=number, wa_id=f"3530{i:08d}", profile_name=f"Person {i}",
            department=departments[i % 4], assignee=agents[i % 6] if i % 3 else None,
            status="open" if i % 5 else "closed", unread_count=rng.choice([0, 0, 0, 1, 2]),
            last_message_at=now - timedelta(seconds=i * 7), last_inbound_at=now - timedelta(seconds=i * 7),
            last_preview=f"preview {i}"))
        if len(batch) == 5000:
            Conversation.objects.bulk_create(batch)
            batch = []
    Conversation.objects.bulk_create(batch)
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE whatsapp_conversation")
    client = Client()
    client.force_login(agent)
    urls = ["/staff/whatsapp/", "/staff/whatsapp/?view=mine", "/staff/whatsapp/?view=unassigned",
            "/staff/whatsapp/?q=Person%2012345", "/staff/whatsapp/?q=353000001", "/staff/whatsapp/?status=closed"]
    for url in urls:
        client.get(url)  # warm
    times = []
    for _ in range(20):
        for url in urls:
            started = time.perf_counter()
            assert client.get(url).status_code == 200
            times.append((time.perf_counter() - started) * 1000)
    return pct(times, 0.95), Conversation.objects.count()


def main() -> None:
    import django

    django.setup()
    import redis
    from django.conf import settings
    from django.db import connection

    if connection.vendor != "postgresql":
        print("bench_whatsapp: skipped (needs DATABASE_URL=postgres://...)")
        return
    rate = float(os.environ.get("BENCH_WA_RATE", "200"))
    seconds = float(os.environ.get("BENCH_WA_SECONDS", "15"))
    conversations = int(os.environ.get("BENCH_WA_CONVERSATIONS", "100000"))
    settings.DATABASES["default"].setdefault("TEST", {})["NAME"] = f"{connection.settings_dict['NAME']}_bench_whatsapp"
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    redis.Redis.from_url(REDIS_URL).flushdb()
    gunicorn = worker = None
    try:
        from tickets.models import Department
        from whatsapp.models import Account, Message, PhoneNumber, WebhookEvent

        account = Account.objects.create(app_secret=SECRET, access_token="x", verify_token="v")
        PhoneNumber.objects.create(account=account, phone_number_id=PNID, display_number="+1 555",
                                   default_department=Department.objects.create(name="General", email="g@x.example"))
        total = int(rate * seconds)
        unique = [body_for(i) for i in range(total)]
        rng = random.Random(1)
        # 5 % of the POSTs repeat an earlier body, as Meta's retries do.
        bodies = [unique[rng.randrange(i)] if i > 20 and rng.random() < 0.05 else unique[i] for i in range(total)]
        distinct = len(set(bodies))
        env = {**os.environ, "DATABASE_URL": database_url(), "CELERY_BROKER_URL": REDIS_URL,
               "CELERY_TASK_ALWAYS_EAGER": "0"}
        connection.close()
        gunicorn = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "helpdesk.wsgi", "-b", f"127.0.0.1:{PORT}", "-w", "4",
             "--log-level", "warning"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _wait_port()
        asyncio.run(load([body_for(10_000_000 + i) for i in range(50)], 100))  # warm the workers
        latencies, statuses, elapsed = asyncio.run(load(bodies, rate))
        refused = sum(1 for s in statuses if s != 200)
        gunicorn.terminate()
        gunicorn.wait(timeout=30)
        gunicorn = None
        stored = WebhookEvent.objects.count()

        worker = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "helpdesk", "worker", "--concurrency=2", "--pool=prefork",
             "--without-gossip", "--without-mingle", "--loglevel=WARNING", "--hostname=bench-wa@%h"],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _wait_worker()
        started = time.perf_counter()
        deadline = time.monotonic() + 900
        while time.monotonic() < deadline:
            if not WebhookEvent.objects.filter(state__in=["new", "processing"]).exists():
                break
            time.sleep(0.25)
        processing = time.perf_counter() - started
        messages = Message.objects.filter(wamid__startswith="wamid.BENCH").count() - 50  # minus the warm-up
        failed = WebhookEvent.objects.filter(state="failed").count()
        worker.terminate()
        worker.wait(timeout=60)
        worker = None
        p95, count = list_p95(conversations)
    finally:
        for proc in (gunicorn, worker):
            if proc is not None:
                proc.kill()
                proc.wait()
        redis.Redis.from_url(REDIS_URL).flushdb()
        connection.close()
        connection.creation.destroy_test_db(old_name, verbosity=0)
    events = stored - 50
    print(
        f"bench_whatsapp: {total} signed POSTs offered at {rate:.0f}/s to gunicorn (4 sync workers) | "
        f"ack p50 {statistics.median(latencies):.1f} ms, p99 {pct(latencies, 0.99):.1f} ms, "
        f"max {max(latencies):.0f} ms,"
        f" achieved {total / elapsed:.0f}/s, non-200 {refused} | events stored {events} for {distinct} distinct bodies"
        f" | worker (2 processes) {events / processing:.0f} events/s, failed {failed} | messages {messages} for "
        f"{distinct} distinct wamids ({'none lost, none twice' if messages == distinct else 'MISMATCH'}) | "
        f"inbox list p95 {p95:.0f} ms at {count:,} conversations | load avg {os.getloadavg()[0]:.1f}"
    )


if __name__ == "__main__":
    main()
