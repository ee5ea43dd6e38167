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
from math import sqrt
from random import Random

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


NO_DAY = 0  # a missing day in HistoryColumns (every real day's ordinal is 1 or more)


@dataclass
class HistoryColumns:
    """Deal histories as columns rather than an object per deal: what `learn` works on with NumPy,
    and what the refresh keeps in memory between learning and checking the chances (a DealHistory
    with its entries costs about 550 bytes, a deal here about 150). Days are kept as ordinals
    (`date.toordinal()`, NO_DAY for none). `record` passes deals on while keeping them; iterating
    gives them back, equal and in the same order."""

    groups: list = field(default_factory=list)
    won: list[bool | None] = field(default_factory=list)
    amounts: list[float | None] = field(default_factory=list)
    closed_on: list[int] = field(default_factory=list)
    created: list[int] = field(default_factory=list)
    close_dates: list[int] = field(default_factory=list)
    ends: list[int] = field(default_factory=list)  # where each deal's entries end in `stages` and `days`
    stages: list[int] = field(default_factory=list)
    days: list[int] = field(default_factory=list)
    changes: dict[int, tuple[tuple, tuple]] = field(default_factory=dict)  # deal → (amount, close date)

    def __len__(self) -> int:
        return len(self.ends)

    @classmethod
    def of(cls, deals: Iterable[DealHistory]) -> "HistoryColumns":
        columns = cls()
        for deal in deals:
            columns.append(deal)
        return columns

    def record(self, deals: Iterable[DealHistory]) -> Iterator[DealHistory]:
        for deal in deals:
            self.append(deal)
            yield deal

    def append(self, deal: DealHistory) -> None:
        if deal.amount_changes or deal.close_date_changes:
            self.changes[len(self.ends)] = (deal.amount_changes, deal.close_date_changes)
        self.groups.append(deal.group)
        self.won.append(deal.won)
        self.amounts.append(deal.amount)
        self.closed_on.append(day_ordinal(deal.closed_on))
        self.created.append(day_ordinal(deal.created))
        self.close_dates.append(day_ordinal(deal.close_date))
        for stage, day in deal.entries:
            self.stages.append(stage)
            self.days.append(day.toordinal())
        self.ends.append(len(self.stages))

    def __iter__(self) -> Iterator[DealHistory]:
        start, stages, no_changes = 0, self.stages, ((), ())
        days = _Dates()
        entry_days = [days[ordinal] for ordinal in self.days]
        columns = (self.groups, self.closed_on, self.won, self.amounts, self.created, self.close_dates)
        for index, (end, group, closed_on, won, amount, created, close_date) in enumerate(
            zip(self.ends, *columns, strict=True)
        ):
            amount_changes, close_date_changes = self.changes.get(index, no_changes)
            yield DealHistory(
                group=group,
                entries=tuple(zip(stages[start:end], entry_days[start:end], strict=True)),
                closed_on=days[closed_on],
                won=won,
                amount=amount,
                created=days[created],
                close_date=days[close_date],
                amount_changes=amount_changes,
                close_date_changes=close_date_changes,
            )
            start = end


def day_ordinal(day: date | None) -> int:
    return day.toordinal() if day is not None else NO_DAY


class _Dates(dict):
    """Day ordinal → date (NO_DAY → None), each made once."""

    def __missing__(self, ordinal: int) -> date | None:
        value = self[ordinal] = date.fromordinal(ordinal) if ordinal != NO_DAY else None
        return value


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


def learn(deals: Iterable[DealHistory] | HistoryColumns, *, as_of: date, seed: int = 0) -> History:
    """What the history known on `as_of` teaches: only stage exits and closes before that day count.
    Worked out with NumPy over the deals' columns (a million deals and four million stage entries);
    the timing samples kept per stage are a reservoir sample drawn with `Random(seed)`."""
    entries, today = _Entries(deals), as_of.toordinal()
    closed, first_visits = entries.closed_before(today), entries.first_visits()
    return History(
        rates=_rates(entries, closed, first_visits),
        stage_days=_stage_days(entries, today),
        timing=_timing(entries, _timing_samples(entries, today, closed, first_visits), Random(seed)),
        group_rates=_group_rates(entries, today, closed),
    )


