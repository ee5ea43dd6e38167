"""Keep the pre-aggregated results (kpis.models) equal to a from-scratch computation.

`results_rebuild()` recomputes everything (after the demo, a restore, or a change to the sales
process); `results_refresh(person_ids=...)` recomputes the rows of a few sellers and is what the
signal receivers (kpis.signals) and bulk writers such as imports call. Both run the same code over
the deals, so a refreshed seller's rows are exactly what a rebuild would give.

The aggregation reads the deals' columns with one plain query and counts them with arrays (numpy):
the same on SQLite and PostgreSQL, a million deals in seconds, and a seller has a few hundred deals, so
refreshing one after a write costs milliseconds. A bulk writer that knows the deals it created (an
import) hands them over as `NewDeals`, counted into their sellers' rows without reading them back.
"""

import threading
from array import array
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

import numpy as np
from django.db import connection, transaction
from django.db.models import CharField, Max, Q, Sum
from django.db.models.functions import Cast

from firstline.core.bulk import (
    Days,
    in_many,
    indexes_rebuilt,
    insert_rows,
    insert_select,
    reserve_ids,
    stored,
)
from firstline.kpis.models import (
    ZERO,
    CompanyMonthFunnel,
    CompanyMonthResult,
    FunnelReach,
    SellerMonthResult,
    TeamMonthFunnel,
    TeamMonthResult,
)
from firstline.org.models import Membership
from firstline.pipeline.models import Opportunity, Outcome, SalesStage, StageChange

CHUNK = 20_000
_NONE = -1  # no team, month, day or amount, in the arrays of the aggregation
_DAYS = 2**22  # above every day's ordinal: a span's key is person * _DAYS + its first day
# From this many sellers on, one pass over every deal beats looking each seller's deals up by index
# (a million deals read in the owner index's order are a million random reads).
SCAN_FROM_SELLERS = 200
MEASURES = (
    "won_count",
    "won_amount",
    "won_unknown_amount",
    "cycle_days",
    "cycle_count",
    "lost_count",
    "lost_amount",
    "lost_unknown_amount",
    "open_count",
    "open_amount",
    "open_unknown_amount",
    "created_count",
)


def month_of(day: date | None) -> date | None:
    return day.replace(day=1) if day else None


class Teams:
    """Which team each seller was in on a given day, from the membership history."""

    def __init__(self, person_ids: Iterable[int] | None = None):
        memberships = Membership.objects.order_by("person_id", "start")
        if person_ids is not None:
            memberships = memberships.filter(person_id__in=in_many(person_ids))
        spans = list(memberships.values_list("person_id", "start", "end", "team_id"))
        # One sorted key per span, person then start day: a deal's span is found by binary search.
        self._persons = np.array([person for person, _s, _e, _t in spans], dtype=np.int64)
        self._keys = self._persons * _DAYS + [start.toordinal() for _p, start, _e, _t in spans]
        self._ends = np.array(
            [end.toordinal() if end else _DAYS for _p, _s, end, _t in spans], dtype=np.int64
        )
        self._teams = np.array([team for _p, _s, _e, team in spans], dtype=np.int64)

    def on(self, owners: np.ndarray, days: np.ndarray) -> np.ndarray:
        """The team (-1: none) of each owner on each day (ordinals; -1 unknown: then the team the
        seller is in most recently)."""
        if not len(self._keys):
            return np.full(len(owners), _NONE)
        span = np.searchsorted(self._keys, owners * _DAYS + np.where(days < 0, _DAYS - 1, days), "right") - 1
        at = np.maximum(span, 0)
        inside = (span >= 0) & (self._persons[at] == owners) & ((days < 0) | (days <= self._ends[at]))
        return np.where(inside, self._teams[at], _NONE)


@dataclass
class DealColumns:
    """Deals column by column: id, owner, amount (a Decimal or the driver's number; None: unknown),
    outcome and the three days."""

    ids: Sequence[int]
    owners: Sequence[int]
    amounts: Sequence[Decimal | float | None]
    outcomes: Sequence[str]
    created: Sequence[date | None]
    close_dates: Sequence[date | None]
    closed_on: Sequence[date | None]


