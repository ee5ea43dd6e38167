"""The whole KPI table of DESIGN.md for one population (a seller, a team's subtree or the company)
and one fiscal period, read from the pre-aggregated results in a constant number of queries.

Attribution: a result counts for the team the seller belonged to on the date of the result (see
kpis.models), so a team's figure is computed from its members' records while they were in it, never
from a sum or mean of percentages. The company (the root of the org tree, or an admin's view of
everything) takes every result, also those of people who were in no team that day.

Every surface (pages, API, CLI, exports) calls `kpi_set()`; the math is in kpis.metrics.
"""

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import Count, Exists, F, OuterRef, Q, Sum
from django.db.models.lookups import In
from django.utils import timezone

from firstline.core.periods import Period
from firstline.core.scoping import Unindexed
from firstline.kpis import metrics
from firstline.kpis.models import (
    ZERO,
    CompanyMonthFunnel,
    CompanyMonthResult,
    FunnelReach,
    SellerMonthResult,
    TeamMonthFunnel,
    TeamMonthResult,
)
from firstline.kpis.rollup import MEASURES, month_of
from firstline.org.models import Membership, Person, Team
from firstline.pipeline.models import Opportunity, Outcome, SalesStage
from firstline.targets.models import Metric, Target


@dataclass(frozen=True)
class Population:
    """Whose results a figure covers: "company", a team's whole subtree, or one seller."""

    kind: str
    name: str
    team_id: int | None = None
    person_id: int | None = None
    team_ids: tuple[int, ...] = ()

    @property
    def label(self) -> str:
        return {"company": "whole company", "team": f"team {self.name} and the teams below it"}.get(
            self.kind, f"seller {self.name}"
        )

    def results_q(self) -> Q:
        if self.kind == "seller":
            return Q(person_id=self.person_id)
        if self.kind == "team":
            return Q(team_id__in=self.team_ids)
        return Q()

    def results(self):
        """The pre-aggregated rows to sum: per team for teams and the company, per seller for one."""
        if self.kind == "seller":
            return SellerMonthResult.objects.filter(person_id=self.person_id)
        if self.kind == "company":
            return CompanyMonthResult.objects.all()
        return TeamMonthResult.objects.filter(self.results_q())

    def funnel(self):
        if self.kind == "seller":
            return FunnelReach.objects.filter(person_id=self.person_id)
        if self.kind == "company":
            return CompanyMonthFunnel.objects.all()
        return TeamMonthFunnel.objects.filter(self.results_q())

    def deals_q(self, day_field: str) -> Q:
        """The same population over raw deals: the owner's team on the deal's `day_field`."""
        if self.kind == "seller":
            return Q(owner_id=self.person_id)
        if self.kind == "company":
            return Q()
        members = Membership.objects.filter(team_id__in=self.team_ids)
        on_the_day = members.filter(
            Q(end__isnull=True) | Q(end__gte=OuterRef(day_field)),
            start__lte=OuterRef(day_field),
            person_id=OuterRef("owner_id"),
        )
        # The plain IN lets the database read just the members' deals (owner and date index).
        return Q(owner_id__in=members.values("person_id")) & Q(Exists(on_the_day))

    def targets_q(self) -> Q:
        """Seller targets of the population: a target counts for the team the seller was in on its
        first day."""
        if self.kind == "seller":
            return Q(person_id=self.person_id)
        if self.kind == "company":
            return Q(person__isnull=False)
        members = Membership.objects.filter(team_id__in=self.team_ids)
        on_start = members.filter(
            Q(end__isnull=True) | Q(end__gte=OuterRef("start")),
            start__lte=OuterRef("start"),
            person_id=OuterRef("person_id"),
        )
        # The plain IN lets the database start from the few members' targets (person index)
        # rather than test every target of the period.
        return Q(person_id__in=members.values("person_id")) & Q(Exists(on_start))


def company_population(name: str = "Company") -> Population:
    return Population(kind="company", name=name)


