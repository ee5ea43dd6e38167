"""Keep the pre-aggregated results (kpis.models) equal to a from-scratch computation.

`results_rebuild()` recomputes everything (after the demo, a restore, or a change to the sales
process); `results_refresh(person_ids=...)` recomputes the rows of a few sellers and is what the
signal receivers (kpis.signals) and bulk writers such as imports call. Both run the same code over
the deals, so a refreshed seller's rows are exactly what a rebuild would give.

The aggregation runs in Python over one streamed pass of the deals: the same on SQLite and
PostgreSQL, and a seller has a few hundred deals, so refreshing one after a write costs milliseconds.
"""

from bisect import bisect_right
from collections import defaultdict
from collections.abc import Iterable
from datetime import date

from django.db import connection, transaction
from django.db.models import CharField, Max, Q, Sum
from django.db.models.functions import Cast

from firstline.core.bulk import Days, in_many, indexes_rebuilt, insert_rows, reserve_ids
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
        self._spans: dict[int, tuple[list[date], list[tuple[date | None, int]]]] = {}
        for person_id, start, end, team_id in memberships.values_list("person_id", "start", "end", "team_id"):
            starts, rest = self._spans.setdefault(person_id, ([], []))
            starts.append(start)
            rest.append((end, team_id))

    def on(self, person_id: int, day: date | None) -> int | None:
        """The team on `day`; for an unknown day, the team the seller is in most recently."""
        spans = self._spans.get(person_id)
        if not spans:
            return None
        starts, rest = spans
        if day is None:
            return rest[-1][1]
        index = bisect_right(starts, day) - 1
        if index < 0:
            return None
        end, team_id = rest[index]
        return team_id if end is None or day <= end else None


_AT = {name: index for index, name in enumerate(MEASURES)}
_CREATED, _WON, _LOST, _OPEN = _AT["created_count"], _AT["won_count"], _AT["lost_count"], _AT["open_count"]
_CYCLE_DAYS, _CYCLE_COUNT = _AT["cycle_days"], _AT["cycle_count"]


# An empty results row: its measures in the order of MEASURES (amounts are Decimals, the rest counts).
_EMPTY_ROW = tuple(ZERO if name.endswith("_amount") and "unknown" not in name else 0 for name in MEASURES)


def _funnel_positions(deals) -> tuple[dict[int, int], int | None, int | None]:
    """Lost deal id → the open stage id it got furthest to; plus the first open stage and the won stage."""
    stages = list(SalesStage.objects.order_by("order").values_list("id", "order", "outcome"))
    open_by_order = {order: pk for pk, order, outcome in stages if outcome == Outcome.OPEN}
    first_open = open_by_order[min(open_by_order)] if open_by_order else None
    won_stage = next((pk for pk, _order, outcome in stages if outcome == Outcome.WON), None)
    furthest = (
        StageChange.objects.filter(opportunity__in=deals.filter(stage__outcome=Outcome.LOST))
        .filter(stage__outcome=Outcome.OPEN)
        .order_by()
        .values_list("opportunity_id")
        .annotate(furthest=Max("stage__order"))
    )
    return {pk: open_by_order[order] for pk, order in furthest.iterator(CHUNK)}, first_open, won_stage


class _Converted(dict):
    """Stored values read as Django reads them (amounts as Decimals), each distinct value converted
    once: a million deals have far fewer distinct amounts than deals."""

    def __init__(self, field) -> None:
        super().__init__()
        self.column = field.get_col(field.model._meta.db_table)
        self.converters = connection.ops.get_db_converters(self.column) + field.get_db_converters(connection)

    def __missing__(self, raw):
        value = raw
        for converter in self.converters:
            value = converter(value, self.column, connection)
        self[raw] = value
        return value