# An empty results row: its measures in the order of MEASURES (amounts are Decimals, the rest counts).
_EMPTY_ROW = tuple(ZERO if name.endswith("_amount") and "unknown" not in name else 0 for name in MEASURES)


def _stages() -> tuple[dict[int, int], dict[int, str], int | None, int | None]:
    """Open stage id → its order, stage id → outcome, the first open stage and the won stage."""
    stages = list(SalesStage.objects.order_by("order").values_list("id", "order", "outcome"))
    open_order = {pk: order for pk, order, outcome in stages if outcome == Outcome.OPEN}
    first_open = min(open_order, key=open_order.get) if open_order else None
    won_stage = next((pk for pk, _order, outcome in stages if outcome == Outcome.WON), None)
    return open_order, {pk: outcome for pk, _order, outcome in stages}, first_open, won_stage


def _funnel_positions(deals) -> tuple[dict[int, int], int | None, int | None]:
    """Lost deal id → the open stage id it got furthest to; plus the first open stage and the won stage."""
    open_order, _outcomes, first_open, won_stage = _stages()
    stage_at = {order: pk for pk, order in open_order.items()}
    furthest = (
        StageChange.objects.filter(opportunity__in=deals.filter(stage__outcome=Outcome.LOST))
        .filter(stage__outcome=Outcome.OPEN)
        .order_by()
        .values_list("opportunity_id")
        .annotate(furthest=Max("stage__order"))
    )
    # Read with a plain cursor, as the deals' columns are: the ORM's converter per row (the
    # maximum made an int again) cost a quarter of the reading, for hundreds of thousands of lost deals.
    sql, params = furthest.query.sql_with_params()
    positions = {}
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        while batch := cursor.fetchmany(CHUNK):
            positions.update((pk, stage_at[order]) for pk, order in batch)
    return positions, first_open, won_stage


@dataclass
class NewDeals:
    """Deals just created and not counted yet, as the columns they were written from (one value per
    deal in each); `passed` maps a deal's id to the stages of its history where it has more than one."""

    ids: Sequence[int]
    owners: Sequence[int]
    amounts: Sequence[Decimal | None]
    stages: Sequence[int]
    created: Sequence[date | None]
    close_dates: Sequence[date | None]
    closed_on: Sequence[date | None]
    passed: dict[int, list[int]] = field(default_factory=dict)
    _meanwhile: tuple | None = field(default=None, init=False, repr=False, compare=False)

    def count_meanwhile(self) -> None:
        """Count every new deal's seller rows in a thread from now on, while this one goes on with
        the database: SQLite lets go of the interpreter's lock for the whole of a CREATE INDEX or an
        INSERT … SELECT, and the counting needs only the columns in memory, the stages and the
        teams, read here (another thread's connection would not see this transaction's rows).
        `aggregate` then waits for it. The sales process and the teams must not change meanwhile."""
        process, teams = _stages(), Teams(set(self.owners))
        outcome: dict = {}

        def count() -> None:
            try:
                outcome["counted"] = self._count(process, teams, None)
            except BaseException as error:  # raised where the count is wanted
                outcome["error"] = error

        thread = threading.Thread(target=count, name="firstline-kpi-count", daemon=True)
        thread.start()
        self._meanwhile = (thread, outcome)

    def aggregate(self, person_ids: set[int]):
        """Their rows and funnel counts, as compute() would count them once they are read back."""
        if self._meanwhile is None:
            wanted = None if person_ids.issuperset(self.owners) else person_ids
            return self._count(_stages(), Teams(person_ids), wanted)
        thread, outcome = self._meanwhile
        thread.join()
        if "error" in outcome:
            raise outcome["error"]
        rows, funnel = outcome["counted"]
        if person_ids.issuperset(self.owners):
            return rows, funnel
        # Each seller's rows are counted from their own deals alone: the others' are left out.
        return (
            defaultdict(
                rows.default_factory, {key: row for key, row in rows.items() if key[0] in person_ids}
            ),
            defaultdict(int, {key: deals for key, deals in funnel.items() if key[0] in person_ids}),
        )

    def _count(self, process, teams: "Teams", wanted: set[int] | None):
        open_order, outcomes, first_open, won_stage = process
        furthest = {}
        for pk, stages in self.passed.items():
            reached = [stage for stage in stages if stage in open_order]
            if reached:
                furthest[pk] = max(reached, key=open_order.get)
        deals = DealColumns(
            self.ids,
            self.owners,
            self.amounts,
            list(map(outcomes.__getitem__, self.stages)),
            self.created,
            self.close_dates,
            self.closed_on,
        )
        return _aggregate(deals, teams, furthest, first_open, won_stage, wanted)