def team_population(team: Team) -> Population:
    """A team and its subtree; the root of the org tree is the whole company (no filter at all)."""
    if team.parent_id is None:
        return Population(kind="company", name=team.name, team_id=team.pk)
    ids = tuple(Team.objects.filter(path__startswith=team.path).values_list("pk", flat=True))
    return Population(kind="team", name=team.name, team_id=team.pk, team_ids=ids)


def seller_population(person: Person) -> Population:
    return Population(kind="seller", name=person.name, person_id=person.pk)


@dataclass
class FunnelStep:
    stage: str
    reached: int
    conversion: Decimal | None  # to the next step; None for the last one or when nobody reached it


@dataclass
class KpiSet:
    """Inputs and figures for one population and period. Amounts are sums of known amounts; the
    `*_unknown_amount` counts say how many deals had none, and `unknown_date` how many results had
    no date and so belong to no period."""

    period: Period
    population: Population
    won_count: int = 0
    won_amount: Decimal = ZERO
    won_unknown_amount: int = 0
    cycle_days: int = 0
    cycle_count: int = 0
    lost_count: int = 0
    lost_amount: Decimal = ZERO
    lost_unknown_amount: int = 0
    open_count: int = 0
    open_amount: Decimal = ZERO
    open_unknown_amount: int = 0
    created_count: int = 0
    won_amount_year_before: Decimal = ZERO
    target: Decimal = ZERO
    target_source: str = "none"  # "team" (set for the team), "sellers" (sum of theirs) or "none"
    team_target: Decimal | None = None
    sellers_target: Decimal = ZERO
    stretch_target: Decimal | None = None
    deals_created_target: Decimal | None = None
    unknown_date: dict[str, int] = field(default_factory=dict)
    funnel: list[FunnelStep] = field(default_factory=list)

    @property
    def percent_to_plan(self) -> Decimal | None:
        return metrics.percent_to_plan(self.won_amount, self.target)

    @property
    def percent_to_stretch(self) -> Decimal | None:
        return metrics.percent_to_plan(self.won_amount, self.stretch_target or ZERO)

    @property
    def growth(self) -> Decimal | None:
        return metrics.growth(self.won_amount, self.won_amount_year_before)

    @property
    def close_ratio_count(self) -> Decimal | None:
        return metrics.close_ratio(self.won_count, self.lost_count)

    @property
    def close_ratio_amount(self) -> Decimal | None:
        return metrics.close_ratio(self.won_amount, self.lost_amount)

    @property
    def pipeline_coverage(self) -> Decimal | None:
        return metrics.pipeline_coverage(self.open_amount, self.target, self.won_amount)

    @property
    def average_deal_size(self) -> Decimal | None:
        return metrics.average_deal_size(self.won_amount, self.won_count - self.won_unknown_amount)

    @property
    def sales_cycle_days(self) -> Decimal | None:
        return metrics.sales_cycle_days(self.cycle_days, self.cycle_count)

    @property
    def velocity(self) -> Decimal | None:
        return metrics.sales_velocity(
            self.open_count, self.average_deal_size, self.close_ratio_count, self.sales_cycle_days
        )

    @property
    def deals_created_to_plan(self) -> Decimal | None:
        return metrics.percent_to_plan(Decimal(self.created_count), self.deals_created_target or ZERO)

    def as_dict(self) -> dict:
        """Plain names and plain numbers (strings for decimals, null for no data) for JSON and CSV."""

        def plain(value):
            return None if value is None else str(round(value, 4) if isinstance(value, Decimal) else value)

        figures = {
            name: plain(getattr(self, name))
            for name in (
                "won_amount",
                "won_count",
                "lost_count",
                "lost_amount",
                "close_ratio_count",
                "close_ratio_amount",
                "target",
                "percent_to_plan",
                "growth",
                "open_count",
                "open_amount",
                "pipeline_coverage",
                "average_deal_size",
                "sales_cycle_days",
                "velocity",
                "created_count",
                "won_amount_year_before",
                "stretch_target",
                "team_target",
                "sellers_target",
            )
        }
        for name in ("won_count", "lost_count", "open_count", "created_count"):
            figures[name] = getattr(self, name)
        return {
            "period": {"label": self.period.label, "start": self.period.start, "end": self.period.end},
            "population": {
                "kind": self.population.kind,
                "name": self.population.name,
                "team": self.population.team_id,
                "person": self.population.person_id,
                "description": self.population.label,
            },
            **figures,
            "target_source": self.target_source,
            "unknown": {
                "won_without_amount": self.won_unknown_amount,
                "lost_without_amount": self.lost_unknown_amount,
                "open_without_amount": self.open_unknown_amount,
                **{f"{kind}_without_date": count for kind, count in self.unknown_date.items()},
            },
            "stage_conversion": [
                {"stage": step.stage, "reached": step.reached, "conversion": plain(step.conversion)}
                for step in self.funnel
            ],
        }


