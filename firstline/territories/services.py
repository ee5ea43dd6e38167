"""Writes for territory plans, reviews and quota allocations (optimizer scenarios: design.py)."""

from decimal import Decimal

from django.db import transaction
from django.db.models import F, Max, Sum
from django.utils import timezone

from firstline.core.formatting import money_compact as money
from firstline.core.periods import fiscal_calendar
from firstline.core.scoping import OutOfScope, save_in_scope
from firstline.kpis.selectors import seller_figures
from firstline.org.models import Person
from firstline.org.scoping import viewer
from firstline.pipeline.models import Account, Opportunity
from firstline.targets.models import Metric, Target
from firstline.territories.models import (
    KeyAccount,
    PlanAction,
    PlanReview,
    PlanStatus,
    PlanVersion,
    QuotaAllocation,
    QuotaLine,
    TerritoryAssignment,
    TerritoryPlan,
)
from firstline.territories.quota import SellerInput, allocate
from firstline.territories.selectors import year_before

PLAN_FIELDS = (
    "period",
    "objective_amount",
    "currency",
    "objectives",
    "market",
    "resources_time",
    "resources_budget",
    "resources_partners",
    "resources_smes",
    "status",
)


def plan_content(plan: TerritoryPlan) -> dict:
    """The plan as it reads now, for a version: fields, key accounts and actions."""
    content = {name: str(getattr(plan, name)) for name in PLAN_FIELDS}
    content["key_accounts"] = [
        {"account": k.account.name, "strategy": k.strategy}
        for k in plan.key_accounts.select_related("account")
    ]
    content["actions"] = [
        {"description": a.description, "owner": a.owner.name, "due": a.due.isoformat(), "done": a.done}
        for a in plan.actions.select_related("owner")
    ]
    return content


def _version(plan: TerritoryPlan, *, actor, reason: str) -> PlanVersion:
    # Counted in the database (the UPDATE locks the row): two changes never take the same number,
    # even from copies of the plan read before one another.
    TerritoryPlan.objects.filter(pk=plan.pk).update(version=F("version") + 1)
    plan.version = TerritoryPlan.objects.values_list("version", flat=True).get(pk=plan.pk)
    return PlanVersion.objects.create(
        plan=plan,
        number=plan.version,
        content=plan_content(plan),
        reason=reason,
        created_by_id=viewer(actor).person_id,
    )


def plan_save(*, actor, plan: TerritoryPlan, reason: str = "") -> TerritoryPlan:
    """Create or change a plan; every save keeps a version. A change to an approved plan sends it
    back to draft, so the manager approves what is actually planned."""
    creating = plan.pk is None
    if creating and not plan.objective_amount:
        plan.full_clean(exclude=["objective_amount"])
        target = Target.objects.filter(
            person=plan.seller, metric=Metric.REVENUE, start__gte=plan.start, end__lte=plan.end
        ).aggregate(total=Sum("amount"))["total"]
        plan.objective_amount = target or Decimal(0)
    if not creating:
        _back_to_draft(plan)
    plan.full_clean()
    with transaction.atomic():
        save_in_scope(actor, plan, plan.save)
        _version(plan, actor=actor, reason=reason or ("Created" if creating else "Edited"))
    return plan


def _back_to_draft(plan: TerritoryPlan) -> None:
    if plan.status == PlanStatus.APPROVED:
        plan.status, plan.approved_by, plan.approved_at = PlanStatus.DRAFT, None, None


def _replanned(plan: TerritoryPlan, *, actor, reason: str) -> None:
    """A key account or action changed: the plan goes back to draft and keeps a version."""
    _back_to_draft(plan)
    plan.save(update_fields=["status", "approved_by", "approved_at"])
    _version(plan, actor=actor, reason=reason)