def _deal_columns(deals) -> DealColumns:
    """The deals' columns, read with one plain cursor: the ORM's per-row work costs more than the
    whole aggregation at a million deals. Days are read as text (the same ISO form on every
    database) and each distinct day is converted once; amounts stay as the driver gives them (a
    float or integer on SQLite, a Decimal on PostgreSQL), for the aggregation's cents."""
    days = {name: Cast(name, CharField()) for name in ("created", "close_date", "closed_on")}
    query = deals.order_by().values_list("id", "owner_id", "amount", "stage__outcome").annotate(**days)
    sql, params = query.query.sql_with_params()
    day_of, outcome_of = Days(), {}
    deals = DealColumns(array("q"), array("q"), [], [], [], [], [])
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        # Converted a batch at a time: a million rows' texts are never held at once.
        while batch := cursor.fetchmany(CHUNK):
            ids, owners, amounts, outcomes, created, close_dates, closed_on = zip(*batch, strict=True)
            deals.ids.extend(ids)
            deals.owners.extend(owners)
            deals.amounts.extend(amounts)
            deals.outcomes.extend(map(outcome_of.setdefault, outcomes, outcomes))
            deals.created.extend(map(day_of.__getitem__, created))
            deals.close_dates.extend(map(day_of.__getitem__, close_dates))
            deals.closed_on.extend(map(day_of.__getitem__, closed_on))
    return deals


def compute(person_ids: Iterable[int] | None = None):
    """The results rows and funnel counts, from the deals themselves (for some sellers or all).
    Rows map (person, team, month) to measures in the order of MEASURES."""
    deals, wanted = Opportunity.objects.all(), None
    if person_ids is not None:
        person_ids = list(person_ids)
        if len(person_ids) < SCAN_FROM_SELLERS:
            deals = deals.filter(owner_id__in=person_ids)
        else:
            wanted = set(person_ids)
    furthest, first_open, won_stage = _funnel_positions(deals)
    return _aggregate(_deal_columns(deals), Teams(person_ids), furthest, first_open, won_stage, wanted)


class _Ordinals(dict):
    """A day → its ordinal (None → -1), each distinct day converted once."""

    def __missing__(self, day):
        value = self[day] = day.toordinal() if day is not None else _NONE
        return value


class _Cents(dict):
    """An amount → whole cents (None → -1): the amount columns keep two decimal places, so a
    Decimal's cents are whole, and so are a float's once rounded (SQLite keeps a REAL, exact to the
    cent far beyond the columns' trillion)."""

    def __missing__(self, amount):
        value = self[amount] = round(amount * 100) if amount is not None else _NONE
        return value


