"""The demo writes stage change times as the column's text itself (opportunities._Moments): the same
text as converting each local datetime through core.bulk.datetime_adapter, in every kind of zone."""

from datetime import date, datetime, time, timedelta
from random import Random
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from django.utils import timezone

from firstline.core.bulk import datetime_adapter
from firstline.demo.opportunities import _Moments, _on_working_hours, _working_hours

# Whole-hour and minute offsets, daylight saving both ways, and a zone that changes at local midnight.
ZONES = ("UTC", "Europe/Berlin", "America/Santiago", "Asia/Kolkata", "Asia/Kathmandu", "Pacific/Chatham")


@pytest.mark.django_db
@pytest.mark.parametrize("zone", ZONES)
def test_stage_times_are_the_text_the_adapter_writes_for_the_local_time(zone):
    rng = Random(zone)
    origin_day = date(2023, 1, 1).toordinal()
    now = datetime(2026, 3, 29, 9, 15, 30, 123_456, tzinfo=ZoneInfo("UTC"))  # a day Berlin changes offset
    with timezone.override(ZoneInfo(zone)):
        moments, adapt = _Moments(origin_day, now), datetime_adapter()
        origin = datetime.combine(date.fromordinal(origin_day), time(), tzinfo=ZoneInfo(zone))
        last = now.date().toordinal() + 2
        days = [whole + _working_hours(rng.random()) for whole in range(origin_day + 1, last)]
        days += [_on_working_hours(origin_day + 1 + rng.random() * (last - origin_day)) for _ in range(3_000)]
        days += [origin_day + 1 + rng.random() * (last - origin_day) for _ in range(1_000)]  # any hour
        for day in days:
            expected = adapt(min(origin + timedelta(days=day - origin_day), now))
            assert moments(day) == expected, (zone, day)
        assert moments(last - 1 + 0.5) == adapt(now)  # never after the moment the demo was made
        days += [whole + 0.5 for whole in range(origin_day + 1, origin_day + 20)]  # noon: no microseconds
        assert moments.many(np.array([*days, last - 1 + 0.5])) == [*map(moments, days), adapt(now)]
