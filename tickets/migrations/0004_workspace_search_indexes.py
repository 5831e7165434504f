"""Indexes of the agent queue that Django's index options cannot express portably.

- An open-tickets queue index (priority desc, oldest first) on every database.
- On PostgreSQL: pg_trgm GIN indexes for the queue's text search over subject and requester
  (matching the UPPER(...) LIKE that Django's icontains emits), and a full-text GIN index over
  message bodies. SQLite falls back to plain LIKE scans.
"""

from django.db import migrations

COMMON = [
    (
        "CREATE INDEX IF NOT EXISTS tk_ws_open_queue ON tickets_ticket "
        "(priority_level DESC, created_at, id) WHERE closed_at IS NULL",
        "DROP INDEX IF EXISTS tk_ws_open_queue",
    ),
]
POSTGRES = [
    ("CREATE EXTENSION IF NOT EXISTS pg_trgm", ""),
    (
        "CREATE INDEX IF NOT EXISTS tk_ws_subject_trgm ON tickets_ticket "
        "USING gin (UPPER(subject::text) gin_trgm_ops)",
        "DROP INDEX IF EXISTS tk_ws_subject_trgm",
    ),
    (
        "CREATE INDEX IF NOT EXISTS tk_ws_requester_name_trgm ON tickets_ticket "
        "USING gin (UPPER(requester_name::text) gin_trgm_ops)",
        "DROP INDEX IF EXISTS tk_ws_requester_name_trgm",
    ),
    (
        "CREATE INDEX IF NOT EXISTS tk_ws_requester_email_trgm ON tickets_ticket "
        "USING gin (UPPER(requester_email::text) gin_trgm_ops)",
        "DROP INDEX IF EXISTS tk_ws_requester_email_trgm",
    ),
    (
        "CREATE INDEX IF NOT EXISTS tkm_ws_body_fts ON tickets_ticketmessage "
        "USING gin (to_tsvector('simple'::regconfig, body_text))",
        "DROP INDEX IF EXISTS tkm_ws_body_fts",
    ),
]


def _statements(vendor: str) -> list[tuple[str, str]]:
    return COMMON + (POSTGRES if vendor == "postgresql" else [])


def forwards(apps, schema_editor):
    for create, _drop in _statements(schema_editor.connection.vendor):
        schema_editor.execute(create)


def backwards(apps, schema_editor):
    for _create, drop in reversed(_statements(schema_editor.connection.vendor)):
        if drop:
            schema_editor.execute(drop)


class Migration(migrations.Migration):
    dependencies = [("tickets", "0003_queue_preference")]
    operations = [migrations.RunPython(forwards, backwards)]