def _aggregate(deals: DealColumns, teams: Teams, furthest: dict, first_open, won_stage, wanted=None):
    """Rows and funnel counts of `deals`; `furthest` maps a lost deal's id to the open stage it got
    furthest to. Counted with arrays, not a Python step per deal: each deal counts where it
    was created, and where it closed (or, open, where it is expected to close), in the team of that
    day; amounts are summed exactly, in whole cents."""
    rows: defaultdict[tuple, list] = defaultdict(lambda: list(_EMPTY_ROW))
    funnel: defaultdict[tuple, int] = defaultdict(int)
    count = len(deals.owners)
    if not count:
        return rows, funnel

    def array(column, code_of=None):
        values = column if code_of is None else map(code_of.__getitem__, column)
        return np.fromiter(values, dtype=np.int64, count=count)

    owners = array(deals.owners)
    outcome = array(deals.outcomes, {Outcome.OPEN: 0, Outcome.WON: 1, Outcome.LOST: 2})
    cents_of, ordinal_of = _Cents(), _Ordinals()
    cents = array(deals.amounts, cents_of)
    if len(cents) and int(cents.max()) * count >= 2**62:
        cents = cents.astype(object)  # sums that could pass 64 bits: Python's integers instead
    created, close_date, closed_on = (
        array(column, ordinal_of) for column in (deals.created, deals.close_dates, deals.closed_on)
    )
    keep = np.ones(count, dtype=bool) if wanted is None else np.isin(owners, list(wanted))
    # A deal counts twice: where it was created, and where it closes (open: is expected to close).
    closing = np.where(outcome == 0, close_date, closed_on)
    first, second = keep & (created >= 0), keep
    owner_of = np.concatenate([owners[first], owners[second]])
    day_of = np.concatenate([created[first], closing[second]])
    days = sorted(day for day in ordinal_of.values() if day != _NONE)
    months = np.array([*map(_month_number, days), _NONE], dtype=np.int64)
    month_of_day = np.where(day_of < 0, _NONE, months[np.searchsorted(days, day_of)])
    (owner_key, team_key, month_key), group_of = _group(owner_of, teams.on(owner_of, day_of), month_of_day)
    created_group, closing_group = group_of[: first.sum()], group_of[first.sum() :]
    size = len(owner_key)
    measures = {name: np.zeros(size, dtype=np.int64) for name in MEASURES}
    measures.update({f"{kind}_amount": np.zeros(size, dtype=cents.dtype) for kind in ("won", "lost", "open")})
    measures["created_count"] += np.bincount(created_group, minlength=size)
    state, amount = outcome[second], cents[second]
    for code, kind in ((0, "open"), (1, "won"), (2, "lost")):
        chosen = state == code
        known = chosen & (amount >= 0)
        measures[f"{kind}_count"] += np.bincount(closing_group[chosen], minlength=size)
        measures[f"{kind}_unknown_amount"] += np.bincount(
            closing_group[chosen & (amount < 0)], minlength=size
        )
        np.add.at(measures[f"{kind}_amount"], closing_group[known], amount[known])
    won = (state == 1) & (created[second] >= 0) & (closed_on[second] >= 0)
    cycle = np.maximum(0, closed_on[second] - created[second])
    np.add.at(measures["cycle_days"], closing_group[won], cycle[won])
    measures["cycle_count"] += np.bincount(closing_group[won], minlength=size)

    month_day = {month: _month_day(month) for month in np.unique(month_key).tolist()}
    keys = [
        (owner, None if team == _NONE else team, month_day[month])
        for owner, team, month in zip(owner_key.tolist(), team_key.tolist(), month_key.tolist(), strict=True)
    ]
    columns = [
        [Decimal(value).scaleb(-2) for value in measures[name].tolist()]
        if name.endswith("_amount") and "unknown" not in name
        else measures[name].tolist()
        for name in MEASURES
    ]
    for key, row in zip(keys, zip(*columns, strict=True), strict=True):
        rows[key] = list(row)

    # The funnel: each closed deal with a known month counts at the stage it reached.
    stage = np.full(len(state), _NONE)
    stage[state == 1] = _NONE if won_stage is None else won_stage
    lost = np.flatnonzero(state == 2)
    ids = np.fromiter(deals.ids, dtype=np.int64, count=count)[second][lost]
    default = _NONE if first_open is None else first_open
    # Each lost deal's furthest stage looked up with arrays (hundreds of thousands at full scale),
    # past a sentinel where an id beyond every known one lands.
    passed = np.fromiter(furthest, dtype=np.int64, count=len(furthest))
    reached = np.fromiter(furthest.values(), dtype=np.int64, count=len(furthest))
    order = np.argsort(passed)
    at = np.searchsorted(passed[order], ids)
    passed, reached = np.append(passed[order], _NONE), np.append(reached[order], default)
    stage[lost] = np.where(passed[at] == ids, reached[at], default)
    counted = (state > 0) & (month_of_day[len(created_group) :] >= 0) & (stage != _NONE)
    (group_key, stage_key), pairs = _group(closing_group[counted], stage[counted])
    for group, reached, deals_there in zip(
        group_key.tolist(), stage_key.tolist(), np.bincount(pairs).tolist(), strict=True
    ):
        funnel[(*keys[group], reached)] = deals_there
    return rows, funnel


