"""The fast path for many rows: ids reserved up front, then plain INSERTs through the driver
(executemany on SQLite, COPY on PostgreSQL), skipping Model.__init__ and bulk_create's per-object work.

Imports, the demo generator and the KPI roll-ups write through here. Values must already be what the
column stores (dates, Decimals, ids); no model validation runs, so callers validate first.

For reading many rows back, `Days` and `LocalDays` turn dates and datetimes read as text
(`Cast(field, CharField())`, which the ORM passes through without a per-row converter) into dates,
each distinct day or hour converted once; `EpochSeconds`, `DayOrdinal` and `local_day_ordinals` read
them as numbers into arrays.
"""

import json
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from itertools import islice

import numpy
from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import BigIntegerField, Func, IntegerField, Model, QuerySet
from django.db.models.expressions import RawSQL
from django.utils import timezone

from firstline.core.arrays import distinct

ROWS_PER_STATEMENT = 20_000
# A load at least this big, and at least a quarter of the rows already there, rebuilds the indexes.
REBUILD_FROM_ROWS = 20_000
PLAIN_IN_LIMIT = 500
BULK_CACHE_KIB = -131_072  # SQLite's page cache during a bulk load (negative: KiB), 128 MiB
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def table_columns(model: type[Model]) -> list[str]:
    """Every column of `model`'s table, in the order of its fields: the order rows are built in."""
    return [field.column for field in model._meta.concrete_fields]


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
            sql = f"INSERT INTO {table} ({names}) VALUES ({', '.join(['?'] * len(columns))})"
            raw = connection.connection  # the driver's own executemany: no per-batch SQL rewriting
            rows = iter(rows)
            # islice fills a batch without a Python step per row: a fifth of that loop's CPU.
            while batch := list(islice(rows, ROWS_PER_STATEMENT)):
                raw.executemany(sql, batch)
                written += len(batch)
                if progress is not None and len(batch) == ROWS_PER_STATEMENT:
                    progress.advance(ROWS_PER_STATEMENT)
    if progress is not None and written % ROWS_PER_STATEMENT:
        progress.advance(written % ROWS_PER_STATEMENT)
    return written


def insert_select(model: type[Model], columns: list[str], query: QuerySet) -> None:
    """Insert the rows that `query` selects (values() whose columns are `columns`, in that order) into
    `model`'s table within the database: rows summed from others never pass through Python."""
    quote = connection.ops.quote_name
    try:
        sql, params = query.query.sql_with_params()
    except EmptyResultSet:  # a filter that nothing can match, such as an empty __in
        return
    names = ", ".join(map(quote, columns))
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {quote(model._meta.db_table)} ({names}) {sql}", params)


def update_column(model: type[Model], column: str, values: dict) -> int:
    """Set `column` of many rows from primary key → value (what the column stores, as for
    insert_rows, except that dates and Decimals may be as they are: see stored()), one UPDATE per row
    through executemany: bulk_update's CASE over a batch of keys costs the batch size per row."""
    quote = connection.ops.quote_name
    sql = f"UPDATE {quote(model._meta.db_table)} SET {quote(column)} = %s WHERE id = %s"
    with connection.cursor() as cursor:
        cursor.executemany(sql, list(zip(stored(list(values.values())), values, strict=True)))
    return len(values)


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


@contextmanager
def indexes_rebuilt(model: type[Model], incoming: int):
    """Around a bulk load into `model`'s table inside a transaction: on SQLite, drop its secondary
    indexes first and build them again, sorted, at the end. A B-tree updated row by row in random key
    order costs several times the INSERT itself (a dozen indexes on deals: 10x at a million rows);
    built at once it is a sort. The DROP and CREATE are part of the caller's transaction, so a
    rollback brings the indexes back and other connections never see the table without them.

    Only for a load that is large next to the table; unique indexes stay (they check the rows), and
    the page cache is larger meanwhile: rows keyed in random order (a CRM's ids) keep finding the unique
    index's pages in memory, and the rebuilt indexes are sorted in memory, not in temporary files.
    PostgreSQL keeps its indexes: DROP INDEX would lock readers out of the table until the commit."""
    table = model._meta.db_table
    indexes = []
    if connection.vendor == "sqlite" and connection.in_atomic_block and incoming >= REBUILD_FROM_ROWS:
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {connection.ops.quote_name(table)}")
            if incoming * 4 >= cursor.fetchone()[0]:
                cursor.execute(
                    "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = %s "
                    "AND sql IS NOT NULL AND sql NOT LIKE 'CREATE UNIQUE%%'",
                    [table],
                )
                indexes = cursor.fetchall()
                for name, _sql in indexes:
                    cursor.execute(f"DROP INDEX {connection.ops.quote_name(name)}")
    if not indexes:
        yield
        return
    raw = connection.connection  # the driver's: the setting is put back even in a transaction Django saw fail
    cache_size = raw.execute("PRAGMA cache_size").fetchone()[0]
    raw.execute(f"PRAGMA cache_size = {BULK_CACHE_KIB}")
    try:
        yield
        with connection.cursor() as cursor:
            for _name, sql in indexes:
                cursor.execute(sql)
    finally:
        raw.execute(f"PRAGMA cache_size = {int(cache_size)}")


@contextmanager
def foreign_keys_unchecked():
    """Around a load whose keys are right by construction (the demo's, into an empty database): SQLite
    looks every foreign key of every inserted row up in its parent's B-tree (without that lookup the
    demo's million deals and four million stage changes took 0.86-0.89x the CPU). Django's loaddata
    turns the check off the same way. Outside a transaction only: SQLite ignores the pragma inside one,
    and then, like PostgreSQL, checks as usual."""
    unchecked = connection.disable_constraint_checking()
    try:
        yield
    finally:
        if unchecked:
            connection.enable_constraint_checking()


