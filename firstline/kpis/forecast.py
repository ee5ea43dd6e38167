"""Forecast math, once, for pages, API, CLI and the backtest. Pure: numbers and dates in, numbers out.

What history teaches (`learn`):
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
"""

from bisect import bisect_right
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from math import exp, log, sqrt
from random import Random

TIMING_SAMPLE = 4_000  # per stage: enough for stable tail estimates, small enough to store
MIN_TIMING_SAMPLES = 20  # fewer samples than this past a deal's age: use the oldest ones instead
EXACT_DEALS = 200  # the largest deals are drawn one by one; the long tail by its normal approximation
DRAWS = 1_000
INTERVAL = (0.10, 0.90)  # the 80 % interval
SHOCK_WINDOW_DAYS = 728  # the eight quarters before the forecast tell how much quarters vary


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
    the day of learning, outcome). Deals still open on the day of learning count too ("censored"):
    learning only from closed deals would over-represent the fast ones and overstate every chance.
    """

    samples: list[tuple[int, int, int]] = field(default_factory=list)  # sorted by stay
    stays: list[int] = field(default_factory=list)
    _cache: dict = field(default_factory=dict, repr=False)

    @classmethod
    def from_samples(cls, samples: Iterable[Sequence[int]]) -> "Timing":
        ordered = sorted((int(stay), int(days), int(outcome)) for stay, days, outcome in samples)
        return cls(samples=ordered, stays=[stay for stay, _, _ in ordered])

    def chance(self, age: int, horizon: int) -> float:
        """P(won within `horizon` more days | in this stage for `age` days so far).

        From deals that stayed in the stage longer than `age`, counting only known outcomes:
        closed deals, and still-open deals watched for at least `age + horizon` days.
        """
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
        for _stay, days, outcome in self.samples[start:]:
            if outcome == STILL_OPEN:
                known += days >= age + horizon
            else:
                known += 1
                won += outcome == WON and days <= age + horizon
        return won / known if known else 0.0


@dataclass
class History:
    rates: dict[int, StageRate]
    stage_days: dict[tuple[object, int], list[int]]  # (group, stage) → days spent before moving on
    timing: dict[int, Timing]
    shock_sd: float = 0.0  # spread of a team's quarter: deals in one quarter win or lose together
    days_before_end: dict[int, int] = field(default_factory=dict)  # wins by days before their period's end
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
    return any(outcome != STILL_OPEN for stage in timing.values() for *_, outcome in stage.samples)


def percentile(values: Sequence[float], q: float) -> float:
    """Linear interpolation between closest ranks (NumPy's default), for 0 ≤ q ≤ 1."""
    if not values:
        raise ValueError("No values to take a percentile of.")
    ordered = sorted(values)
    position = (len(ordered) - 1) * q
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def learn(deals: Iterable[DealHistory], *, as_of: date, seed: int = 0, period_end_of=None) -> History:
    """What the history known on `as_of` teaches: only stage exits and closes before that day count.
    `period_end_of(day)`, when given, lets it learn how wins crowd towards the ends of periods."""
    rng = Random(seed)
    days_before_end: dict[int, int] = defaultdict(int)
    quarters: dict[tuple[object, int], list[int]] = defaultdict(
        lambda: [0, 0]
    )  # (group, quarter) → closed, won
    reached: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    stage_days: dict[tuple[object, int], list[int]] = defaultdict(list)
    pairs: dict[int, list[tuple[int, int, int]]] = defaultdict(list)
    seen: dict[int, int] = defaultdict(int)
    for deal in deals:
        _learn_stage_days(deal, as_of, stage_days)
        closed = deal.won is not None and deal.closed_on is not None and deal.closed_on < as_of
        if closed:
            if (as_of - deal.closed_on).days <= SHOCK_WINDOW_DAYS:
                tally = quarters[(deal.group, (as_of - deal.closed_on).days // 91)]
                tally[0] += 1
                tally[1] += int(deal.won)
                if deal.won and period_end_of is not None:
                    days_before_end[(period_end_of(deal.closed_on) - deal.closed_on).days] += 1
            for stage_id in {stage for stage, _ in deal.entries}:
                counts = reached[stage_id]
                counts[0] += 1
                counts[1] += int(deal.won)
        for sample in _timing_samples(deal, as_of, closed):
            _reservoir(rng, pairs[sample[0]], seen, sample[0], sample[1:])
    rates = {stage: StageRate(reached=r, won=w) for stage, (r, w) in reached.items()}
    timing = {stage: Timing.from_samples(values) for stage, values in pairs.items()}
    return History(
        rates=rates,
        stage_days=dict(stage_days),
        timing=timing,
        shock_sd=shock_sd(quarters),
        days_before_end=dict(days_before_end),
        group_rates=_group_rates(quarters),
    )


def _group_rates(quarters: dict[tuple[object, int], list[int]]) -> dict[object, tuple[int, int]]:
    totals: dict[object, list[int]] = defaultdict(lambda: [0, 0])
    for (group, _quarter), (closed, won) in quarters.items():
        totals[group][0] += closed
        totals[group][1] += won
    return {group: (closed, won) for group, (closed, won) in totals.items()}


def end_of_period_lift(days_before_end: dict[int, int], horizon: int, period_days: int) -> float:
    """How much likelier a win is in the last `horizon` days of a period than in any `horizon`
    days: the share of past wins that landed there over the share of the period it covers. Deals
    crowd towards quarter ends, which a chance learned by age alone averages away."""
    total = sum(days_before_end.values())
    if total < 100 or horizon <= 0 or horizon >= period_days:
        return 1.0
    share = sum(count for days, count in days_before_end.items() if days < horizon) / total
    return share / (horizon / period_days)


def shock_sd(quarters: dict[tuple[object, int], list[int]], minimum: int = 10) -> float:
    """How much a team's win rate moves from quarter to quarter beyond coin-flip noise: the
    standard deviation of log(quarter's win rate / the team's usual rate), less the binomial
    sampling variance (method of moments). Zero when history cannot tell."""
    by_group: dict[object, list[tuple[int, int]]] = defaultdict(list)
    for (group, _quarter), (closed, won) in quarters.items():
        if closed >= minimum and won:
            by_group[group].append((closed, won))
    squares, noise = [], []
    for rows in by_group.values():
        if len(rows) < 2:
            continue
        usual = sum(w for _, w in rows) / sum(c for c, _ in rows)
        for closed, won in rows:
            squares.append(log((won / closed) / usual) ** 2)
            noise.append((1 - usual) / (closed * usual))
    if not squares:
        return 0.0
    return sqrt(max(0.0, sum(squares) / len(squares) - sum(noise) / len(noise)))


def _learn_stage_days(deal: DealHistory, as_of: date, stage_days) -> None:
    for (stage_id, entered), (_, left) in zip(deal.entries, deal.entries[1:], strict=False):
        if left < as_of:
            stage_days[(deal.group, stage_id)].append((left - entered).days)


def _timing_samples(deal: DealHistory, as_of: date, closed: bool) -> Iterator[tuple[int, int, int, int]]:
    """(stage, days in it, days from entering it to the close or to `as_of`, outcome) for each
    stage the deal entered before `as_of` (its first visit) and had left or was still in."""
    seen = set()
    for index, (stage_id, entered) in enumerate(deal.entries):
        if entered >= as_of:
            return
        if stage_id in seen:
            continue
        seen.add(stage_id)
        following = deal.entries[index + 1][1] if index + 1 < len(deal.entries) else None
        if closed:
            if following is None:
                return  # the closing stage itself
            yield (
                stage_id,
                (following - entered).days,
                (deal.closed_on - entered).days,
                WON if deal.won else LOST,
            )
        else:
            left = following if following is not None and following < as_of else as_of
            yield stage_id, (left - entered).days, (as_of - entered).days, STILL_OPEN


def _reservoir(rng: Random, sample: list, seen: dict, key, item) -> None:
    seen[key] += 1
    if len(sample) < TIMING_SAMPLE:
        sample.append(item)
    else:
        slot = rng.randrange(seen[key])
        if slot < TIMING_SAMPLE:
            sample[slot] = item


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
        history.timing.get(deal.stage_id, empty).chance(deal.days_in_stage, horizon_days) for deal in deals
    ]


def project(
    *,
    open_deals: Sequence[OpenDeal],
    history: History,
    horizon_days: int,
    won_so_far: float,
    new_business: Sequence[float] = (),
    lift: float = 1.0,
    draws: int = DRAWS,
    seed: int = 0,
) -> Projection:
    """Monte Carlo of the amount won by the end of the period; the same seed gives the same answer."""
    rng = Random(seed)
    chances = [min(1.0, chance * lift) for chance in win_chances(open_deals, history, horizon_days)]
    known = sorted(
        ((deal.amount, chance) for deal, chance in zip(open_deals, chances, strict=True) if deal.amount),
        reverse=True,
    )
    exact, tail = known[:EXACT_DEALS], known[EXACT_DEALS:]
    tail_mean = sum(amount * p for amount, p in tail)
    tail_sd = sqrt(sum(amount * amount * p * (1 - p) for amount, p in tail))
    totals = []
    spread = history.shock_sd
    for _ in range(draws):
        # One shared shock per simulated quarter: a good quarter lifts every deal's chance together.
        shock = exp(rng.gauss(-spread * spread / 2, spread)) if spread else 1.0
        total = won_so_far + sum(amount for amount, p in exact if rng.random() < p * shock)
        if tail:
            total += max(0.0, rng.gauss(tail_mean * shock, tail_sd))
        if new_business:
            total += new_business[int(rng.random() * len(new_business))]
        totals.append(total)
    expected_open = sum(amount * p for amount, p in known)
    expected_new = sum(new_business) / len(new_business) if new_business else 0.0
    return Projection(
        mean=sum(totals) / draws,
        low=percentile(totals, INTERVAL[0]),
        high=percentile(totals, INTERVAL[1]),
        won_so_far=won_so_far,
        expected_from_open=expected_open,
        expected_new_business=expected_new,
        open_deals=len(open_deals),
        unknown_amounts=sum(1 for deal in open_deals if deal.amount is None),
        draws=draws,
        seed=seed,
    )


@dataclass
class Snapshot:
    """What was known about a set of deals at the end of `as_of`, for a forecast of `period`."""

    open_deals: list[OpenDeal]
    won_so_far: float
    open_closing_in_period: list[tuple[float | None, int]]  # (amount, stage id) for the baseline


def snapshot(deals: Iterable[DealHistory], *, as_of: date, start: date, end: date) -> Snapshot:
    """Rebuild from the stage history which deals were open on `as_of`, in which stage and since
    when, and what had been won in [start, as_of]. Amounts and close dates are today's values."""
    result = Snapshot([], 0.0, [])
    for deal in deals:
        state = state_on(deal.entries, as_of)
        if state is None:
            continue  # not created yet
        if deal.closed_on is not None and deal.closed_on <= as_of:
            if deal.won and start <= deal.closed_on <= end:
                result.won_so_far += deal.amount or 0.0
            continue
        stage_id, entered = state
        result.open_deals.append(OpenDeal(deal.amount, stage_id, (as_of - entered).days))
        if deal.close_date is not None and start <= deal.close_date <= end:
            result.open_closing_in_period.append((deal.amount, stage_id))
    return result


def new_business_samples(
    deals: Iterable[DealHistory], *, as_of: date, start: date, past_periods: Sequence[tuple[date, date]]
) -> list[float]:
    """For each past period that ended before `as_of`: the amount won in it from deals created
    after the same point of that period — what the rest of this period may add from deals that do
    not exist yet."""
    offset = as_of - start
    usable = [(s, e) for s, e in past_periods if e < as_of]
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
