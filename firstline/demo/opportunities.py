"""Three fiscal years of opportunities with their stage history, generated and saved in batches.

Only one batch is held in memory at a time, so a million opportunities take no more memory than
twenty-five thousand; what outlives a batch is a small tally of won revenue per seller and quarter,
which sizes the targets afterwards.
"""

import math
from array import array
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from itertools import accumulate
from random import Random
from typing import TextIO

import numpy as np
from django.conf import settings
from django.db import connection, reset_queries, transaction
from django.utils import timezone
from tqdm import tqdm

from firstline.core.bulk import datetime_adapter, indexes_rebuilt, insert_rows, reserve_ids, table_columns
from firstline.demo.accounts import AccountBook, SalesProcess
from firstline.demo.catalog import (
    COMPETITORS,
    CONTACTS,
    CYCLE_MEDIAN_DAYS,
    DEAL_MEDIAN,
    DEAL_MOTIONS,
    LOSS_REASONS,
    LOST_AT_STAGE_WEIGHTS,
    NEXT_STEPS,
    NO_DECISION_COMPETITOR,
    OPEN_STAGES,
    WIN_FACTOR,
)
from firstline.demo.company import SellerProfile
from firstline.demo.timeline import Timeline
from firstline.pipeline.models import Opportunity, StageChange

BATCH_SIZE = 20_000
# Rows go in through the bulk fast path (core.bulk: ids reserved, plain INSERT/COPY), as imports do.
OPPORTUNITY_COLUMNS = table_columns(Opportunity)
STAGE_CHANGE_COLUMNS = table_columns(StageChange)
BASE_WIN_RATE = 0.30
IMPROVING_FROM, IMPROVING_TO = 0.75, 1.35  # the improving team's win rate, first day to today
YEARLY_GROWTH = 1.10
QUARTER_END_PULL = 0.2  # share of deals that slip to the last days of their quarter, as deals do
SLIPPED_SHARE = 0.12  # open deals whose close date has passed without anyone updating it
WON, LOST = len(OPEN_STAGES), len(OPEN_STAGES) + 1  # stage indices after the open ones
_LOSS_REASON_WEIGHTS = tuple(accumulate(weight for _, weight in LOSS_REASONS))
_LOST_AT_WEIGHTS = tuple(accumulate(LOST_AT_STAGE_WEIGHTS))
_WIN_FACTOR = np.array(WIN_FACTOR)  # by segment
_DEAL_MEDIAN = np.array(DEAL_MEDIAN, dtype=float)
_CYCLE_MEDIAN_DAYS = np.array(CYCLE_MEDIAN_DAYS, dtype=float)


@dataclass
class PipelineTotals:
    won_by_seller_quarter: list[list[float]]  # seller index → index into timeline.quarters → revenue
    opportunities: int = 0
    stage_changes: int = 0
    won: int = 0
    lost: int = 0
    # (owner, stage) → the days each deal of that owner stayed in that stage before moving on (arrays:
    # millions of values at full scale, kept compact and out of the garbage collector's walks)
    stage_stays: dict[tuple[int, int], array] = field(default_factory=dict)

    def counts(self) -> dict[str, int]:
        return {
            "opportunities": self.opportunities,
            "  won": self.won,
            "  lost": self.lost,
            "  open": self.opportunities - self.won - self.lost,
            "stage changes": self.stage_changes,
        }


@dataclass(frozen=True)
class _Context:
    sellers: list[SellerProfile]
    timeline: Timeline
    currency: str
    today: int
    start: int
    growth_rate: float
    growth_span: float
    moments: "_Moments"  # a day with its fraction → the stage change time as the column stores it
    # A day ordinal → the date as the column stores it, and a whole amount → the amount as stored: on
    # SQLite the text Django's adapters would make of the date and the Decimal in the driver, row by row.
    day: Callable[[int], object]
    stored_amount: Callable[[int], object]
    tables: "_Tables"


