"""Reads that gather what the dashboards show, each in a constant number of grouped queries
(whatever the size of the team); the math is in kpis.metrics and kpis.figures."""

from collections import defaultdict
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.db.models import F, Q, Sum

from firstline.core.periods import Period, fiscal_calendar
from firstline.kpis import metrics
from firstline.kpis.figures import Population
from firstline.kpis.models import ZERO, SellerMonthResult, TeamMonthResult
from firstline.kpis.rollup import MEASURES, month_of
from firstline.org.models import Membership, Person, Role, Team
from firstline.targets.models import Metric, Target


@dataclass
class Row:
    """One seller's or one team's figures in a period, for tables and leaderboards."""

    key: object  # the Person or Team
    won_amount: Decimal = ZERO
    won_count: int = 0
    lost_count: int = 0
    lost_amount: Decimal = ZERO
    open_amount: Decimal = ZERO
    open_count: int = 0
    target: Decimal = ZERO
    previous_won: Decimal = ZERO

    @property
    def percent_to_plan(self) -> Decimal | None:
        return metrics.percent_to_plan(self.won_amount, self.target)

    @property
    def close_ratio_count(self) -> Decimal | None:
        return metrics.close_ratio(self.won_count, self.lost_count)

    @property
    def coverage(self) -> Decimal | None:
        return metrics.pipeline_coverage(self.open_amount, self.target, self.won_amount)

    @property
    def target_met(self) -> bool:
        """Coverage has no denominator once the target is beaten: say so rather than "no data"."""
        return bool(self.target) and self.won_amount >= self.target

    @property
    def step_up(self) -> Decimal | None:
        """Growth of closed-won revenue over the previous period."""
        return metrics.growth(self.won_amount, self.previous_won)


def previous_period(period: Period) -> Period:
    """The period of the same length just before (the quarter before a quarter, and so on)."""
    calendar = fiscal_calendar()
    day = period.start - timedelta(days=1)
    if period.label.endswith("YTD") or period.label.isdigit():
        return calendar.year_of(day)
    if "Q" in period.label:
        return calendar.quarter_of(day)
    return calendar.month(day.year, day.month)


def _month_range(period: Period) -> Q:
    return Q(month__range=(month_of(period.start), month_of(period.end)))


def _sums(rows, key: str, period: Period, previous: Period) -> dict:
    fields = ("won_amount", "won_count", "lost_count", "lost_amount", "open_amount", "open_count")
    sums = {f"s_{name}": Sum(name, filter=_month_range(period)) for name in fields}
    sums["s_previous_won"] = Sum("won_amount", filter=_month_range(previous))
    grouped = rows.filter(_month_range(period) | _month_range(previous)).order_by().values(key)
    return {
        row[key]: {name.removeprefix("s_"): value or 0 for name, value in row.items() if name != key}
        for row in grouped.annotate(**sums)
    }


def _current_sellers(population: Population):
    current = Membership.objects.current().filter(person__role=Role.SELLER)
    if population.kind == "team":
        current = current.filter(team_id__in=population.team_ids)
    elif population.kind == "seller":
        current = current.filter(person_id=population.person_id)
    return current


def seller_count(population: Population) -> int:
    return _current_sellers(population).count()


def seller_rows(population: Population, period: Period) -> list[Row]:
    """Each seller's contribution to the population in the period (their time in it), with their
    plan target; current sellers of the team appear even before their first result. Four queries."""
    previous = previous_period(period)
    results = SellerMonthResult.objects.filter(population.results_q())
    figures = _sums(results, "person_id", period, previous)
    ids = set(figures) | set(_current_sellers(population).values_list("person_id", flat=True))
    targets = dict(
        Target.objects.plan()
        .within(period)
        .filter(metric=Metric.REVENUE, person_id__in=ids)
        .filter(population.targets_q())
        .order_by()
        .values_list("person_id")
        .annotate(total=Sum("amount"))
    )
    people = Person.objects.filter(pk__in=ids).only("id", "name").order_by("name")
    return [
        Row(key=person, target=targets.get(person.pk) or ZERO, **figures.get(person.pk, {}))
        for person in people
    ]


def team_rows(team: Team, period: Period) -> list[Row]:
    """The teams directly under `team`, each with its whole subtree's figures. Four queries."""
    previous = previous_period(period)
    children = list(Team.objects.filter(parent=team).order_by("name"))
    if not children:
        return []
    subtree = Team.objects.filter(path__startswith=team.path).exclude(pk=team.pk)
    child_of = {}
    for pk, path in subtree.values_list("pk", "path"):
        child_of[pk] = next((child for child in children if path.startswith(child.path)), None)
    by_team = _sums(TeamMonthResult.objects.filter(team_id__in=list(child_of)), "team_id", period, previous)
    rows = {child.pk: Row(key=child) for child in children}
    for team_id, sums in by_team.items():
        row = rows[child_of[team_id].pk]
        for name, value in sums.items():
            setattr(row, name, getattr(row, name) + value)
    for child_id, total in _team_targets(child_of, children, period).items():
        rows[child_id].target = total
    return list(rows.values())


