from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from firstline.kpis.metrics import percent_to_plan, pipeline_coverage

money = st.decimals(min_value=0, max_value=10**9, places=2, allow_nan=False, allow_infinity=False)


def test_percent_to_plan_is_won_over_target():
    assert percent_to_plan(Decimal(75), Decimal(100)) == Decimal("0.75")


def test_no_target_means_no_data_not_zero():
    assert percent_to_plan(Decimal(75), Decimal(0)) is None


def test_coverage_is_open_pipeline_over_what_is_left_to_win():
    assert pipeline_coverage(Decimal(300), Decimal(200), Decimal(50)) == Decimal(2)


def test_coverage_has_no_data_once_the_target_is_reached():
    assert pipeline_coverage(Decimal(300), Decimal(200), Decimal(250)) is None


@given(money, money.filter(lambda value: value > 0))
def test_percent_to_plan_times_target_gives_back_the_won_amount(won, target):
    assert abs(percent_to_plan(won, target) * target - won) < Decimal("0.0001")
