"""The queue's text search on PostgreSQL finds the newest matches whatever the term's frequency.

tickets.queue_search picks a backward walk, an id-range bitmap or a plain bitmap from a sample of
the newest rows. The sizes are shrunk here so a few hundred tickets exercise every path; each path
must return exactly the newest matches a full scan would.
"""

import pytest
from django.db import connection

from tests.factories import MessageFactory, TicketFactory, priority, status
from tickets.models import Ticket
from tickets.workspace import queue_search

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the bitmap/walk planner is PostgreSQL's"),
]

CAP = 10


@pytest.fixture
def small_sizes(monkeypatch):
    monkeypatch.setattr(queue_search, "SAMPLE_ROWS", 20)
    monkeypatch.setattr(queue_search, "WALK_ROWS", 60)
    monkeypatch.setattr(queue_search, "PLAIN_BITMAP_MATCHES", 12)


@pytest.fixture
def tickets(support):
    """400 tickets, oldest first. In their subjects: 'alpha' every 3rd; 'bravo' every 10th; 'charlie'
    in 3 old ones; 'delta' in the 3 newest and every 7th of the oldest 100 (so the sample of the
    newest rows overestimates how close the rest are)."""
    new, medium = status("new"), priority("Medium")
    made = []
    for i in range(400):
        words = ["Ticket"]
        if i % 3 == 0:
            words.append("alpha")
        if i % 10 == 0:
            words.append("bravo")
        if i in (5, 17, 90):
            words.append("charlie")
        if i >= 397 or (i < 100 and i % 7 == 0):
            words.append("delta")
        made.append(Ticket(department=support, subject=" ".join(words), requester_email=f"c{i}@x.example",
                           requester_name=f"Customer {i}", status=new, priority=medium,
                           priority_level=medium.level))
    Ticket.objects.bulk_create(made)
    return list(Ticket.objects.order_by("id"))


def newest(word: str, cap: int = CAP) -> set[int]:
    return set(Ticket.objects.filter(subject__icontains=word).order_by("-id").values_list("id", flat=True)[:cap])


def search(word: str) -> set[int]:
    like = queue_search.like_pattern(word)
    return queue_search.recent_matches(table="tickets_ticket", key="id", where=queue_search.TICKET_MATCH,
                                       params=[like], cap=CAP)


@pytest.fixture
def paths(monkeypatch):
    """Record which strategies a search used, in order."""
    taken: list[str] = []
    walk, bitmap = queue_search._walk, queue_search._bitmap

    def spy_walk(*args, **kwargs):
        taken.append("sample" if kwargs["below"] is None else "walk")
        return walk(*args, **kwargs)

    def spy_bitmap(cursor, table, key, where, params, limit, **kwargs):
        taken.append("last resort" if kwargs.get("timeout_ms") else "range" if "id >=" in where else "plain")
        return bitmap(cursor, table, key, where, params, limit, **kwargs)

    monkeypatch.setattr(queue_search, "_walk", spy_walk)
    monkeypatch.setattr(queue_search, "_bitmap", spy_bitmap)
    return taken


@pytest.mark.parametrize("word, strategy", [
    ("alpha", ["sample", "walk"]),
    ("bravo", ["sample", "range"]),
    ("charlie", ["sample", "plain"]),
    ("delta", ["sample", "walk", "last resort"]),
    ("nothing", ["sample", "plain"]),
])
def test_each_path_returns_the_newest_matches(small_sizes, tickets, paths, word, strategy):
    """Common (walk), in-between (id-range bitmap), rare (plain bitmap), misjudged (last resort) and absent terms
    all return exactly the newest matches."""
    assert search(word) == newest(word)
    assert paths == strategy


def test_search_returns_the_cap_for_a_term_in_the_sample(small_sizes, tickets):
    """A term in most of the newest rows is answered from the sample alone, newest first."""
    assert len(search("ticket")) == CAP
    assert search("ticket") == {t.pk for t in tickets[-CAP:]}


def test_message_words_match_whole_words_except_the_last(support):
    """Earlier words of a body search are whole words; the last may be a prefix; numbers are exact."""
    whole = TicketFactory(department=support, subject="a")
    MessageFactory(ticket=whole, body_text="The error is still there")
    partial = TicketFactory(department=support, subject="b")
    MessageFactory(ticket=partial, body_text="The errors are still there, code 5001")
    assert queue_search.matching_ticket_ids("error still") == {whole.pk}
    assert queue_search.matching_ticket_ids("still err") == {whole.pk, partial.pk}
    assert queue_search.matching_ticket_ids("code 500") == set()
    assert queue_search.matching_ticket_ids("code 5001") == {partial.pk}
