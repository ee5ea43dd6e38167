"""The forecast for one team and period: calls rolled up the tree, the stage-weighted pipeline, a
run-rate, and the Monte Carlo projection of percent to plan — live, or replayed as of a past day
from the stage history. Reads only; the math is in kpis.forecast and kpis.forecast_columns."""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.core.cache import cache
from django.db.models import CharField, Count, Max, Min, OuterRef, Q, Subquery, Sum
from django.db.models.functions import Cast
from django.utils import timezone

from firstline.core.bulk import LocalDays
from firstline.core.periods import Period, fiscal_calendar
from firstline.deals.models import (
    ForecastCalibration,
    ForecastCall,
    ForecastCategory,
    PeriodKind,
    StageStatistic,
    TeamForecastRollup,
)
from firstline.deals.selectors import histories, history_columns, stored_history
from firstline.kpis import forecast as math
from firstline.kpis.forecast_columns import HistoryColumns, calibrate, calibrate_many, learn
from firstline.kpis.models import SellerMonthResult
from firstline.org.models import Membership, Role, Team
from firstline.pipeline.models import Opportunity, SalesStage, StageChange
from firstline.targets.models import Metric, Target

PAST_PERIODS = 8
ROLLUP_EXACT_DEALS = 25  # per team: a region's largest deals are drawn one by one, the rest by the tail


@dataclass(frozen=True)
class TeamForecast:
    team: Team
    period: Period
    as_of: date
    target: float
    won_so_far: float
    stage_weighted: float
    run_rate: float
    projection: math.Projection
    calls: dict  # team id → RolledCall
    replayed: bool
    open_without_close_date: int
    has_history: bool  # without closed deals to learn from there is no projection to speak of
    categories: dict  # category → (deals, amount) of open deals closing in the period; live only
    rolled_up: int = 0  # teams whose figures of `as_of` (the last refresh) were added up; 0: computed now

    @property
    def to_plan(self):
        return self.projection.to_plan(self.target)

    @property
    def call(self) -> math.RolledCall | None:
        return self.calls.get(self.team.pk)


def period_kind(period: Period) -> str:
    if "Q" in period.label:
        return PeriodKind.QUARTER
    return PeriodKind.MONTH if "-" in period.label else PeriodKind.YEAR


def _period_of(period: Period):
    """A function from a day to the period of the same kind as `period` holding it."""
    calendar = fiscal_calendar()
    return {
        PeriodKind.QUARTER: calendar.quarter_of,
        PeriodKind.MONTH: lambda day: calendar.month(day.year, day.month),
        PeriodKind.YEAR: calendar.year_of,
    }[period_kind(period)]


def previous_periods(period: Period, count: int) -> list[Period]:
    """The `count` periods of the same kind before `period`, most recent first."""
    step = _period_of(period)
    result, current = [], period
    for _ in range(count):
        current = step(current.start - timedelta(days=1))
        result.append(current)
    return result


def team_people(team: Team) -> list[int]:
    return list(
        Membership.objects.current()
        .filter(team__path__startswith=team.path)
        .values_list("person_id", flat=True)
    )


def team_forecast(
    *, user, team: Team, period: Period, as_of: date | None = None, seed: int = 0
) -> TeamForecast:
    today = timezone.localdate()
    as_of = min(as_of or today, period.end)
    whole_company = team.parent_id is None  # needs no filter (and an IN of everyone is slow)
    people = [] if whole_company else team_people(team)
    deals = Opportunity.objects.visible_to(user)
    if not whole_company:
        deals = deals.filter(owner_id__in=people)
    replayed = as_of < today
    if replayed:
        figures = _replayed(deals, period, as_of, seed)
    else:
        figures = _rolled_up(user, team, period, seed) or _live(
            deals, None if whole_company else people, period, as_of, seed
        )
    as_of = figures.get("as_of", as_of)
    target = Target.objects.visible_to(user).filter(metric=Metric.REVENUE).within(period)
    if not whole_company:
        target = target.filter(person_id__in=people)
    target_amount = float(target.aggregate(total=Sum("amount"))["total"] or 0)
    elapsed = (as_of - period.start).days + 1
    return TeamForecast(
        team=team,
        period=period,
        as_of=as_of,
        target=target_amount,
        won_so_far=figures["won"],
        stage_weighted=figures["weighted"],
        run_rate=math.run_rate(figures["won"], elapsed, period.days),
        projection=figures["projection"],
        calls=rolled_calls(user=user, team=team, period=period),
        replayed=replayed,
        open_without_close_date=figures["no_close_date"],
        has_history=figures["has_history"],
        categories=figures["categories"],
        rolled_up=figures.get("rolled_up", 0),
    )


