"""Fiscal calendar and the one way periods are written.

Period labels (fiscal year named by the calendar year in which it ends):

    2025       fiscal year 2025
    2025Q3     third quarter of fiscal year 2025
    2025-07    calendar month July 2025
    2025YTD    fiscal year 2025 from its first day up to today (or its last day, if it is over)

Pure Python: nothing here touches the database or a request.
"""

import re
from dataclasses import dataclass
from datetime import date, timedelta

PERIOD_HELP = (
    "Write periods as 2025 (fiscal year), 2025Q3 (quarter), 2025-07 (month) or 2025YTD (year to date)."
)
_PATTERN = re.compile(r"^(?P<year>\d{4})(?:Q(?P<quarter>[1-4])|-(?P<month>\d{2})|(?P<ytd>YTD))?$", re.ASCII)
# The years a label may name: wide enough for any company's history and plans, narrow enough that a
# fiscal year's first and last days (which may fall in the calendar years either side) always exist.
MIN_YEAR, MAX_YEAR = 1900, 2199


class PeriodError(ValueError):
    pass


@dataclass(frozen=True)
class Period:
    label: str
    start: date
    end: date  # inclusive

    def __contains__(self, day: date) -> bool:
        return self.start <= day <= self.end

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


def _add_months(year: int, month: int, months: int) -> tuple[int, int]:
    index = year * 12 + (month - 1) + months
    return index // 12, index % 12 + 1


def _month_end(year: int, month: int) -> date:
    next_year, next_month = _add_months(year, month, 1)
    return date(next_year, next_month, 1) - timedelta(days=1)


@dataclass(frozen=True)
class FiscalCalendar:
    start_month: int = 1

    def __post_init__(self) -> None:
        if not 1 <= self.start_month <= 12:
            raise PeriodError("The fiscal year must start in a month from 1 to 12.")

    def fiscal_year(self, day: date) -> int:
        """The fiscal year containing `day`, named by the calendar year in which it ends."""
        if self.start_month == 1 or day.month < self.start_month:
            return day.year
        return day.year + 1

    def year_start(self, fiscal_year: int) -> date:
        start_year = fiscal_year if self.start_month == 1 else fiscal_year - 1
        return date(start_year, self.start_month, 1)

    def year(self, fiscal_year: int) -> Period:
        start = self.year_start(fiscal_year)
        end_year, end_month = _add_months(start.year, start.month, 11)
        return Period(str(fiscal_year), start, _month_end(end_year, end_month))

    def quarter(self, fiscal_year: int, quarter: int) -> Period:
        if not 1 <= quarter <= 4:
            raise PeriodError(f"Quarter {quarter} does not exist; quarters run from 1 to 4.")
        start = self.year_start(fiscal_year)
        first_year, first_month = _add_months(start.year, start.month, 3 * (quarter - 1))
        last_year, last_month = _add_months(first_year, first_month, 2)
        return Period(
            f"{fiscal_year}Q{quarter}", date(first_year, first_month, 1), _month_end(last_year, last_month)
        )

    def month(self, year: int, month: int) -> Period:
        if not 1 <= month <= 12:
            raise PeriodError(f"Month {month:02d} does not exist; months run from 01 to 12.")
        return Period(f"{year}-{month:02d}", date(year, month, 1), _month_end(year, month))

    def year_to_date(self, fiscal_year: int, today: date) -> Period:
        year = self.year(fiscal_year)
        if today < year.start:
            raise PeriodError(f"Fiscal year {fiscal_year} has not started yet, so it has no year to date.")
        return Period(f"{fiscal_year}YTD", year.start, min(today, year.end))

    def quarter_of(self, day: date) -> Period:
        fiscal_year = self.fiscal_year(day)
        months_in = (day.year * 12 + day.month - 1) - (
            self.year_start(fiscal_year).year * 12 + self.start_month - 1
        )
        return self.quarter(fiscal_year, months_in // 3 + 1)

    def year_of(self, day: date) -> Period:
        return self.year(self.fiscal_year(day))

    def recent(self, today: date, earlier_quarters: int = 6) -> list[tuple[Period, str]]:
        """The periods people pick most, named as they say them, then the quarters before."""
        quarter = self.quarter_of(today)
        last_quarter = self.quarter_of(quarter.start - timedelta(days=1))
        fiscal_year = self.fiscal_year(today)
        named = [
            (quarter, "This quarter"),
            (last_quarter, "Last quarter"),
            (self.year_to_date(fiscal_year, today), "This year to date"),
            (self.year(fiscal_year), "This year"),
            (self.year(fiscal_year - 1), "Last year"),
        ]
        earlier, before = [], last_quarter
        for _ in range(earlier_quarters):
            before = self.quarter_of(before.start - timedelta(days=1))
            earlier.append((before, before.label))
        return named + earlier

    def parse(self, text: str, today: date | None = None) -> Period:
        """Turn a period label into dates; raise PeriodError with a readable reason otherwise."""
        match = _PATTERN.match(text.strip().upper())
        if not match:
            raise PeriodError(f"{text!r} is not a period. {PERIOD_HELP}")
        year = int(match["year"])
        if not MIN_YEAR <= year <= MAX_YEAR:
            raise PeriodError(f"{text!r} is not a period: years run from {MIN_YEAR} to {MAX_YEAR}.")
        if match["quarter"]:
            return self.quarter(year, int(match["quarter"]))
        if match["month"]:
            return self.month(year, int(match["month"]))
        if match["ytd"]:
            return self.year_to_date(year, today or date.today())
        return self.year(year)


def fiscal_calendar() -> FiscalCalendar:
    """The calendar configured for this installation (FISCAL_YEAR_START_MONTH)."""
    from django.conf import settings

    return FiscalCalendar(settings.FISCAL_YEAR_START_MONTH)
