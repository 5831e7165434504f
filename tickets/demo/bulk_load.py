"""Write many rows fast: PostgreSQL COPY through psycopg's cursor.copy, bulk_create elsewhere.

Used by `manage.py seed_scale` only. Rows are plain tuples in the order of `columns(model)` (every
concrete column of the table, generated columns left out), ids included, so one generator feeds
both back ends. This is a data loader: it bypasses services on purpose and writes no events of
its own.
"""

import json
from collections.abc import Iterable, Sequence
from contextlib import contextmanager
from typing import Any

from django.core.management.color import no_style
from django.db import DatabaseError, connection, models, transaction


def is_postgres() -> bool:
    return connection.vendor == "postgresql"


def columns(model: type[models.Model]) -> list[models.Field]:
    """Return the model's writable concrete fields in a fixed order."""
    return [f for f in model._meta.concrete_fields if not getattr(f, "generated", False)]


def defaults(model: type[models.Model]) -> list[Any]:
    """Return a row of default values for `model` (callable defaults evaluated once)."""
    row = []
    for field in columns(model):
        row.append(field.get_default() if field.has_default() else (None if field.null else _blank(field)))
    return row


def index_of(model: type[models.Model]) -> dict[str, int]:
    """Return {attname: position in the row} for `model`."""
    return {f.attname: i for i, f in enumerate(columns(model))}


def _blank(field: models.Field) -> Any:
    if isinstance(field, models.BooleanField):
        return False
    if isinstance(field, models.CharField | models.TextField):
        return ""
    return None


def write_rows(model: type[models.Model], rows: Iterable[Sequence[Any]], *, batch_size: int = 2000) -> int:
    """Write `rows` into the model's table; return how many were written."""
    fields = columns(model)
    if is_postgres():
        return _copy(model, fields, rows)
    count = 0
    batch: list[models.Model] = []
    names = [f.attname for f in fields]
    for row in rows:
        batch.append(model(**dict(zip(names, row, strict=True))))
        if len(batch) >= batch_size:
            model.objects.bulk_create(batch)
            count += len(batch)
            batch = []
    if batch:
        model.objects.bulk_create(batch)
        count += len(batch)
    return count


def _copy(model: type[models.Model], fields: list[models.Field], rows: Iterable[Sequence[Any]]) -> int:
    json_positions = [i for i, f in enumerate(fields) if isinstance(f, models.JSONField)]
    table = connection.ops.quote_name(model._meta.db_table)
    cols = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    count = 0
    connection.ensure_connection()
    with connection.connection.cursor() as cursor:
        with cursor.copy(f"COPY {table} ({cols}) FROM STDIN") as copy:
            for row in rows:
                if json_positions:
                    row = list(row)
                    for i in json_positions:
                        row[i] = json.dumps(row[i])
                copy.write_row(row)
                count += 1
    return count


def next_id(model: type[models.Model]) -> int:
    """Return the first free primary key above every existing row."""
    last = model.objects.order_by("-pk").values_list("pk", flat=True).first()
    return (last or 0) + 1


def reset_sequences(*models_: type[models.Model]) -> None:
    """Move the id sequences past the rows loaded with explicit ids (PostgreSQL setval)."""
    statements = connection.ops.sequence_reset_sql(no_style(), list(models_))
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)


def analyze(*models_: type[models.Model]) -> None:
    """Refresh the planner's statistics after a bulk load."""
    with connection.cursor() as cursor:
        for model in models_:
            table = connection.ops.quote_name(model._meta.db_table)
            cursor.execute(f"ANALYZE {table}" if is_postgres() else f"ANALYZE {model._meta.db_table}")


def skip_foreign_key_checks() -> bool:
    """Within the current transaction, stop PostgreSQL from checking foreign keys row by row
    (session_replication_role = replica: the loader writes ids it has just read, so they hold).
    Needs a superuser; return False, changing nothing, when the role may not do it."""
    if not is_postgres():
        return False
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL session_replication_role = replica")
    except DatabaseError:
        return False
    return True


@contextmanager
def indexes_dropped(*models_: type[models.Model]):
    """Drop the secondary indexes of these tables for the load and build them again afterwards
    (building an index once is much faster than updating it a million times). PostgreSQL only;
    unique indexes and those that back a constraint stay. Run it inside transaction.atomic: if the
    load fails, the rollback brings the dropped indexes back."""
    if not is_postgres():
        yield
        return
    saved: list[tuple[str, str]] = []
    with connection.cursor() as cursor:
        for model in models_:
            cursor.execute(
                """
                SELECT i.indexname, i.indexdef FROM pg_indexes i
                WHERE i.schemaname = current_schema() AND i.tablename = %s
                  AND i.indexdef NOT LIKE 'CREATE UNIQUE%%'
                  AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)
                """,
                [model._meta.db_table],
            )
            saved.extend(cursor.fetchall())
        for name, _definition in saved:
            cursor.execute(f"DROP INDEX IF EXISTS {connection.ops.quote_name(name)}")
    yield
    with connection.cursor() as cursor:
        # Run the deferred foreign-key checks of the loaded rows now: PostgreSQL refuses to build
        # an index on a table with pending trigger events.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")  # fewer sort passes per index build
        for _name, definition in saved:
            cursor.execute(definition)