def _team_targets(child_of: dict, children: list[Team], period: Period) -> dict[int, Decimal]:
    """Each child's plan: its own team target where set, else its sellers' targets (attributed by
    membership on the target's first day)."""
    targets = Target.objects.plan().within(period).filter(metric=Metric.REVENUE).order_by()
    own = dict(targets.filter(team__in=children).values_list("team_id").annotate(total=Sum("amount")))
    on_start = (
        Q(person__memberships__team_id__in=list(child_of))
        & Q(person__memberships__start__lte=F("start"))
        & (Q(person__memberships__end__isnull=True) | Q(person__memberships__end__gte=F("start")))
    )
    sellers = targets.filter(on_start).values_list("person__memberships__team_id")
    sellers = sellers.annotate(total=Sum("amount"))
    summed: defaultdict[int, Decimal] = defaultdict(Decimal)
    for team_id, total in sellers:
        summed[child_of[team_id].pk] += total
    return {child.pk: own.get(child.pk, summed.get(child.pk, ZERO)) for child in children}


@dataclass
class TrendPoint:
    label: str
    period: Period
    won_amount: Decimal
    target: Decimal

    @property
    def percent_to_plan(self) -> Decimal | None:
        return metrics.percent_to_plan(self.won_amount, self.target)


def quarter_trend(population: Population, last: Period, quarters: int = 8) -> list[TrendPoint]:
    """Closed-won revenue and plan per fiscal quarter, the last `quarters` up to `last`. Two queries."""
    calendar = fiscal_calendar()
    points, day = [], last.end
    for _ in range(quarters):
        quarter = calendar.quarter_of(day)
        points.append(quarter)
        day = quarter.start - timedelta(days=1)
    points.reverse()
    span = Period("trend", points[0].start, points[-1].end)
    won = dict(
        population.results()
        .filter(_month_range(span))
        .order_by()
        .values_list("month")
        .annotate(total=Sum("won_amount"))
    )
    targets = (
        Target.objects.plan()
        .within(span)
        .filter(metric=Metric.REVENUE)
        .filter(population.targets_q() | Q(team_id=population.team_id or 0))
        .order_by()
        .values_list("start", "end", "team_id")
        .annotate(total=Sum("amount"))
    )
    team_targets = {(start, end) for start, end, team, _total in targets if team}
    trend = []
    for quarter in points:
        won_amount = sum((v for month, v in won.items() if month and month in quarter), ZERO)
        in_quarter = [row for row in targets if row[0] >= quarter.start and row[1] <= quarter.end]
        # A team's own target replaces its sellers' for the same span.
        plan = sum(
            (total for s, e, team, total in in_quarter if team or (s, e) not in team_targets),
            ZERO,
        )
        trend.append(TrendPoint(quarter.label, quarter, won_amount, plan))
    return trend


@dataclass(frozen=True)
class SellerFigures:
    """One seller's headline figures for a period (all their results, whichever team they were in)."""

    person: Person
    won: Decimal
    open_pipeline: Decimal
    target: Decimal

    @property
    def percent_to_plan(self) -> Decimal | None:
        return metrics.percent_to_plan(self.won, self.target)

    @property
    def coverage(self) -> Decimal | None:
        return metrics.pipeline_coverage(self.open_pipeline, self.target, self.won)


def seller_figures(*, user, people, period: Period, person_ids=None) -> list[SellerFigures]:
    """Won, open pipeline closing in the period and plan revenue target per person, from the
    monthly results: two grouped queries whatever the number of people. People whose figures the
    user may not see (kpis.permissions) get zeros. Whole months: for a year to date the current
    month counts whole (use kpi_set for day-exact figures)."""
    return seller_figures_by_period(user=user, people=people, periods=[period], person_ids=person_ids)[0]


def seller_figures_by_period(
    *, user, people, periods: list[Period], person_ids=None
) -> list[list[SellerFigures]]:
    """seller_figures for several periods at once, still in two grouped queries: one list per
    period. `person_ids`, the people's ids as a subquery, spares the database a list of thousands."""
    from firstline.kpis.permissions import kpi_people

    people = list(people)
    ids = person_ids if person_ids is not None else [person.pk for person in people]
    allowed = kpi_people(user).filter(pk__in=ids).values("pk")
    # One range around all the periods (so the index on person and month serves it), each period
    # summed apart.
    first, last = min(p.start for p in periods), max(p.end for p in periods)
    measures = {}
    for index, period in enumerate(periods):
        measures[f"won_{index}"] = Sum("won_amount", filter=_month_range(period))
        measures[f"pipeline_{index}"] = Sum("open_amount", filter=_month_range(period))
    sums = {
        row["person_id"]: row
        for row in SellerMonthResult.objects.filter(person_id__in=allowed)
        .filter(month__range=(month_of(first), month_of(last)))
        .order_by()
        .values("person_id")
        .annotate(**measures)
    }
    spans = {f"target_{index}": Q(start__gte=p.start, end__lte=p.end) for index, p in enumerate(periods)}
    targets = {
        row["person_id"]: row
        for row in Target.objects.plan()
        .filter(start__gte=first, end__lte=last, metric=Metric.REVENUE, person_id__in=allowed)
        .order_by()
        .values("person_id")
        .annotate(**{name: Sum("amount", filter=span) for name, span in spans.items()})
    }
    return [
        [
            SellerFigures(
                person=person,
                won=sums.get(person.pk, {}).get(f"won_{index}") or ZERO,
                open_pipeline=sums.get(person.pk, {}).get(f"pipeline_{index}") or ZERO,
                target=targets.get(person.pk, {}).get(f"target_{index}") or ZERO,
            )
            for person in people
        ]
        for index in range(len(periods))
    ]


__all__ = [
    "MEASURES",
    "Row",
    "SellerFigures",
    "TrendPoint",
    "previous_period",
    "quarter_trend",
    "seller_figures",
    "seller_figures_by_period",
    "seller_rows",
    "team_rows",
]
