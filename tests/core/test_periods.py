from datetime import date
from itertools import pairwise

import pytest
from hypothesis import given
from hypothesis import strategies as st

from firstline.core.periods import FiscalCalendar, PeriodError

calendars = st.integers(min_value=1, max_value=12).map(FiscalCalendar)
days = st.dates(min_value=date(1990, 1, 1), max_value=date(2090, 12, 31))


def test_calendar_year_is_the_default():
    calendar = FiscalCalendar()
    assert calendar.parse("2025").start == date(2025, 1, 1)
    assert calendar.parse("2025").end == date(2025, 12, 31)
    assert calendar.parse("2025Q3").start == date(2025, 7, 1)
    assert calendar.parse("2025Q3").end == date(2025, 9, 30)


def test_a_fiscal_year_starting_in_february_is_named_by_the_year_it_ends():
    calendar = FiscalCalendar(2)
    year = calendar.parse("2026")
    assert (year.start, year.end) == (date(2025, 2, 1), date(2026, 1, 31))
    assert calendar.fiscal_year(date(2025, 1, 31)) == 2025
    assert calendar.fiscal_year(date(2025, 2, 1)) == 2026
    q4 = calendar.parse("2026Q4")
    assert (q4.start, q4.end) == (date(2025, 11, 1), date(2026, 1, 31))


def test_months_are_calendar_months_and_know_leap_years():
    assert FiscalCalendar(7).parse("2024-02").end == date(2024, 2, 29)
    assert FiscalCalendar(7).parse("2023-02").end == date(2023, 2, 28)


def test_year_to_date_stops_today_or_at_year_end():
    calendar = FiscalCalendar()
    assert calendar.parse("2025YTD", today=date(2025, 5, 10)).end == date(2025, 5, 10)
    assert calendar.parse("2025YTD", today=date(2027, 1, 3)).end == date(2025, 12, 31)
    with pytest.raises(PeriodError, match="has not started"):
        calendar.parse("2030YTD", today=date(2025, 5, 10))


@pytest.mark.parametrize("text", ["", "25", "2025Q5", "2025-13", "2025-00", "Q3 2025", "2025H1", "2025-7"])
def test_it_rejects_what_is_not_a_period_with_a_readable_reason(text):
    with pytest.raises(PeriodError) as error:
        FiscalCalendar().parse(text)
    assert "2025Q3" in str(error.value) or "does not exist" in str(error.value)


@given(calendars, days)
def test_the_quarter_of_a_day_contains_it_and_parses_back_to_itself(calendar, day):
    quarter = calendar.quarter_of(day)
    assert day in quarter
    assert calendar.parse(quarter.label) == quarter
    assert quarter.label.startswith(str(calendar.fiscal_year(day)))


@given(calendars, st.integers(min_value=1990, max_value=2090))
def test_four_quarters_tile_the_fiscal_year_without_gaps(calendar, fiscal_year):
    year = calendar.year(fiscal_year)
    quarters = [calendar.quarter(fiscal_year, q) for q in range(1, 5)]
    assert quarters[0].start == year.start
    assert quarters[-1].end == year.end
    for previous, following in pairwise(quarters):
        assert (following.start - previous.end).days == 1
    assert sum(q.days for q in quarters) == year.days
    assert year.days in (365, 366)


@given(calendars, days)
def test_the_year_of_a_day_contains_it(calendar, day):
    assert day in calendar.year_of(day)
