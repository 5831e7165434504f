"""`manage.py pipe_email`'s fast path: store one email from a mail server with few imports.

A mail server starts pipe_email once per message, so start-up is most of its cost. Django's
full setup imports every app, the admin, Celery, kombu and redis-py; storing an email needs
the settings, the ORM and the InboundEmail model. manage.py calls `main()` first, which:
- loads only the apps the InboundEmail model's relations need (contenttypes, auth, crm and
  tickets without its ready() hooks: tickets.apps.PipeTicketsConfig);
- stores with tickets.intake.store.store_inbound_email, the code the pipe_email command,
  the webhooks and IMAP polling store with (same row, duplicates counted, same exit codes:
  0 stored, 65 not an email, 75 anything else, so the mail server retries);
- after commit, queues processing by writing Celery's message to the Redis broker itself
  (helpdesk/task_push.py), unless the "a processing task is queued" marker is set in a Redis
  cache (the marker of inbound_services.queue_inbound_email, set the same way).
It then leaves with `exit_now`: the connections closed and output flushed, without Python's
interpreter teardown (unloading all those modules takes a tenth of a second).
It returns None, and manage.py runs the ordinary pipe_email command, whenever that is not
plainly equivalent: tasks run eagerly, the broker is not Redis, task routes or broker transport
options are configured, or an option it does not know is given. If queueing fails the email
is still stored and the beat sweep `tickets.requeue_inbound_emails` queues it.
"""

import logging
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any, NoReturn

# pipe_email's exit codes (sysexits.h, which mail servers understand).
EX_OK = 0
EX_DATAERR = 65  # not an email at all: the mail server bounces it
EX_TEMPFAIL = 75  # the database cannot be reached, or anything else failed: the mail server retries
PIPE_APPS = ["django.contrib.contenttypes", "django.contrib.auth", "crm", "tickets.apps.PipeTicketsConfig"]
TASK = "tickets.process_inbound_email"

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class PipeOutcome:
    """What pipe_email answers a mail server: its exit code, a line for stderr, a line for -v 2."""

    code: int
    error: str = ""
    stored: str = ""


def temporary_failure(exc: BaseException) -> PipeOutcome:
    """Return EX_TEMPFAIL with a one-line reason (database down, disk full, ...)."""
    reason = " ".join(str(exc).split())[:300]
    return PipeOutcome(
        EX_TEMPFAIL, error=f"pipe_email: temporary failure, try again later: {type(exc).__name__}: {reason}"
    )


def pipe_email_outcome(*, store: Callable[..., Any], raw: bytes, recipient: str) -> PipeOutcome:
    """Store one piped email with `store` (a store_inbound_email) and say how pipe_email exits;
    the fast path here and the pipe_email command both answer through it."""
    from tickets.intake.email import NotAnEmail

    try:
        result = store(raw=raw, recipient=recipient)
    except NotAnEmail as exc:
        return PipeOutcome(EX_DATAERR, error=f"pipe_email: not an email: {exc}")
    except Exception as exc:  # let the mail server retry
        return temporary_failure(exc)
    return PipeOutcome(EX_OK, stored=f"stored inbound email {result.inbound.pk}"
                                     + ("" if result.created else " (duplicate)"))


def guard(settings: object) -> None:
    """Bound this pipe_email process by HELPDESK_PIPE_TIMEOUT_SECONDS (only in a process of its
    own: manage.py's fast path and run_command): limit its statements to that
    time (PostgreSQL's statement_timeout on its connection, set before it connects; settings.py
    sets the connect timeout) and, as a last resort for a database that accepts connections and
    never answers, leave with EX_TEMPFAIL when the time is up. Leaving then is safe: what was
    not committed is retried by the mail server, what was is recognised as a duplicate."""
    import signal

    seconds = int(getattr(settings, "HELPDESK_PIPE_TIMEOUT_SECONDS", 0) or 0)
    if seconds <= 0:
        return
    database = settings.DATABASES.get("default", {})
    if database.get("ENGINE", "").endswith("postgresql"):
        options = database.setdefault("OPTIONS", {})
        options["options"] = f"{options.get('options', '')} -c statement_timeout={seconds}s".strip()

    def give_up(_signum: int, _frame: object) -> None:
        sys.stderr.write(f"pipe_email: temporary failure, try again later: no answer within {seconds} s\n")
        sys.stderr.flush()
        os._exit(EX_TEMPFAIL)

    signal.signal(signal.SIGALRM, give_up)
    # The statements get `seconds`; the watchdog a little more, so a slow statement fails first.
    signal.alarm(seconds + int(database.get("OPTIONS", {}).get("connect_timeout") or 0) + 5)


def _options(argv: list[str]) -> tuple[str, int] | None:
    """Return (recipient, verbosity) from pipe_email's arguments, or None for anything else."""
    recipient, verbosity = "", 1
    args = list(argv)
    while args:
        arg = args.pop(0)
        name, has_value, value = arg.partition("=")
        if name in ("--recipient", "-v", "--verbosity"):
            if not has_value:
                if not args:
                    return None
                value = args.pop(0)
            if name == "--recipient":
                recipient = value
            elif value.isdigit():
                verbosity = int(value)
            else:
                return None
        else:
            return None
    return recipient, verbosity


