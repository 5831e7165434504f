"""A small registry of ticket lifecycle listeners.

Services announce what happened (`ticket_created`, `customer_replied`, `staff_replied`,
`status_changed`, `priority_changed`, `assigned`, `department_changed`, `escalated`, `closed`,
`note_added`, `merged`) after their transaction commits. Other parts (notifications, automation,
surveys, WhatsApp) subscribe in their AppConfig.ready(), so tickets imports none of them.
Listeners receive keyword arguments only (ticket_id, actor_id, ...), never model instances.
`close_guard_lifted` (ticket_id) says a close guard no longer keeps that ticket open.

Batches: bulk intake announces many tickets at once with `emit_many(event, payloads)`. A listener
subscribed with `subscribe_batch` is called once with the list of payloads (and with a list of one
for a plain `emit`), so it can do one query and one insert for the lot; a plain listener is called
once per payload either way. A batch call runs in its own savepoint: if it fails, its writes are
undone and it is called again per payload, so one bad ticket never costs the others their
notifications.

Automation loop guard: while a rule's actions run, `acting_rules()` records the chain of rules
that caused the change; emit() captures that chain and restores it while its listeners run, so
the automation listener sees which rules (directly or through another rule) caused an event.
"""

import logging
import threading
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar

from django.conf import settings
from django.db import transaction
from django.utils import translation

logger = logging.getLogger(__name__)

Listener = Callable[..., None]


class _Batch:
    """A listener that takes every payload of an emit at once (`payloads=[...]`)."""

    def __init__(self, listener: Listener) -> None:
        self.listener = listener

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Batch) and other.listener == self.listener

    def __hash__(self) -> int:
        return hash(self.listener)

    def __repr__(self) -> str:
        return f"batch:{self.listener!r}"


_listeners: dict[str, list[Listener | _Batch]] = defaultdict(list)
_state = threading.local()
_source_rules: ContextVar[frozenset[int]] = ContextVar("automation_source_rules", default=frozenset())


def source_rules() -> frozenset[int]:
    """Return the ids of the automation rules whose actions caused the event being handled."""
    return _source_rules.get()


@contextmanager
def acting_rules(rule_ids: Iterable[int]) -> Iterator[None]:
    """Mark the events emitted inside this block as caused by these automation rules."""
    token = _source_rules.set(frozenset(rule_ids))
    try:
        yield
    finally:
        _source_rules.reset(token)


def subscribe(event: str, listener: Listener) -> None:
    """Register a listener for an event name (idempotent)."""
    if listener not in _listeners[event]:
        _listeners[event].append(listener)


def subscribe_batch(event: str, listener: Listener) -> None:
    """Register a listener called as `listener(event=..., payloads=[{...}, ...])` (idempotent)."""
    subscribe(event, _Batch(listener))  # type: ignore[arg-type]


def emit(event: str, **payload: object) -> None:
    """Call every listener of `event` once the current transaction commits.

    A failing listener is logged and never undoes the ticket change it follows. Inside
    `muted()` nothing is emitted.
    """
    emit_many(event, [payload])


def emit_many(event: str, payloads: Sequence[dict[str, object]]) -> None:
    """Announce the same event for many tickets at once (bulk intake), after commit."""
    if getattr(_state, "muted", False) or not payloads:
        return
    chain = _source_rules.get()
    payloads = [dict(p) for p in payloads]

    def fire() -> None:
        token = _source_rules.set(chain)
        # Listeners write for other people (notifications, emails): in the site's language, never
        # in the language of the person whose request caused the event.
        try:
            with translation.override(settings.LANGUAGE_CODE):
                for listener in list(_listeners.get(event, ())):
                    if isinstance(listener, _Batch):
                        _call_batch(listener, event, payloads)
                        continue
                    for payload in payloads:
                        _call(listener, event, payload)
        finally:
            _source_rules.reset(token)

    transaction.on_commit(fire)


def _call(listener: Listener, event: str, payload: dict[str, object]) -> None:
    try:
        listener(event=event, **payload)
    except Exception:
        logger.exception("ticket hook failed", extra={"hook_event": event, "listener": repr(listener)})


def _call_batch(batch: _Batch, event: str, payloads: list[dict[str, object]]) -> None:
    try:
        with transaction.atomic():
            batch.listener(event=event, payloads=payloads)
        return
    except Exception:
        if len(payloads) == 1:
            logger.exception("ticket hook failed", extra={"hook_event": event, "listener": repr(batch)})
            return
        logger.exception("batch ticket hook failed; calling it per ticket",
                         extra={"hook_event": event, "listener": repr(batch), "count": len(payloads)})
    for payload in payloads:
        try:
            with transaction.atomic():
                batch.listener(event=event, payloads=[payload])
        except Exception:
            logger.exception("ticket hook failed", extra={"hook_event": event, "listener": repr(batch)})


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