def in_many(values) -> list | RawSQL:
    """For `field__in=`: any number of values as one parameter (a JSON array read by json_each on
    SQLite, an array on PostgreSQL), where a plain IN list takes one parameter per value and so
    chunks of a few hundred under SQLite's limit: a million keys in one query, not a thousand."""
    values = list(values)
    if len(values) <= PLAIN_IN_LIMIT:
        return values
    if connection.vendor == "postgresql":
        # Typed: a server-side cursor (QuerySet.iterator) binds the list as a literal of unknown type.
        kind = "bigint" if all(isinstance(value, int) for value in values) else "text"
        return RawSQL(f"SELECT unnest(%s::{kind}[])", [values])
    return RawSQL("SELECT value FROM json_each(%s)", [json.dumps(values)])


# What the SQLite driver would turn these into value by value (Django's adapters), done once per value.
SQLITE_TEXT = {date: date.isoformat, Decimal: str}


def stored(column: list) -> list:
    """A column as the database stores it, where the driver would adapt it value by value: on SQLite,
    dates as ISO text and Decimals as text, each distinct value converted once (a million deals have
    a few thousand days), not a million adapter calls; as is elsewhere."""
    if connection.vendor != "sqlite":
        return column
    texts = {value: SQLITE_TEXT[type(value)](value) for value in set(column) if type(value) in SQLITE_TEXT}
    if not texts:
        return column
    return list(map(texts.get, column, column))


class Days(dict):
    """ISO date text → date, each distinct day parsed once (a few thousand days for a million deals)."""

    def __missing__(self, text):
        value = self[text] = date.fromisoformat(text) if text else None
        return value


class LocalDays(dict):
    """A datetime column read as text → its day in the current time zone, as timezone.localtime()
    gives it. Both databases write the text in the connection's time zone (UTC), beginning with the
    hour ("2026-11-30 01"); an hour that lies within one local day is converted once, so millions of
    stage changes cost a dictionary lookup each. Call it with the text; None stays None."""

    def __init__(self) -> None:
        super().__init__()
        self.zone = timezone.get_current_timezone()
        self.stored_in = connection.timezone

    def __call__(self, text: str | None) -> date | None:
        if text is None:
            return None
        day = self.get(text[:13])
        return day if day is not None else self._hour(text)

    def _hour(self, text: str) -> date:
        start = datetime.fromisoformat(text[:13]).replace(tzinfo=self.stored_in)
        first = start.astimezone(self.zone).date()
        if first == (start + timedelta(hours=1, microseconds=-1)).astimezone(self.zone).date():
            self[text[:13]] = first
            return first
        # Local midnight falls inside this hour (a zone offset with minutes): this value alone.
        moment = datetime.fromisoformat(text)
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=self.stored_in)
        return moment.astimezone(self.zone).date()


# For reading millions of rows into arrays: numbers rather than text, each row a tuple of ints or
# floats that NumPy takes as a block (four million stage changes in a fraction of the text's time).


class EpochSeconds(Func):
    """A datetime as whole seconds since 1970-01-01 UTC (floored), an integer."""

    output_field = BigIntegerField()

    def as_sqlite(self, compiler, connection, **extra):
        # Stored as UTC text; unixepoch() came with SQLite 3.38, strftime('%s') is the older spelling.
        modern = connection.Database.sqlite_version_info >= (3, 38)
        template = (
            "unixepoch(%(expressions)s)" if modern else "CAST(strftime('%%s', %(expressions)s) AS INTEGER)"
        )
        return self.as_sql(compiler, connection, template=template, **extra)

    def as_postgresql(self, compiler, connection, **extra):
        template = "CAST(FLOOR(EXTRACT(EPOCH FROM %(expressions)s)) AS bigint)"
        return self.as_sql(compiler, connection, template=template, **extra)


class DayOrdinal(Func):
    """A date as its ordinal (`date.toordinal()`), an integer; NULL stays NULL."""

    output_field = IntegerField()

    def as_sqlite(self, compiler, connection, **extra):
        # julianday() of a date is its Julian day at midnight, 1721425.5 for 0001-01-01 (ordinal 1).
        template = "CAST(julianday(%(expressions)s) - 1721424.5 AS INTEGER)"
        return self.as_sql(compiler, connection, template=template, **extra)

    def as_postgresql(self, compiler, connection, **extra):
        template = "(%(expressions)s - DATE '0001-01-01' + 1)"
        return self.as_sql(compiler, connection, template=template, **extra)


def local_day_ordinals(seconds: numpy.ndarray) -> numpy.ndarray:
    """Seconds since 1970 (UTC, as EpochSeconds reads them) → the ordinal of their day in the current
    time zone, as timezone.localtime() gives it (int32). Each hour that occurs is converted once;
    an hour in which local midnight falls (a zone offset with minutes) value by value."""
    zone = timezone.get_current_timezone()
    hours, inverse = distinct(seconds // 3600)
    days = numpy.array([_day_of_hour(hour, zone) for hour in hours.tolist()], dtype=numpy.int32)[inverse]
    split = numpy.flatnonzero(days == 0)
    days[split] = [_local_ordinal(second, zone) for second in seconds[split].tolist()]
    return days


def _day_of_hour(hour: int, zone) -> int:
    """The ordinal of the local day the whole hour lies in, 0 when it lies in two."""
    first = _local_ordinal(hour * 3600, zone)
    return first if first == _local_ordinal(hour * 3600 + 3599, zone) else 0


def _local_ordinal(second: int, zone) -> int:
    return (EPOCH + timedelta(seconds=second)).astimezone(zone).date().toordinal()