def by_category(deals, period: Period) -> dict[str, tuple[int, float]]:
    """Open deals closing in the period per forecast category (no category counts as pipeline)."""
    return _categories(_category_rows(deals, period).values_list("forecast__category", "n", "amount"))


def _category_rows(deals, period: Period, *by: str):
    return (
        deals.open()
        .closing_in(period)
        .order_by()
        .values(*by, "forecast__category")
        .annotate(n=Count("pk"), amount=Sum("amount"))
    )


def _categories(rows) -> dict[str, tuple[int, float]]:
    """From (category, deals, amount) rows."""
    result: dict[str, tuple[int, float]] = {}
    for category, count, amount in rows:
        key = category or ForecastCategory.PIPELINE
        before = result.get(key, (0, 0.0))
        result[key] = (before[0] + count, before[1] + float(amount or 0))
    return {label: result.get(value, (0, 0.0)) for value, label in ForecastCategory.choices}


def _recent_record(deals, as_of: date) -> tuple[int, int]:
    since = as_of - timedelta(days=math.RECENT_DAYS)
    closed = deals.filter(closed_on__range=(since, as_of)).exclude(stage__outcome="open")
    counts = closed.aggregate(closed=Count("pk"), won=Count("pk", filter=Q(stage__outcome="won")))
    return counts["closed"], counts["won"]


def _team_factor(deals, as_of: date, *, people: list[int] | None = None) -> float:
    """The team's recent win rate against the company's, shrunk towards 1. With `people` (live: all
    that has closed by today is in the KPI roll-ups), the team's half is read from the sellers'
    monthly results rather than two years of deals."""
    if people is None:
        team_closed, team_won = _recent_record(deals, as_of)
    else:
        team_closed, team_won = _sellers_records(people, as_of).get(None, (0, 0))
    return math.shrunk_factor(team_closed, team_won, *_company_record(as_of))


def _company_record(as_of: date) -> tuple[int, int]:
    """(closed, won) of the whole company in the RECENT_DAYS before `as_of`. The same for every team:
    counted once per day and per stage history (every win or loss adds a stage change, so the newest
    one's id dates the data)."""
    newest = StageChange.objects.aggregate(newest=Max("pk"))["newest"]
    key = f"firstline:forecast:company:{as_of.isoformat()}:{newest}"
    return cache.get_or_set(key, lambda: _recent_record(Opportunity.objects.all(), as_of), 3600)


def _sellers_records(people, as_of: date, by_person: bool = False) -> dict:
    """(closed, won) in the RECENT_DAYS months before `as_of` from the sellers' monthly results: of
    all `people` together (key None), or of each (`by_person`)."""
    since = (as_of - timedelta(days=math.RECENT_DAYS)).replace(day=1)
    results = SellerMonthResult.objects.filter(person_id__in=people, month__range=(since, as_of))
    sums = {"won": Sum("won_count", default=0), "lost": Sum("lost_count", default=0)}
    if not by_person:
        totals = results.aggregate(**sums)
        return {None: (totals["won"] + totals["lost"], totals["won"])}
    rows = results.order_by().values("person_id").annotate(**sums).values_list("person_id", "won", "lost")
    return {person: (won + lost, won) for person, won, lost in rows}


def stored_calibration(period: Period) -> math.Calibration:
    """The calibration `firstline deals refresh` last stored for periods of this kind (none: the
    chances as learned, with no shared shock — the interval is then too narrow)."""
    row = ForecastCalibration.objects.filter(kind=period_kind(period)).first()
    if row is None:
        return math.Calibration()
    return math.Calibration(factor=row.factor, shock_sd=row.shock_sd, periods=row.periods)