def _check_editable(actor, plan: TerritoryPlan, *, account=None, person=None) -> None:
    """The actor may change the plan, and see the account or person they name in it."""
    if not TerritoryPlan.objects.editable_by(actor).filter(pk=plan.pk).exists():
        raise OutOfScope("You may not change this plan.")
    if account is not None and not Account.objects.visible_to(actor).filter(pk=account.pk).exists():
        raise OutOfScope("You may not name this account.")
    if person is not None and not Person.objects.visible_to(actor).filter(pk=person.pk).exists():
        raise OutOfScope("You may not name this person.")


@transaction.atomic
def key_account_set(*, actor, plan: TerritoryPlan, account, strategy: str) -> KeyAccount:
    """Name a key account of the plan with its strategy, or change the strategy of one named."""
    _check_editable(actor, plan, account=account)
    key, created = KeyAccount.objects.update_or_create(
        plan=plan, account=account, defaults={"strategy": strategy}
    )
    _replanned(plan, actor=actor, reason=f"Key account {'added' if created else 'changed'}: {account.name}")
    return key


@transaction.atomic
def key_account_remove(*, actor, key: KeyAccount) -> None:
    _check_editable(actor, key.plan)
    key.delete()
    _replanned(key.plan, actor=actor, reason=f"Key account removed: {key.account.name}")


@transaction.atomic
def action_add(*, actor, plan: TerritoryPlan, description: str, owner, due) -> PlanAction:
    _check_editable(actor, plan, person=owner)
    action = PlanAction(plan=plan, description=description, owner=owner, due=due)
    action.full_clean()
    action.save()
    _replanned(plan, actor=actor, reason=f"Action added: {description}")
    return action


@transaction.atomic
def action_done(*, actor, action: PlanAction, done: bool) -> PlanAction:
    """Progress, not a new plan: a version records it, the approval stands."""
    _check_editable(actor, action.plan)
    action.done = done
    action.save(update_fields=["done"])
    _version(
        action.plan, actor=actor, reason=f"Action {'done' if done else 'reopened'}: {action.description}"
    )
    return action


@transaction.atomic
def plan_approve(*, actor, plan: TerritoryPlan) -> TerritoryPlan:
    """The manager approves: never the seller for their own plan."""
    who = viewer(actor)
    if who.person_id == plan.seller_id and not who.is_admin:
        raise OutOfScope("A seller cannot approve their own plan; their manager does.")
    if not TerritoryPlan.objects.editable_by(actor).filter(pk=plan.pk).exists():
        raise OutOfScope("You may not approve this plan.")
    plan.status, plan.approved_by_id, plan.approved_at = PlanStatus.APPROVED, who.person_id, timezone.now()
    plan.save(update_fields=["status", "approved_by", "approved_at"])
    _version(plan, actor=actor, reason="Approved")
    return plan


def progress_snapshot(*, actor, plan: TerritoryPlan, on) -> dict:
    """Won and pipeline for the plan's period up to `on`, against the plan's objective."""
    [figures] = seller_figures(user=actor, people=[plan.seller], period=_to_date(plan, on))
    pct = figures.won / plan.objective_amount if plan.objective_amount else None
    return {
        "on": on.isoformat(),
        "won": str(figures.won),
        "open_pipeline": str(figures.open_pipeline),
        "objective": str(plan.objective_amount),
        "percent_of_objective": None if pct is None else f"{pct:.4f}",
    }


def _to_date(plan, on):
    from firstline.core.periods import Period

    return Period(plan.period, plan.start, min(max(on, plan.start), plan.end))


@transaction.atomic
def plan_review(*, actor, plan: TerritoryPlan, what_changed: str, adjustment: str, on=None) -> PlanReview:
    """Record a review: the progress snapshot today, what changed and the adjustment decided, tied to
    the version of the plan it reviewed. Reviews are made by the manager (or an admin)."""
    who = viewer(actor)
    if who.person_id == plan.seller_id and not who.is_admin:
        raise OutOfScope("A seller does not review their own plan; their manager does.")
    if not TerritoryPlan.objects.editable_by(actor).filter(pk=plan.pk).exists():
        raise OutOfScope("You may not review this plan.")
    on = on or timezone.localdate()
    version = _version(plan, actor=actor, reason=f"Review of {on.isoformat()}")
    number = (plan.reviews.aggregate(n=Max("number"))["n"] or 0) + 1
    review = PlanReview(
        plan=plan,
        number=number,
        reviewed_on=on,
        reviewer_id=who.person_id,
        version=version,
        snapshot=progress_snapshot(actor=actor, plan=plan, on=on),
        what_changed=what_changed,
        adjustment=adjustment,
    )
    review.full_clean()
    review.save()
    return review