def build_opportunities(
    *,
    rng: Random,
    sellers: list[SellerProfile],
    books: list[AccountBook],
    process: SalesProcess,
    timeline: Timeline,
    count: int,
    progress: TextIO | None,
) -> PipelineTotals:
    context = _context(sellers=sellers, books=books, process=process, timeline=timeline)
    totals = PipelineTotals(won_by_seller_quarter=[[0.0] * len(timeline.quarters) for _ in sellers])
    # One transaction around the batches, so that the tables' indexes are built once at the end
    # (core.bulk.indexes_rebuilt) rather than updated row by row; every deal has a stage change or more.
    with (
        tqdm(
            total=count, desc="Opportunities", unit=" deals", file=progress, disable=progress is None
        ) as bar,
        transaction.atomic(),
        indexes_rebuilt(Opportunity, count),
        indexes_rebuilt(StageChange, count),
    ):
        for batch in _drawn_ahead(_drawn(rng, context, count, totals)):
            _save_batch(context, batch, totals)
            bar.update(len(batch))
    return totals


def _drawn(rng: Random, context: _Context, count: int, totals: PipelineTotals) -> Iterator["_Batch"]:
    for first in range(0, count, BATCH_SIZE):
        size = min(BATCH_SIZE, count - first)
        yield _batch(rng, context, first + 1, size, totals)


def _drawn_ahead(batches: Iterator["_Batch"]) -> Iterator["_Batch"]:
    """`batches`, each drawn in a thread while the caller writes the one before: SQLite lets go of
    the GIL while it inserts and sorts, so the drawing (numpy and Python) fills that time on the
    second core. One batch is drawn at a time, in order, so the random stream and the totals advance
    as if drawn here; an error while drawing reaches the caller from the batch that raised it."""
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="demo-drawing") as ahead:
        upcoming = ahead.submit(next, batches, None)
        while (batch := upcoming.result()) is not None:
            upcoming = ahead.submit(next, batches, None)
            yield batch


def _context(
    *, sellers: list[SellerProfile], books: list[AccountBook], process: SalesProcess, timeline: Timeline
) -> _Context:
    start = timeline.start.toordinal()
    growth_rate = math.log(YEARLY_GROWTH) / 365
    origin_day = start - 400  # before any created date, so every offset from it is positive
    return _Context(
        sellers=sellers,
        timeline=timeline,
        currency=settings.DEFAULT_CURRENCY,
        today=timeline.today.toordinal(),
        start=start,
        growth_rate=growth_rate,
        growth_span=math.expm1(growth_rate * (timeline.horizon.toordinal() - start)),
        moments=_Moments(origin_day, timezone.now()),
        day=_StoredDays().__getitem__ if connection.vendor == "sqlite" else date.fromordinal,
        stored_amount=str if connection.vendor == "sqlite" else Decimal,
        tables=_tables(sellers, books, process, timeline),
    )


@dataclass(frozen=True)
class _Tables:
    """The sellers, their account books and the products as arrays, to draw a batch of deals at once.
    Arrays by seller are in the order of `sellers`; the books' accounts are laid one after the other."""

    seller_index: np.ndarray  # SellerProfile.index: into won_by_seller_quarter
    person_id: np.ndarray
    earliest_created: np.ndarray  # the day ordinal two weeks after the seller's hire
    win_skill: np.ndarray
    size_skill: np.ndarray
    improving: np.ndarray
    book_first: np.ndarray  # the seller's first and last account in the account arrays
    book_last: np.ndarray
    book_base: np.ndarray  # the cumulative weight before the seller's book, and the book's own weight
    book_weight: np.ndarray
    cum_weights: np.ndarray  # every account's cumulative weight across all the books
    segments: np.ndarray
    account_ids: list[int]
    account_names: list[str]
    product_ids: np.ndarray
    product_names: tuple[str, ...]
    product_cum_weights: np.ndarray
    product_size: np.ndarray
    quarter_ends: np.ndarray
    stage_ids: np.ndarray  # a stage index (open stages, then won, then lost) → its id