def calibration_refresh(
    history: math.History, today: date, deals: Iterable[math.DealHistory] | HistoryColumns | None = None
) -> list[ForecastCalibration]:
    """Check the chances at today's point of the last periods of each kind (one pass over every deal:
    `deals`, every deal's history as `history_columns` reads it, read again when not given) and store the
    result for the live projection."""
    calendar = fiscal_calendar()
    current = {
        PeriodKind.QUARTER: calendar.quarter_of(today),
        PeriodKind.MONTH: calendar.month(today.year, today.month),
        PeriodKind.YEAR: calendar.year_of(today),
    }
    targets = {
        kind: (
            today,
            period.start,
            [(p.start, p.end) for p in previous_periods(period, math.CALIBRATION_PERIODS)],
        )
        for kind, period in current.items()
    }
    deals = history_columns(Opportunity.objects.all(), dates=False) if deals is None else deals
    found = calibrate_many(deals, history, targets, history_start=history_start())
    ForecastCalibration.objects.all().delete()
    return ForecastCalibration.objects.bulk_create(
        ForecastCalibration(
            kind=kind,
            days_into_period=(today - current[kind].start).days,
            factor=calibration.factor,
            shock_sd=calibration.shock_sd,
            periods=calibration.periods,
            computed_on=today,
        )
        for kind, calibration in found.items()
    )


def _live_parts(
    deals, people, period: Period, as_of: date, history: math.History, calibration: math.Calibration
) -> dict:
    """Today's figures of these deals, with the open ones as a pipeline to draw from."""
    won = deals.won().filter(closed_on__range=(period.start, as_of)).aggregate(t=Sum("amount"))["t"]
    rows = _open_rows(deals)
    factor = calibration.factor * _team_factor(deals, as_of, people=people)
    return _parts(
        period,
        as_of,
        history,
        won=float(won or 0),
        rows=rows,
        factor=factor,
        new_business=_new_business(deals, period, as_of),
        categories=by_category(deals, period),
    )


def _parts(
    period: Period, as_of: date, history: math.History, *, won, rows, factor, new_business, categories
):
    """The figures of a set of deals from what was read about them: the amount won so far, the open
    deals' (amount, stage, day entered, close date, created) rows in close-date order, the team factor,
    the new business of past periods and the open deals per category."""
    open_deals = [
        math.OpenDeal(
            float(amount) if amount is not None else None,
            stage,
            (as_of - (entered or created)).days,
        )
        for amount, stage, entered, _close, created in rows
    ]
    probabilities = dict(SalesStage.objects.values_list("pk", "probability"))
    in_period = [
        (float(amount) if amount is not None else None, stage)
        for amount, stage, _entered, close, _created in rows
        if close is not None and period.start <= close <= period.end
    ]
    return {
        "won": won,
        "weighted": math.stage_weighted(in_period, probabilities, won),
        "pipeline": math.open_pipeline(open_deals, history, (period.end - as_of).days, factor=factor),
        "new_business": new_business,
        "no_close_date": sum(1 for row in rows if row[3] is None),
        "categories": categories,
    }


def _live(deals, people: list[int] | None, period: Period, as_of: date, seed: int) -> dict:
    rates, timing = stored_history()
    calibration = stored_calibration(period)
    history = math.History(rates=rates, stage_days={}, timing=timing)
    parts = _live_parts(deals, people, period, as_of, history, calibration)
    projection = math.simulate(
        parts["pipeline"],
        won_so_far=parts["won"],
        new_business=parts["new_business"],
        shock_sd=calibration.shock_sd,
        seed=seed,
    )
    return parts | {"projection": projection, "has_history": math.knows_outcomes(timing)}


