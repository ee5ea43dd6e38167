"""The column helpers give what NumPy's and Django's one-value-at-a-time answers give."""

from datetime import UTC, datetime, timedelta
from random import Random

import numpy
import pytest
from django.utils import timezone

from firstline.core.arrays import distinct
from firstline.core.bulk import LocalDays, local_day_ordinals


@pytest.mark.parametrize("spread", [10, 10**9])  # a table of the range, or a sort
def test_distinct_values_are_numpys_unique(spread):
    values = numpy.array([Random(spread).randrange(spread) - 5 for _ in range(1_000)], dtype=numpy.int64)
    found, codes = distinct(values)
    expected, inverse = numpy.unique(values, return_inverse=True)
    assert found.tolist() == expected.tolist() and codes.tolist() == inverse.tolist()
    assert [len(part) for part in distinct(values[:0])] == [0, 0]


@pytest.mark.parametrize("zone", ["UTC", "Asia/Kolkata", "America/New_York", "Australia/Lord_Howe"])
def test_local_days_of_epoch_seconds_are_the_days_localtime_gives(zone):
    rng = Random(zone)
    start = datetime(2024, 1, 1, tzinfo=UTC)
    moments = [start + timedelta(seconds=rng.randrange(0, 3 * 365 * 86_400)) for _ in range(5_000)]
    moments += [
        start + timedelta(days=day, hours=hour, minutes=29) for day in range(0, 900, 7) for hour in range(24)
    ]
    seconds = numpy.array([int(moment.timestamp()) for moment in moments], dtype=numpy.int64)
    with timezone.override(zone):
        local = LocalDays()
        expected = [local(moment.strftime("%Y-%m-%d %H:%M:%S")).toordinal() for moment in moments]
        assert local_day_ordinals(seconds).tolist() == expected
