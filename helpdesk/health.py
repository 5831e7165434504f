"""Health checks for operators and docker-compose: database, cache, broker, worker, beat.

Beat proves itself alive through a heartbeat: the beat-scheduled task `helpdesk.beat_heartbeat`
(every HELPDESK_SWEEP_SECONDS, helpdesk/beat.py) writes the time of its run into the cache, so a
recent heartbeat says that beat scheduled it and a worker ran it. `GET /health/` answers 200
when every check passes and 503 otherwise, as JSON; `?only=database,cache` runs some of them
(the web container checks what it needs, not the worker). `manage.py health` does the same on
the command line (exit 1 on a failure) for containers without HTTP.
"""

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.db import connection

HEARTBEAT_KEY = "helpdesk:health:beat"


@dataclass(frozen=True)
class CheckResult:
    """One check's answer: ok or not, and a short detail (never a secret or a traceback)."""

    ok: bool
    detail: str = ""


def _database() -> CheckResult:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return CheckResult(True)


def _cache() -> CheckResult:
    key = "helpdesk:health:cache"
    value = str(time.time())
    cache.set(key, value, 30)
    return CheckResult(cache.get(key) == value, "" if cache.get(key) == value else "value not read back")


def _broker() -> CheckResult:
    from helpdesk.celery import app

    with app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, timeout=3)
    return CheckResult(True)


def _worker() -> CheckResult:
    from helpdesk.celery import app

    if app.conf.task_always_eager:
        return CheckResult(True, "tasks run eagerly")
    replies = app.control.ping(timeout=2.0, limit=1)
    return CheckResult(bool(replies), f"{len(replies)} replied" if replies else "no worker answered a ping")


def _beat() -> CheckResult:
    last = cache.get(HEARTBEAT_KEY)
    if last is None:
        return CheckResult(False, "no beat run recorded")
    age = time.time() - float(last)
    limit = settings.HELPDESK_HEALTH_BEAT_MAX_AGE
    return CheckResult(age <= limit, f"last run {int(age)} s ago (limit {limit} s)")


CHECKS: dict[str, Callable[[], CheckResult]] = {
    "database": _database,
    "cache": _cache,
    "broker": _broker,
    "worker": _worker,
    "beat": _beat,
}


def run_checks(names: Iterable[str] | None = None) -> dict[str, CheckResult]:
    """Run the named checks (all when None); an exception fails its check with its type name."""
    results: dict[str, CheckResult] = {}
    for name in names or CHECKS:
        check = CHECKS.get(name)
        if check is None:
            results[name] = CheckResult(False, "unknown check")
            continue
        try:
            results[name] = check()
        except Exception as exc:  # a check that cannot run has failed
            results[name] = CheckResult(False, type(exc).__name__)
    return results


def record_beat_heartbeat() -> float:
    """Write the time of this run as beat's heartbeat; return it."""
    now = time.time()
    cache.set(HEARTBEAT_KEY, now, None)
    return now