@dataclass(slots=True)
class _Batch:
    """Drawn deals as columns, in OPPORTUNITY_COLUMNS order without the id (zipped with their ids
    when written, in C rather than a tuple built per row in Python), and their stage changes as
    columns (the deal's position in the batch, the stage, the time as stored, who changed it)."""

    columns: list
    change_deals: list[int]
    change_stages: list[int]
    change_times: list
    change_owners: list[int]

    def __len__(self) -> int:
        return len(self.columns[0])


def _tables(
    sellers: list[SellerProfile], books: list[AccountBook], process: SalesProcess, timeline
) -> _Tables:
    weights, first, last, ids, names, segments = [], [], [], [], [], []
    for seller in sellers:
        book = books[seller.index]
        first.append(len(ids))
        last.append(len(ids) + len(book.ids) - 1)
        weights.extend(b - a for a, b in zip([0.0, *book.cum_weights], book.cum_weights, strict=False))
        ids.extend(book.ids)
        names.extend(book.names)
        segments.extend(book.segments)
    cum_weights = np.cumsum(np.array(weights, dtype=float))
    book_first, book_last = np.array(first, dtype=np.int64), np.array(last, dtype=np.int64)
    book_base = np.where(book_first > 0, cum_weights[np.maximum(book_first - 1, 0)], 0.0)
    return _Tables(
        seller_index=np.array([seller.index for seller in sellers], dtype=np.int64),
        person_id=np.array([seller.person_id for seller in sellers], dtype=np.int64),
        earliest_created=np.array([seller.hired_on.toordinal() + 14 for seller in sellers], dtype=np.int64),
        win_skill=np.array([seller.win_skill for seller in sellers]),
        size_skill=np.array([seller.size_skill for seller in sellers]),
        improving=np.array([seller.improving for seller in sellers], dtype=bool),
        book_first=book_first,
        book_last=book_last,
        book_base=book_base,
        book_weight=cum_weights[book_last] - book_base,
        cum_weights=cum_weights,
        segments=np.array(segments, dtype=np.int64),
        account_ids=ids,
        account_names=names,
        product_ids=np.array(process.product_ids, dtype=np.int64),
        product_names=tuple(spec.name for spec in process.products),
        product_cum_weights=np.array(process.product_cum_weights),
        product_size=np.array([spec.size_factor for spec in process.products]),
        quarter_ends=np.array(timeline.quarter_end_ordinals, dtype=np.int64),
        stage_ids=np.array(
            (*process.open_stage_ids, process.won_stage_id, process.lost_stage_id), dtype=np.int64
        ),
    )


def _batch(rng: Random, context: _Context, first_number: int, size: int, totals: PipelineTotals) -> _Batch:
    """`size` deals drawn at once with numpy, from a generator seeded by `rng` (so the same seed gives
    the same deals): who sells to which account, when, how far each got and
    what happened; then each deal's row and stage history, and the totals kept across batches."""
    draw = np.random.default_rng(rng.getrandbits(64))
    tables, today = context.tables, context.today
    seller, account, segment, created, close = _accepted(draw, context, size)
    is_open = close > today
    win_rate = _win_rates(context, seller, segment, close)
    first, last_open, final = _paths(draw, today, created, close, is_open, win_rate)
    deal, position, stage, days = _histories(draw, context, created, close, is_open, first, last_open, final)
    owner = tables.person_id[seller]
    _count_stage_stays(totals.stage_stays, context, owner[deal], stage, position, days)
    current = np.where(is_open, last_open, final)
    product, amount = _products_and_amounts(draw, context, seller, segment)
    won = final == WON
    totals.won += int(won.sum())
    totals.lost += int((final == LOST).sum())
    _add_won_revenue(totals, context, tables.seller_index[seller[won]], close[won], amount[won])
    names = tables.account_names
    products = tables.product_names
    motions = draw.integers(0, len(DEAL_MOTIONS), size).tolist()
    columns = [
        [f"DEMO-{number:06d}" for number in range(first_number, first_number + size)],
        [
            f"{names[a]} – {products[p]} {DEAL_MOTIONS[m]}"
            for a, p, m in zip(account.tolist(), product.tolist(), motions, strict=True)
        ],
        [tables.account_ids[a] for a in account.tolist()],
        owner.tolist(),
        tables.product_ids[product].tolist(),
        list(map(context.stored_amount, amount.tolist())),
        [context.currency] * size,
        tables.stage_ids[current].tolist(),
        list(map(context.day, created.tolist())),
        [None] * size,  # engaged_on: the demo's CRM does not record it
        *_closing_columns(draw, context, created, close, current, final),
    ]
    return _Batch(
        columns=columns,
        change_deals=deal.tolist(),
        change_stages=tables.stage_ids[stage].tolist(),
        change_times=context.moments.many(days),
        change_owners=owner[deal].tolist(),
    )


