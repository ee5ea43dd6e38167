from django.db import connection, transaction
from django.test import TestCase

from firstline.core.bulk import BULK_CACHE_KIB, REBUILD_FROM_ROWS, indexes_rebuilt
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