def year_before(period: Period, today: date | None = None) -> Period:
    """The same period a year before; for a period still running, only up to the same day, so an
    unfinished quarter is compared with the same weeks of last year rather than a whole quarter."""

    def back(day: date) -> date:
        try:
            return day.replace(year=day.year - 1)
        except ValueError:  # 29 February
            return day.replace(year=day.year - 1, day=28)

    if today is not None and period.start <= today < period.end:
        return Period(f"{period.label} to {today:%d %b} a year before", back(period.start), back(today))
    return Period(f"{period.label} a year before", back(period.start), back(period.end))


def _tail(period: Period) -> date | None:
    """First day of a month the period covers only partly at its end (year to date), else None."""
    if (period.end + timedelta(days=1)).day == 1:
        return None
    return month_of(period.end)


def _full_months(period: Period) -> Q:
    """The months the period covers entirely; a partial last month (year to date) is left out."""
    tail = _tail(period)
    last = tail - timedelta(days=1) if tail else period.end
    return Q(month__range=(month_of(period.start), month_of(last)))


def _sums(population: Population, period: Period, prior: Period) -> dict:
    """One query over the results: this period's measures, last year's won amount and the results
    with no date; a partial last month is added from the deals themselves (_add_tails)."""
    current, before = _full_months(period), _full_months(prior)
    sums = {name: Sum(name, filter=current) for name in MEASURES}
    sums["won_amount_year_before"] = Sum("won_amount", filter=before)
    for kind in ("won", "lost", "open"):
        sums[f"{kind}_without_date"] = Sum(f"{kind}_count", filter=Q(month__isnull=True))
    rows = population.results().filter(current | before | Q(month__isnull=True))
    # Aliases may not shadow the fields they sum, hence the prefix.
    summed = rows.aggregate(**{f"total_{name}": expression for name, expression in sums.items()})
    totals = {name.removeprefix("total_"): value or 0 for name, value in summed.items()}
    _add_tails(totals, population, period, prior)
    return totals


def _add_tails(totals, population, period, prior) -> None:
    """The days of a partial last month, from the deals (year-to-date periods only: 3–4 queries)."""
    deals = Opportunity.objects.order_by()
    tail = _tail(period)
    if tail:
        span = (tail, period.end)
        open_deals = deals.open().filter(population.deals_q("close_date"), close_date__range=span)
        _add_tail(totals, open_deals, "open")
        closed = deals.filter(population.deals_q("closed_on"), closed_on__range=span)
        _add_tail(totals, closed.filter(_outcome(Outcome.WON)), "won", cycle=True)
        _add_tail(totals, closed.filter(_outcome(Outcome.LOST)), "lost")
        created = deals.filter(population.deals_q("created"), created__range=span)
        totals["created_count"] += created.count()
    prior_tail = _tail(prior)
    if prior_tail:
        won = deals.filter(population.deals_q("closed_on"), _outcome(Outcome.WON))
        won = won.filter(closed_on__range=(prior_tail, prior.end))
        totals["won_amount_year_before"] += won.aggregate(tail=Sum("amount"))["tail"] or ZERO


def _outcome(outcome: str):
    """Deals in a stage with this outcome, checked per row rather than joined: the database then
    reads the few days asked for through the close-date index instead of every deal of the stage."""
    return In(Unindexed(F("stage_id")), SalesStage.objects.filter(outcome=outcome).values("pk"))