def _win_rates(context: _Context, seller, segment, close) -> np.ndarray:
    """By the seller's skill and the segment; the improving team's climbs from IMPROVING_FROM times
    that on the first day to IMPROVING_TO times it today."""
    tables, today = context.tables, context.today
    win_rate = BASE_WIN_RATE * tables.win_skill[seller] * _WIN_FACTOR[segment]
    progress = np.clip((close - context.start) / max(1, today - context.start), 0.0, 1.0)
    climb = IMPROVING_FROM + (IMPROVING_TO - IMPROVING_FROM) * progress
    return np.where(tables.improving[seller], win_rate * climb, win_rate)


def _products_and_amounts(draw, context: _Context, seller, segment) -> tuple[np.ndarray, np.ndarray]:
    """A product by how often each is sold, and an amount around the segment's median deal, scaled by
    the product and the seller, rounded to 500 (at least 500)."""
    tables, size = context.tables, len(seller)
    product = np.searchsorted(
        tables.product_cum_weights, draw.random(size) * tables.product_cum_weights[-1], side="right"
    )
    deal_size = (
        _DEAL_MEDIAN[segment]
        * tables.product_size[product]
        * tables.size_skill[seller]
        * draw.lognormal(0, 0.5, size)
    )
    return product, np.maximum(500, np.round(deal_size / 500) * 500).astype(np.int64)


def _accepted(draw: np.random.Generator, context: _Context, size: int) -> tuple[np.ndarray, ...]:
    """Seller, account (into the tables' account arrays), segment, created and close day of `size`
    deals. Each year has YEARLY_GROWTH times the deals of the last (the inverse of an exponential
    density); a deal created before its seller was hired (and two weeks of ramp) or after today is
    drawn again, which keeps new hires' share of deals in proportion to their tenure. QUARTER_END_PULL
    of the closed deals slip to the last days of their quarter, as deals do."""
    tables, today = context.tables, context.today
    parts, have = [], 0
    while have < size:
        more = size - have + size // 4 + 16
        seller = draw.integers(0, len(tables.person_id), more)
        target = tables.book_base[seller] + draw.random(more) * tables.book_weight[seller]
        account = np.clip(
            np.searchsorted(tables.cum_weights, target, side="right"),
            tables.book_first[seller],
            tables.book_last[seller],
        )
        segment = tables.segments[account]
        cycle = np.clip(
            (_CYCLE_MEDIAN_DAYS[segment] * draw.lognormal(0, 0.45, more)).astype(np.int64), 7, 365
        )
        offset = np.log1p(draw.random(more) * context.growth_span) / context.growth_rate
        close = context.start + offset.astype(np.int64)
        created = close - cycle
        kept = (created >= tables.earliest_created[seller]) & (created <= today)
        pulled = kept & (close <= today) & (draw.random(more) < QUARTER_END_PULL)
        quarter = np.minimum(np.searchsorted(tables.quarter_ends, close), len(tables.quarter_ends) - 1)
        slipped_to = np.maximum(
            close, np.minimum(tables.quarter_ends[quarter] - draw.integers(0, 10, more), today)
        )
        close = np.where(pulled, slipped_to, close)
        parts.append([column[kept] for column in (seller, account, segment, created, close)])
        have += int(kept.sum())
    return tuple(np.concatenate(column)[:size] for column in zip(*parts, strict=True))


