"""Writes to targets: one at a time through the scope check, or a whole team raised in one step."""

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db import transaction
from django.db.models import Exists, OuterRef, Q

from firstline.core.periods import Period
from firstline.core.scoping import OutOfScope, scoped_save
from firstline.org.models import Membership, Person, Team
from firstline.org.scoping import viewer
from firstline.targets.models import Kudos, Metric, Target

CENT = Decimal("0.01")


def target_save(*, actor, instance: Target) -> Target:
    """Validate and save a target the actor may change (managers for their people and teams)."""
    return scoped_save(actor=actor, instance=instance)


@dataclass(frozen=True)
class Raise:
    target: Target
    before: Decimal
    after: Decimal

    @property
    def difference(self) -> Decimal:
        return self.after - self.before


def raised(amount: Decimal, percent: Decimal) -> Decimal:
    return (amount * (1 + percent / 100)).quantize(CENT, rounding=ROUND_HALF_UP)


def targets_of_team(*, actor, team: Team, period: Period, metric: str = Metric.REVENUE):
    """The team's own targets for exactly this period and those of the sellers who were in its
    subtree on the period's first day: what a raise touches. Only targets the actor may change."""
    members = Membership.objects.filter(
        Q(end__isnull=True) | Q(end__gte=period.start),
        team__path__startswith=team.path,
        start__lte=period.start,
        person_id=OuterRef("person_id"),
    )
    targets = Target.objects.editable_by(actor).filter(period=period.label, metric=metric)
    return (
        targets.filter(Q(team=team) | Q(Exists(members)))
        .select_related("person", "team")
        .order_by("stretch", "team", "person__name")
    )


def target_raise_preview(*, actor, team: Team, period: Period, percent: Decimal, metric=Metric.REVENUE):
    return [
        Raise(target, target.amount, raised(target.amount, percent))
        for target in targets_of_team(actor=actor, team=team, period=period, metric=metric)
    ]


@transaction.atomic
def target_raise(
    *, actor, team: Team, period: Period, percent: Decimal, metric=Metric.REVENUE
) -> list[Raise]:
    """Raise every target of the team for the period by `percent`, all or nothing; each change is
    audited (django-auditlog: who, when, from, to)."""
    if percent <= -100:
        raise OutOfScope("A raise of -100 % or less would leave no target at all.")
    changes = target_raise_preview(actor=actor, team=team, period=period, percent=percent, metric=metric)
    for change in changes:
        change.target.amount = change.after
        target_save(actor=actor, instance=change.target)
    return changes


def kudos_give(*, actor, receiver: Person, message: str) -> Kudos:
    """Recognise one of the actor's people; kept only if the actor may (their manager, not self)."""
    giver = viewer(actor).person_id
    if giver is None:
        raise OutOfScope("Only people in the organisation give kudos.")
    kudos = Kudos(giver_id=giver, receiver=receiver, message=message.strip())
    return scoped_save(actor=actor, instance=kudos)
