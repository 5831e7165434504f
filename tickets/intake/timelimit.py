"""A time budget per email, so one pathological email never holds up the others of a batch.

`email_time_limit(seconds)` arms a one-shot SIGALRM timer (`signal.setitimer`) around the work
on one email; when it fires, `EmailTookTooLong` is raised in the worker's main thread, at the
next Python bytecode. The exception derives from BaseException so the broad `except Exception`
fallbacks of the parsers cannot swallow it. A timer that fires while a database statement runs
does not interrupt the driver mid-protocol: the exception is raised as soon as the statement
returns (a connection execute wrapper), so the caller's transaction can still roll back.

Callers put the budget inside the transaction (savepoint) of that email: whatever the email
wrote is rolled back when the budget is exceeded, even if the timer fires as the block ends.

Outside the main thread (a threads pool), on platforms without SIGALRM, or with a limit of 0
the context manager does nothing (Celery's task-level soft time limit still applies). A timer
someone else set (pytest-timeout's signal method) is put back, minus the time spent, afterwards;
if it is due sooner than ours, ours is not armed.
"""

import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection

__all__ = ["EmailTookTooLong", "email_time_limit"]


class EmailTookTooLong(BaseException):
    """The work on one email ran over its time budget."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"took longer than {seconds:g} s")
        self.seconds = seconds


class _Budget:
    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.in_database = 0
        self.expired = False
        self.raised = False

    def on_alarm(self, signum: int, frame: object) -> None:
        self.expired = True
        if not self.in_database:
            self.raised = True
            raise EmailTookTooLong(self.seconds)

    def database_wrapper(self, execute, sql, params, many, context):
        self.in_database += 1
        try:
            result = execute(sql, params, many, context)
        finally:
            self.in_database -= 1
        if self.expired and not self.raised and not self.in_database:
            self.raised = True
            raise EmailTookTooLong(self.seconds)
        return result


_active: _Budget | None = None


def _can_arm() -> bool:
    return hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()


@contextmanager
def email_time_limit(seconds: float | None) -> Iterator[bool]:
    """Raise EmailTookTooLong in the block once it ran `seconds`; yield whether it is armed.

    Nested use keeps the outer budget (the inner block does nothing).
    """
    global _active
    if not seconds or seconds <= 0 or _active is not None or not _can_arm():
        yield False
        return
    budget = _Budget(float(seconds))
    previous_handler = signal.signal(signal.SIGALRM, budget.on_alarm)
    previous_delay, previous_interval = signal.setitimer(signal.ITIMER_REAL, 0)
    if previous_delay and previous_delay <= budget.seconds:
        # Someone else's alarm is due first: leave it alone.
        signal.signal(signal.SIGALRM, previous_handler)
        signal.setitimer(signal.ITIMER_REAL, previous_delay, previous_interval)
        yield False
        return
    started = time.monotonic()
    _active = budget
    try:
        with connection.execute_wrapper(budget.database_wrapper):
            signal.setitimer(signal.ITIMER_REAL, budget.seconds)
            try:
                yield True
            finally:
                signal.setitimer(signal.ITIMER_REAL, 0)
    finally:
        _active = None
        signal.signal(signal.SIGALRM, previous_handler)
        if previous_delay:
            left = previous_delay - (time.monotonic() - started)
            signal.setitimer(signal.ITIMER_REAL, max(left, 0.001), previous_interval)
