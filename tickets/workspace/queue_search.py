"""The queue's text search on PostgreSQL: the most recent tickets whose number, subject, requester
or message text matches, found in bounded time whatever the frequency of the term.

Each kind of match (the ticket's subject and requester through one trigram index; message bodies through
their full-text index) returns up to SEARCH_MATCH_CAP of its most recent matching rows. The cost of
finding them depends on how common the term is, which is not known up front (and the planner's
estimates for LIKE patterns and tsquery prefixes are often off by orders of magnitude):

- a common term (say "refund" in 5 % of subjects) is cheapest by walking the newest rows backwards
  and stopping after the cap: a bitmap of its GIN index would fetch every one of its 50,000 rows;
- a rare term is cheapest through that bitmap: a backward walk would read the whole table;
- a term in between is cheapest through a bitmap of the GIN index ANDed with a primary-key range
  wide enough to hold the cap, so only the rows in that range are fetched.

So: walk the newest SAMPLE_ROWS rows (bounded cost). If they hold the cap, done. Otherwise their
share of matches estimates the term's frequency, which sizes the id range that should hold the
rest; that range is searched as a bitmap AND (rare terms: the whole table as a plain bitmap). If
the estimate was too low, one last bitmap over everything older finishes under a statement
timeout (a search then shows the matches it found: the queue says it looks at recent matches).
Ids grow with time, so "most recent" is "highest id".
"""

import re

from django.db import OperationalError, connection, transaction

SEARCH_MATCH_CAP = 500
SAMPLE_ROWS = 2000
# The window holds this many times the matches still needed (the sample's estimate is rough).
WINDOW_SAFETY = 3
# A common term's matches are walked to when they are expected within this many rows.
WALK_ROWS = 25000
# Below this many expected matches in the whole table a plain bitmap beats any id range.
PLAIN_BITMAP_MATCHES = 3000
LAST_RESORT_TIMEOUT_MS = 150

# search_text: UPPER(subject, requester name, requester email), one trigram index (migration 0010).
TICKET_MATCH = "search_text LIKE UPPER(%s)"
BODY_MATCH = "body_tsv @@ to_tsquery('simple'::regconfig, %s)"


def like_pattern(q: str) -> str:
    """Return a LIKE pattern matching q anywhere, with LIKE's wildcards escaped."""
    return "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def body_terms(q: str) -> str:
    """Return the tsquery of q's words: all of them, the last one as a prefix (it may be half typed).

    Earlier words match whole words only: a prefix of a common word ("error:*") makes the GIN
    index load every row of every word it expands to, even when another word of the query is rare.
    A bare number is never a prefix (123 must not match 1234).
    """
    words = [w for w in re.findall(r"\w+", q.lower()) if len(w) >= 2][:8]
    if words and not words[-1].isdigit():
        words[-1] += ":*"
    return " & ".join(words)


def matching_ticket_ids(q: str) -> set[int]:
    """Return the ids of the most recent tickets whose number, subject, requester or messages match q."""
    q = q.strip()[:200]
    digits = q.lstrip("#")
    ids: set[int] = {int(digits)} if digits.isdigit() and len(digits) < 19 else set()
    if len(q) >= 3:
        like = like_pattern(q)
        ids |= recent_matches(table="tickets_ticket", key="id", where=TICKET_MATCH, params=[like])
    terms = body_terms(q)
    if terms:
        ids |= recent_matches(table="tickets_ticketmessage", key="ticket_id", where=BODY_MATCH, params=[terms])
    return ids


def recent_matches(*, table: str, key: str, where: str, params: list[object], cap: int = SEARCH_MATCH_CAP) -> set[int]:
    """Return `key` of up to `cap` of the newest rows of `table` matching `where` (see the module docstring)."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id FROM {table} ORDER BY id DESC OFFSET %s LIMIT 1", [SAMPLE_ROWS - 1])
        row = cursor.fetchone()
        floor = row[0] if row else None
        found = _walk(cursor, table, key, where, params, below=None, rows=SAMPLE_ROWS, limit=cap)
        if len(found) >= cap or floor is None:
            return set(found)
        needed = cap - len(found)
        cursor.execute(f"SELECT COALESCE(MIN(id), 0) FROM {table}")
        lowest = cursor.fetchone()[0]
        share = len(found) / SAMPLE_ROWS
        if share * (floor - lowest) <= PLAIN_BITMAP_MATCHES:
            # Rare: every match of the index is worth fetching. "id + 0" keeps the pkey out of it.
            found += _bitmap(cursor, table, key, f"({where}) AND id + 0 < %s", [*params, floor], needed)
            return set(found)
        span = int(needed / share * WINDOW_SAFETY)
        if needed / share <= WALK_ROWS:
            # Common: the next few thousand rows back hold the rest.
            found += _walk(cursor, table, key, where, params, below=floor, rows=span, limit=needed)
        else:
            found += _bitmap(cursor, table, key, f"({where}) AND id >= %s AND id < %s",
                             [*params, floor - span, floor], needed)
        lower = floor - span
        if len(found) < cap and lower > lowest:
            found += _bitmap(cursor, table, key, f"({where}) AND id < %s", [*params, lower], cap - len(found),
                             timeout_ms=LAST_RESORT_TIMEOUT_MS)
        return set(found)


def _walk(cursor: object, table: str, key: str, where: str, params: list[object], *, below: int | None,
          rows: int, limit: int) -> list[int]:
    """Return `key` of the first `limit` matches among the `rows` rows below id `below` (newest first)."""
    start = "" if below is None else "WHERE id < %s "
    cursor.execute(
        f"SELECT {key} FROM (SELECT * FROM {table} {start}ORDER BY id DESC LIMIT %s) newest WHERE {where} "
        "ORDER BY id DESC LIMIT %s",
        [*([] if below is None else [below]), rows, *params, limit],
    )
    return [r[0] for r in cursor.fetchall()]


def _bitmap(cursor: object, table: str, key: str, where: str, params: list[object], limit: int,
            *, timeout_ms: int = 0) -> list[int]:
    """Return `key` of the newest `limit` rows matching, through bitmap scans only.

    The planner would often pick a backward walk of the primary key for these (it overestimates
    how many rows match), which is what the sample already ruled out.
    """
    sql = f"SELECT {key} FROM {table} WHERE {where} ORDER BY id DESC LIMIT %s"
    try:
        with transaction.atomic():
            cursor.execute("SET LOCAL enable_indexscan = off")
            cursor.execute("SET LOCAL enable_seqscan = off")
            if timeout_ms:
                cursor.execute(f"SET LOCAL statement_timeout = {int(timeout_ms)}")
            cursor.execute(sql, [*params, limit])
            return [r[0] for r in cursor.fetchall()]
    except OperationalError:
        if not timeout_ms:
            raise
        return []
