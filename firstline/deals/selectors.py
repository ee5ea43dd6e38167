"""Reads that gather what the risk rules and the forecast need, in a fixed number of queries."""

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from itertools import chain
from typing import NamedTuple

import numpy
from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import connections
from django.db.models import CharField, Count, F, FloatField, Max, Min, Q, StringAgg, Sum, Value
from django.db.models.functions import Cast
from django.utils import timezone

from firstline.core.arrays import distinct
from firstline.core.bulk import DayOrdinal, Days, EpochSeconds, LocalDays, in_many, local_day_ordinals
from firstline.deals.models import ActionItem, StageStatistic
from firstline.deals.risk import DealFacts, Signal, signals
from firstline.kpis.forecast import LOST, STILL_OPEN, WON, DealHistory, StageRate, Timing
from firstline.kpis.forecast_columns import NO_DAY, HistoryColumns
from firstline.org.models import Membership
from firstline.pipeline.models import Opportunity, Outcome, SalesStage, StageChange
from firstline.relationships.models import Stakeholder


def qualifying_order() -> int | None:
    """From the second open stage on, a deal is expected to have a buying group around it."""
    orders = list(
        SalesStage.objects.filter(outcome=Outcome.OPEN).order_by("order").values_list("order", flat=True)[:2]
    )
    return orders[1] if len(orders) > 1 else None


def current_teams(person_ids=None) -> dict[int, int]:
    """Each person's current team id (one query), of the people given (everyone by default). Should
    memberships overlap, the one that started last wins; no join to order by the person's name."""
    rows = Membership.objects.current().order_by("person_id", "start")
    if person_ids is not None:
        rows = rows.filter(person_id__in=in_many(person_ids))
    return dict(rows.values_list("person_id", "team_id"))


def stall_limits(team_ids=None) -> dict[tuple[int | None, int], tuple[float, int]]:
    """(team or None for the company, stage) → (75th percentile of days in stage, sample size), for
    the teams given (every team by default)."""
    rows = StageStatistic.objects.exclude(stall_days=None).order_by()  # one row per team and stage
    if team_ids is not None:
        rows = rows.filter(Q(team_id__in=[*set(team_ids)]) | Q(team=None))
    fields = ("team_id", "stage_id", "stall_days", "stall_sample")
    return {(team, stage): (days, sample) for team, stage, days, sample in rows.values_list(*fields)}


def _parse_day(text) -> date | None:
    try:
        return date.fromisoformat(str(text)[:10])
    except ValueError:
        return None


def _parse_amount(text) -> float | None:
    try:
        return float(Decimal(str(text)))
    except (InvalidOperation, ValueError):
        return None


REPLAYED_FIELDS = (("close_date", _parse_day), ("amount", _parse_amount))


def _edits(opportunities):
    """Updates of opportunities that changed the close date or the amount, from the audit log every
    edit already writes, as (opportunity id, timestamp, changes), in order per opportunity."""
    return (
        LogEntry.objects.filter(
            content_type=ContentType.objects.get_for_model(Opportunity),
            action=LogEntry.Action.UPDATE,
            object_id__in=opportunities,
        )
        .filter(Q(changes__has_key="close_date") | Q(changes__has_key="amount"))
        .order_by("object_id", "timestamp", "pk")
        .values_list("object_id", "timestamp", "changes")
    )


def _add_edit(result: dict[str, list], timestamp, changes) -> None:
    day = timezone.localtime(timestamp).date()
    for name, parse in REPLAYED_FIELDS:
        if isinstance(changes, dict) and name in changes:
            old, new = changes[name]
            result[name].append((day, parse(old), parse(new)))


def field_changes(opportunity_ids) -> dict[int, dict[str, list[tuple[date, object, object]]]]:
    """Close-date and amount changes per deal, from the audit log."""
    result: dict[int, dict[str, list]] = defaultdict(lambda: {"close_date": [], "amount": []})
    for object_id, timestamp, changes in _edits(in_many(opportunity_ids)):
        _add_edit(result[object_id], timestamp, changes)
    return result