def rollup_refresh(today: date) -> int:
    """Store each team's own figures (its direct members' deals) for the current quarter, which a
    region's or the company's forecast page adds up (`_rolled_up`) instead of reading every deal.
    Every team's deals are read at once, summed per owner, and each team's sums add up its owners'
    (decimals, added exactly: the same figures as the queries `_live_parts` makes for one team)."""
    period = fiscal_calendar().quarter_of(today)
    rates, timing = stored_history()
    history = math.History(rates=rates, stage_days={}, timing=timing)
    calibration = stored_calibration(period)
    members: dict[int, list[int]] = {}
    for person, team in Membership.objects.current().values_list("person_id", "team_id"):
        members.setdefault(team, []).append(person)
    owners = _owners(members, period, today)
    company = _company_record(today)
    rows = []
    for team, people in members.items():
        own = [owners[person] for person in people]
        closed, won = (sum(owner.record[index] for owner in own) for index in (0, 1))
        parts = _parts(
            period,
            today,
            history,
            won=float(sum((owner.won for owner in own), Decimal(0))),
            rows=owners.open_rows[team],
            factor=calibration.factor * math.shrunk_factor(closed, won, *company),
            new_business=[
                float(sum(values, Decimal(0))) for values in zip(*(o.new_business for o in own), strict=True)
            ],
            categories=_categories(
                (category, sum(owner.categories.get(category, (0, 0))[0] for owner in own), amount)
                for category, amount in _category_amounts(own)
            ),
        )
        pipeline = parts["pipeline"]
        rows.append(
            TeamForecastRollup(
                team_id=team,
                kind=period_kind(period),
                period=period.label,
                computed_on=today,
                won_so_far=parts["won"],
                stage_weighted=parts["weighted"],
                without_close_date=parts["no_close_date"],
                exact=[list(deal) for deal in pipeline.exact[:ROLLUP_EXACT_DEALS]],
                tail_mean=pipeline.tail_mean
                + sum(amount * p for amount, p in pipeline.exact[ROLLUP_EXACT_DEALS:]),
                tail_variance=pipeline.tail_variance
                + sum(amount * amount * p * (1 - p) for amount, p in pipeline.exact[ROLLUP_EXACT_DEALS:]),
                open_deals=pipeline.open_deals,
                unknown_amounts=pipeline.unknown_amounts,
                new_business=parts["new_business"],
                categories={label: list(figures) for label, figures in parts["categories"].items()},
            )
        )
    TeamForecastRollup.objects.all().delete()
    TeamForecastRollup.objects.bulk_create(rows, batch_size=500)
    return len(rows)


@dataclass
class _Owner:
    """What `_live_parts` sums over a team's deals, summed over one owner's."""

    won: Decimal = Decimal(0)
    record: tuple[int, int] = (0, 0)  # (closed, won) recently, from the monthly results
    new_business: list[Decimal] = field(default_factory=list)
    categories: dict = field(default_factory=dict)  # category → (deals, amount or None)


class _Owners(dict):
    """Person → _Owner (found on first use: a person without deals has nothing to add), and each
    team's open deals' rows in the order `_live_parts` reads them (close date, pk)."""

    def __init__(self, periods: int, teams) -> None:
        super().__init__()
        self.periods = periods
        self.open_rows: dict[int, list[tuple]] = {team: [] for team in teams}

    def __missing__(self, person) -> _Owner:
        value = self[person] = _Owner(new_business=[Decimal(0)] * self.periods)
        return value


def _owners(members: dict[int, list[int]], period: Period, as_of: date) -> _Owners:
    """Every owner's figures, in a fixed number of queries whatever the number of teams."""
    deals = Opportunity.objects.all()
    new_business, sums = _new_business_query(deals, period, as_of)
    owners = _Owners(len(sums), members)
    for owner_id, *amounts in (
        new_business.order_by().values("owner_id").annotate(**sums).values_list("owner_id", *sums)
        if sums
        else ()
    ):
        owners[owner_id].new_business = amounts
    won = deals.won().filter(closed_on__range=(period.start, as_of)).order_by().values("owner_id")
    for owner_id, amount in won.annotate(t=Sum("amount")).values_list("owner_id", "t"):
        owners[owner_id].won = amount or Decimal(0)
    people = {person for persons in members.values() for person in persons}
    for person, record in _sellers_records(people, as_of, by_person=True).items():
        owners[person].record = record
    for owner_id, category, count, amount in _category_rows(deals, period, "owner_id").values_list(
        "owner_id", "forecast__category", "n", "amount"
    ):
        owners[owner_id].categories[category] = (count, amount)
    teams_of: dict[int, list[int]] = {}
    for team, persons in members.items():
        for person in persons:
            teams_of.setdefault(person, []).append(team)
    for owner_id, *row in _open_rows(deals, "owner_id"):
        for team in teams_of.get(owner_id, ()):
            owners.open_rows[team].append(tuple(row))
    return owners


