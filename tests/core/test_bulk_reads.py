from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db.models import CharField
from django.db.models.functions import Cast
from django.utils import timezone

from firstline.core.bulk import Days, LocalDays
from firstline.core.models import Job

# Whole-hour and minute offsets, daylight saving both ways, and a zone that changes at local midnight.
ZONES = ("UTC", "Europe/Berlin", "America/Santiago", "Asia/Kolkata", "Asia/Kathmandu", "Pacific/Chatham")


@pytest.mark.django_db
@pytest.mark.parametrize("zone", ZONES)
def test_local_days_read_from_text_are_the_days_localtime_gives(zone):
    start = datetime(2025, 3, 28, 17, 0, 0, 250_000, tzinfo=UTC)
    moments = [start + timedelta(minutes=17 * step, seconds=step % 3) for step in range(1_000)]
    Job.objects.bulk_create(Job(kind="read", started_at=moment) for moment in moments)
    with timezone.override(ZoneInfo(zone)):
        local_day = LocalDays()
        rows = Job.objects.order_by("started_at").values_list("started_at", Cast("started_at", CharField()))
        for moment, text in rows:
            assert local_day(text) == timezone.localtime(moment).date(), (zone, moment, text)
        assert local_day(None) is None


def test_days_parse_each_iso_day_and_keep_unknown_days_unknown():
    days = Days()
    assert days["2026-02-28"].isoformat() == "2026-02-28"
    assert days[None] is None
    assert days["2026-02-28"] is days["2026-02-28"]
