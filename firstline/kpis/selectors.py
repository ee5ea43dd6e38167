"""Reads that gather KPI inputs across models for dashboards; the math is in kpis.metrics."""

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Sum

from firstline.core.periods import Period
from firstline.kpis.metrics import percent_to_plan, pipeline_coverage
from firstline.org.models import Person
from firstline.pipeline.models import Opportunity
from firstline.targets.models import Metric, Target

ZERO = Decimal(0)


@dataclass(frozen=True)
class SellerFigures:
    person: Person
    won: Decimal
    open_pipeline: Decimal
    target: Decimal

    @property
    def percent_to_plan(self) -> Decimal | None:
        return percent_to_plan(self.won, self.target)

    @property
    def coverage(self) -> Decimal | None:
        return pipeline_coverage(self.open_pipeline, self.target, self.won)


def _sum_by(queryset, person_field: str, amount_field: str) -> dict[int, Decimal]:
    grouped = queryset.order_by().values(person_field).annotate(total=Sum(amount_field))
    rows = grouped.values_list(person_field, "total")
    return {person_id: total or ZERO for person_id, total in rows}


def seller_figures(*, user, people, period: Period) -> list[SellerFigures]:
    """Won amount, open pipeline closing in the period and revenue target, per person — three
    grouped queries whatever the team size, all through the user's scope."""
    people = list(people)
    ids = [person.pk for person in people]
    opportunities = Opportunity.objects.visible_to(user).filter(owner_id__in=ids)
    won = _sum_by(opportunities.won().closed_in(period), "owner_id", "amount")
    open_pipeline = _sum_by(opportunities.open().closing_in(period), "owner_id", "amount")
    targets = _sum_by(
        Target.objects.visible_to(user).filter(person_id__in=ids, metric=Metric.REVENUE).within(period),
        "person_id",
        "amount",
    )
    return [
        SellerFigures(
            person=person,
            won=won.get(person.pk, ZERO),
            open_pipeline=open_pipeline.get(person.pk, ZERO),
            target=targets.get(person.pk, ZERO),
        )
        for person in people
    ]


def totals(rows: list[SellerFigures]) -> SellerFigures | None:
    if not rows:
        return None
    return SellerFigures(
        person=None,
        won=sum((row.won for row in rows), ZERO),
        open_pipeline=sum((row.open_pipeline for row in rows), ZERO),
        target=sum((row.target for row in rows), ZERO),
    )
