"""Quarterly revenue targets for every seller, sized from what the company actually closed."""

from collections import defaultdict
from decimal import Decimal
from typing import TextIO

from django.conf import settings
from django.db import transaction
from tqdm import tqdm

from firstline.core.bulk import insert_rows
from firstline.demo.company import SellerProfile
from firstline.demo.opportunities import YEARLY_GROWTH
from firstline.demo.timeline import Timeline
from firstline.targets.models import Metric, Target

TARGET_COLUMNS = ["person_id", "stretch", "metric", "period", "start", "end", "amount", "currency"]
SELLERS_PER_BATCH = 400  # a dozen quarters each: a few thousand rows per insert
PLANNED_ATTAINMENT = 0.9  # a typical seller lands a little under plan
RAMP = (0.25, 0.5, 0.75)  # share of a full target in a new hire's first quarters


def build_targets(
    *,
    sellers: list[SellerProfile],
    won_by_seller_quarter: list[list[float]],
    timeline: Timeline,
    progress: TextIO | None,
) -> int:
    """One revenue target per seller and fiscal quarter since they were hired; returns the count.

    The plan starts from the first year's average closed revenue of a fully ramped seller with the
    same focus (an enterprise seller closes fewer, far larger deals than a commercial one), so that
    targets fit whatever volume of deals was asked for, and rises with the company's growth.
    """
    base = _first_year_quarterly_revenue(sellers, won_by_seller_quarter, timeline)
    currency = settings.DEFAULT_CURRENCY
    created = 0
    with tqdm(
        total=len(sellers), desc="Targets", unit=" sellers", file=progress, disable=progress is None
    ) as bar:
        for first in range(0, len(sellers), SELLERS_PER_BATCH):
            chunk = sellers[first : first + SELLERS_PER_BATCH]
            targets = [
                target
                for seller in chunk
                for target in _seller_targets(
                    seller, base.get(seller.focus.name, base[None]), timeline, currency
                )
            ]
            with transaction.atomic():
                # Plain rows through the bulk fast path: bulk_create's work per object cost three
                # times the building of the rows (tens of thousands at full scale).
                insert_rows(Target, TARGET_COLUMNS, targets)
            created += len(targets)
            bar.update(len(chunk))
    return created


def _seller_targets(seller: SellerProfile, base: float, timeline: Timeline, currency: str) -> list[tuple]:
    """Rows in the order of TARGET_COLUMNS (a person's plan, not a stretch: no team), with the start
    and end that Target.save() would fill from the label."""
    hired_in = _hire_quarter(seller, timeline)
    targets = []
    for index, quarter in enumerate(timeline.target_quarters):
        if quarter.end < seller.hired_on:
            continue
        quarters_in = index - hired_in
        ramp = RAMP[quarters_in] if 0 <= quarters_in < len(RAMP) else 1.0
        amount = base * YEARLY_GROWTH ** (index // 4) / PLANNED_ATTAINMENT * seller.quota_factor * ramp
        targets.append(
            (
                seller.person_id,
                False,
                Metric.REVENUE.value,
                quarter.label,
                quarter.start,
                quarter.end,
                Decimal(max(1_000, int(round(amount, -3)))),
                currency,
            )
        )
    return targets


def _hire_quarter(seller: SellerProfile, timeline: Timeline) -> int:
    """Index of the quarter the seller was hired in; negative for people hired before the history."""
    if seller.hired_on < timeline.start:
        return -len(RAMP) - 1
    return timeline.quarter_index(seller.hired_on.toordinal())


def _first_year_quarterly_revenue(
    sellers: list[SellerProfile], won_by_seller_quarter: list[list[float]], timeline: Timeline
) -> dict[str | None, float]:
    """Quarterly revenue of a ramped seller in the first year per unit of quota, per focus and (None)
    overall; dividing by quota rather than counting heads keeps the whole plan at PLANNED_ATTAINMENT."""
    revenue: defaultdict[str | None, float] = defaultdict(float)
    quota: defaultdict[str | None, float] = defaultdict(float)
    for seller in sellers:
        for quarter in range(4):
            if quarter - _hire_quarter(seller, timeline) >= len(RAMP):
                for key in (seller.focus.name, None):
                    revenue[key] += won_by_seller_quarter[seller.index][quarter]
                    quota[key] += seller.quota_factor
    return {key: revenue[key] / quota[key] if quota[key] else 0.0 for key in (*revenue, None)}