def quota_inputs(*, actor, team, period) -> list[SellerInput]:
    """History (won a year before), untapped potential (territory potential minus what was won in
    the last year) and open pipeline closing in the period, per seller with a territory in the team."""
    from firstline.territories.models import Territory

    sellers = {t.owner_id: t.owner for t in Territory.objects.filter(team=team).select_related("owner")}
    ids = list(sellers)
    before = year_before(period)
    deals = Opportunity.objects.visible_to(actor).filter(owner_id__in=ids).order_by().values("owner_id")
    history = dict(deals.won().closed_in(before).annotate(t=Sum("amount")).values_list("owner_id", "t"))
    pipeline = dict(deals.open().closing_in(period).annotate(t=Sum("amount")).values_list("owner_id", "t"))
    potential = dict(
        TerritoryAssignment.objects.current()
        .filter(territory__team=team)
        .order_by()
        .values("territory__owner_id")
        .annotate(t=Sum("account__market_potential"))
        .values_list("territory__owner_id", "t")
    )
    won_year = dict(
        deals.won()
        .filter(closed_on__gt=period.start.replace(year=period.start.year - 1), closed_on__lte=period.start)
        .annotate(t=Sum("amount"))
        .values_list("owner_id", "t")
    )
    zero = Decimal(0)
    return [
        SellerInput(
            pk,
            sellers[pk].name,
            history.get(pk) or zero,
            max((potential.get(pk) or zero) - (won_year.get(pk) or zero), zero),
            pipeline.get(pk) or zero,
        )
        for pk in sorted(ids, key=lambda pk: sellers[pk].name)
    ]


@transaction.atomic
def quota_allocate(*, actor, team, period: str, team_target: Decimal, weights: dict) -> QuotaAllocation:
    who = viewer(actor)
    if not who.is_admin and not any(team.path.startswith(p) for p in who.managed_paths):
        raise OutOfScope("You may only allocate the quota of teams you manage.")
    parsed = fiscal_calendar().parse(period)
    allocation = QuotaAllocation(
        team=team,
        period=parsed.label,
        team_target=team_target,
        weight_history=weights["history"],
        weight_potential=weights["potential"],
        weight_pipeline=weights["pipeline"],
        created_by_id=who.person_id,
    )
    allocation.full_clean()
    allocation.save()
    inputs = quota_inputs(actor=actor, team=team, period=parsed)
    blend = {name: Decimal(str(weights[name])) for name in ("history", "potential", "pipeline")}
    by_key = {i.key: i for i in inputs}
    lines = [
        QuotaLine(
            allocation=allocation,
            seller_id=a.key,
            history=by_key[a.key].history,
            potential=by_key[a.key].potential,
            pipeline=by_key[a.key].pipeline,
            proposed=a.proposed,
            explanation=a.explanation,
        )
        for a in allocate(team_target, inputs, blend, money=money)
    ]
    QuotaLine.objects.bulk_create(lines)
    return allocation


@transaction.atomic
def quota_adjust(*, actor, line: QuotaLine, adjustment: Decimal) -> QuotaLine:
    """A bottom-up adjustment by the manager; the allocation shows the new gap and ratio."""
    if not QuotaLine.objects.editable_by(actor).filter(pk=line.pk).exists():
        raise OutOfScope("You may not adjust this seller's quota.")
    line.adjustment = adjustment
    line.full_clean()
    line.save(update_fields=["adjustment"])
    return line
