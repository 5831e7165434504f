"""A memo for configuration reads during one batch of work (an email import batch).

Inside `batch_memo()`, lookups that every ticket of the batch repeats — the department's business
calendar, the active automation rules of a trigger, a department's staff — are read once. Outside a
batch nothing is cached, so a manager's change is seen by the very next request or task.
"""

from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TypeVar

T = TypeVar("T")
_memo: ContextVar[dict | None] = ContextVar("tickets_batch_memo", default=None)


@contextmanager
def batch_memo() -> Iterator[None]:
    """Cache configuration reads until the block ends."""
    token = _memo.set({})
    try:
        yield
    finally:
        _memo.reset(token)


def memoized(key: Hashable, compute: Callable[[], T]) -> T:
    """Return compute(), read once per key inside a batch (every time outside one)."""
    memo = _memo.get()
    if memo is None:
        return compute()
    if key not in memo:
        memo[key] = compute()
    return memo[key]


def in_batch() -> bool:
    """Return whether a batch memo is active."""
    return _memo.get() is not None


def remember(key: Hashable, value: object) -> None:
    """Store a value read in bulk for later memoized() calls of this batch (no-op outside one)."""
    memo = _memo.get()
    if memo is not None:
        memo[key] = value
