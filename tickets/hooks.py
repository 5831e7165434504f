"""A small registry of ticket lifecycle listeners.

Services announce what happened (`ticket_created`, `customer_replied`, `staff_replied`,
`status_changed`, `priority_changed`, `assigned`, `department_changed`, `escalated`, `closed`,
`note_added`, `merged`) after their transaction commits. Other parts (notifications, automation,
surveys, WhatsApp) subscribe in their AppConfig.ready(), so tickets imports none of them.
Listeners receive keyword arguments only (ticket_id, actor_id, ...), never model instances.
"""

import logging
import threading
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from django.db import transaction

logger = logging.getLogger(__name__)

Listener = Callable[..., None]
_listeners: dict[str, list[Listener]] = defaultdict(list)
_state = threading.local()


def subscribe(event: str, listener: Listener) -> None:
    """Register a listener for an event name (idempotent)."""
    if listener not in _listeners[event]:
        _listeners[event].append(listener)


def emit(event: str, **payload: object) -> None:
    """Call every listener of `event` once the current transaction commits.

    A failing listener is logged and never undoes the ticket change it follows. Inside
    `muted()` nothing is emitted.
    """
    if getattr(_state, "muted", False):
        return

    def fire() -> None:
        for listener in list(_listeners.get(event, ())):
            try:
                listener(event=event, **payload)
            except Exception:
                logger.exception("ticket hook failed", extra={"hook_event": event, "listener": repr(listener)})

    transaction.on_commit(fire)


@contextmanager
def muted() -> Iterator[None]:
    """Emit nothing inside this block: for demo data and imports of history, which must not
    send receipts, notify agents or trigger automation for tickets that are weeks old."""
    previous = getattr(_state, "muted", False)
    _state.muted = True
    try:
        yield
    finally:
        _state.muted = previous