def _deal_rows(deals):
    """(id, owner, amount, outcome, created, close_date, closed_on) of every deal, read with one
    plain cursor: the ORM's per-row work costs more than the whole aggregation at a million deals.
    Days are read as text (the same ISO form on every database) and parsed once per distinct day."""
    days = {name: Cast(name, CharField()) for name in ("created", "close_date", "closed_on")}
    query = deals.order_by().values_list("id", "owner_id", "amount", "stage__outcome").annotate(**days)
    sql, params = query.query.sql_with_params()
    amount_of, day_of = _Converted(Opportunity._meta.get_field("amount")), Days()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        while batch := cursor.fetchmany(CHUNK):
            for pk, owner, amount, outcome, created, close_date, closed_on in batch:
                yield (
                    pk,
                    owner,
                    amount_of[amount],
                    outcome,
                    day_of[created],
                    day_of[close_date],
                    day_of[closed_on],
                )


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
    teams = Teams(person_ids)
    furthest, first_open, won_stage = _funnel_positions(deals)
    rows: defaultdict[tuple, list] = defaultdict(lambda: list(_EMPTY_ROW))
    funnel: defaultdict[tuple, int] = defaultdict(int)
    months: dict = {None: None}
    for pk, owner, amount, outcome, created, close_date, closed_on in _deal_rows(deals):
        if wanted is not None and owner not in wanted:
            continue
        if created is not None:
            month = months.get(created) or months.setdefault(created, month_of(created))
            rows[owner, teams.on(owner, created), month][_CREATED] += 1
        if outcome == Outcome.OPEN:
            month = months.get(close_date) or months.setdefault(close_date, month_of(close_date))
            _add(rows[owner, teams.on(owner, close_date), month], _OPEN, amount)
            continue
        team = teams.on(owner, closed_on)
        month = months.get(closed_on) or months.setdefault(closed_on, month_of(closed_on))
        row = rows[owner, team, month]
        if outcome == Outcome.WON:
            _add(row, _WON, amount)
            if created is not None and closed_on is not None:
                row[_CYCLE_DAYS] += max(0, (closed_on - created).days)
                row[_CYCLE_COUNT] += 1
            stage = won_stage
        else:
            _add(row, _LOST, amount)
            stage = furthest.get(pk, first_open)
        if month is not None and stage is not None:
            funnel[owner, team, month, stage] += 1
    return rows, funnel


def _add(row: list, count_at: int, amount) -> None:
    """Count a deal at `count_at`; its amount goes in the next measure, or the unknown count after it."""
    row[count_at] += 1
    if amount is None:
        row[count_at + 2] += 1
    else:
        row[count_at + 1] += amount


def _save(rows, funnel) -> None:
    """Through the fast path (core.bulk): tens of thousands of rows, no model instances; a refresh of
    every seller builds the tables' indexes once at the end rather than row by row."""
    with indexes_rebuilt(SellerMonthResult, len(rows)):
        insert_rows(
            SellerMonthResult,
            ["id", *MEASURES, "person_id", "team_id", "month"],
            (
                (pk, *measures, *key)
                for pk, (key, measures) in zip(
                    reserve_ids(SellerMonthResult, len(rows)), rows.items(), strict=True
                )
            ),
        )
    with indexes_rebuilt(FunnelReach, len(funnel)):
        insert_rows(
            FunnelReach,
            ["id", "person_id", "team_id", "month", "stage_id", "deals"],
            (
                (pk, *key, deals)
                for pk, (key, deals) in zip(
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
    TeamMonthResult.objects.bulk_create(
        (
            TeamMonthResult(
                team_id=row["team_id"], month=row["month"], **{m: row[f"sum_{m}"] for m in MEASURES}
            )
            for row in summed
        ),
        batch_size=2_000,
    )
    stages = reach.values_list("team_id", "month", "stage_id").annotate(total=Sum("deals"))
    TeamMonthFunnel.objects.bulk_create(
        (
            TeamMonthFunnel(team_id=team, month=month, stage_id=stage, deals=total)
            for team, month, stage, total in stages
        ),
        batch_size=2_000,
    )


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
    CompanyMonthResult.objects.bulk_create(
        CompanyMonthResult(month=row["month"], **{m: row[f"sum_{m}"] for m in MEASURES}) for row in summed
    )
    stages = reach.values_list("month", "stage_id").annotate(total=Sum("deals"))
    CompanyMonthFunnel.objects.bulk_create(
        CompanyMonthFunnel(month=month, stage_id=stage, deals=total) for month, stage, total in stages
    )


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
def results_refresh(*, person_ids: Iterable[int]) -> None:
    """Recompute the rows of these sellers (after their deals, stage history or teams changed)."""
    person_ids = sorted({pk for pk in person_ids if pk is not None})
    if not person_ids:
        return
    rows, funnel = compute(person_ids)
    teams = _teams_of(person_ids) | {team for _person, team, _month in rows}
    months = _months_of(person_ids) | {month for _person, _team, month in rows}
    SellerMonthResult.objects.filter(person_id__in=person_ids).delete()
    FunnelReach.objects.filter(person_id__in=person_ids).delete()
    _save(rows, funnel)
    _roll_up_teams(teams)
    _roll_up_company(months)
