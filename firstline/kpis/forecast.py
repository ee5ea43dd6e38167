"""Forecast math, once, for pages, API, CLI and the backtest. Pure: numbers and dates in, numbers out.

What history teaches (`forecast_columns.learn`, worked out with NumPy over the deals' columns):
- stage calibration: among closed deals that reached a stage, the share that was won;
- time in stage: how long deals stayed in each stage before moving on (its 75th percentile is the
  "stalled" threshold);
- timing: for each stage, (days from entering it to closing, won?) samples, which give the chance
  that a deal still open after `a` days in a stage is won within the next `h` days. That one number
  carries the stage-to-win rate, the slip rate and the cycle time together, and it does not lean on
  the seller's close date, which is the thing that slips.

The projection (`project`) draws each open deal's outcome from that chance, adds what is already won
and a bootstrap draw of "new business" (won in the period from deals not yet created, as in past
periods at the same point), and reports the mean and an 80 % interval from a seeded Monte Carlo.
How those chances did at the same point of past periods is `forecast_columns.calibrate_many`.
"""

from bisect import bisect_right
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from math import sqrt

import numpy

TIMING_SAMPLE = 6_000  # per stage: enough for stable tail estimates per size band, small enough to store
SIZE_BANDS = 3
MIN_BAND_SAMPLES = 300  # fewer known amounts per band than this: one band for all sizes
MIN_TIMING_SAMPLES = 20  # fewer samples than this past a deal's age: use the oldest ones instead
EXACT_DEALS = 200  # the largest deals are drawn one by one; the long tail by its normal approximation
DRAWS = 1_000
INTERVAL = (0.10, 0.90)  # the 80 % interval
RECENT_DAYS = 728  # a group's win rate against everyone's: over the eight quarters before the forecast
CALIBRATION_PERIODS = 4  # the chances are checked against the same point of the last four periods


@dataclass(frozen=True)
class DealHistory:
    """One deal as history tells it: which stages it entered and when, and how it ended (if it has)."""

    group: object  # the team (or anything) whose thresholds this deal informs
    entries: tuple[tuple[int, date], ...]  # (stage id, day it entered), in order
    closed_on: date | None
    won: bool | None  # None while open
    amount: float | None
    created: date | None = None
    close_date: date | None = None  # the expected (or actual) close date as stored today
    amount_changes: tuple[tuple[date, float | None, float | None], ...] = ()  # (day, old, new), in order
    close_date_changes: tuple[tuple[date, date | None, date | None], ...] = ()

    def amount_on(self, day: date) -> float | None:
        return value_on(self.amount, self.amount_changes, day)

    def close_date_on(self, day: date) -> date | None:
        return value_on(self.close_date, self.close_date_changes, day)


def value_on(today, changes: Sequence[tuple[date, object, object]], day: date):
    """A field's value at the end of `day`: the old value of its first change after that day, else
    today's value."""
    for changed_on, old, _new in changes:
        if changed_on > day:
            return old
    return today


@dataclass(frozen=True)
class StageRate:
    reached: int
    won: int

    @property
    def rate(self) -> float | None:
        return self.won / self.reached if self.reached else None


WON, LOST, STILL_OPEN = 1, 0, -1  # what became of a deal some days after it entered a stage
AGE_STEP = 7  # ages are looked up by the week, so chances can be cached per week and horizon


