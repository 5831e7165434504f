"""Put a Celery task on a Redis broker without importing Celery, kombu or redis-py.

For `manage.py pipe_email` only: a mail server starts it once per email, and importing
Celery's stack costs more than storing the email does. It writes the message kombu's Redis
transport writes (Celery's task protocol 2, JSON, body base64: `LPUSH <queue> <message>`, see
tests/tickets/test_pipe_command.py, which compares the two), and sets cache markers the way
Django's RedisCache does. Anything unusual (another broker, a custom cache key function) is
left to the ordinary Celery path by the caller.
"""

import base64
import json
import os
import socket
import uuid
from urllib.parse import unquote, urlsplit

DEFAULT_QUEUE = "celery"


class RedisError(OSError):
    """The Redis server answered with an error or could not be reached."""


class Redis:
    """A minimal Redis client over one socket: enough for LPUSH, SET NX EX and DEL."""

    def __init__(self, url: str, *, timeout: float = 5.0) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("redis", "rediss"):
            raise ValueError(f"not a redis:// URL: {parts.scheme}")
        self.sock = socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 6379), timeout=timeout)
        if parts.scheme == "rediss":
            import ssl

            self.sock = ssl.create_default_context().wrap_socket(self.sock, server_hostname=parts.hostname)
        self.reader = self.sock.makefile("rb")
        if parts.password:
            user = unquote(parts.username) if parts.username else None
            self.call("AUTH", *([user] if user else []), unquote(parts.password))
        db = (parts.path or "/").strip("/") or "0"
        if db != "0":
            self.call("SELECT", db)

    def call(self, *args: str | bytes | int) -> object:
        """Send one command and return its reply (bytes, int, str or None)."""
        chunks = [f"*{len(args)}\r\n".encode()]
        for arg in args:
            data = arg if isinstance(arg, bytes) else str(arg).encode()
            chunks.append(b"$%d\r\n%s\r\n" % (len(data), data))
        self.sock.sendall(b"".join(chunks))
        return self._reply()

    def _reply(self) -> object:
        line = self.reader.readline()
        if not line:
            raise RedisError("connection closed by the Redis server")
        kind, rest = line[:1], line[1:-2]
        if kind == b"+":
            return rest.decode()
        if kind == b"-":
            raise RedisError(rest.decode(errors="replace"))
        if kind == b":":
            return int(rest)
        if kind == b"$":
            size = int(rest)
            if size < 0:
                return None
            data = self.reader.read(size + 2)
            return data[:-2]
        if kind == b"*":
            return [self._reply() for _ in range(max(int(rest), 0))]
        raise RedisError(f"unexpected reply {line[:40]!r}")

    def close(self) -> None:
        try:
            self.reader.close()
            self.sock.close()
        except OSError:
            pass


def task_message(name: str, args: list, *, queue: str = DEFAULT_QUEUE) -> bytes:
    """Return the broker message Celery would publish for `name.delay(*args)`."""
    task_id = str(uuid.uuid4())
    body = json.dumps([args, {}, {"callbacks": None, "errbacks": None, "chain": None, "chord": None}])
    message = {
        "body": base64.b64encode(body.encode()).decode(),
        "content-encoding": "utf-8",
        "content-type": "application/json",
        "headers": {
            "lang": "py", "task": name, "id": task_id, "shadow": None, "eta": None, "expires": None,
            "group": None, "group_index": None, "retries": 0, "timelimit": [None, None],
            "root_id": task_id, "parent_id": None, "argsrepr": repr(tuple(args)), "kwargsrepr": "{}",
            "origin": f"gen{os.getpid()}@{socket.gethostname()}", "ignore_result": False,
            "replaced_task_nesting": 0, "stamped_headers": None, "stamps": {},
        },
        "properties": {
            "correlation_id": task_id, "reply_to": "", "delivery_mode": 2,
            "delivery_info": {"exchange": "", "routing_key": queue}, "priority": 0,
            "body_encoding": "base64", "delivery_tag": str(uuid.uuid4()),
        },
    }
    return json.dumps(message).encode()


def send_task(broker_url: str, name: str, args: list, *, queue: str = DEFAULT_QUEUE) -> None:
    """Queue task `name` with `args` on the Redis broker at `broker_url` (raises OSError)."""
    client = Redis(broker_url)
    try:
        client.call("LPUSH", queue, task_message(name, args, queue=queue))
    finally:
        client.close()