def _add_tail(totals, deals, kind: str, cycle: bool = False) -> None:
    extra = deals.aggregate(
        tail_amount=Sum("amount"),
        tail_deals=Count("pk"),
        tail_unknown=Count("pk", filter=Q(amount__isnull=True)),
    )
    totals[f"{kind}_amount"] += extra["tail_amount"] or ZERO
    totals[f"{kind}_count"] += extra["tail_deals"]
    totals[f"{kind}_unknown_amount"] += extra["tail_unknown"]
    if cycle:
        for created, closed_on in deals.values_list("created", "closed_on"):
            totals["cycle_days"] += max(0, (closed_on - created).days)
            totals["cycle_count"] += 1


def _targets(population: Population, period: Period) -> dict:
    """Plan, stretch and deals-created targets for the period.

    Where the team has its own target for part of the period, that part uses it; the rest uses the
    sum of its sellers' targets. The sellers' sum for the whole period is always returned too, so
    the two can be compared side by side.
    """
    targets = Target.objects.within(period).order_by()
    keys = ("metric", "stretch", "start", "end")
    sellers = list(targets.filter(population.targets_q()).values_list(*keys).annotate(total=Sum("amount")))
    team = []
    if population.team_id is not None:
        team = list(targets.filter(team_id=population.team_id).values_list(*keys, "amount"))
    result = {}
    for name, metric, stretch in (
        ("plan", Metric.REVENUE, False),
        ("stretch", Metric.REVENUE, True),
        ("created", Metric.DEALS_CREATED, False),
    ):
        own = [(start, end, amount) for m, s, start, end, amount in team if (m, s) == (metric, stretch)]
        theirs = [(start, end, amount) for m, s, start, end, amount in sellers if (m, s) == (metric, stretch)]
        covered = [
            amount for start, end, amount in theirs if not any(a <= start and end <= b for a, b, _ in own)
        ]
        result[f"sellers_{name}"] = sum((amount for *_span, amount in theirs), ZERO) if theirs else None
        result[f"team_{name}"] = sum((amount for *_span, amount in own), ZERO) if own else None
        total = sum((amount for *_span, amount in own), sum(covered, ZERO))
        result[name] = total if own or theirs else None
    return result


def _funnel(population: Population, period: Period) -> list[FunnelStep]:
    stages = SalesStage.objects.exclude(outcome=Outcome.LOST).order_by("order")
    stages = list(stages.values_list("pk", "name"))
    counts = dict(
        population.funnel()
        .filter(month__range=(month_of(period.start), month_of(period.end)))
        .order_by()
        .values_list("stage_id")
        .annotate(total=Sum("deals"))
    )
    reached, running = [], 0  # a year to date counts its current month whole: nothing closes ahead
    for pk, _name in reversed(stages):
        running += counts.get(pk, 0)
        reached.append(running)
    reached.reverse()
    conversions = [*metrics.stage_conversion(reached), None]
    return [
        FunnelStep(stage=name, reached=count, conversion=conversion)
        for (_pk, name), count, conversion in zip(stages, reached, conversions, strict=True)
    ]


def kpi_set(population: Population, period: Period, *, funnel: bool = True) -> KpiSet:
    """Every KPI for `population` in `period`; 3–5 queries whatever the size of the population."""
    prior = year_before(period, timezone.localdate())
    totals = _sums(population, period, prior)
    figures = KpiSet(period=period, population=population)
    for name in (*MEASURES, "won_amount_year_before"):
        setattr(figures, name, totals[name])
    figures.unknown_date = {kind: totals[f"{kind}_without_date"] for kind in ("won", "lost", "open")}
    targets = _targets(population, period)
    figures.sellers_target = targets["sellers_plan"] or ZERO
    figures.team_target = targets["team_plan"]
    figures.target = targets["plan"] or ZERO
    if targets["team_plan"] is not None:
        figures.target_source = (
            "team"
            if targets["sellers_plan"] is None or targets["plan"] == targets["team_plan"]
            else "team and sellers"
        )
    elif targets["sellers_plan"] is not None:
        figures.target_source = "sellers"
    figures.stretch_target = targets["stretch"]
    figures.deals_created_target = targets["created"]
    if funnel:
        figures.funnel = _funnel(population, period)
    return figures