class DealRow(NamedTuple):
    """The columns of one deal that its risk facts need."""

    pk: int
    owner_id: int
    stage_id: int
    amount: float | None
    close_date: date | None
    created: date
    next_step: str


@dataclass(frozen=True)
class RiskContext:
    """What the facts of many deals share: the day, the open stages (id → name, order), the order
    from which a buying group is expected, the owners' teams, the stall thresholds (see
    stall_limits), and the local day of each hour met so far (kept from batch to batch)."""

    today: date
    stages: dict[int, tuple[str, int]]
    qualifying: int | None
    teams: dict[int, int]
    limits: dict[tuple[int | None, int], tuple[float, int]]
    local_day: LocalDays = field(default_factory=LocalDays, compare=False)


def deal_facts(opportunities: list[Opportunity], today: date | None = None) -> dict[int, DealFacts]:
    """The facts for the risk rules about each open deal given (stage loaded, and as stored: the
    day it entered its stage is looked up by the database), in seven queries."""
    deals = [deal for deal in opportunities if deal.stage.outcome == Outcome.OPEN]
    if not deals:
        return {}
    teams = current_teams({deal.owner_id for deal in deals})
    context = RiskContext(
        today=today or timezone.localdate(),
        stages={deal.stage_id: (deal.stage.name, deal.stage.order) for deal in deals},
        qualifying=qualifying_order(),
        teams=teams,
        limits=stall_limits(teams.values()),
    )
    rows = [
        DealRow(
            deal.pk,
            deal.owner_id,
            deal.stage_id,
            float(deal.amount) if deal.amount is not None else None,
            deal.close_date,
            deal.created,
            deal.next_step or "",
        )
        for deal in deals
    ]
    return rows_facts(rows, context)


def deal_signals(opportunities: list[Opportunity], today: date | None = None) -> dict[int, list[Signal]]:
    """The live signals of each deal given: what the deal page shows."""
    return {pk: signals(facts) for pk, facts in deal_facts(opportunities, today).items()}


def risk_context(today: date) -> RiskContext:
    """The context of a refresh of many deals: every open stage, team and threshold, read once."""
    stages = SalesStage.objects.filter(outcome=Outcome.OPEN).values_list("pk", "name", "order")
    return RiskContext(
        today=today,
        stages={pk: (name, order) for pk, name, order in stages},
        qualifying=qualifying_order(),
        teams=current_teams(),
        limits=stall_limits(),
    )


def deal_rows(opportunities, *, size: int) -> Iterator[list[DealRow]]:
    """The deals of `opportunities` in pk order, `size` at a time, read as columns: no model
    instances and no stage joined (a deal's stage is looked up in the RiskContext). Days are read
    as text, each distinct one parsed once, and amounts as floats (what DealFacts holds)."""
    columns = opportunities.order_by("pk").values_list(
        "pk",
        "owner_id",
        "stage_id",
        Cast("amount", FloatField()),
        Cast("close_date", CharField()),
        Cast("created", CharField()),
        "next_step",
    )
    day, last_pk = Days(), 0
    while batch := list(columns.filter(pk__gt=last_pk)[:size]):
        last_pk = batch[-1][0]
        yield [
            DealRow(pk, owner, stage, amount, day[close_date], day[created], next_step or "")
            for pk, owner, stage, amount, close_date, created, next_step in batch
        ]


def rows_signals(rows: list[DealRow], context: RiskContext) -> dict[int, list[Signal]]:
    """The signals of each open deal of `rows` (what the refresh stores)."""
    return {pk: signals(facts) for pk, facts in rows_facts(rows, context).items()}


