"""Health checks (/health/, manage.py health) and beat: beat starts from a fresh var directory on
Redis, and its heartbeat shows whether it runs."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.core.cache import cache

from helpdesk.health import HEARTBEAT_KEY, record_beat_heartbeat

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.django_db


def test_health_reports_every_check_and_fails_without_a_beat_heartbeat(client):
    """With no beat run recorded, /health/ answers 503 and says beat failed; the rest pass."""
    response = client.get("/health/")
    assert response.status_code == 503
    checks = response.json()["checks"]
    assert set(checks) == {"database", "cache", "broker", "worker", "beat"}
    assert checks["beat"] == {"ok": False, "detail": "no beat run recorded"}
    assert checks["database"]["ok"] and checks["cache"]["ok"]


def test_health_passes_with_a_recent_heartbeat_and_fails_with_an_old_one(client, settings):
    """A heartbeat younger than HELPDESK_HEALTH_BEAT_MAX_AGE passes; an older one fails."""
    settings.HELPDESK_HEALTH_BEAT_MAX_AGE = 300
    record_beat_heartbeat()
    response = client.get("/health/?only=database,cache,beat")
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "ok"
    cache.set(HEARTBEAT_KEY, time.time() - 301, None)
    response = client.get("/health/?only=beat")
    assert response.status_code == 503
    assert response.json()["checks"]["beat"]["detail"].startswith("last run 301 s ago")


def test_health_fails_a_broker_that_cannot_be_reached(client, settings):
    """A broker that does not answer fails "broker" (with its error's type, no address)."""
    from helpdesk.celery import app

    old = app.conf.broker_write_url
    app.conf.broker_write_url = "redis://127.0.0.1:1/0"
    try:
        response = client.get("/health/?only=broker")
    finally:
        app.conf.broker_write_url = old
    assert response.status_code == 503
    assert "127.0.0.1" not in response.content.decode()


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_beat_starts_from_a_fresh_var_directory_on_redis_and_its_heartbeat_shows(celery_worker_redis, tmp_path):
    """`celery beat` on Redis with a var directory that does not exist yet starts (it used to die
    on the missing schedule folder), schedules the heartbeat, a worker runs it, and
    `manage.py health --only beat,worker,broker` passes."""
    if not os.environ.get("REDIS_URL"):
        pytest.skip("needs a Redis cache shared with the worker (REDIS_URL)")
    fast = {"HELPDESK_SWEEP_SECONDS": "2"}
    celery_worker_redis(extra_env=fast)
    fresh = tmp_path / "fresh-var"
    env = {**os.environ, **fast, "HELPDESK_VAR_DIR": str(fresh), "DATABASE_URL": _worker_database_url()}
    log = (tmp_path / "beat.log").open("w")
    beat = subprocess.Popen([sys.executable, "-m", "celery", "-A", "helpdesk", "beat", "--loglevel=INFO"],
                            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        result = None
        while time.monotonic() < deadline:
            assert beat.poll() is None, (tmp_path / "beat.log").read_text()[-3000:]
            result = subprocess.run([sys.executable, "manage.py", "health", "--only", "beat,worker,broker"],
                                    cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
            if result.returncode == 0:
                break
            time.sleep(1)
        assert result is not None and result.returncode == 0, (result and result.stdout,
                                                               (tmp_path / "beat.log").read_text()[-3000:])
        assert "beat: ok - last run" in result.stdout
        assert (fresh / "celery").is_dir()
    finally:
        beat.terminate()
        beat.wait(timeout=20)


def _worker_database_url() -> str:
    from tests.conftest import _database_url_for_test_db

    return _database_url_for_test_db()
