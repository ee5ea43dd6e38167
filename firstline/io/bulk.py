"""The fast path for many rows: ids reserved up front, then plain INSERTs through the driver
(executemany on SQLite, COPY on PostgreSQL), skipping Model.__init__ and bulk_create's per-object work.

Imports and the demo generator both write through here. Values must already be what the column
stores (dates, Decimals, ids); no model validation runs, so callers validate first.
"""

from django.db import connection
from django.db.models import Model

ROWS_PER_STATEMENT = 5_000


def reserve_ids(model: type[Model], count: int) -> range | list[int]:
    """`count` new primary keys for `model`, for rows inserted with explicit ids in this transaction."""
    if count == 0:
        return range(0)
    table = connection.ops.quote_name(model._meta.db_table)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                [model._meta.db_table, count],
            )
            ids = sorted(row[0] for row in cursor.fetchall())
            # Consecutive unless another writer drew from the sequence meanwhile; either way they are ours.
            return range(ids[0], ids[-1] + 1) if ids[-1] - ids[0] == count - 1 else ids
        # SQLite hands out max(id) + 1, and a transaction that writes holds the only write lock.
        cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {table}")
        first = cursor.fetchone()[0] + 1
        return range(first, first + count)


def insert_rows(model: type[Model], columns: list[str], rows, progress=None) -> int:
    """Insert `rows` (tuples in the order of `columns`, which are column names) and return how many."""
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    names = ", ".join(quote(column) for column in columns)
    written = 0
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
                    written += 1
                    if progress is not None and written % ROWS_PER_STATEMENT == 0:
                        progress.advance(ROWS_PER_STATEMENT)
        else:
            sql = f"INSERT INTO {table} ({names}) VALUES ({', '.join(['%s'] * len(columns))})"
            batch = []
            for row in rows:
                batch.append(row)
                if len(batch) == ROWS_PER_STATEMENT:
                    cursor.executemany(sql, batch)
                    written += len(batch)
                    batch.clear()
                    if progress is not None:
                        progress.advance(ROWS_PER_STATEMENT)
            if batch:
                cursor.executemany(sql, batch)
                written += len(batch)
    if progress is not None and written % ROWS_PER_STATEMENT:
        progress.advance(written % ROWS_PER_STATEMENT)
    return written


def datetime_adapter():
    """A function from a timezone-aware datetime to what the column stores: on SQLite the naive text
    in the connection's time zone that Django's adapt_datetimefield_value() writes, without its
    per-value settings lookups (they cost more than the INSERT at millions of rows); as is elsewhere."""
    if connection.vendor != "sqlite":
        return lambda value: value
    zone = connection.timezone

    def adapt(value):
        return str(value.astimezone(zone).replace(tzinfo=None))

    return adapt


def adapt_datetime(value):
    """One datetime as the column stores it (see datetime_adapter)."""
    return connection.ops.adapt_datetimefield_value(value)
