"""Territory records for the test personas: Alice and Bob's territories in East, Carol's in West,
Alice's plan with a review, a ready scenario for East and an East quota allocation."""

from decimal import Decimal

from django.utils import timezone

from firstline.pipeline.models import Account
from firstline.territories.models import (
    KeyAccount,
    PlanAction,
    PlanReview,
    PlanVersion,
    QuotaAllocation,
    QuotaLine,
    Scenario,
    ScenarioMove,
    ScenarioStatus,
    Territory,
    TerritoryAssignment,
    TerritoryPlan,
)


def build_territories(world) -> dict:
    p = world.people
    alice = Territory.objects.create(name="East North", team=world.east, owner=p["seller_a"])
    bob = Territory.objects.create(name="East South", team=world.east, owner=p["seller_b"])
    carol = Territory.objects.create(name="West", team=world.west, owner=p["seller_c"])
    account_b = Account.objects.create(
        name="Birch Inc", owner=p["seller_b"], market_potential=Decimal(90_000)
    )
    start = timezone.localdate().replace(day=1)
    assignment_a = TerritoryAssignment.objects.create(account=world.account_a, territory=alice, start=start)
    TerritoryAssignment.objects.create(account=account_b, territory=bob, start=start)
    TerritoryAssignment.objects.create(account=world.account_c, territory=carol, start=start)
    plan = TerritoryPlan(
        seller=p["seller_a"], period=world.target_a.period, objective_amount=Decimal(300_000), version=1
    )
    plan.full_clean()
    plan.save()
    version = PlanVersion.objects.create(plan=plan, number=1, content={}, reason="Created")
    key_account = KeyAccount.objects.create(plan=plan, account=world.account_a, strategy="Expand to the EU")
    action = PlanAction.objects.create(
        plan=plan, description="Book the QBR", owner=p["seller_a"], due=timezone.localdate()
    )
    review = PlanReview.objects.create(
        plan=plan, number=1, reviewer=p["manager_1"], snapshot={"won": "0"}, version=version
    )
    scenario = Scenario.objects.create(
        team=world.east,
        name="East rebalance",
        status=ScenarioStatus.READY,
        parameters={"balance": ["potential"], "tolerance": 0.05},
        result={},
    )
    ScenarioMove.objects.create(scenario=scenario, account=account_b, from_territory=bob, to_territory=alice)
    allocation = QuotaAllocation.objects.create(
        team=world.east, period=world.target_a.period, team_target=Decimal(500_000)
    )
    line_a = QuotaLine.objects.create(
        allocation=allocation,
        seller=p["seller_a"],
        history=1,
        potential=1,
        pipeline=1,
        proposed=Decimal(250_000),
        explanation="Half",
    )
    QuotaLine.objects.create(
        allocation=allocation,
        seller=p["seller_b"],
        history=1,
        potential=1,
        pipeline=1,
        proposed=Decimal(250_000),
        explanation="Half",
    )
    return {
        "territory_a": alice,
        "territory_c": carol,
        "assignment_a": assignment_a,
        "account_b": account_b,
        "territory_plan_a": plan,
        "plan_review_a": review,
        "key_account_a": key_account,
        "plan_action_a": action,
        "scenario_east": scenario,
        "allocation_east": allocation,
        "quota_line_a": line_a,
    }
