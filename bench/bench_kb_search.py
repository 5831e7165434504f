"""Benchmark: KB search latency (kb.search.search_articles) with 10,000 articles on PostgreSQL.

Creates a throwaway database next to DATABASE_URL's (`<name>_bench_kb`, dropped afterwards),
migrates it, loads the 29 demo articles plus generated ones (KB_BENCH_ARTICLES, default 10,000)
whose text follows a Zipf-like word distribution over a support vocabulary, and times typical
customer queries (phrases, a partial word, typos that take the trigram fallback).
Prints one line: p50 / p95 / max in milliseconds. Target: p95 < 50 ms.
"""

import os
import random
import statistics
import time

from _setup import django_setup

QUERIES = [
    "forgot password",
    "invoice download",
    "where is my order",
    "track order",
    "return procedure",
    "sync error",
    "csv import failed",
    "overdue invoice",
    "passw",  # partial word while typing
    "pasword reset",  # typo with a correct word
    "invoce",  # typo only: trigram fallback
    "delivery damaged",
]
RUNS = int(os.environ.get("KB_BENCH_RUNS", "25"))

TOPIC_WORDS = """
account access password login reset user permission role invite email address profile settings portal
dashboard ticket reply status priority department attachment file upload download invoice payment
card transfer debit overdue reminder credit note vat amount order delivery tracking shipment carrier
awb parcel return refund exchange warehouse stock product price quote contract sla report export import
csv excel sync integration api key error message timeout session browser cookie cache mobile app
notification announcement maintenance outage incident security backup language timezone currency
""".split()
COMMON_WORDS = """
the a to and of in for is on you your with this that it be can we our if or as from when are at by
please will not an have click open select choose then check make sure page button menu new list
""".split()


def _vocabulary(rng: random.Random) -> list[str]:
    filler = {"".join(rng.choice("bcdfghklmnprstvz") + rng.choice("aeiou") for _ in range(rng.randint(2, 4)))
              for _ in range(2500)}
    return COMMON_WORDS + TOPIC_WORDS + sorted(filler)


def _text(rng: random.Random, vocab: list[str], weights: list[float], n: int) -> str:
    words = rng.choices(vocab, weights=weights, k=n)
    sentences = [" ".join(words[i : i + 12]).capitalize() + "." for i in range(0, len(words), 12)]
    return " ".join(sentences)


def _load(n: int) -> None:
    from kb import services
    from kb.demo import seed_kb
    from kb.models import KBArticle, KBGroup

    seed_kb()
    rng = random.Random(42)
    vocab = _vocabulary(rng)
    weights = [1 / (rank + 8) ** 1.05 for rank in range(len(vocab))]
    groups = list(KBGroup.objects.all())
    batch: list[KBArticle] = []
    # Bench data only: written in bulk (the save service renders and indexes one article at a time).
    for i in range(n):
        title = " ".join(rng.sample(TOPIC_WORDS, 2) + rng.sample(vocab[60:], 2)).capitalize()
        body = "\n\n".join(_text(rng, vocab, weights, rng.randint(60, 110)) for _ in range(rng.randint(2, 5)))
        batch.append(KBArticle(
            title=title, slug=f"bench-{i}", group=groups[i % len(groups)], status=KBArticle.Status.PUBLISHED,
            staff_only=(i % 17 == 0), body_markdown=body, body_html=f"<p>{body}</p>", body_text=body,
            search_keywords=", ".join(rng.sample(TOPIC_WORDS, 3)), view_count=rng.randint(0, 500),
        ))
        if len(batch) == 1000:
            KBArticle.objects.bulk_create(batch)
            batch = []
    KBArticle.objects.bulk_create(batch)
    services.refresh_search_vectors()


def main() -> None:
    django_setup()
    from django.db import connection

    from kb.search import search_articles

    if connection.vendor != "postgresql":
        print("kb_search: skipped (needs PostgreSQL: set DATABASE_URL)")
        return
    n = int(os.environ.get("KB_BENCH_ARTICLES", "10000"))
    settings_dict = connection.settings_dict
    settings_dict.setdefault("TEST", {})["NAME"] = f"{settings_dict['NAME']}_bench_kb"
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    try:
        _load(n)
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE kb_kbarticle")
        for q in QUERIES:  # warm caches and plans
            search_articles(q)
        timings: list[float] = []
        empty = [q for q in QUERIES if not search_articles(q)]
        for _ in range(RUNS):
            for q in QUERIES:
                start = time.perf_counter()
                search_articles(q, limit=10)
                timings.append((time.perf_counter() - start) * 1000)
        timings.sort()
        p50 = statistics.median(timings)
        p95 = timings[int(len(timings) * 0.95) - 1]
        staff_start = time.perf_counter()
        search_articles("sla contract", include_staff_only=True)
        staff_ms = (time.perf_counter() - staff_start) * 1000
        print(
            f"kb_search: {n + 29} articles, {len(QUERIES)} queries x {RUNS} runs: p50 {p50:.1f} ms, "
            f"p95 {p95:.1f} ms, max {timings[-1]:.1f} ms, staff query {staff_ms:.1f} ms "
            f"(target p95 < 50 ms: {'ok' if p95 < 50 else 'MISSED'}){'; no hits for ' + repr(empty) if empty else ''}"
        )
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