def rows_facts(rows: list[DealRow], context: RiskContext) -> dict[int, DealFacts]:
    """The facts about each open deal of `rows` (its stage in the context), in the order of `rows`,
    from four queries. Each reads one row per deal, not one per stage change or stakeholder: at a
    hundred thousand open deals those rows were most of the refresh's time."""
    rows = [row for row in rows if row.stage_id in context.stages]
    if not rows:
        return {}
    ids = [row.pk for row in rows]
    many = in_many(ids)  # thousands of deals at once from the refresh: one parameter
    entered = _stage_days(many, context.qualifying)
    roles = dict(
        Stakeholder.objects.filter(opportunity_id__in=many)
        .order_by()
        .values("opportunity_id")
        .annotate(roles=StringAgg("role", Value(ROLE_SEPARATOR)))
        .values_list("opportunity_id", "roles")
    )
    actions = dict(
        ActionItem.objects.open()
        .filter(opportunity_id__in=many)
        .values("opportunity_id")
        .annotate(n=Count("pk"))
        .values_list("opportunity_id", "n")
    )
    changes = field_changes(ids)
    return {
        row.pk: _facts(
            row,
            context,
            entered.get(row.pk, NOT_ENTERED),
            roles.get(row.pk),
            actions.get(row.pk, 0),
            changes.get(row.pk, NO_CHANGES),
        )
        for row in rows
    }


ROLE_SEPARATOR = "\x1f"  # the ASCII unit separator: in no role
NOT_ENTERED = (None, None)
NO_CHANGES: dict[str, list] = {"close_date": [], "amount": []}


def _stage_days(many, qualifying: int | None) -> dict[int, tuple[str | None, str | None]]:
    """Deal → (when it last entered the stage it is in as stored, when it first reached the
    qualifying stage or a later one), as text (core.bulk.LocalDays): the last and first entries of
    its stage history that the rules look at, found by the database."""
    stage_changes = StageChange.objects.filter(opportunity_id__in=many).order_by().values("opportunity_id")
    last_entered = Max("changed_at", filter=Q(stage_id=F("opportunity__stage_id")))
    first_qualified = (
        Min("changed_at", filter=Q(stage__order__gte=qualifying)) if qualifying is not None else None
    )
    rows = stage_changes.annotate(
        entered=Cast(last_entered, CharField()),
        qualified=Cast(first_qualified, CharField())
        if first_qualified is not None
        else Value(None, CharField()),
    ).values_list("opportunity_id", "entered", "qualified")
    return {pk: (entered, qualified) for pk, entered, qualified in rows}


def _facts(row: DealRow, context: RiskContext, stage_days, roles, actions, changes) -> DealFacts:
    """One deal's facts; `stage_days` as _stage_days gives them, `roles` as one text."""
    name, order = context.stages[row.stage_id]
    qualifying, local_day, limits = context.qualifying, context.local_day, context.limits
    entered = local_day(stage_days[0]) or row.created
    qualified = local_day(stage_days[1])
    if qualified is None and qualifying is not None and order >= qualifying:
        qualified = entered
    team = context.teams.get(row.owner_id)
    return DealFacts(
        today=context.today,
        stage_name=name,
        stage_entered=entered,
        qualified_since=qualified,
        stall_limit=limits.get((team, row.stage_id)) or limits.get((None, row.stage_id)),
        close_date=row.close_date,
        close_date_changes=tuple(changes["close_date"]),
        amount=row.amount,
        amount_changes=tuple(changes["amount"]),
        stakeholder_roles=tuple(roles.split(ROLE_SEPARATOR)) if roles is not None else (),
        next_step=row.next_step,
        open_action_items=actions,
        created=row.created,
    )


def histories(opportunities, *, group_by_team: bool = True) -> Iterator[DealHistory]:
    """Every deal in `opportunities` that has a stage history, as forecast.DealHistory, in pk order."""
    return iter(history_columns(opportunities, group_by_team=group_by_team))