class _Entries:
    """The deals' and their stage entries' columns as arrays (days as ordinals, groups as codes). Days,
    stages and each entry's deal fit 32 bits: four million entries in 16 MB an array."""

    def __init__(self, deals: Iterable[DealHistory] | HistoryColumns) -> None:
        columns = deals if isinstance(deals, HistoryColumns) else HistoryColumns.of(deals)
        self.columns = columns
        codes: dict = {}
        self.group = numpy.array(
            [codes.setdefault(group, len(codes)) for group in columns.groups], dtype=numpy.int64
        )
        self.group_keys = list(codes)
        won = columns.won
        self.won = numpy.array([bool(w) for w in won], dtype=bool)
        self.closed_on = numpy.array(columns.closed_on, dtype=numpy.int32)
        # An outcome and the day it came: what the calibration and the groups' records count.
        self.ended = numpy.array([w is not None for w in won], dtype=bool) & (self.closed_on != NO_DAY)
        self.amounts = numpy.array(columns.amounts, dtype=float)  # None → NaN
        known = numpy.where(numpy.isnan(self.amounts), 0.0, self.amounts)
        self.amount = numpy.trunc(known).astype(numpy.int64)  # a timing sample's: int(amount or 0)
        self.ends = numpy.array(columns.ends, dtype=numpy.int64)
        counts = numpy.diff(self.ends, prepend=0)
        self.starts = self.ends - counts
        self.deal = numpy.repeat(numpy.arange(len(self.ends), dtype=numpy.int32), counts)  # per entry
        self.stage_ids, stage = numpy.unique(
            numpy.array(columns.stages, dtype=numpy.int64), return_inverse=True
        )
        self.stage = stage.astype(numpy.int32)
        self.day = numpy.array(columns.days, dtype=numpy.int32)
        # The entry after each one in the same deal: its day, and whether there is one.
        self.followed = numpy.zeros(len(self.day), dtype=bool)
        self.followed[:-1] = self.deal[1:] == self.deal[:-1]
        self.next_day = numpy.zeros_like(self.day)
        self.next_day[:-1] = self.day[1:]

    def closed_before(self, today: int) -> numpy.ndarray:
        """Per deal: whether its outcome was known before `today`."""
        return self.ended & (self.closed_on < today)

    def first_visits(self) -> numpy.ndarray:
        """Per entry: whether it is the deal's first entry into its stage."""
        _, first = numpy.unique(
            self.deal.astype(numpy.int64) * len(self.stage_ids) + self.stage, return_index=True
        )
        visits = numpy.zeros(len(self.day), dtype=bool)
        visits[first] = True
        return visits


def _group_rates(entries: _Entries, today: int, closed: numpy.ndarray) -> dict[object, tuple[int, int]]:
    """Group → (closed, won) among the deals closed in the RECENT_DAYS before learning."""
    recent = closed & (today - entries.closed_on <= RECENT_DAYS)
    groups = entries.group[recent]
    closed = numpy.bincount(groups, minlength=len(entries.group_keys))
    won = numpy.bincount(groups, weights=entries.won[recent], minlength=len(entries.group_keys))
    found, first = numpy.unique(groups, return_index=True)
    return {
        entries.group_keys[group]: (int(closed[group]), int(won[group]))
        for group in found[numpy.argsort(first)].tolist()
    }


def _rates(entries: _Entries, closed: numpy.ndarray, first_visits: numpy.ndarray) -> dict[int, StageRate]:
    """Stage → how many closed deals reached it (each once, however often it entered) and won."""
    stages = len(entries.stage_ids)
    visits = numpy.flatnonzero(first_visits & closed[entries.deal])
    stage, deal = entries.stage[visits], entries.deal[visits]
    reached = numpy.bincount(stage, minlength=stages)
    won = numpy.bincount(stage, weights=entries.won[deal], minlength=stages)
    return {
        int(entries.stage_ids[index]): StageRate(reached=int(reached[index]), won=int(won[index]))
        for index in numpy.flatnonzero(reached).tolist()
    }