def _paths(
    draw: np.random.Generator, today: int, created, close, is_open, win_rate
) -> tuple[np.ndarray, ...]:
    """Each deal's path through the stages: the first open stage (most deals start at the first, some
    at the second), the last open stage it reached, and the stage it ended in (WON, LOST; -1 while
    open). A won deal went through every stage; a lost one died at a stage by LOST_AT_STAGE_WEIGHTS;
    an open one got as far as the time it has had of its cycle says, and one headed for a loss has not
    got past the stage where it will die, so the open pipeline keeps the funnel's shape that the closed
    deals show (and forecasts can learn from)."""
    size = len(created)
    first = np.where(draw.random(size) < 0.7, 0, 1)
    won = ~is_open & (draw.random(size) < win_rate)
    lost_at = np.maximum(
        first, np.searchsorted(_LOST_AT_WEIGHTS, draw.random(size) * _LOST_AT_WEIGHTS[-1], side="right")
    )
    elapsed = (today - created) / (close - created) * draw.uniform(0.75, 1.25, size)
    reached = np.minimum(first + (elapsed * (WON - first)).astype(np.int64), WON - 1)
    headed_for_loss = draw.random(size) >= win_rate
    reached = np.where(headed_for_loss, np.maximum(first, np.minimum(reached, lost_at)), reached)
    reached = np.where(today - created < 2, first, reached)
    last_open = np.where(is_open, reached, np.where(won, WON - 1, lost_at))
    final = np.where(is_open, -1, np.where(won, WON, LOST))
    return first, last_open, final


def _histories(
    draw, context: _Context, created, close, is_open, first, last_open, final
) -> tuple[np.ndarray, ...]:
    """Every stage change of the deals, in order: its deal (position in the batch), its place in the
    deal's path, its stage index and when it happened, as a local day ordinal with the time of day as
    a fraction: the first on the day the deal was created, the final one of a closed deal on the day it
    closed, the others at random on working hours in between (before today while open)."""
    size = len(created)
    lengths = last_open - first + 1 + (~is_open)
    deal = np.repeat(np.arange(size), lengths)
    position = np.arange(int(lengths.sum())) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    is_final = ~is_open[deal] & (position == lengths[deal] - 1)
    stage = np.where(is_final, final[deal], first[deal] + position)
    inner_count = lengths - 1 - (~is_open)
    span = np.where(is_open, context.today - created, close - created - 1)
    most = WON - 1  # a won deal that started at the first stage has this many in between
    fractions = draw.random((size, most))
    fractions[np.arange(most) >= inner_count[:, None]] = 2.0  # unused: sorted after the used ones
    fractions.sort(axis=1)
    inner = _on_working_hours(created[:, None] + 1 + fractions * span[:, None])
    first_day = created + _working_hours(draw.random(size))
    last_day = close + _working_hours(draw.random(size))
    between = inner[deal, np.clip(position - 1, 0, most - 1)]
    days = np.where(position == 0, first_day[deal], np.where(is_final, last_day[deal], between))
    return deal, position, stage, days


def _count_stage_stays(stays: dict, context: _Context, owners, stages, position, days) -> None:
    """Count how many days each deal stayed in each stage it has left before today, by the local days
    the statistics refresh reads back from the stored times (a time after `now` is stored as `now`,
    so its day is now's), so that the demo's first refresh learns its stall thresholds from these
    counts instead of reading four million stage changes back (forecast.learn_stage_days). Keys are
    added in the order the refresh meets them (by deal, then stage)."""
    local_day = np.minimum(np.floor(days).astype(np.int64), context.moments.last_day)
    left = np.flatnonzero(position[1:] > 0)  # a change followed by another of the same deal
    left = left[local_day[left + 1] < context.today]
    if not len(left):
        return
    stayed = (local_day[left + 1] - local_day[left]).astype(np.intc)
    stage_ids = context.tables.stage_ids[stages[left]]
    keys = owners[left] * (len(context.tables.stage_ids) + 1) + stages[left]
    order = np.argsort(keys, kind="stable")
    groups = np.split(order, np.flatnonzero(np.diff(keys[order])) + 1)
    groups.sort(key=lambda group: group[0])
    for group in groups:
        key = (int(owners[left[group[0]]]), int(stage_ids[group[0]]))
        counted = stays.get(key)
        if counted is None:
            counted = stays[key] = array("i")
        counted.frombytes(stayed[group].tobytes())