def history_columns(
    opportunities, *, group_by_team: bool = True, dates: bool = True, chunk: int = 100_000
) -> HistoryColumns:
    """Every deal in `opportunities` that has a stage history, as forecast_columns.HistoryColumns in pk
    order: three queries (the deals, their stage changes, their close-date and amount edits). Days,
    times and amounts are read as numbers (core.bulk.DayOrdinal, EpochSeconds), so each block of rows
    becomes an array at once, with no object per deal or entry; local days come once per hour
    (core.bulk.local_day_ordinals). Without `dates`, the deals' created and close dates, which
    learning and calibrating do not use, are not read."""
    pks, columns = _deal_columns(opportunities, group_by_team=group_by_team, dates=dates, chunk=chunk)
    ids = opportunities.order_by().values("pk")
    # Every deal's (the refresh): no filter, which SQLite would run as a lookup per deal.
    changes = (
        (
            StageChange.objects.filter(opportunity__in=ids)
            if opportunities.query.has_filters()
            else StageChange.objects
        )
        .order_by("opportunity_id", "changed_at", "pk")
        .values_list("opportunity_id", "stage_id", EpochSeconds("changed_at"))
    )
    entries = _blocks(changes, chunk, 3, numpy.int64)
    columns.stages = entries[:, 1].copy()
    columns.days = local_day_ordinals(entries[:, 2])
    return _only_with_entries(columns, pks, entries[:, 0], _edits(ids).iterator(chunk_size=chunk))


def _blocks(rows, chunk: int, width: int, dtype) -> numpy.ndarray:
    """A values_list query's rows (`width` numbers each) as one 2-D array, fetched `chunk` rows at a
    time through the driver's cursor (a server-side one on PostgreSQL, as QuerySet.iterator uses):
    the ORM's iterator would spend more than the driver does, a generator step and a converter call
    per row."""
    sql, params = rows.query.sql_with_params()
    blocks = []
    with connections[rows.db].chunked_cursor() as cursor:
        cursor.execute(sql, params)
        while block := cursor.fetchmany(chunk):
            flat = numpy.fromiter(chain.from_iterable(block), dtype=dtype, count=len(block) * width)
            blocks.append(flat.reshape(-1, width))
    return numpy.concatenate(blocks) if blocks else numpy.zeros((0, width), dtype=dtype)


def _deal_columns(opportunities, *, group_by_team: bool, dates: bool, chunk: int) -> tuple:
    """The deals' ids and their columns (every deal, with or without stage changes), read as floats:
    ids, days and amounts alike are exact in a double; NULL becomes NaN (no amount, NO_DAY)."""
    names = ["closed_on", "created", "close_date"] if dates else ["closed_on"]
    rows = opportunities.order_by("pk").values_list(
        "pk", "owner_id", "stage_id", Cast("amount", FloatField()), *(DayOrdinal(name) for name in names)
    )
    table = _blocks(rows, chunk, 4 + len(names), float)
    days = numpy.nan_to_num(table[:, 4:], nan=NO_DAY).astype(numpy.int32).T
    owners, owner = distinct(table[:, 1].astype(numpy.int64))
    teams = current_teams(owners.tolist()) if group_by_team else {}
    codes: dict = {}
    group = numpy.array([codes.setdefault(teams.get(person), len(codes)) for person in owners.tolist()])
    columns = HistoryColumns(
        group=group[owner].astype(numpy.int64) if len(owners) else numpy.zeros(0, dtype=numpy.int64),
        group_keys=list(codes),
        outcome=_outcomes(table[:, 2].astype(numpy.int64)),
        amounts=table[:, 3].copy(),
        closed_on=days[0].copy(),
        ends=numpy.zeros(0, dtype=numpy.int64),
        stages=numpy.zeros(0, dtype=numpy.int64),
        days=numpy.zeros(0, dtype=numpy.int32),
        created=days[1].copy() if dates else None,
        close_dates=days[2].copy() if dates else None,
    )
    return table[:, 0].astype(numpy.int64), columns


def _outcomes(stages: numpy.ndarray) -> numpy.ndarray:
    """Per deal, from its stage id: WON, LOST or STILL_OPEN."""
    outcomes = dict(SalesStage.objects.values_list("pk", "outcome"))
    ids = numpy.array(sorted(outcomes), dtype=numpy.int64)
    codes = {Outcome.WON: WON, Outcome.LOST: LOST}
    values = numpy.array([codes.get(outcomes[pk], STILL_OPEN) for pk in ids.tolist()], dtype=numpy.int8)
    return values[numpy.searchsorted(ids, stages)] if len(ids) else numpy.zeros(len(stages), dtype=numpy.int8)