def _group(*columns: np.ndarray) -> tuple[list[np.ndarray], np.ndarray]:
    """Rows grouped by the values of several integer columns: the distinct combinations (a column
    each, sorted) and each row's group among them."""
    key, distincts = np.zeros(len(columns[0]), dtype=np.int64), []
    for column in columns:
        distinct, code = np.unique(column, return_inverse=True)
        key = key * len(distinct) + code
        distincts.append(distinct)
    combinations, group_of = np.unique(key, return_inverse=True)
    decoded = []
    for distinct in reversed(distincts):
        decoded.append(distinct[combinations % len(distinct)])
        combinations = combinations // len(distinct)
    return decoded[::-1], group_of


def _month_number(ordinal: int) -> int:
    day = date.fromordinal(ordinal)
    return day.year * 12 + day.month - 1


def _month_day(number: int) -> date | None:
    return None if number == _NONE else date(number // 12, number % 12 + 1, 1)


def _save(rows, funnel) -> None:
    """Through the fast path (core.bulk): tens of thousands of rows, no model instances; a refresh of
    every seller builds the tables' indexes once at the end rather than row by row. Each month is
    made what the column stores once (core.bulk.stored), not by the driver's adapter row by row."""
    months = list({month for _person, _team, month in rows} | {key[2] for key in funnel})
    stored_month = dict(zip(months, stored(months), strict=True))
    with indexes_rebuilt(SellerMonthResult, len(rows)):
        insert_rows(
            SellerMonthResult,
            ["id", *MEASURES, "person_id", "team_id", "month"],
            (
                (pk, *measures, person, team, stored_month[month])
                for pk, ((person, team, month), measures) in zip(
                    reserve_ids(SellerMonthResult, len(rows)), rows.items(), strict=True
                )
            ),
        )
    with indexes_rebuilt(FunnelReach, len(funnel)):
        insert_rows(
            FunnelReach,
            ["id", "person_id", "team_id", "month", "stage_id", "deals"],
            (
                (pk, person, team, stored_month[month], stage, deals)
                for pk, ((person, team, month, stage), deals) in zip(
                    reserve_ids(FunnelReach, len(funnel)), funnel.items(), strict=True
                )
            ),
        )


def _teams_of(person_ids) -> set:
    rows = SellerMonthResult.objects.filter(person_id__in=person_ids)
    return set(rows.values_list("team_id", flat=True).distinct())


def _roll_up_teams(team_ids: set | None) -> None:
    """Recompute the per-team rows of these teams (None: all) from the seller rows."""
    teams = TeamMonthResult.objects.all()
    funnels = TeamMonthFunnel.objects.all()
    sellers = SellerMonthResult.objects.order_by()
    reach = FunnelReach.objects.order_by()
    if team_ids is not None:
        chosen = Q(team_id__in=[pk for pk in team_ids if pk is not None])
        if None in team_ids:
            chosen |= Q(team__isnull=True)
        teams, funnels, sellers, reach = (qs.filter(chosen) for qs in (teams, funnels, sellers, reach))
    teams.delete()
    funnels.delete()
    summed = sellers.values("team_id", "month").annotate(**{f"sum_{m}": Sum(m) for m in MEASURES})
    insert_select(TeamMonthResult, ["team_id", "month", *MEASURES], summed)
    stages = reach.values_list("team_id", "month", "stage_id").annotate(total=Sum("deals"))
    insert_select(TeamMonthFunnel, ["team_id", "month", "stage_id", "deals"], stages)


def _roll_up_company(months: set | None) -> None:
    """Recompute the company rows of these months (None: all) from the team rows."""
    rows, funnels = CompanyMonthResult.objects.all(), CompanyMonthFunnel.objects.all()
    teams, reach = TeamMonthResult.objects.order_by(), TeamMonthFunnel.objects.order_by()
    if months is not None:
        chosen = Q(month__in=[month for month in months if month is not None])
        if None in months:
            chosen |= Q(month__isnull=True)
        rows, funnels, teams, reach = (qs.filter(chosen) for qs in (rows, funnels, teams, reach))
    rows.delete()
    funnels.delete()
    summed = teams.values("month").annotate(**{f"sum_{m}": Sum(m) for m in MEASURES})
    insert_select(CompanyMonthResult, ["month", *MEASURES], summed)
    stages = reach.values_list("month", "stage_id").annotate(total=Sum("deals"))
    insert_select(CompanyMonthFunnel, ["month", "stage_id", "deals"], stages)


def _months_of(person_ids) -> set:
    rows = SellerMonthResult.objects.filter(person_id__in=person_ids)
    return set(rows.values_list("month", flat=True).distinct())


@transaction.atomic
def results_rebuild() -> int:
    """Recompute every row from the deals; returns the number of seller rows."""
    rows, funnel = compute()
    SellerMonthResult.objects.all().delete()
    FunnelReach.objects.all().delete()
    _save(rows, funnel)
    _roll_up_teams(None)
    _roll_up_company(None)
    return len(rows)


@transaction.atomic
def results_refresh(*, person_ids: Iterable[int], new_deals: NewDeals | None = None) -> None:
    """Recompute the rows of these sellers (after their deals, stage history or teams changed).

    `new_deals`, just created, are counted into their sellers' rows as they stand instead of reading
    every deal of those sellers again: the same rows, without reading back a million-deal import.
    Their sellers among `person_ids` are recomputed from the deals, which include the new ones."""
    person_ids = {pk for pk in person_ids if pk is not None}
    rows, funnel = compute(person_ids) if person_ids else ({}, {})
    if new_deals is not None:
        added = set(new_deals.owners) - person_ids
        if added:
            more, more_funnel = new_deals.aggregate(added)
            _count_existing(added, more, more_funnel)
            rows.update(more)
            funnel.update(more_funnel)
            person_ids |= added
    if not person_ids:
        return
    person_ids = sorted(person_ids)
    teams = _teams_of(person_ids) | {team for _person, team, _month in rows}
    months = _months_of(person_ids) | {month for _person, _team, month in rows}
    SellerMonthResult.objects.filter(person_id__in=person_ids).delete()
    FunnelReach.objects.filter(person_id__in=person_ids).delete()
    _save(rows, funnel)
    _roll_up_teams(teams)
    _roll_up_company(months)


def _count_existing(person_ids: set[int], rows, funnel) -> None:
    """Add the sellers' stored rows and funnel counts to `rows` and `funnel`."""
    stored = SellerMonthResult.objects.filter(person_id__in=in_many(person_ids)).order_by()
    for person, team, month, *measures in stored.values_list("person_id", "team_id", "month", *MEASURES):
        row = rows[person, team, month]
        for index, value in enumerate(measures):
            row[index] += value
    reach = FunnelReach.objects.filter(person_id__in=in_many(person_ids)).order_by()
    for person, team, month, stage, deals in reach.values_list(
        "person_id", "team_id", "month", "stage_id", "deals"
    ):
        funnel[person, team, month, stage] += deals