@dataclass
class Timing:
    """Samples for one stage: (days it stayed in the stage, days from entering it to closing or to
    the day of learning, outcome, amount or 0 when unknown). Deals still open on the day of learning
    count too ("censored"): learning only from closed deals would over-represent the fast ones and
    overstate every chance. Large deals win less often and take longer than small ones, so with
    enough samples the chances are read within the deal's size band (the samples' terciles).
    """

    samples: list[tuple[int, int, int, int]] = field(default_factory=list)  # sorted by stay
    stays: list[int] = field(default_factory=list)
    edges: tuple[float, ...] = ()  # amounts between size bands; empty: one band
    bands: tuple["Timing", ...] = ()
    _cache: dict = field(default_factory=dict, repr=False)

    @classmethod
    def from_samples(cls, samples: Iterable[Sequence[int]], *, banded: bool = True) -> "Timing":
        ordered = sorted(_sample(*values) for values in samples)
        timing = cls(samples=ordered, stays=[stay for stay, *_ in ordered])
        amounts = sorted(amount for *_, amount in ordered if amount)
        if banded and len(amounts) >= SIZE_BANDS * MIN_BAND_SAMPLES:
            edges = tuple(amounts[len(amounts) * band // SIZE_BANDS] for band in range(1, SIZE_BANDS))
            split: list[list] = [[] for _ in range(SIZE_BANDS)]
            for sample in ordered:
                if sample[3]:
                    split[bisect_right(edges, sample[3])].append(sample)
            timing.edges = edges
            timing.bands = tuple(cls.from_samples(part, banded=False) for part in split)
        return timing

    def chance(self, age: int, horizon: int, amount: float | None = None) -> float:
        """P(won within `horizon` more days | in this stage for `age` days so far), for a deal of
        `amount` (any size when unknown).

        From deals that stayed in the stage longer than `age`, counting only known outcomes:
        closed deals, and still-open deals watched for at least `age + horizon` days.
        """
        if amount and self.bands:
            return self.bands[bisect_right(self.edges, amount)].chance(age, horizon)
        if horizon < 0 or not self.samples:
            return 0.0
        age = age - age % AGE_STEP
        key = (age, horizon)
        if key not in self._cache:
            self._cache[key] = self._chance(age, horizon)
        return self._cache[key]

    def _chance(self, age: int, horizon: int) -> float:
        start = bisect_right(self.stays, age)
        if len(self.samples) - start < MIN_TIMING_SAMPLES:
            # Older than almost every deal we have seen: judge it by the slowest ones we have.
            start = max(0, len(self.samples) - MIN_TIMING_SAMPLES)
            age = self.stays[start] - 1
        won = known = 0
        for _stay, days, outcome, _amount in self.samples[start:]:
            if outcome == STILL_OPEN:
                known += days >= age + horizon
            else:
                known += 1
                won += outcome == WON and days <= age + horizon
        return won / known if known else 0.0


def _sample(stay: int, days: int, outcome: int, amount: float = 0) -> tuple[int, int, int, int]:
    """One timing sample; rows stored before amounts were kept have three fields."""
    return int(stay), int(days), int(outcome), int(amount or 0)


@dataclass
class History:
    rates: dict[int, StageRate]
    stage_days: dict[tuple[object, int], list[int]]  # (group, stage) → days spent before moving on
    timing: dict[int, Timing]
    group_rates: dict[object, tuple[int, int]] = field(default_factory=dict)  # group → (closed, won), recent

    def group_factor(self, group, prior: int = 50) -> float:
        """How a group's recent win rate compares with everyone's, shrunk towards 1 for small
        groups (as if it had also closed `prior` deals at the company's rate)."""
        closed = sum(c for c, _ in self.group_rates.values())
        won = sum(w for _, w in self.group_rates.values())
        group_closed, group_won = self.group_rates.get(group, (0, 0))
        return shrunk_factor(group_closed, group_won, closed, won, prior)

    def stall_limit(self, group, stage_id: int, minimum_sample: int = 20) -> tuple[float, int] | None:
        """The 75th percentile of days in `stage_id` for `group` (the whole company when the
        group has too few deals to say), and how many deals it rests on."""
        own = self.stage_days.get((group, stage_id), [])
        if len(own) >= minimum_sample:
            return percentile(own, 0.75), len(own)
        everyone = [
            days for (_, stage), values in self.stage_days.items() if stage == stage_id for days in values
        ]
        if len(everyone) >= minimum_sample:
            return percentile(everyone, 0.75), len(everyone)
        return None


def shrunk_factor(group_closed: int, group_won: int, closed: int, won: int, prior: int = 50) -> float:
    """(group's win rate) / (everyone's), with `prior` pseudo-deals at everyone's rate added to the
    group so that a small group's factor stays near 1."""
    if not closed or not won:
        return 1.0
    rate = won / closed
    return (group_won + prior * rate) / ((group_closed + prior) * rate)


def knows_outcomes(timing: dict[int, Timing]) -> bool:
    """Whether any closed deal informs the timing (still-open deals alone cannot say who wins)."""
    return any(outcome != STILL_OPEN for stage in timing.values() for _, _, outcome, _ in stage.samples)


def percentile(values: Sequence[float], q: float) -> float:
    """Linear interpolation between closest ranks (NumPy's default), for 0 ≤ q ≤ 1."""
    if not values:
        raise ValueError("No values to take a percentile of.")
    ordered = sorted(values)
    position = (len(ordered) - 1) * q
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def learn_stage_days(deals: Iterable[DealHistory], *, as_of: date) -> History:
    """Only the days deals spent in each stage before moving on (the stall thresholds), as `learn`
    finds them; no calibration and no timing. Only the deals' groups and entries are read."""
    stage_days: dict[tuple[object, int], list[int]] = defaultdict(list)
    for deal in deals:
        _learn_stage_days(deal, as_of, stage_days)
    return History(rates={}, stage_days=dict(stage_days), timing={})


def _learn_stage_days(deal: DealHistory, as_of: date, stage_days) -> None:
    for (stage_id, entered), (_, left) in zip(deal.entries, deal.entries[1:], strict=False):
        if left < as_of:
            stage_days[(deal.group, stage_id)].append((left - entered).days)


def state_on(entries: Sequence[tuple[int, date]], day: date) -> tuple[int, date] | None:
    """(stage, day it entered it) as known at the end of `day`, from the stage history."""
    current = None
    for stage_id, entered in entries:
        if entered > day:
            break
        current = (stage_id, entered)
    return current


@dataclass(frozen=True)
class OpenDeal:
    amount: float | None  # None: unknown, counted but not summed
    stage_id: int
    days_in_stage: int


@dataclass(frozen=True)
class Projection:
    mean: float
    low: float  # 10th percentile
    high: float  # 90th percentile
    won_so_far: float
    expected_from_open: float
    expected_new_business: float
    open_deals: int
    unknown_amounts: int
    draws: int
    seed: int

    def to_plan(self, target: float | None) -> tuple[float | None, float | None, float | None]:
        if not target:
            return None, None, None
        return self.mean / target, self.low / target, self.high / target


def win_chances(deals: Sequence[OpenDeal], history: History, horizon_days: int) -> list[float]:
    """For each open deal: the chance it is won within `horizon_days`."""
    empty = Timing()
    return [
        history.timing.get(deal.stage_id, empty).chance(deal.days_in_stage, horizon_days, deal.amount)
        for deal in deals
    ]


@dataclass(frozen=True)
class OpenPipeline:
    """What a set of open deals may add by the period's end: the largest drawn one by one, the long
    tail by its normal approximation (the Lindeberg central limit theorem). Pipelines of several
    teams combine into one (`combine`), so a region's projection can be drawn from its teams'."""

    exact: tuple[tuple[float, float], ...]  # (amount, chance of being won in time), largest first
    tail_mean: float
    tail_variance: float
    open_deals: int
    unknown_amounts: int

    @property
    def expected(self) -> float:
        return sum(amount * p for amount, p in self.exact) + self.tail_mean


def open_pipeline(
    open_deals: Sequence[OpenDeal],
    history: History,
    horizon_days: int,
    *,
    factor: float = 1.0,
    exact: int = EXACT_DEALS,
) -> OpenPipeline:
    chances = [min(1.0, chance * factor) for chance in win_chances(open_deals, history, horizon_days)]
    known = sorted(
        ((deal.amount, chance) for deal, chance in zip(open_deals, chances, strict=True) if deal.amount),
        reverse=True,
    )
    return _split(known, exact, len(open_deals), sum(1 for deal in open_deals if deal.amount is None))


def _split(
    known, exact: int, open_deals: int, unknown: int, tail_mean=0.0, tail_variance=0.0
) -> OpenPipeline:
    tail = known[exact:]
    return OpenPipeline(
        exact=tuple(known[:exact]),
        tail_mean=tail_mean + sum(amount * p for amount, p in tail),
        tail_variance=tail_variance + sum(amount * amount * p * (1 - p) for amount, p in tail),
        open_deals=open_deals,
        unknown_amounts=unknown,
    )


def combine(pipelines: Iterable[OpenPipeline], exact: int = EXACT_DEALS) -> OpenPipeline:
    """One pipeline of several: the largest `exact` deals of all drawn one by one, the rest in the tail."""
    pipelines = list(pipelines)
    known = sorted((deal for pipeline in pipelines for deal in pipeline.exact), reverse=True)
    return _split(
        known,
        exact,
        sum(p.open_deals for p in pipelines),
        sum(p.unknown_amounts for p in pipelines),
        tail_mean=sum(p.tail_mean for p in pipelines),
        tail_variance=sum(p.tail_variance for p in pipelines),
    )


def project(
    *,
    open_deals: Sequence[OpenDeal],
    history: History,
    horizon_days: int,
    won_so_far: float,
    new_business: Sequence[float] = (),
    factor: float = 1.0,
    shock_sd: float = 0.0,
    draws: int = DRAWS,
    seed: int = 0,
) -> Projection:
    """Monte Carlo of the amount won by the end of the period; the same seed gives the same answer."""
    return simulate(
        open_pipeline(open_deals, history, horizon_days, factor=factor),
        won_so_far=won_so_far,
        new_business=new_business,
        shock_sd=shock_sd,
        draws=draws,
        seed=seed,
    )


def simulate(
    pipeline: OpenPipeline,
    *,
    won_so_far: float,
    new_business: Sequence[float] = (),
    shock_sd: float = 0.0,
    draws: int = DRAWS,
    seed: int = 0,
) -> Projection:
    """The draws, all at once: one shared shock per simulated period (the chances' own error moves
    every deal's together), each large deal won or not, the tail, and one past period's new business."""
    rng = numpy.random.default_rng(seed)
    shock = (
        numpy.exp(rng.normal(-shock_sd * shock_sd / 2, shock_sd, draws)) if shock_sd else numpy.ones(draws)
    )
    amounts = numpy.array([amount for amount, _ in pipeline.exact], dtype=float)
    chances = numpy.array([p for _, p in pipeline.exact], dtype=float)
    totals = won_so_far + (rng.random((draws, len(amounts))) < chances * shock[:, None]) @ amounts
    if pipeline.tail_mean or pipeline.tail_variance:
        totals += numpy.maximum(0.0, rng.normal(pipeline.tail_mean * shock, sqrt(pipeline.tail_variance)))
    if new_business:
        totals += numpy.asarray(new_business, dtype=float)[rng.integers(0, len(new_business), draws)]
    low, high = numpy.percentile(totals, [100 * INTERVAL[0], 100 * INTERVAL[1]])
    return Projection(
        mean=float(totals.mean()),
        low=float(low),
        high=float(high),
        won_so_far=won_so_far,
        expected_from_open=pipeline.expected,
        expected_new_business=sum(new_business) / len(new_business) if new_business else 0.0,
        open_deals=pipeline.open_deals,
        unknown_amounts=pipeline.unknown_amounts,
        draws=draws,
        seed=seed,
    )


@dataclass(frozen=True)
class Calibration:
    """How the chances did at the same point of recent past periods. `factor`: the amount then won
    by the period's end from the deals open at that point, over the amount their chances expected
    (what the chances miss, such as wins crowding towards a period's end). `shock_sd`: how far one
    group's period strayed from that beyond the coin-flip noise of its deals — the model's own error,
    which all of a group's deals share in a period, as a relative standard deviation."""

    factor: float = 1.0
    shock_sd: float = 0.0
    periods: int = 0  # past periods it rests on; 0: nothing to check against


def _calibration(cells: dict[tuple[object, int], tuple[float, float, float]]) -> Calibration:
    """From (expected, variance, won) per (group, period)."""
    expected = sum(cell[0] for cell in cells.values())
    won = sum(cell[2] for cell in cells.values())
    if not expected or not won:
        return Calibration()  # too little history to check the chances against
    factor = won / expected
    squares, noise = [], []
    for mean, variance, actual in cells.values():
        if mean:
            squares.append((actual / (mean * factor) - 1) ** 2)
            noise.append(variance / (mean * mean * factor))  # the coin flips' share, chances × factor
    spread = sqrt(max(0.0, sum(squares) / len(squares) - sum(noise) / len(noise)))
    return Calibration(factor=factor, shock_sd=spread, periods=len({index for _, index in cells}))


@dataclass
class Snapshot:
    """What was known about a set of deals at the end of `as_of`, for a forecast of `period`."""

    open_deals: list[OpenDeal]
    won_so_far: float
    open_closing_in_period: list[tuple[float | None, int]]  # (amount, stage id) for the baseline
    without_close_date: int = 0  # open deals that had no expected close date


def snapshot(deals: Iterable[DealHistory], *, as_of: date, start: date, end: date) -> Snapshot:
    """Rebuild from the stage history and the edits which deals were open on `as_of`, in which stage
    and since when, with the amounts and close dates they had then, and what had been won in
    [start, as_of]."""
    result = Snapshot([], 0.0, [])
    for deal in deals:
        state = state_on(deal.entries, as_of)
        if state is None:
            continue  # not created yet
        amount = deal.amount_on(as_of)
        if deal.closed_on is not None and deal.closed_on <= as_of:
            if deal.won and start <= deal.closed_on <= end:
                result.won_so_far += amount or 0.0
            continue
        stage_id, entered = state
        result.open_deals.append(OpenDeal(amount, stage_id, (as_of - entered).days))
        close_date = deal.close_date_on(as_of)
        result.without_close_date += close_date is None
        if close_date is not None and start <= close_date <= end:
            result.open_closing_in_period.append((amount, stage_id))
    return result


def usable_periods(
    past_periods: Sequence[tuple[date, date]], *, as_of: date, history_start: date | None
) -> list[tuple[date, date]]:
    """The past periods whose outcome is known on `as_of` and that began once there was history."""
    return [(s, e) for s, e in past_periods if e < as_of and (history_start is None or s >= history_start)]


def new_business_samples(
    deals: Iterable[DealHistory],
    *,
    as_of: date,
    start: date,
    past_periods: Sequence[tuple[date, date]],
    history_start: date | None = None,
) -> list[float]:
    """For each past period that ended before `as_of` (and began once there was history: before
    it, a period would count as one without new business): the amount won in it from deals
    created after the same point of that period — what the rest of this period may add from deals
    that do not exist yet."""
    offset = as_of - start
    usable = usable_periods(past_periods, as_of=as_of, history_start=history_start)
    totals = [0.0] * len(usable)
    for deal in deals:
        if not deal.won or deal.closed_on is None or deal.created is None:
            continue
        for index, (s, e) in enumerate(usable):
            if s <= deal.closed_on <= e and deal.created > s + offset:
                totals[index] += deal.amount or 0.0
    return totals


def actual_won(deals: Iterable[DealHistory], *, start: date, end: date) -> float:
    return sum(d.amount or 0.0 for d in deals if d.won and d.closed_on and start <= d.closed_on <= end)


def stage_weighted(
    deals: Iterable[tuple[float | None, int]], probabilities: dict[int, int], won_so_far: float
) -> float:
    """The classic baseline: won so far plus each open deal closing in the period × its stage's
    configured probability (percent). Deals without an amount add nothing."""
    return won_so_far + sum(
        amount * probabilities.get(stage_id, 0) / 100 for amount, stage_id in deals if amount
    )


def run_rate(won_so_far: float, elapsed_days: int, period_days: int) -> float:
    """The naive baseline: what was won so far, extended at the same pace to the period's end."""
    if elapsed_days <= 0:
        return 0.0
    return won_so_far * period_days / elapsed_days


def mean_absolute_percentage_error(pairs: Iterable[tuple[float, float]]) -> float | None:
    """Mean of |forecast − actual| / actual over pairs with a non-zero actual."""
    errors = [abs(forecast - actual) / actual for forecast, actual in pairs if actual]
    return sum(errors) / len(errors) if errors else None


# Forecast calls: the seller's call, the manager's adjustment, rolled up the org tree.


@dataclass(frozen=True)
class Call:
    commit: float
    best_case: float


@dataclass(frozen=True)
class RolledCall:
    """A team's call: the manager's adjustment if there is one, else the sum of what is below."""

    commit: float
    best_case: float
    from_below: Call  # the sum of the sellers' calls and sub-teams' rolled calls
    adjusted: bool
    sellers_without_call: int

    @property
    def adjustment(self) -> float:
        return self.commit - self.from_below.commit


def roll_up(
    *,
    children: dict[object, list[object]],
    sellers: dict[object, list[object]],
    seller_calls: dict[object, Call],
    adjustments: dict[object, Call],
    root: object,
) -> dict[object, RolledCall]:
    """Every team's call in the tree below `root` (root included), depth first."""
    result: dict[object, RolledCall] = {}

    def visit(team) -> RolledCall:
        commit = best = 0.0
        missing = 0
        for seller in sellers.get(team, []):
            call = seller_calls.get(seller)
            if call is None:
                missing += 1
                continue
            commit += call.commit
            best += call.best_case
        for child in children.get(team, []):
            below = visit(child)
            commit += below.commit
            best += below.best_case
            missing += below.sellers_without_call
        from_below = Call(commit, best)
        adjustment = adjustments.get(team)
        rolled = RolledCall(
            commit=adjustment.commit if adjustment else commit,
            best_case=adjustment.best_case if adjustment else best,
            from_below=from_below,
            adjusted=adjustment is not None,
            sellers_without_call=missing,
        )
        result[team] = rolled
        return rolled

    visit(root)
    return result


def calibration(rates: dict[int, StageRate], stage_ids: Iterable[int]) -> dict[int, StageRate]:
    """The calibrated rate per stage, with zero counts for stages history has not seen."""
    return {stage: rates.get(stage, StageRate(0, 0)) for stage in stage_ids}
