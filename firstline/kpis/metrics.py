"""KPI math, once, for every surface (pages, API, CLI). Pure: numbers in, numbers out.

A ratio whose denominator is zero is None, which every surface shows as "no data", never 0 %.
"""

from decimal import Decimal


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
