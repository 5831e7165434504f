"""Who has a ticket open, and who is typing a reply, kept in the Django cache with short TTLs.

Each open ticket page pings every few seconds; an entry not refreshed within SEEN_SECONDS is
gone. One cache key per ticket holds {user id: (name, seen at, typing until)}; a lost update
under a race only hides someone for one ping. Works on Redis and on the database cache.
"""

import time

from django.core.cache import cache

SEEN_SECONDS = 20
TYPING_SECONDS = 8
KEY_TTL = 120


def _key(ticket_id: int) -> str:
    return f"presence:ticket:{ticket_id}"


def touch(*, ticket_id: int, user_id: int, name: str, typing: bool = False, leaving: bool = False) -> None:
    """Record that this user is looking at the ticket (and typing, if so); `leaving` removes them."""
    now = time.time()
    entries = {uid: e for uid, e in (cache.get(_key(ticket_id)) or {}).items() if e[1] > now - SEEN_SECONDS}
    if leaving:
        entries.pop(user_id, None)
    else:
        previous = entries.get(user_id)
        typing_until = now + TYPING_SECONDS if typing else (previous[2] if previous else 0)
        entries[user_id] = (name, now, typing_until)
    cache.set(_key(ticket_id), entries, KEY_TTL)


def others(*, ticket_id: int, user_id: int) -> list[dict]:
    """Return the other people on this ticket now: [{'name':…, 'typing': bool}], typists first."""
    now = time.time()
    entries = cache.get(_key(ticket_id)) or {}
    people = [
        {"name": name, "typing": typing_until > now}
        for uid, (name, seen, typing_until) in entries.items()
        if uid != user_id and seen > now - SEEN_SECONDS
    ]
    return sorted(people, key=lambda p: (not p["typing"], p["name"]))
