from unittest import mock

from django.db import connection, transaction
from django.test import TestCase
from django.utils import timezone

from firstline.core import bulk
from firstline.core.bulk import (
    BULK_CACHE_KIB,
    REBUILD_FROM_ROWS,
    adapt_datetime,
    indexes_rebuilt,
    insert_rows,
)
from firstline.core.models import Job
from firstline.pipeline.models import Opportunity


def secondary_indexes() -> list[str]:
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(
                "SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = %s AND sql IS NOT NULL",
                [Opportunity._meta.db_table],
            )
        else:
            cursor.execute(
                "SELECT indexdef FROM pg_indexes WHERE tablename = %s", [Opportunity._meta.db_table]
            )
        return sorted(sql for (sql,) in cursor.fetchall())


def cache_size() -> int:
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        return cursor.fetchone()[0]


class IndexesRebuiltTests(TestCase):
    """A large load into an empty table drops the secondary indexes on SQLite and builds them again;
    a failed load gets them back with the rollback. PostgreSQL keeps them throughout."""

    def test_the_indexes_are_built_again_and_the_cache_put_back(self):
        before = secondary_indexes()
        cache = cache_size() if connection.vendor == "sqlite" else None
        with indexes_rebuilt(Opportunity, REBUILD_FROM_ROWS):
            during = secondary_indexes()
            if connection.vendor == "sqlite":
                assert cache_size() == BULK_CACHE_KIB
        assert secondary_indexes() == before
        if connection.vendor == "sqlite":
            assert len(during) < len(before)  # only the unique ones stay
            assert all(sql.startswith("CREATE UNIQUE") for sql in during)
            assert cache_size() == cache
        else:
            assert during == before

    def test_a_failed_load_gets_the_indexes_back_with_the_rollback(self):
        before = secondary_indexes()
        cache = cache_size() if connection.vendor == "sqlite" else None
        with (
            self.assertRaises(ZeroDivisionError),
            transaction.atomic(),
            indexes_rebuilt(Opportunity, REBUILD_FROM_ROWS),
        ):
            1 / 0  # noqa: B018
        assert secondary_indexes() == before
        if connection.vendor == "sqlite":
            assert cache_size() == cache

    def test_a_small_load_keeps_the_indexes(self):
        before = secondary_indexes()
        with indexes_rebuilt(Opportunity, REBUILD_FROM_ROWS - 1):
            assert secondary_indexes() == before


class Progress:
    def __init__(self) -> None:
        self.steps: list[int] = []

    def advance(self, rows: int) -> None:
        self.steps.append(rows)


class InsertRowsTests(TestCase):
    """Rows from any iterable go in a statement per ROWS_PER_STATEMENT, the last one partial, and
    the progress counts every row once."""

    def test_every_row_goes_in_once_and_is_counted_once(self):
        columns = ["kind", "state", "params", "done", "message", "result", "created_at"]
        now = adapt_datetime(timezone.now())
        # None, less than a statement, exactly one, a partial last statement.
        for count, steps in [(0, []), (2, [2]), (3, [3]), (7, [3, 3, 1])]:
            with self.subTest(count=count), mock.patch.object(bulk, "ROWS_PER_STATEMENT", 3):
                Job.objects.all().delete()
                progress = Progress()
                rows = ((f"bulk-{n}", "queued", "{}", n, "", "{}", now) for n in range(count))
                assert insert_rows(Job, columns, rows, progress) == count
                assert sorted(Job.objects.values_list("done", flat=True)) == list(range(count))
                assert progress.steps == steps
