"""Whether a ticket may close now: the one predicate every closing path asks.

A ticket must stay open while something it started is not finished (a delivery return the
warehouse has not received yet). The apps that know register a guard from AppConfig.ready():
`guard(ticket_ids) -> {ticket_id: reason}` for the tickets that must stay open, one query per
call so bulk actions ask once for the lot. `_set_status` refuses any close a guard objects to, so
the agent's status change and reply-and-close, bulk close, the portal's "my problem is solved",
the callback's "finish and close" and automation all refuse the same way; the pages call
`close_blockers` first to say which tickets were skipped and why.
"""

from collections.abc import Callable, Iterable

from tickets.exceptions import CloseRefused

CloseGuard = Callable[[list[int]], dict[int, str]]

_guards: list[CloseGuard] = []


def register_close_guard(guard: CloseGuard) -> None:
    """Add a guard (idempotent)."""
    if guard not in _guards:
        _guards.append(guard)


def close_blockers(ticket_ids: Iterable[int]) -> dict[int, str]:
    """Return {ticket_id: why it must stay open} for the tickets that may not close now."""
    ids = sorted({int(i) for i in ticket_ids if i})
    blocked: dict[int, str] = {}
    if not ids:
        return blocked
    for guard in _guards:
        for ticket_id, reason in guard(ids).items():
            blocked.setdefault(ticket_id, reason)
    return blocked


def close_blocker(ticket_id: int) -> str | None:
    """Return why this ticket may not close now, or None when it may."""
    return close_blockers([ticket_id]).get(ticket_id)


def check_can_close(ticket_id: int) -> None:
    """Raise CloseRefused (a TicketError, safe to show) when the ticket may not close now."""
    reason = close_blocker(ticket_id)
    if reason:
        raise CloseRefused(reason)