def _category_amounts(owners: list[_Owner]):
    """(category, amount) over the owners' open deals per category, as one query's SUM would give it
    (None when no deal has an amount)."""
    amounts: dict = {}
    for owner in owners:
        for category, (_count, amount) in owner.categories.items():
            before = amounts.get(category)
            amounts[category] = before if amount is None else (amount if before is None else before + amount)
    return amounts.items()


def _rolled_up(user, team: Team, period: Period, seed: int) -> dict | None:
    """A team with teams below it, in the period the last refresh stored: its teams' figures added
    up (constant queries, whatever the size of the tree). None: compute it from the deals."""
    if not Team.objects.filter(parent=team).exists():
        return None
    stored = TeamForecastRollup.objects.visible_to(user).filter(
        team__path__startswith=team.path, period=period.label
    )
    # The stored rows change only with a refresh (new ids): what they add up to is kept until then.
    found = stored.aggregate(newest=Max("pk"), rows=Count("pk"))
    if not found["rows"]:
        return None
    key = f"firstline:forecast:rollup:{team.pk}:{period.label}:{found['newest']}:{found['rows']}:{seed}"
    return cache.get_or_set(key, lambda: _add_up(list(stored), period, seed), 3600)


def _add_up(rows: list[TeamForecastRollup], period: Period, seed: int) -> dict:
    pipeline = math.combine(
        math.OpenPipeline(
            exact=tuple(tuple(deal) for deal in row.exact),
            tail_mean=row.tail_mean,
            tail_variance=row.tail_variance,
            open_deals=row.open_deals,
            unknown_amounts=row.unknown_amounts,
        )
        for row in rows
    )
    won = sum(row.won_so_far for row in rows)
    new_business = [sum(values) for values in zip(*(row.new_business for row in rows), strict=True)]
    categories = {}
    for row in rows:
        for label, (count, amount) in row.categories.items():
            before = categories.get(label, (0, 0.0))
            categories[label] = (before[0] + count, before[1] + amount)
    projection = math.simulate(
        pipeline,
        won_so_far=won,
        new_business=new_business,
        shock_sd=stored_calibration(period).shock_sd,
        seed=seed,
    )
    return {
        "won": won,
        "weighted": sum(row.stage_weighted for row in rows),
        "projection": projection,
        "no_close_date": sum(row.without_close_date for row in rows),
        "has_history": StageStatistic.objects.filter(team=None, reached__gt=0).exists(),
        "categories": categories,
        "as_of": min(row.computed_on for row in rows),
        "rolled_up": len(rows),
    }


def _open_rows(deals, *first: str) -> list[tuple]:
    """The open deals' (*first, amount, stage, day entered, close date, created) rows in close-date
    order (then pk). The day a deal entered its stage is the local day of its newest stage change
    (None without one): one index lookup per deal rather than a GROUP BY over every column of the
    deals, read as text and turned into a day once per hour (core.bulk.LocalDays)."""
    newest = (
        StageChange.objects.filter(opportunity=OuterRef("pk"))
        .order_by()
        .values("opportunity")
        .annotate(newest=Max("changed_at"))
        .values("newest")
    )
    local_day = LocalDays()
    rows = (
        deals.open()
        .order_by("close_date", "pk")
        .values_list(
            *first, "amount", "stage_id", Cast(Subquery(newest), CharField()), "close_date", "created"
        )
    )
    return [(*row[:-3], local_day(row[-3]), *row[-2:]) for row in rows]


def history_start() -> date | None:
    """The day the company's history begins: when its first deal closed. A CRM export often holds
    deals created long before the first outcome it records; a period before that would count as one
    in which nothing was won."""
    closed = Opportunity.objects.filter(closed_on__isnull=False)  # the condition of the closed_on index
    return closed.aggregate(first=Min("closed_on"))["first"]


def _new_business(deals, period: Period, as_of: date) -> list[float]:
    """One query: for each past period, won in it from deals created after the same point."""
    query, sums = _new_business_query(deals, period, as_of)
    totals = query.aggregate(**sums) if sums else {}
    return [float(totals[name]) for name in sums]


