"""What history teaches (`learn`) and how its chances did (`calibrate_many`), worked out with NumPy over
deal histories held as columns (`HistoryColumns`): a million deals and four million stage entries in a
few seconds. The results are those of a pass over one deal at a time (tests/kpis keeps that pass as
the reference): the same counts, the same lists in the same order, the same floats to the last bit,
the same reservoir draws from the same Random. The model itself (Timing, History, Calibration) is in
`forecast`."""

from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from itertools import chain
from random import Random

import numpy

from firstline.core.arrays import distinct
from firstline.kpis.forecast import (
    AGE_STEP,
    CALIBRATION_PERIODS,
    LOST,
    RECENT_DAYS,
    STILL_OPEN,
    TIMING_SAMPLE,
    WON,
    Calibration,
    DealHistory,
    History,
    StageRate,
    Timing,
    _calibration,
    shrunk_factor,
    usable_periods,
    value_on,
)

NO_DAY = 0  # a missing day in HistoryColumns (every real day's ordinal is 1 or more)
OUTCOMES = {True: WON, False: LOST, None: STILL_OPEN}  # DealHistory.won → HistoryColumns.outcome


@dataclass(eq=False)
class HistoryColumns:
    """Deal histories as arrays rather than an object per deal (a DealHistory with its entries costs
    about 550 bytes, a deal here about 80): what `learn` and `calibrate_many` work on, and what the
    refresh keeps between them. Days are ordinals (`date.toordinal()`, NO_DAY for none), groups are
    indexes into `group_keys`. Iterating gives the deals back as DealHistory, equal and in order
    (without their created and close dates when `created` and `close_dates` were not read)."""

    group: numpy.ndarray  # per deal, an index into group_keys
    group_keys: list
    outcome: numpy.ndarray  # per deal: WON, LOST or STILL_OPEN
    amounts: numpy.ndarray  # float, NaN when unknown
    closed_on: numpy.ndarray
    ends: numpy.ndarray  # where each deal's entries end in `stages` and `days`
    stages: numpy.ndarray  # per entry: the stage id
    days: numpy.ndarray  # per entry: the day it was entered
    created: numpy.ndarray | None = None
    close_dates: numpy.ndarray | None = None
    changes: dict[int, tuple[tuple, tuple]] = field(default_factory=dict)  # deal → (amount, close date)

    def __len__(self) -> int:
        return len(self.ends)

    @classmethod
    def of(cls, deals: Iterable[DealHistory]) -> "HistoryColumns":
        codes: dict = {}
        deal_columns: tuple[list, ...] = ([], [], [], [], [], [], [])
        group, outcome, amounts, closed_on, created, close_dates, ends = deal_columns
        stages, days, changes = [], [], {}
        for deal in deals:
            if deal.amount_changes or deal.close_date_changes:
                changes[len(ends)] = (deal.amount_changes, deal.close_date_changes)
            group.append(codes.setdefault(deal.group, len(codes)))
            outcome.append(OUTCOMES[deal.won])
            amounts.append(deal.amount)
            closed_on.append(day_ordinal(deal.closed_on))
            created.append(day_ordinal(deal.created))
            close_dates.append(day_ordinal(deal.close_date))
            for stage, day in deal.entries:
                stages.append(stage)
                days.append(day.toordinal())
            ends.append(len(stages))
        return cls(
            group=numpy.array(group, dtype=numpy.int64),
            group_keys=list(codes),
            outcome=numpy.array(outcome, dtype=numpy.int8),
            amounts=numpy.array(amounts, dtype=float),  # None → NaN
            closed_on=numpy.array(closed_on, dtype=numpy.int32),
            ends=numpy.array(ends, dtype=numpy.int64),
            stages=numpy.array(stages, dtype=numpy.int64),
            days=numpy.array(days, dtype=numpy.int32),
            created=numpy.array(created, dtype=numpy.int32),
            close_dates=numpy.array(close_dates, dtype=numpy.int32),
            changes=changes,
        )

    @cached_property
    def entries(self) -> "_Entries":
        """The arrays learning and calibrating work on, worked out once for both."""
        return _Entries(self)

    def __iter__(self) -> Iterator[DealHistory]:
        days, won = _Dates(), {outcome: flag for flag, outcome in OUTCOMES.items()}
        entry_days = [days[ordinal] for ordinal in self.days.tolist()]
        stages, no_changes, unread = self.stages.tolist(), ((), ()), [NO_DAY] * len(self)
        columns = (
            [self.group_keys[code] for code in self.group.tolist()],
            self.closed_on.tolist(),
            self.outcome.tolist(),
            [None if amount != amount else amount for amount in self.amounts.tolist()],  # NaN → None
            unread if self.created is None else self.created.tolist(),
            unread if self.close_dates is None else self.close_dates.tolist(),
        )
        start = 0
        for index, (end, group, closed_on, outcome, amount, created, close_date) in enumerate(
            zip(self.ends.tolist(), *columns, strict=True)
        ):
            amount_changes, close_date_changes = self.changes.get(index, no_changes)
            yield DealHistory(
                group=group,
                entries=tuple(zip(stages[start:end], entry_days[start:end], strict=True)),
                closed_on=days[closed_on],
                won=won[outcome],
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


def _columns(deals: Iterable[DealHistory] | HistoryColumns) -> HistoryColumns:
    return deals if isinstance(deals, HistoryColumns) else HistoryColumns.of(deals)


def learn(deals: Iterable[DealHistory] | HistoryColumns, *, as_of: date, seed: int = 0) -> History:
    """What the history known on `as_of` teaches: only stage exits and closes before that day count.
    The timing samples kept per stage are a reservoir sample drawn with `Random(seed)`."""
    entries, today = _columns(deals).entries, as_of.toordinal()
    closed, first_visits = entries.closed_before(today), entries.first_visits()
    return History(
        rates=_rates(entries, closed, first_visits),
        stage_days=_stage_days(entries, today),
        timing=_timing(entries, _timing_samples(entries, today, closed, first_visits), Random(seed)),
        group_rates=_group_rates(entries, today, closed),
    )


class _Entries:
    """A HistoryColumns' arrays as learning and calibrating use them, with what they derive (each
    entry's deal and stage index, the entry after it). Days, stages and each entry's deal fit 32 bits:
    four million entries in 16 MB an array."""

    def __init__(self, columns: HistoryColumns) -> None:
        self.columns = columns
        self.group, self.group_keys = columns.group, columns.group_keys
        self.won = columns.outcome == WON
        self.closed_on = numpy.asarray(columns.closed_on, dtype=numpy.int32)
        # An outcome and the day it came: what the calibration and the groups' records count.
        self.ended = (columns.outcome != STILL_OPEN) & (self.closed_on != NO_DAY)
        self.amounts = numpy.asarray(columns.amounts, dtype=float)
        known = numpy.where(numpy.isnan(self.amounts), 0.0, self.amounts)
        self.amount = numpy.trunc(known).astype(numpy.int64)  # a timing sample's: int(amount or 0)
        self.ends = numpy.asarray(columns.ends, dtype=numpy.int64)
        counts = numpy.diff(self.ends, prepend=0)
        self.starts = self.ends - counts
        self.deal = numpy.repeat(numpy.arange(len(self.ends), dtype=numpy.int32), counts)  # per entry
        self.stage_ids, self.stage = distinct(numpy.asarray(columns.stages, dtype=numpy.int64))
        self.day = numpy.asarray(columns.days, dtype=numpy.int32)
        # The entry after each one in the same deal: its day, and whether there is one.
        self.followed = numpy.zeros(len(self.day), dtype=bool)
        self.followed[:-1] = self.deal[1:] == self.deal[:-1]
        self.next_day = numpy.zeros_like(self.day)
        self.next_day[:-1] = self.day[1:]

    def closed_before(self, today: int) -> numpy.ndarray:
        """Per deal: whether its outcome was known before `today`."""
        return self.ended & (self.closed_on < today)

    def first_visits(self) -> numpy.ndarray:
        """Per entry: whether it is the deal's first entry into its stage. Stage by stage (a handful):
        among a stage's entries, in deal order, the first of each deal."""
        visits = numpy.zeros(len(self.day), dtype=bool)
        for code in range(len(self.stage_ids)):
            at = numpy.flatnonzero(self.stage == code)
            deal = self.deal[at]
            first = numpy.ones(len(at), dtype=bool)
            first[1:] = deal[1:] != deal[:-1]
            visits[at[first]] = True
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
    found, codes = distinct(keys)
    # A stable sort keeps each key's days in the entries' order; of 16-bit codes it is a radix sort.
    order = numpy.argsort(codes.astype(numpy.uint16) if len(found) <= 1 << 16 else codes, kind="stable")
    counts = numpy.bincount(codes, minlength=len(found))
    ends = numpy.cumsum(counts)
    starts = ends - counts
    ordered, stages = days[order].tolist(), len(entries.stage_ids)
    result = {}
    for index in numpy.argsort(order[starts]).tolist():  # the keys in the order their first day comes
        key = int(found[index])
        name = (entries.group_keys[key // stages], int(entries.stage_ids[key % stages]))
        result[name] = ordered[starts[index] : ends[index]]
    return result


def _timing(entries: _Entries, found: tuple[numpy.ndarray, tuple], rng: Random) -> dict[int, Timing]:
    """Stage → Timing from a reservoir sample of TIMING_SAMPLE of its samples (`_timing_samples`),
    the draws made in the order the deals and their entries come, as one reservoir per stage fed
    one sample at a time would make them."""
    kept, samples = found
    stage = entries.stage[kept]
    seen = numpy.zeros(len(stage), dtype=numpy.int64)  # the stage's samples so far, this one included
    chosen = {}
    for index in range(len(entries.stage_ids)):
        at = numpy.flatnonzero(stage == index)
        if len(at):
            seen[at] = numpy.arange(1, len(at) + 1)
            chosen[index] = at[:TIMING_SAMPLE].tolist()
    later = numpy.flatnonzero(seen > TIMING_SAMPLE)
    count = seen[later]
    # rng.randrange(count) as CPython draws it (random.py, _randbelow_with_getrandbits): getrandbits(k),
    # k = count.bit_length() ≤ 32, is the generator's next 32-bit word shifted right by 32 - k, drawn
    # again while that is count or more. Here the words come in bulk and each is compared with count
    # and TIMING_SAMPLE shifted left: millions of draws at a million deals, in half the time.
    if len(count) and int(count[-1]) >= 1 << 32:
        raise ValueError("A reservoir of over 2³² samples draws more than one word at a time.")
    shift = 32 - numpy.searchsorted(1 << numpy.arange(33, dtype=numpy.int64), count, side="right")
    draws = zip(
        later.tolist(),
        (count << shift).tolist(),
        (TIMING_SAMPLE << shift).tolist(),
        shift.tolist(),
        stage[later].tolist(),
        strict=True,
    )
    words = chain.from_iterable(_words(rng))
    for position, limit, kept_below, shift_by, index in draws:
        word = next(words)
        while word >= limit:
            word = next(words)
        if word < kept_below:
            chosen[index][word >> shift_by] = position
    return {
        int(entries.stage_ids[index]): Timing.from_samples(
            numpy.column_stack([column[positions] for column in samples]).tolist()
        )
        for index, positions in chosen.items()
    }


def _words(rng: Random, block: int = 1 << 16) -> Iterator[list[int]]:
    """The generator's 32-bit words in the order getrandbits(32) would give them, a block at a time:
    getrandbits(32 * n) draws n words and lays them out from the least significant up. Drawn ahead
    of use: the Random is not used after the reservoirs are filled."""
    while True:
        yield numpy.frombuffer(
            rng.getrandbits(32 * block).to_bytes(4 * block, "little"), dtype="<u4"
        ).tolist()


def _timing_samples(
    entries: _Entries, today: int, closed: numpy.ndarray, first_visits: numpy.ndarray
) -> tuple[numpy.ndarray, tuple[numpy.ndarray, ...]]:
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
    samples = (
        left - day,
        numpy.where(closed, entries.closed_on[deal], today) - day,
        numpy.where(closed, numpy.where(entries.won[deal], WON, LOST), STILL_OPEN),
        entries.amount[deal],
    )
    return kept, samples


def calibrate(
    deals: Iterable[DealHistory] | HistoryColumns,
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
    entries = _columns(deals).entries
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
