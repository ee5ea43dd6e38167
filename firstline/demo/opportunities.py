"""Three fiscal years of opportunities with their stage history, generated and saved in batches.

Only one batch is held in memory at a time, so a million opportunities take no more memory than
twenty-five thousand; what outlives a batch is a small tally of won revenue per seller and quarter,
which sizes the targets afterwards.
"""

import contextlib
import math
import multiprocessing
import traceback
from array import array
from bisect import bisect
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from itertools import accumulate
from random import Random
from typing import TextIO

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
# With `parallel`, from this many deals on they are drawn in a second process (drawn_batches).
WORKER_FROM = 3 * BATCH_SIZE
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


@dataclass(slots=True)
class Deal:
    seller: SellerProfile
    account: int  # index into the seller's account book
    segment: int
    created: int  # day ordinals from here on
    close: int  # the day it closed, or is expected to close while open
    won: bool | None  # None while open
    path: list[int]  # stage indices it went through, the current one last


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
    books: list[AccountBook]
    process: SalesProcess
    timeline: Timeline
    stage_ids: tuple[int, ...]
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


def build_opportunities(
    *,
    rng: Random,
    sellers: list[SellerProfile],
    books: list[AccountBook],
    process: SalesProcess,
    timeline: Timeline,
    count: int,
    progress: TextIO | None,
    parallel: bool = False,
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
        for batch in drawn_batches(rng, context, count, totals, in_worker=parallel and count >= WORKER_FROM):
            _save_batch(context, batch, totals)
            bar.update(len(batch))
    return totals


def drawn_batches(
    rng: Random, context: _Context, count: int, totals: PipelineTotals, *, in_worker: bool
) -> Iterator[list]:
    """The deals in batches of BATCH_SIZE, drawn here or, `in_worker`, in a forked process while this
    one writes the batch before: drawing and SQLite's inserting take about as long as each other, and
    a second core can do one while the first does the other. Off by default (`firstline demo
    --parallel`): on a busy shared machine it measured slower, and it costs CPU (pickling the rows).
    The worker draws from the same random stream in the same order, so the deals are the same either
    way; at the end it sends back the totals it kept (won, lost, won revenue per seller and quarter,
    stays in stages) and where the random stream stands, so `rng` goes on as if the deals had been
    drawn here. Without fork (Windows), here."""
    if not in_worker or "fork" not in multiprocessing.get_all_start_methods():
        yield from _drawn(rng, context, count, totals)
        return
    forked = multiprocessing.get_context("fork")
    receiver, sender = forked.Pipe(duplex=False)
    worker = forked.Process(target=_draw_in_worker, args=(rng, context, count, sender))
    worker.start()
    sender.close()  # the worker's end: reading gives EOFError if the worker dies
    try:
        while (message := _received(receiver)) is not None:
            yield message
        drawn, state = _received(receiver)
    finally:
        receiver.close()
        worker.join(timeout=5)
        if worker.is_alive():
            worker.terminate()
    rng.setstate(state)
    totals.won += drawn.won
    totals.lost += drawn.lost
    for key, days in drawn.stage_stays.items():
        totals.stage_stays.setdefault(key, array("i")).extend(days)
    for mine, theirs in zip(totals.won_by_seller_quarter, drawn.won_by_seller_quarter, strict=True):
        mine[:] = [a + b for a, b in zip(mine, theirs, strict=True)]


def _drawn(rng: Random, context: _Context, count: int, totals: PipelineTotals) -> Iterator[list]:
    for first in range(0, count, BATCH_SIZE):
        size = min(BATCH_SIZE, count - first)
        yield [_opportunity(rng, context, first + offset + 1, totals) for offset in range(size)]


def _received(receiver):
    try:
        message = receiver.recv()
    except EOFError:
        raise RuntimeError("The process drawing the demo deals stopped without a word.") from None
    if isinstance(message, _WorkerFailed):
        raise RuntimeError(f"Drawing the demo deals failed:\n{message.details}")
    return message


@dataclass(frozen=True)
class _WorkerFailed:
    details: str


def _draw_in_worker(rng: Random, context: _Context, count: int, sender) -> None:
    """In the forked worker: every batch, then None, then the totals and the random stream's state.
    It never touches the database (the connection it inherited belongs to the parent)."""
    quarters = len(context.timeline.quarters)
    totals = PipelineTotals(won_by_seller_quarter=[[0.0] * quarters for _ in context.sellers])
    try:
        for batch in _drawn(rng, context, count, totals):
            sender.send(batch)
        sender.send(None)
        sender.send((totals, rng.getstate()))
    except BaseException:
        with contextlib.suppress(OSError):  # the parent is gone: nobody to tell
            sender.send(_WorkerFailed(traceback.format_exc()))
    finally:
        sender.close()


def _context(
    *, sellers: list[SellerProfile], books: list[AccountBook], process: SalesProcess, timeline: Timeline
) -> _Context:
    start = timeline.start.toordinal()
    growth_rate = math.log(YEARLY_GROWTH) / 365
    origin_day = start - 400  # before any created date, so every offset from it is positive
    return _Context(
        sellers=sellers,
        books=books,
        process=process,
        timeline=timeline,
        stage_ids=(*process.open_stage_ids, process.won_stage_id, process.lost_stage_id),
        currency=settings.DEFAULT_CURRENCY,
        today=timeline.today.toordinal(),
        start=start,
        growth_rate=growth_rate,
        growth_span=math.expm1(growth_rate * (timeline.horizon.toordinal() - start)),
        moments=_Moments(origin_day, timezone.now()),
        day=_StoredDays().__getitem__ if connection.vendor == "sqlite" else date.fromordinal,
        stored_amount=str if connection.vendor == "sqlite" else Decimal,
    )


def _opportunity(
    rng: Random, context: _Context, number: int, totals: PipelineTotals
) -> tuple[tuple, list[tuple[int, object]]]:
    """One deal as a row in OPPORTUNITY_COLUMNS order (without the id) and its stage history."""
    deal = _draw_deal(rng, context)
    book = context.books[deal.seller.index]
    product = bisect(
        context.process.product_cum_weights, rng.random() * context.process.product_cum_weights[-1]
    )
    spec = context.process.products[product]
    size = DEAL_MEDIAN[deal.segment] * spec.size_factor * deal.seller.size_skill * rng.lognormvariate(0, 0.5)
    amount = max(500, round(size / 500) * 500)
    stage_ids = [context.stage_ids[stage] for stage in deal.path]
    closing = _closing_fields(rng, context, deal)
    opportunity = (
        f"DEMO-{number:06d}",
        f"{book.names[deal.account]} – {spec.name} {rng.choice(DEAL_MOTIONS)}",
        book.ids[deal.account],
        deal.seller.person_id,
        context.process.product_ids[product],
        context.stored_amount(amount),
        context.currency,
        stage_ids[-1],
        context.day(deal.created),
        None,  # engaged_on: the demo's CRM does not record it
        closing["close_date"],
        closing["closed_on"],
        closing.get("loss_reason", ""),
        closing.get("competitor", ""),
        closing.get("next_step", ""),
    )
    if deal.won:
        totals.won += 1
        totals.won_by_seller_quarter[deal.seller.index][context.timeline.quarter_index(deal.close)] += amount
    elif deal.won is False:
        totals.lost += 1
    days = _stage_days(rng, context, deal)
    _count_stage_stays(totals.stage_stays, context, deal.seller.person_id, stage_ids, days)
    return opportunity, list(zip(stage_ids, map(context.moments, days), strict=True))


def _count_stage_stays(stays: dict, context: _Context, owner: int, stage_ids: list[int], days) -> None:
    """Count how many days the deal stayed in each stage it has left before today, by the local days
    the statistics refresh reads back from the stored times (a time after `now` is stored as `now`,
    so its day is now's), so that the demo's first refresh learns its stall thresholds from these
    counts instead of reading four million stage changes back (forecast.learn_stage_days)."""
    last, today = context.moments.last_day, context.today
    for stage_id, entered, left in zip(stage_ids, days, days[1:], strict=False):
        left_day = min(int(left), last)
        if left_day < today:
            key = (owner, stage_id)
            stayed = stays.get(key)
            if stayed is None:
                stayed = stays[key] = array("i")
            stayed.append(left_day - min(int(entered), last))


def _draw_deal(rng: Random, context: _Context) -> Deal:
    sellers, today = context.sellers, context.today
    while True:
        seller = sellers[int(rng.random() * len(sellers))]
        book = context.books[seller.index]
        account = bisect(book.cum_weights, rng.random() * book.cum_weights[-1])
        segment = book.segments[account]
        cycle = min(max(int(CYCLE_MEDIAN_DAYS[segment] * rng.lognormvariate(0, 0.45)), 7), 365)
        # Inverse of an exponential density, so that each year has YEARLY_GROWTH times the deals of the last.
        close = context.start + int(math.log1p(rng.random() * context.growth_span) / context.growth_rate)
        created = close - cycle
        # Rejecting (rather than moving) keeps new hires' share of deals in proportion to their tenure.
        if created < seller.hired_on.toordinal() + 14 or created > today:
            continue
        if close <= today and rng.random() < QUARTER_END_PULL:
            quarter_end = context.timeline.quarter_end_ordinals[context.timeline.quarter_index(close)]
            close = max(close, min(quarter_end - rng.randint(0, 9), today))
        break
    win_rate = BASE_WIN_RATE * seller.win_skill * WIN_FACTOR[segment]
    if seller.improving:
        progress = (close - context.start) / max(1, today - context.start)
        win_rate *= IMPROVING_FROM + (IMPROVING_TO - IMPROVING_FROM) * min(1.0, max(0.0, progress))
    if close > today:
        path = _open_path(rng, today, created, close, win_rate)
        return Deal(seller, account, segment, created, close, None, path)
    won = rng.random() < win_rate
    return Deal(seller, account, segment, created, close, won, _closed_path(rng, won))


def _open_path(rng: Random, today: int, created: int, close: int, win_rate: float) -> list[int]:
    start = 0 if rng.random() < 0.7 else 1
    if today - created < 2:
        return [start]
    progress = (today - created) / (close - created) * rng.uniform(0.75, 1.25)
    current = min(start + int(progress * (WON - start)), WON - 1)
    if rng.random() >= win_rate:
        # A deal headed for a loss has not got past the stage where it will die, so the open
        # pipeline keeps the funnel's shape that the closed deals show (and forecasts can learn from).
        lost_at = bisect(_LOST_AT_WEIGHTS, rng.random() * _LOST_AT_WEIGHTS[-1])
        current = max(start, min(current, lost_at))
    return list(range(start, current + 1))


def _closed_path(rng: Random, won: bool) -> list[int]:
    start = 0 if rng.random() < 0.7 else 1
    if won:
        return [*range(start, WON), WON]
    lost_at = max(start, bisect(_LOST_AT_WEIGHTS, rng.random() * _LOST_AT_WEIGHTS[-1]))
    return [*range(start, lost_at + 1), LOST]


def _closing_fields(rng: Random, context: _Context, deal: Deal) -> dict:
    if deal.won is None:
        close = deal.close
        if rng.random() < SLIPPED_SHARE:
            close = max(deal.created, context.today - rng.randint(1, 30))
        step = rng.choice(NEXT_STEPS[deal.path[-1]]).format(contact=rng.choice(CONTACTS))
        due = date.fromordinal(context.today + rng.randint(1, 14))
        return {
            "close_date": context.day(close),
            "closed_on": None,
            "next_step": f"{step} by {due:%b} {due.day}",
        }
    closed_on = context.day(deal.close)
    if deal.won:
        return {"close_date": closed_on, "closed_on": closed_on}
    reason = LOSS_REASONS[bisect(_LOSS_REASON_WEIGHTS, rng.random() * _LOSS_REASON_WEIGHTS[-1])][0]
    competitor = NO_DECISION_COMPETITOR if reason == "No decision" else rng.choice(COMPETITORS)
    return {"close_date": closed_on, "closed_on": closed_on, "loss_reason": reason, "competitor": competitor}


def _stage_days(rng: Random, context: _Context, deal: Deal) -> list[float]:
    """When the deal entered each stage of its path, as local day ordinals with the time of day as
    a fraction: the first on the day it was created, the final one of a closed deal on the day it
    closed, the others on working hours in between."""
    first = deal.created + _working_hours(rng.random())
    if deal.won is None:
        inner = [deal.created + 1 + rng.random() * (context.today - deal.created) for _ in deal.path[1:]]
        days = [first, *map(_on_working_hours, sorted(inner))]
    else:
        inner = [deal.created + 1 + rng.random() * (deal.close - deal.created - 1) for _ in deal.path[2:]]
        days = [first, *map(_on_working_hours, sorted(inner)), deal.close + _working_hours(rng.random())]
    return days


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

    def _shift(self, whole: int) -> timedelta | None:
        midnight = datetime.combine(date.fromordinal(whole), time())
        offsets = {
            self.zone.utcoffset(midnight + timedelta(days=fraction)) for fraction in (self.FIRST, self.LAST)
        }
        self[whole] = offsets.pop() if len(offsets) == 1 else None
        return self[whole]


def _working_hours(fraction: float) -> float:
    return 0.33 + 0.4 * fraction  # 08:00 to 17:36, as a fraction of the day


def _on_working_hours(day: float) -> float:
    whole = int(day)
    return whole + _working_hours(day - whole)


def _save_batch(
    context: _Context, batch: list[tuple[tuple, list[tuple[int, object]]]], totals: PipelineTotals
) -> None:
    ids = reserve_ids(Opportunity, len(batch))
    insert_rows(
        Opportunity, OPPORTUNITY_COLUMNS, ((pk, *row) for pk, (row, _h) in zip(ids, batch, strict=True))
    )
    changes = [
        (opportunity_id, stage, at, row[3])  # changed by the owner (row[3]); `at` as stored (_Moments)
        for opportunity_id, (row, history) in zip(ids, batch, strict=True)
        for stage, at in history
    ]
    change_ids = reserve_ids(StageChange, len(changes))
    insert_rows(
        StageChange, STAGE_CHANGE_COLUMNS, ((pk, *c) for pk, c in zip(change_ids, changes, strict=True))
    )
    # With DEBUG on, Django keeps recent SQL in memory; a million rows of it would not be bounded.
    reset_queries()
    totals.opportunities += len(batch)
    totals.stage_changes += len(changes)