def _new_business_query(deals, period: Period, as_of: date) -> tuple:
    """The won deals of `deals` that may count as new business in a past period, and the sums to
    aggregate (one per past period, most recent first; none without such periods)."""
    offset = as_of - period.start
    began = history_start()
    past = [p for p in previous_periods(period, PAST_PERIODS) if p.end < as_of and began and p.start >= began]
    if not past:
        return deals.none(), {}
    sums = {
        f"p{index}": Sum(
            "amount",
            filter=Q(closed_on__range=(p.start, p.end), created__gt=p.start + offset),
            default=Decimal(0),
        )
        for index, p in enumerate(past)
    }
    # Bounding closed_on lets the (owner, closed_on) index skip the older history.
    return deals.won().filter(closed_on__range=(past[-1].start, as_of)), sums


def _replayed(deals, period: Period, as_of: date, seed: int) -> dict:
    """What was known at the end of `as_of`, rebuilt from the stage history and the edits."""
    team_deals = list(histories(deals, group_by_team=False))
    snap = math.snapshot(team_deals, as_of=as_of, start=period.start, end=period.end)
    everyone = history_columns(Opportunity.objects.all(), dates=False)
    history = learn(everyone, as_of=as_of, seed=seed)
    past = [(p.start, p.end) for p in previous_periods(period, PAST_PERIODS)]
    began = history_start()
    calibration = calibrate(
        everyone,
        history,
        as_of=as_of,
        start=period.start,
        past_periods=past,
        history_start=began,
    )
    projection = math.project(
        open_deals=snap.open_deals,
        history=history,
        horizon_days=(period.end - as_of).days,
        won_so_far=snap.won_so_far,
        new_business=math.new_business_samples(
            team_deals, as_of=as_of, start=period.start, past_periods=past, history_start=began
        ),
        factor=calibration.factor * _team_factor(deals, as_of),
        shock_sd=calibration.shock_sd,
        seed=seed,
    )
    probabilities = dict(SalesStage.objects.values_list("pk", "probability"))
    return {
        "won": snap.won_so_far,
        "weighted": math.stage_weighted(snap.open_closing_in_period, probabilities, snap.won_so_far),
        "projection": projection,
        "no_close_date": snap.without_close_date,
        "has_history": math.knows_outcomes(history.timing),
        "categories": {},
    }


def rolled_calls(*, user, team: Team, period: Period) -> dict:
    """Every team's call below and including `team`: the manager's adjustment, else the sum."""
    teams = list(Team.objects.filter(path__startswith=team.path).values_list("pk", "parent_id"))
    children: dict = {}
    for pk, parent in teams:
        children.setdefault(parent, []).append(pk)
    sellers: dict = {}
    for person, member_of in (
        Membership.objects.current()
        .filter(team__path__startswith=team.path, person__role=Role.SELLER)
        .values_list("person_id", "team_id")
    ):
        sellers.setdefault(member_of, []).append(person)
    calls = ForecastCall.objects.visible_to(user).filter(period=period.label)
    own = calls.filter(team__isnull=True)
    if team.parent_id is not None:  # everyone's, for the company: no list of every seller to check
        own = own.filter(person_id__in=[p for ps in sellers.values() for p in ps])

    # Only each seller's and each team's latest call (the index on period, person or team, made_at).
    def newest(**same):
        return Subquery(calls.filter(**same).order_by("-made_at", "-pk").values("pk")[:1])

    own = own.filter(pk=newest(person_id=OuterRef("person_id"), team__isnull=True))
    made = calls.filter(team_id__in=[pk for pk, _ in teams], pk=newest(team_id=OuterRef("team_id")))
    seller_calls = {
        person: math.Call(float(commit), float(best_case))
        for person, commit, best_case in own.values_list("person_id", "commit", "best_case")
    }
    adjustments = {
        team_id: math.Call(float(commit), float(best_case))
        for team_id, commit, best_case in made.values_list("team_id", "commit", "best_case")
    }
    return math.roll_up(
        children=children, sellers=sellers, seller_calls=seller_calls, adjustments=adjustments, root=team.pk
    )
