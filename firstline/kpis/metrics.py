"""KPI math, once, for every surface (pages, API, CLI, exports). Pure: numbers in, numbers out.

A ratio whose denominator is zero is None, which every surface shows as "no data", never 0 %.
The definitions are the table in DESIGN.md; each function's docstring quotes its row.
"""

from decimal import Decimal
from itertools import pairwise


def ratio(numerator: Decimal | int, denominator: Decimal | int) -> Decimal | None:
    if not denominator:
        return None
    return Decimal(numerator) / Decimal(denominator)


def percent_to_plan(won_amount: Decimal, target_amount: Decimal) -> Decimal | None:
    """Closed-won amount in the period / target amount for the period."""
    return ratio(won_amount, target_amount)


def pipeline_coverage(open_amount: Decimal, target_amount: Decimal, won_amount: Decimal) -> Decimal | None:
    """Open amount closing in the period / what is still to win (target − closed-won)."""
    remaining = target_amount - won_amount
    if remaining <= 0:
        return None
    return ratio(open_amount, remaining)


def growth(this_period: Decimal | int, year_before: Decimal | int) -> Decimal | None:
    """(value this period − same period a year before) / same period a year before."""
    if not year_before:
        return None
    return (Decimal(this_period) - Decimal(year_before)) / Decimal(year_before)


def close_ratio(won: Decimal | int, lost: Decimal | int) -> Decimal | None:
    """won / (won + lost) among opportunities closed in the period (pass counts or amounts)."""
    return ratio(won, Decimal(won) + Decimal(lost))


def average_deal_size(won_amount: Decimal, won_count_with_amount: int) -> Decimal | None:
    """Closed-won amount / won count. Only deals whose amount is known count in the divisor, so a
    deal imported without an amount does not drag the average down as if it were worth zero."""
    return ratio(won_amount, won_count_with_amount)


def sales_cycle_days(total_days: int, deals: int) -> Decimal | None:
    """Mean days from created to close, won deals (those with both dates known)."""
    return ratio(total_days, deals)


def sales_velocity(
    open_count: int,
    deal_size: Decimal | None,
    close_ratio_by_count: Decimal | None,
    cycle_days: Decimal | None,
) -> Decimal | None:
    """Open opportunities × average deal size × close ratio / sales cycle days: money per day."""
    if deal_size is None or close_ratio_by_count is None or not cycle_days:
        return None
    return Decimal(open_count) * deal_size * close_ratio_by_count / cycle_days


def stage_conversion(reached: list[int]) -> list[Decimal | None]:
    """Share of opportunities reaching step k+1 among those reaching k, for consecutive steps.

    `reached[k]` is how many opportunities reached step k (at least); the result has one entry fewer.
    """
    return [ratio(after, before) for before, after in pairwise(reached)]


def pace(achieved: Decimal, target: Decimal, elapsed_days: int, period_days: int) -> Decimal | None:
    """Achieved / what an even pace would have reached by now (target × share of the period gone).

    1 means on pace; below 1 is behind. No target, or a period not yet begun, is no data."""
    if not target or elapsed_days <= 0 or period_days <= 0:
        return None
    expected = Decimal(target) * Decimal(min(elapsed_days, period_days)) / Decimal(period_days)
    return ratio(achieved, expected)