def _add_won_revenue(totals: PipelineTotals, context: _Context, seller_index, close, amount) -> None:
    quarters = context.tables.quarter_ends
    grid = np.zeros((len(totals.won_by_seller_quarter), len(quarters)))
    np.add.at(grid, (seller_index, np.searchsorted(quarters, close)), amount)
    for row, added in zip(totals.won_by_seller_quarter, grid.tolist(), strict=True):
        row[:] = [a + b for a, b in zip(row, added, strict=True)]


def _closing_columns(draw, context: _Context, created, close, current, final) -> tuple[list, ...]:
    """close_date, closed_on, loss_reason, competitor and next_step. SLIPPED_SHARE of the open deals
    have a close date that passed without anyone updating it; an open deal has a next step due within
    two weeks; a lost one has a reason, and a competitor (none for 'No decision')."""
    size, today, day = len(created), context.today, context.day
    is_open = final < 0
    passed = np.maximum(created, today - draw.integers(1, 31, size))
    slipped = is_open & (draw.random(size) < SLIPPED_SHARE)
    close_dates = list(map(day, np.where(slipped, passed, close).tolist()))
    closed_on = [
        None if still_open else text for still_open, text in zip(is_open.tolist(), close_dates, strict=True)
    ]
    reason = np.searchsorted(_LOSS_REASON_WEIGHTS, draw.random(size) * _LOSS_REASON_WEIGHTS[-1], side="right")
    competitor = draw.integers(0, len(COMPETITORS), size).tolist()
    lost = (final == LOST).tolist()
    reasons = [
        LOSS_REASONS[r][0] if is_lost else "" for r, is_lost in zip(reason.tolist(), lost, strict=True)
    ]
    competitors = [
        ("" if not is_lost else NO_DECISION_COMPETITOR if r == "No decision" else COMPETITORS[c])
        for r, c, is_lost in zip(reasons, competitor, lost, strict=True)
    ]
    step, contact, due = (
        draw.random(size).tolist(),
        draw.integers(0, len(CONTACTS), size).tolist(),
        draw.integers(1, 15, size).tolist(),
    )
    dues = {days: date.fromordinal(today + days) for days in range(1, 15)}
    steps = [
        _next_step(NEXT_STEPS[stage], step[i], CONTACTS[contact[i]], dues[due[i]]) if still_open else ""
        for i, (still_open, stage) in enumerate(zip(is_open.tolist(), current.tolist(), strict=True))
    ]
    return close_dates, closed_on, reasons, competitors, steps


def _next_step(choices: tuple[str, ...], pick: float, contact: str, due: date) -> str:
    step = choices[int(pick * len(choices))].format(contact=contact)
    return f"{step} by {due:%b} {due.day}"


class _StoredDays(dict):
    """A day ordinal → its ISO text (what SQLite stores for a date), each distinct day made once."""

    def __missing__(self, ordinal: int) -> str:
        text = self[ordinal] = date.fromordinal(ordinal).isoformat()
        return text