def _fits(settings: object) -> bool:
    broker = str(getattr(settings, "CELERY_BROKER_URL", ""))
    return (
        broker.startswith(("redis://", "rediss://"))
        and not getattr(settings, "CELERY_TASK_ALWAYS_EAGER", False)
        and not getattr(settings, "CELERY_TASK_ROUTES", None)
        # The visibility timeout only concerns consumers: the message is written the same way.
        and set(getattr(settings, "CELERY_BROKER_TRANSPORT_OPTIONS", None) or {}) <= {"visibility_timeout"}
    )


def _marker(settings: object) -> tuple[str, str] | None:
    """Return (Redis URL, key) of the queued-task marker when the cache is Django's RedisCache."""
    from tickets.intake.store import QUEUED_KEY

    cache = settings.CACHES.get("default", {})
    if cache.get("BACKEND") != "django.core.cache.backends.redis.RedisCache" or cache.get("KEY_FUNCTION"):
        return None
    location = cache.get("LOCATION")
    servers = location if isinstance(location, list | tuple) else str(location or "").replace(";", ",").split(",")
    if not servers or not str(servers[0]).startswith(("redis://", "rediss://")):
        return None
    # Django's default key function and RedisCache.add(key, 1, timeout): SET key 1 NX EX timeout.
    return str(servers[0]), f"{cache.get('KEY_PREFIX', '')}:{cache.get('VERSION', 1)}:{QUEUED_KEY}"


def _queue(settings: object, inbound_id: int) -> None:
    from helpdesk.task_push import Redis, send_task
    from tickets.intake.store import QUEUED_SECONDS

    marker = _marker(settings)
    try:
        if marker is not None:
            client = Redis(marker[0])
            try:
                if client.call("SET", marker[1], 1, "EX", QUEUED_SECONDS, "NX") is None:
                    return  # a queued task will take this email along
            finally:
                client.close()
        try:
            send_task(settings.CELERY_BROKER_URL, TASK, [inbound_id],
                      queue=getattr(settings, "CELERY_TASK_DEFAULT_QUEUE", "celery"))
        except Exception:
            if marker is not None:
                client = Redis(marker[0])
                try:
                    client.call("DEL", marker[1])
                finally:
                    client.close()
            raise
    except Exception:
        logger.exception("could not queue inbound email; the sweep will", extra={"inbound_email": inbound_id})


def main(argv: list[str]) -> int | None:
    """Store the email on standard input and queue it; return the exit code, or None to leave
    the work to the ordinary pipe_email command."""
    options = _options(argv)
    if options is None:
        return None
    recipient, verbosity = options
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")
    from django.conf import settings

    try:
        if not _fits(settings):
            return None
    except Exception:
        return None  # settings that cannot load: let Django say why
    raw = sys.stdin.buffer.read()
    try:
        guard(settings)
        import logging.config

        from django.apps import apps

        logging.config.dictConfig(settings.LOGGING)
        apps.populate(PIPE_APPS)
        from tickets.intake.store import store_inbound_email

        outcome = pipe_email_outcome(
            store=partial(store_inbound_email, on_commit=lambda pk: _queue(settings, pk)), raw=raw, recipient=recipient
        )
    except Exception as exc:  # the settings' logging or the app registry: let the mail server retry
        outcome = temporary_failure(exc)
    if outcome.error:
        sys.stderr.write(outcome.error + "\n")
    elif verbosity > 1:
        sys.stdout.write(outcome.stored + "\n")
    return outcome.code


def run_command(argv: list[str]) -> NoReturn:
    """Run the ordinary pipe_email command and leave with 0, 65 or 75 only: whatever fails
    before it answers (a setting that does not parse, an import error, a bad option) is a
    temporary failure, so the mail server keeps the email instead of bouncing it to its sender.
    The traceback goes to stderr for the log (bin/pipe-email keeps it out of the bounce)."""
    import traceback

    try:
        from django.conf import settings

        guard(settings)  # here, not in the command: call_command() in a long-lived process gets no alarm
    except Exception:  # noqa: S110 (settings that do not load fail below, with their reason)
        pass
    try:
        from django.core.management import execute_from_command_line

        execute_from_command_line(argv)
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else EX_TEMPFAIL)
    except BaseException as exc:  # noqa: BLE001 (nothing may escape as a bounce)
        traceback.print_exc()
        sys.stderr.write(temporary_failure(exc).error + "\n")
        code = EX_TEMPFAIL
    else:
        code = EX_OK
    exit_now(code if code in (EX_OK, EX_DATAERR, EX_TEMPFAIL) else EX_TEMPFAIL)


def exit_now(code: int) -> NoReturn:
    """Leave with `code` at once: close the database connection, flush output and logs."""
    try:
        if "django.db" in sys.modules:
            from django.db import connections

            connections.close_all()
    finally:
        logging.shutdown()
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
