"""Engagement and coaching KPIs (DESIGN.md): eNPS and coaching cadence. Pure: numbers in, numbers out.

As in kpis.metrics, a figure without a population is None ("no data"), never 0.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from firstline.kpis.metrics import ratio

PROMOTER_FROM = 9  # 9–10 on the 0–10 scale
DETRACTOR_UP_TO = 6  # 0–6


@dataclass(frozen=True)
class EnpsCounts:
    promoters: int
    passives: int
    detractors: int

    @property
    def answers(self) -> int:
        return self.promoters + self.passives + self.detractors

    def __add__(self, other: "EnpsCounts") -> "EnpsCounts":
        return EnpsCounts(
            self.promoters + other.promoters,
            self.passives + other.passives,
            self.detractors + other.detractors,
        )


def enps_counts(scores: Iterable[int]) -> EnpsCounts:
    promoters = passives = detractors = 0
    for score in scores:
        if not 0 <= score <= 10:
            raise ValueError(f"An eNPS answer is 0–10, not {score}.")
        if score >= PROMOTER_FROM:
            promoters += 1
        elif score <= DETRACTOR_UP_TO:
            detractors += 1
        else:
            passives += 1
    return EnpsCounts(promoters, passives, detractors)


def enps(counts: EnpsCounts) -> Decimal | None:
    """% promoters − % detractors, from −100 to 100; None without answers."""
    share = ratio(counts.promoters - counts.detractors, counts.answers)
    return None if share is None else share * 100


def sessions_per_seller_month(sessions: int, sellers: int, months: int) -> Decimal | None:
    """Coaching sessions per seller per month over a window of `months` months."""
    return ratio(sessions, sellers * months)


def days_since(last: date | None, today: date) -> int | None:
    """Days since the last session; None if there never was one."""
    return None if last is None else (today - last).days


def mean_days(spans: Iterable[tuple[date, date]]) -> Decimal | None:
    """Mean length in days of (start, end) spans, e.g. time to fill positions; None without spans."""
    total = count = 0
    for start, end in spans:
        total += (end - start).days
        count += 1
    return ratio(total, count)
