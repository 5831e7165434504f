"""Make the queue's searches cheap on big tables.

- PostgreSQL: message bodies get a stored tsvector column (generated, so nothing has to keep it
  up to date and Django never sees it) with a GIN index, replacing the expression index of 0004:
  rechecking a common word no longer re-parses every matching body.
- Everywhere: a partial index for the unassigned queue.
"""

from django.db import migrations

COMMON = [
    (
        "CREATE INDEX IF NOT EXISTS tk_ws_unassigned_queue ON tickets_ticket "
        "(priority_level DESC, created_at, id) WHERE assignee_id IS NULL",
        "DROP INDEX IF EXISTS tk_ws_unassigned_queue",
    ),
]
POSTGRES = [
    (
        "ALTER TABLE tickets_ticketmessage ADD COLUMN IF NOT EXISTS body_tsv tsvector "
        "GENERATED ALWAYS AS (to_tsvector('simple'::regconfig, body_text)) STORED",
        "ALTER TABLE tickets_ticketmessage DROP COLUMN IF EXISTS body_tsv",
    ),
    (
        "CREATE INDEX IF NOT EXISTS tkm_ws_body_tsv ON tickets_ticketmessage USING gin (body_tsv)",
        "DROP INDEX IF EXISTS tkm_ws_body_tsv",
    ),
    (
        "DROP INDEX IF EXISTS tkm_ws_body_fts",
        "CREATE INDEX IF NOT EXISTS tkm_ws_body_fts ON tickets_ticketmessage "
        "USING gin (to_tsvector('simple'::regconfig, body_text))",
    ),
]


def _statements(vendor: str) -> list[tuple[str, str]]:
    return COMMON + (POSTGRES if vendor == "postgresql" else [])


def forwards(apps, schema_editor):
    for create, _drop in _statements(schema_editor.connection.vendor):
        schema_editor.execute(create)


def backwards(apps, schema_editor):
    for _create, drop in reversed(_statements(schema_editor.connection.vendor)):
        schema_editor.execute(drop)


class Migration(migrations.Migration):
    dependencies = [("tickets", "0004_workspace_search_indexes")]
    operations = [migrations.RunPython(forwards, backwards)]