def _only_with_entries(columns: HistoryColumns, ids, changed, edits) -> HistoryColumns:
    """The deals of `columns` (ids `ids`, ascending) cut to those with stage changes (`changed`: the
    deal of each entry, in order), and each one's close-date and amount edits (`edits`: rows of
    `_edits`) attached."""
    counts = numpy.bincount(numpy.searchsorted(ids, changed), minlength=len(ids))
    has_entries = counts > 0
    if not has_entries.all():
        for name in ("group", "outcome", "amounts", "closed_on", "created", "close_dates"):
            if getattr(columns, name) is not None:
                setattr(columns, name, getattr(columns, name)[has_entries])
        ids = ids[has_entries]
    columns.ends = numpy.cumsum(counts[has_entries])
    edited: dict[int, dict[str, list]] = defaultdict(lambda: {"close_date": [], "amount": []})
    for object_id, timestamp, changes in edits:
        _add_edit(edited[object_id], timestamp, changes)
    positions = numpy.searchsorted(ids, numpy.array(list(edited), dtype=numpy.int64)).tolist()
    for position, (object_id, found) in zip(positions, edited.items(), strict=True):
        if position < len(ids) and ids[position] == object_id:
            columns.changes[position] = (tuple(found["amount"]), tuple(found["close_date"]))
    return columns


def stage_entries(opportunities, *, chunk: int = 20_000) -> Iterator[DealHistory]:
    """Every deal in `opportunities` that has a stage history, as a DealHistory that knows only its
    team (group) and its entries: what the stall thresholds are learned from (forecast.
    learn_stage_days), from one cursor over the stage changes, in half the time of `histories`."""
    teams = current_teams(opportunities.order_by().values_list("owner_id", flat=True).distinct())
    changes = (
        StageChange.objects.filter(opportunity__in=opportunities.order_by().values("pk"))
        .order_by("opportunity_id", "changed_at", "pk")
        .values_list("opportunity_id", "opportunity__owner_id", "stage_id", Cast("changed_at", CharField()))
        .iterator(chunk_size=chunk)
    )
    local_day = LocalDays()
    current, owner, entries = None, None, []
    for opportunity_id, owner_id, stage_id, changed_at in changes:
        if opportunity_id != current:
            if entries:
                yield DealHistory(
                    group=teams.get(owner), entries=tuple(entries), closed_on=None, won=None, amount=None
                )
            current, owner, entries = opportunity_id, owner_id, []
        entries.append((stage_id, local_day(changed_at)))
    if entries:
        yield DealHistory(
            group=teams.get(owner), entries=tuple(entries), closed_on=None, won=None, amount=None
        )


def stored_history() -> tuple[dict[int, StageRate], dict[int, Timing]]:
    """The company-wide calibration and timing last saved by `firstline deals refresh`. Reading
    thousands of timing samples takes longer than a page may: they are kept in the process until a
    refresh stores new rows (new ids, a new day or new counts)."""
    rows = StageStatistic.objects.filter(team=None)
    key = rows.aggregate(newest=Max("pk"), rows=Count("pk"), day=Max("computed_on"), reached=Sum("reached"))
    return stored_rows(tuple(key.values()))


@lru_cache(maxsize=1)
def stored_rows(_key) -> tuple[dict[int, StageRate], dict[int, Timing]]:
    """The rows `stored_history` names by `_key`, read once per process."""
    rates, timing = {}, {}
    for row in StageStatistic.objects.filter(team=None).only("stage_id", "reached", "won", "timing"):
        rates[row.stage_id] = StageRate(row.reached, row.won)
        timing[row.stage_id] = Timing.from_samples(row.timing)
    return rates, timing
