from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from firstline.kpis.engagement import (
    EnpsCounts,
    days_since,
    enps,
    enps_counts,
    mean_days,
    sessions_per_seller_month,
)


def test_enps_is_percent_promoters_minus_percent_detractors():
    counts = enps_counts([10, 9, 9, 8, 7, 6, 0, 3, 10, 10])
    assert counts == EnpsCounts(promoters=5, passives=2, detractors=3)
    assert enps(counts) == Decimal(20)


def test_enps_without_answers_is_no_data_not_zero():
    assert enps(enps_counts([])) is None


def test_an_answer_outside_0_to_10_is_refused():
    with pytest.raises(ValueError):
        enps_counts([11])


@given(st.lists(st.integers(min_value=0, max_value=10), min_size=1))
def test_enps_lies_between_minus_100_and_100_and_adds_up(scores):
    counts = enps_counts(scores)
    assert counts.answers == len(scores)
    assert -100 <= enps(counts) <= 100


def test_coaching_cadence_is_sessions_per_seller_per_month_and_days_since_the_last():
    assert sessions_per_seller_month(12, 2, 3) == Decimal(2)
    assert sessions_per_seller_month(5, 0, 3) is None
    assert days_since(date(2026, 1, 1), date(2026, 1, 31)) == 30
    assert days_since(None, date(2026, 1, 31)) is None


def test_mean_days_to_fill():
    assert mean_days([(date(2026, 1, 1), date(2026, 1, 31)), (date(2026, 2, 1), date(2026, 2, 11))]) == 20
    assert mean_days([]) is None
