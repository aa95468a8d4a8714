"""Multi-row INSERT … ON CONFLICT, which the ORM cannot say: additive upserts for the rollups
(`plays = plays + excluded.plays`) and an insert that reports exactly which rows went in
(RETURNING), so counts in import reports and rollups match the plays stored. The SQL is the
same on PostgreSQL and SQLite (≥ 3.35)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from django.db import connection

# SQLite allows 32,766 parameters per statement, PostgreSQL 65,535.
MAX_PARAMETERS = 30_000


def adapt(value):
    """What the database driver should get for a Python value, as the ORM would send it."""
    if isinstance(value, datetime):
        return connection.ops.adapt_datetimefield_value(value)
    if isinstance(value, date):
        return connection.ops.adapt_datefield_value(value)
    return value


def _chunks(rows: Sequence[Sequence], width: int):
    size = max(MAX_PARAMETERS // width, 1)
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


def insert(
    model,
    columns: Sequence[str],
    rows: Sequence[Sequence],
    *,
    conflict: Sequence[str],
    update: str = "",
    returning: Sequence[str] = (),
) -> list[tuple]:
    """INSERT rows; on a conflict over `conflict` do nothing, or `update` ("DO UPDATE SET …").
    Returns the `returning` columns of the rows written."""
    if not rows:
        return []
    table = model._meta.db_table
    if connection.vendor == "postgresql":
        return _insert_copy(model, table, columns, rows, conflict, update, returning)
    quote = connection.ops.quote_name
    column_list = ", ".join(quote(c) for c in columns)
    row_marks = "(" + ", ".join(["%s"] * len(columns)) + ")"
    action = f"DO UPDATE SET {update}" if update else "DO NOTHING"
    tail = f" RETURNING {', '.join(quote(c) for c in returning)}" if returning else ""
    conflict_list = ", ".join(quote(c) for c in conflict)
    written: list[tuple] = []
    with connection.cursor() as cursor:
        for chunk in _chunks(rows, len(columns)):
            # Names come from our own models; every value is a parameter.
            values = ", ".join([row_marks] * len(chunk))
            sql = f"INSERT INTO {quote(table)} ({column_list}) VALUES {values} "  # noqa: S608
            sql += f"ON CONFLICT ({conflict_list}) {action}{tail}"
            params = [adapt(value) for row in chunk for value in row]
            cursor.execute(sql, params)
            if returning:
                written += cursor.fetchall()
    return written


def add_to(table: str, columns: Sequence[str]) -> str:
    """The DO UPDATE clause that adds the incoming values to the stored ones."""
    quote = connection.ops.quote_name
    return ", ".join(
        f"{quote(c)} = {quote(table)}.{quote(c)} + excluded.{quote(c)}" for c in columns
    )


def _insert_copy(model, table, columns, rows, conflict, update, returning) -> list[tuple]:
    """PostgreSQL: COPY the rows into a session-local staging table, then one
    INSERT … SELECT … ON CONFLICT. COPY's row formatting runs in psycopg's C code, so thousands
    of rows cost no per-value Python work and no giant statement to parse."""
    import psycopg

    quote = connection.ops.quote_name
    column_list = ", ".join(quote(c) for c in columns)
    staging = quote(f"staging_{table}"[:63])
    action = f"DO UPDATE SET {update}" if update else "DO NOTHING"
    tail = f" RETURNING {', '.join(quote(c) for c in returning)}" if returning else ""
    conflict_list = ", ".join(quote(c) for c in conflict)
    connection.ensure_connection()
    with psycopg.Cursor(connection.connection) as cursor:
        # ON COMMIT DELETE ROWS: emptied by every commit; TRUNCATE covers two calls in one.
        cursor.execute(
            f"CREATE TEMP TABLE IF NOT EXISTS {staging} ON COMMIT DELETE ROWS AS "  # noqa: S608
            f"SELECT {column_list} FROM {quote(table)} WITH NO DATA"
        )
        cursor.execute(f"TRUNCATE {staging}")
        with cursor.copy(f"COPY {staging} ({column_list}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        sql = f"INSERT INTO {quote(table)} ({column_list}) SELECT {column_list} "
        sql += f"FROM {staging} ON CONFLICT ({conflict_list}) {action}{tail}"
        cursor.execute(sql)
        return cursor.fetchall() if returning else []
