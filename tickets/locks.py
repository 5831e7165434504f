"""A non-blocking lock for periodic sweeps, so an overrunning sweep never runs twice at once.

On PostgreSQL it is a session advisory lock (released even if the worker dies, because the
connection closes); elsewhere it is a cache entry added atomically with a timeout.
"""

import hashlib
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from django.core.cache import cache
from django.db import connection


def _key(name: str) -> int:
    return int.from_bytes(hashlib.sha1(f"helpdesk:{name}".encode()).digest()[:8], "big", signed=True)


@contextmanager
def sweep_lock(name: str, *, timeout: int = 600) -> Iterator[bool]:
    """Yield True if this process holds the lock `name` for the block, False if another does."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_lock(%s)", [_key(name)])
            acquired = bool(cursor.fetchone()[0])
        try:
            yield acquired
        finally:
            if acquired:
                with connection.cursor() as cursor:
                    cursor.execute("SELECT pg_advisory_unlock(%s)", [_key(name)])
        return
    token = uuid.uuid4().hex
    cache_key = f"sweep-lock:{name}"
    acquired = cache.add(cache_key, token, timeout)
    try:
        yield acquired
    finally:
        if acquired and cache.get(cache_key) == token:
            cache.delete(cache_key)
