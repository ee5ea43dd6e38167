"""Reads that gather what the risk rules and the forecast need, in a fixed number of queries."""

from collections import defaultdict
from collections.abc import Iterator
from datetime import date
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from itertools import chain

import numpy
from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import connections
from django.db.models import CharField, Count, FloatField, Max, Q, Sum
from django.db.models.functions import Cast
from django.utils import timezone

from firstline.core.arrays import distinct
from firstline.core.bulk import DayOrdinal, EpochSeconds, LocalDays, in_many, local_day_ordinals
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


def current_teams(person_ids) -> dict[int, int]:
    """Each person's current team id (one query)."""
    rows = (
        Membership.objects.current()
        .filter(person_id__in=in_many(person_ids))
        .values_list("person_id", "team_id")
    )
    return dict(rows)


def stall_limits(team_ids) -> dict[tuple[int | None, int], tuple[float, int]]:
    """(team or None for the company, stage) → (75th percentile of days in stage, sample size)."""
    rows = StageStatistic.objects.filter(team_id__in=[*set(team_ids)]) | StageStatistic.objects.filter(
        team=None
    )
    return {
        (row.team_id, row.stage_id): (row.stall_days, row.stall_sample)
        for row in rows.only("team_id", "stage_id", "stall_days", "stall_sample")
        if row.stall_days is not None
    }


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


def deal_facts(opportunities: list[Opportunity], today: date | None = None) -> dict[int, DealFacts]:
    """The facts for the risk rules about each open deal given (stage loaded), in seven queries."""
    today = today or timezone.localdate()
    deals = [deal for deal in opportunities if deal.stage.outcome == Outcome.OPEN]
    ids = [deal.pk for deal in deals]
    if not ids:
        return {}
    # Thousands of deals at once from the risk refresh: their ids as one parameter (core.bulk.in_many),
    # the stage changes' times as text turned into local days once per hour (LocalDays).
    many = in_many(ids)
    local_day = LocalDays()
    entries: dict[int, list[tuple[date, int]]] = defaultdict(list)
    for opportunity_id, changed_at, order in (
        StageChange.objects.filter(opportunity_id__in=many)
        .order_by("changed_at", "pk")
        .values_list("opportunity_id", Cast("changed_at", CharField()), "stage__order")
    ):
        entries[opportunity_id].append((local_day(changed_at), order))
    roles: dict[int, list[str]] = defaultdict(list)
    for opportunity_id, role in Stakeholder.objects.filter(opportunity_id__in=many).values_list(
        "opportunity_id", "role"
    ):
        roles[opportunity_id].append(role)
    actions = dict(
        ActionItem.objects.open()
        .filter(opportunity_id__in=many)
        .values("opportunity_id")
        .annotate(n=Count("pk"))
        .values_list("opportunity_id", "n")
    )
    teams = current_teams({deal.owner_id for deal in deals})
    limits = stall_limits(teams.values())
    changes = field_changes(ids)
    qualifying = qualifying_order()
    return {
        deal.pk: _facts(
            deal,
            today,
            entries[deal.pk],
            roles[deal.pk],
            actions.get(deal.pk, 0),
            teams,
            limits,
            changes,
            qualifying,
        )
        for deal in deals
    }


def _facts(deal, today, history, roles, actions, teams, limits, changes, qualifying) -> DealFacts:
    local = history  # (local day, stage order), in order
    entered = next((day for day, order in reversed(local) if order == deal.stage.order), None) or deal.created
    qualified = next((day for day, order in local if qualifying is not None and order >= qualifying), None)
    if qualified is None and qualifying is not None and deal.stage.order >= qualifying:
        qualified = entered
    team = teams.get(deal.owner_id)
    limit = limits.get((team, deal.stage_id)) or limits.get((None, deal.stage_id))
    deal_changes = changes.get(deal.pk, {"close_date": [], "amount": []})
    return DealFacts(
        today=today,
        stage_name=deal.stage.name,
        stage_entered=entered,
        qualified_since=qualified,
        stall_limit=limit,
        close_date=deal.close_date,
        close_date_changes=tuple(deal_changes["close_date"]),
        amount=float(deal.amount) if deal.amount is not None else None,
        amount_changes=tuple(deal_changes["amount"]),
        stakeholder_roles=tuple(roles),
        next_step=deal.next_step or "",
        open_action_items=actions,
        created=deal.created,
    )


def deal_signals(opportunities: list[Opportunity], today: date | None = None) -> dict[int, list[Signal]]:
    """The live signals of each deal given: what the deal page shows."""
    return {pk: signals(facts) for pk, facts in deal_facts(opportunities, today).items()}


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
