"""The three fiscal years the demo company has history for, anchored to today."""

from bisect import bisect_left
from dataclasses import dataclass
from datetime import date, timedelta

from django.utils import timezone

from firstline.core.periods import Period, fiscal_calendar

YEARS_OF_HISTORY = 3
HORIZON_DAYS = 365  # open deals close within a year from today


@dataclass(frozen=True)
class Timeline:
    today: date
    fiscal_years: tuple[int, ...]
    quarters: tuple[Period, ...]  # every quarter of the fiscal years, then of the year after
    quarter_end_ordinals: tuple[int, ...]

    @property
    def start(self) -> date:
        return self.quarters[0].start

    @property
    def horizon(self) -> date:
        return self.today + timedelta(days=HORIZON_DAYS)

    @property
    def target_quarters(self) -> tuple[Period, ...]:
        return self.quarters[: 4 * len(self.fiscal_years)]

    def quarter_index(self, ordinal: int) -> int:
        """Index in `quarters` of the quarter holding the day with this ordinal."""
        return bisect_left(self.quarter_end_ordinals, ordinal)


def timeline(today: date | None = None) -> Timeline:
    today = today or timezone.localdate()
    calendar = fiscal_calendar()
    current = calendar.fiscal_year(today)
    years = tuple(range(current - YEARS_OF_HISTORY + 1, current + 1))
    quarters = tuple(calendar.quarter(year, q) for year in (*years, current + 1) for q in range(1, 5))
    ends = tuple(quarter.end.toordinal() for quarter in quarters)
    return Timeline(today=today, fiscal_years=years, quarters=quarters, quarter_end_ordinals=ends)
