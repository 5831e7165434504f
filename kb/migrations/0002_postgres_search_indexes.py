"""PostgreSQL search indexes: GIN on the two search vectors, trigram GIN on the title.

Acts on PostgreSQL only (SQLite has neither). pg_trgm is normally created beforehand by the
superuser (.ci/run creates it in the database and in template1, because the application role
may not create extensions); this migration creates it only when missing, inside a savepoint, and
if that is not allowed it skips the trigram index: search then works without the typo fallback.
"""

import logging

from django.db import migrations

logger = logging.getLogger(__name__)


def _has_extension(cursor, name: str) -> bool:
    cursor.execute("SELECT 1 FROM pg_extension WHERE extname = %s", [name])
    return cursor.fetchone() is not None


def create_indexes(apps, schema_editor) -> None:
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("CREATE INDEX IF NOT EXISTS kb_article_search_gin ON kb_kbarticle USING gin (search_vector)")
        cursor.execute("CREATE INDEX IF NOT EXISTS kb_article_title_gin ON kb_kbarticle USING gin (title_vector)")
        if not _has_extension(cursor, "pg_trgm"):
            try:
                cursor.execute("SAVEPOINT kb_trgm")
                cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
                cursor.execute("RELEASE SAVEPOINT kb_trgm")
            except Exception:  # noqa: BLE001  insufficient privilege: go on without trigrams
                cursor.execute("ROLLBACK TO SAVEPOINT kb_trgm")
                logger.warning("pg_trgm is not installed and could not be created; KB typo search is off")
                return
        cursor.execute(
            "CREATE INDEX IF NOT EXISTS kb_article_title_trgm ON kb_kbarticle USING gin (title gin_trgm_ops)"
        )


def drop_indexes(apps, schema_editor) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("DROP INDEX IF EXISTS kb_article_title_trgm")
        cursor.execute("DROP INDEX IF EXISTS kb_article_search_gin")
        cursor.execute("DROP INDEX IF EXISTS kb_article_title_gin")


class Migration(migrations.Migration):
    dependencies = [("kb", "0001_initial")]

    operations = [migrations.RunPython(create_indexes, drop_indexes)]