def _stage_days(entries: _Entries, today: int) -> dict[tuple[object, int], list[int]]:
    """(group, stage) → the days each deal stayed in it before a move it made before learning, in the
    deals' and their entries' order."""
    left = numpy.flatnonzero(entries.followed & (entries.next_day < today))
    keys = entries.group[entries.deal[left]] * len(entries.stage_ids) + entries.stage[left]
    days = (entries.next_day - entries.day)[left]
    order = numpy.argsort(keys, kind="stable")
    found, first, counts = numpy.unique(keys, return_index=True, return_counts=True)
    grouped = numpy.split(days[order], numpy.cumsum(counts)[:-1])
    stages = len(entries.stage_ids)
    return {
        (entries.group_keys[key // stages], int(entries.stage_ids[key % stages])): grouped[index].tolist()
        for index, key in ((index, int(found[index])) for index in numpy.argsort(first, kind="stable"))
    }


def _timing(entries: _Entries, found: tuple[numpy.ndarray, numpy.ndarray], rng: Random) -> dict[int, Timing]:
    """Stage → Timing from a reservoir sample of TIMING_SAMPLE of its samples (`_timing_samples`),
    the draws made in the order the deals and their entries come, as one reservoir per stage fed
    one sample at a time would make them."""
    kept, samples = found
    stage = entries.stage[kept]
    order = numpy.argsort(stage, kind="stable")
    starts = numpy.searchsorted(stage[order], numpy.arange(len(entries.stage_ids)))
    seen = numpy.empty(len(stage), dtype=numpy.int64)
    seen[order] = numpy.arange(len(stage)) - starts[stage[order]] + 1  # the stage's samples so far
    chosen = {
        int(index): numpy.flatnonzero((stage == index) & (seen <= TIMING_SAMPLE)).tolist()
        for index in numpy.unique(stage)
    }
    later = numpy.flatnonzero(seen > TIMING_SAMPLE)
    # rng.randrange(count), drawn as CPython's Random draws it (random.py, _randbelow_with_getrandbits)
    # but inline: millions of draws at a million deals, in a third of the time.
    getrandbits = rng.getrandbits
    draws = zip(later.tolist(), seen[later].tolist(), stage[later].tolist(), strict=True)
    for position, count, index in draws:
        bits = count.bit_length()
        slot = getrandbits(bits)
        while slot >= count:
            slot = getrandbits(bits)
        if slot < TIMING_SAMPLE:
            chosen[index][slot] = position
    return {
        int(entries.stage_ids[index]): Timing.from_samples(samples[positions].tolist())
        for index, positions in chosen.items()
    }


def _timing_samples(
    entries: _Entries, today: int, closed: numpy.ndarray, first_visits: numpy.ndarray
) -> tuple[numpy.ndarray, numpy.ndarray]:
    """The entries that give a timing sample, and their samples (days in the stage, days from entering
    it to the close or to the day of learning, outcome, amount): each stage a deal entered before
    learning (its first visit) and had left or was still in. A closed deal's closing stage gives
    none; an entry on or after the day of learning ends the deal's samples."""
    late = numpy.flatnonzero(entries.day >= today)
    first_late = numpy.full(len(closed), len(entries.day), dtype=numpy.int64)
    numpy.minimum.at(first_late, entries.deal[late], late)
    entry_closed = closed[entries.deal]
    kept = numpy.flatnonzero(
        (numpy.arange(len(entries.day)) < first_late[entries.deal])
        & first_visits
        & (entries.followed | ~entry_closed)
    )
    deal, day, closed = entries.deal[kept], entries.day[kept], entry_closed[kept]
    followed, next_day = entries.followed[kept], entries.next_day[kept]
    left = numpy.where(closed | (followed & (next_day < today)), next_day, today)
    samples = numpy.column_stack(
        (
            left - day,
            numpy.where(closed, entries.closed_on[deal], today) - day,
            numpy.where(closed, numpy.where(entries.won[deal], WON, LOST), STILL_OPEN),
            entries.amount[deal],
        )
    )
    return kept, samples


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


def calibrate(
    deals: Iterable[DealHistory],
    history: History,
    *,
    as_of: date,
    start: date,
    past_periods: Sequence[tuple[date, date]],
    history_start: date | None = None,
) -> Calibration:
    """Replay the chances at the same point of the last CALIBRATION_PERIODS periods that ended before
    `as_of` (most recent first in `past_periods`) and began once there was history, with the amounts
    known then, and compare them with what those deals won by each period's end. The spread is a
    method-of-moments estimate: the variance of actual / expected per (group, period), less the part
    the chances themselves explain.

    Each group's factor (its recent win rate against everyone's) is the one known at each past point,
    not today's: today's factor has seen how those periods ended, and checked against them it would
    hide its own error from the spread."""
    targets = {None: (as_of, start, past_periods)}
    return calibrate_many(deals, history, targets, history_start=history_start)[None]


def calibrate_many(
    deals: Iterable[DealHistory] | HistoryColumns,
    history: History,
    targets: dict,
    *,
    history_start: date | None = None,
) -> dict[object, Calibration]:
    """`calibrate` for several (as_of, start, past periods) at once, with NumPy over the deals. A
    period that began before `history_start` is left out: before the history records any outcome,
    its open deals would count as deals that won nothing."""
    points = {
        key: [
            (s + (as_of - start), e)
            for s, e in usable_periods(past, as_of=as_of, history_start=history_start)[:CALIBRATION_PERIODS]
        ]
        for key, (as_of, start, past) in targets.items()
    }
    entries = _Entries(deals)
    sums = _period_sums(entries, history, points)
    records = _records(entries, points)
    everyone: dict[tuple[object, int], list[int]] = defaultdict(lambda: [0, 0])
    for (key, _group, index), (closed, won) in records.items():
        everyone[(key, index)][0] += closed
        everyone[(key, index)][1] += won
    cells: dict[object, dict[tuple[object, int], tuple[float, float, float]]] = defaultdict(dict)
    for (key, group, index), (chances, squares, products, won) in sums.items():
        factor = shrunk_factor(*records.get((key, group, index), (0, 0)), *everyone[(key, index)])
        cells[key][(group, index)] = (factor * chances, factor * squares - factor * factor * products, won)
    return {key: _calibration(cells[key]) for key in targets}


def _period_sums(
    entries: _Entries, history: History, points: dict[object, list[tuple[date, date]]]
) -> dict[tuple[object, object, int], list[float]]:
    """(key, group, period) → Σ amount × chance, Σ amount² × chance, Σ (amount × chance)², amount won,
    over the deals open at the period's point with an amount then, in the order a pass over the deals
    (then the keys, then the periods) would first reach each, each sum added up in the deals' order
    (the group's factor multiplies the chances once it is known, after this)."""
    earliest = min((point for usable in points.values() for point, _ in usable), default=None)
    if earliest is None:
        return {}
    # Deals closed before every point count in the groups' records only (most deals).
    later = ~entries.ended | (entries.closed_on > earliest.toordinal())
    parts, place = [], 0
    for key, usable in points.items():
        for index, (point, end) in enumerate(usable):
            rows = _open_at(entries, history, later, point, end)
            parts.append((key, index, place, *rows))
            place += 1
    sums = []
    for key, index, place, deal, terms in parts:
        if not len(deal):
            continue
        group = entries.group[deal]
        order = numpy.argsort(group, kind="stable")
        found, starts = numpy.unique(group[order], return_index=True)
        for code, cell in zip(found.tolist(), numpy.split(order, starts[1:]), strict=True):
            # Added up one by one (cumsum's last value) from 0.0, as `+=` over the deals would: the
            # same floats to the last bit, which a pairwise sum would not give.
            totals = [0.0 + float(numpy.cumsum(column[cell])[-1]) for column in terms]
            sums.append((int(deal[cell[0]]), place, (key, entries.group_keys[code], index), totals))
    sums.sort(key=lambda cell: cell[:2])
    return {name: totals for _deal, _place, name, totals in sums}


def _open_at(
    entries: _Entries, history: History, later: numpy.ndarray, point: date, end: date
) -> tuple[numpy.ndarray, tuple[numpy.ndarray, ...]]:
    """The deals open at the end of `point` with an amount then, in order, and per deal the terms of
    the sums: amount × chance, amount² × chance, (amount × chance)², amount won by `end`."""
    day = point.toordinal()
    candidates = later & (~entries.ended | (entries.closed_on > day))
    # Each deal's stage at `point`: its entry before the first one after that day (state_on).
    after = numpy.flatnonzero(entries.day > day)
    first_after = entries.ends.copy()
    numpy.minimum.at(first_after, entries.deal[after], after)
    current = first_after - 1
    amounts = entries.amounts.copy()
    for deal, (amount_changes, _close_date_changes) in entries.columns.changes.items():
        value = value_on(entries.columns.amounts[deal], amount_changes, point)
        amounts[deal] = numpy.nan if value is None else value
    deal = numpy.flatnonzero(
        candidates & (current >= entries.starts) & ~numpy.isnan(amounts) & (amounts != 0)
    )
    entry, amount = current[deal], amounts[deal]
    chance = _chances(history, entries, entry, amount, day - entries.day[entry], (end - point).days)
    won = entries.won[deal] & entries.ended[deal] & (entries.closed_on[deal] <= end.toordinal())
    worth = amount * chance
    final = numpy.nan_to_num(entries.amounts[deal])  # won at the amount it was won for: amounts change
    # float_power is the C library's pow, as Python's `** 2` is (x * x may round otherwise).
    terms = (worth, amount * amount * chance, numpy.float_power(worth, 2.0), numpy.where(won, final, 0.0))
    return deal, terms


def _chances(history: History, entries: _Entries, entry, amount, age, horizon: int) -> numpy.ndarray:
    """Timing.chance for each (entry's stage, amount, age) and `horizon`, looked up once for each
    stage, size band and week of age."""
    chances = numpy.zeros(len(entry))
    stage = entries.stage[entry]
    week = age - age % AGE_STEP
    for code in numpy.unique(stage).tolist():
        timing = history.timing.get(int(entries.stage_ids[code]))
        if timing is None:
            continue
        rows = numpy.flatnonzero(stage == code)
        band = numpy.searchsorted(timing.edges, amount[rows], side="right") if timing.bands else 0
        keys = band * (1 << 32) + week[rows]
        found, inverse = numpy.unique(keys, return_inverse=True)
        looked_up = [
            (timing.bands[key >> 32] if timing.bands else timing).chance(key & 0xFFFFFFFF, horizon)
            for key in found.tolist()
        ]
        chances[rows] = numpy.array(looked_up)[inverse]
    return chances


def _records(
    entries: _Entries, points: dict[object, list[tuple[date, date]]]
) -> dict[tuple[object, object, int], tuple[int, int]]:
    """(key, group, period) → (closed, won): each group's deals closed in the RECENT_DAYS before the
    period's point (the point itself not included), counted from the group's closes sorted by day."""
    records = {}
    ended = numpy.flatnonzero(entries.ended)
    order = ended[numpy.lexsort((entries.closed_on[ended], entries.group[ended]))]
    groups, days = entries.group[order], entries.closed_on[order]
    won_before = numpy.concatenate(([0], numpy.cumsum(entries.won[order])))
    found, starts, counts = numpy.unique(groups, return_index=True, return_counts=True)
    stops = starts + counts
    for code, start, stop in zip(found.tolist(), starts.tolist(), stops.tolist(), strict=True):
        group_days = days[start:stop]
        for key, usable in points.items():
            for index, (point, _end) in enumerate(usable):
                day = point.toordinal()
                first = start + int(numpy.searchsorted(group_days, day - RECENT_DAYS, side="left"))
                last = start + int(numpy.searchsorted(group_days, day, side="left"))
                if last > first:
                    closed, won = last - first, int(won_before[last] - won_before[first])
                    records[(key, entries.group_keys[code], index)] = (closed, won)
    return records


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