class _Moments(dict):
    """A day ordinal with its fraction (a working hour, local time) → that moment as the stage change
    column stores it, never after `now`: what `datetime_adapter()` makes of the local datetime, which
    costs a time zone conversion per value at four million values. Within one day's working hours the
    local zone's offset does not change (zones change theirs at night), so it is found once per day
    (the dictionary) and subtracted. A day whose working hours hold a change of offset, a moment
    outside working hours and a database not storing UTC text take the conversion one by one."""

    FIRST, LAST = 0.33, 0.73  # _working_hours(0) and _working_hours(1)

    def __init__(self, origin_day: int, now: datetime) -> None:
        super().__init__()
        self.zone = timezone.get_current_timezone()
        self.origin = datetime.combine(date.fromordinal(origin_day), time())  # local wall time, naive
        self.origin_day = origin_day
        self.now = now
        self.adapt = datetime_adapter()
        self.fast = connection.vendor == "sqlite" and connection.timezone_name == "UTC"
        self.latest = now.astimezone(UTC).replace(tzinfo=None)
        self.last_day = now.astimezone(self.zone).date().toordinal()  # the local day of `now`

    def __call__(self, day: float):
        wall = self.origin + timedelta(days=day - self.origin_day)
        whole = int(day)
        if self.fast and self.FIRST <= day - whole <= self.LAST:
            shift = self[whole] if whole in self else self._shift(whole)
            if shift is not None:
                stored = wall - shift
                return str(stored if stored <= self.latest else self.latest)
        return self.adapt(min(wall.replace(tzinfo=self.zone), self.now))

    def many(self, days: np.ndarray) -> list:
        """The moment of each of `days` as __call__ makes it, the same text, made with numpy: a
        million deals have four million. The microseconds are rounded as timedelta(days=...) rounds
        them (whole days, then the fraction's microseconds half to even)."""
        if not self.fast:
            return list(map(self, days.tolist()))
        whole = np.floor(days)
        fraction = days - whole
        wholes, day_us = whole.astype(np.int64), 86_400_000_000
        distinct, which = np.unique(wholes, return_inverse=True)
        shifts = [self[day] if day in self else self._shift(day) for day in distinct.tolist()]
        shift_us = np.array(
            [(shift or timedelta()) // timedelta(microseconds=1) for shift in shifts], np.int64
        )
        wall_us = (wholes - self.origin_day) * day_us + np.round(fraction * day_us).astype(np.int64)
        latest_us = (self.latest - self.origin) // timedelta(microseconds=1)
        stored_us = np.minimum(wall_us - shift_us[which], latest_us)
        stored = np.datetime64(self.origin, "us") + stored_us.astype("timedelta64[us]")
        texts = [text.replace("T", " ") for text in np.datetime_as_string(stored, unit="us").tolist()]
        for index in np.flatnonzero(stored_us % 1_000_000 == 0).tolist():
            texts[index] = texts[index][:-7]  # str() leaves out a fraction of zero microseconds
        known = np.array([shift is not None for shift in shifts], bool)[which]
        slow = ~known | (fraction < self.FIRST) | (fraction > self.LAST)
        for index in np.flatnonzero(slow).tolist():
            texts[index] = self(float(days[index]))
        return texts

    def _shift(self, whole: int) -> timedelta | None:
        midnight = datetime.combine(date.fromordinal(whole), time())
        offsets = {
            self.zone.utcoffset(midnight + timedelta(days=fraction)) for fraction in (self.FIRST, self.LAST)
        }
        self[whole] = offsets.pop() if len(offsets) == 1 else None
        return self[whole]


def _working_hours(fraction: float) -> float:
    return 0.33 + 0.4 * fraction  # 08:00 to 17:36, as a fraction of the day


def _on_working_hours(days):
    """A day with its fraction (or an array of them) moved onto that day's working hours."""
    whole = np.floor(days)
    return whole + _working_hours(days - whole)


def _save_batch(context: _Context, batch: _Batch, totals: PipelineTotals) -> None:
    ids = reserve_ids(Opportunity, len(batch))
    insert_rows(Opportunity, OPPORTUNITY_COLUMNS, zip(ids, *batch.columns, strict=True))
    change_ids = reserve_ids(StageChange, len(batch.change_deals))
    changes = zip(
        change_ids,
        [ids[deal] for deal in batch.change_deals],
        batch.change_stages,
        batch.change_times,  # as stored (_Moments)
        batch.change_owners,  # changed by the deal's owner
        strict=True,
    )
    insert_rows(StageChange, STAGE_CHANGE_COLUMNS, changes)
    # With DEBUG on, Django keeps recent SQL in memory; a million rows of it would not be bounded.
    reset_queries()
    totals.opportunities += len(batch)
    totals.stage_changes += len(batch.change_deals)
