"""Territory plans: every change keeps a version, the manager approves and reviews, reviews keep a
progress snapshot tied to the version they reviewed."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import TestCase
from django.utils import timezone

from firstline.core.periods import fiscal_calendar
from firstline.core.scoping import OutOfScope
from firstline.kpis.rollup import results_refresh
from firstline.pipeline.models import Opportunity
from firstline.territories.models import PlanStatus, TerritoryPlan
from firstline.territories.services import plan_approve, plan_review, plan_save
from tests.territories.world import build_territories
from tests.world import build_world


class PlanTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.world = build_world()
        cls.t = build_territories(cls.world)

    def new_plan(self, actor="seller_a", **fields):
        plan = TerritoryPlan(
            seller=self.world.people["seller_a"], period=self.world.target_a.period, **fields
        )
        TerritoryPlan.objects.filter(seller=plan.seller, period=plan.period).delete()
        return plan_save(actor=self.world.users[actor], plan=plan)

    def test_a_new_plan_starts_from_the_sellers_target_and_is_version_one(self):
        plan = self.new_plan()
        assert plan.objective_amount == self.world.target_a.amount
        assert [(v.number, v.reason) for v in plan.versions.all()] == [(1, "Created")]

    def test_every_change_keeps_the_previous_version(self):
        plan = self.new_plan(objectives="Grow retail")
        plan.objectives = "Grow retail and logistics"
        plan_save(actor=self.world.users["seller_a"], plan=plan)
        versions = list(plan.versions.order_by("number"))
        assert [v.content["objectives"] for v in versions] == ["Grow retail", "Grow retail and logistics"]
        assert plan.version == 2

    def test_the_manager_approves_and_a_later_change_needs_approval_again(self):
        plan = self.new_plan()
        with pytest.raises(OutOfScope):
            plan_approve(actor=self.world.users["seller_a"], plan=plan)
        plan_approve(actor=self.world.users["manager_1"], plan=plan)
        assert plan.status == PlanStatus.APPROVED and plan.approved_by == self.world.people["manager_1"]
        plan.objectives = "Changed after approval"
        plan_save(actor=self.world.users["seller_a"], plan=plan)
        plan.refresh_from_db()
        assert plan.status == PlanStatus.DRAFT and plan.approved_by is None

    def test_another_teams_manager_cannot_approve_or_review(self):
        plan = self.new_plan()
        with pytest.raises(OutOfScope):
            plan_approve(actor=self.world.users["manager_2"], plan=plan)
        with pytest.raises(OutOfScope):
            plan_review(actor=self.world.users["manager_2"], plan=plan, what_changed="x", adjustment="y")

    def test_a_review_records_progress_what_changed_and_the_adjustment_and_keeps_the_version(self):
        plan = self.new_plan()
        today = timezone.localdate()
        Opportunity.objects.filter(pk=self.world.opportunity_a.pk).update(
            stage=self.world.stages["won"], closed_on=max(plan.start, today - timedelta(days=1))
        )
        # A bulk update sends no signals: refresh the KPI results as bulk writers do.
        results_refresh(person_ids=[self.world.opportunity_a.owner_id])
        review = plan_review(
            actor=self.world.users["manager_1"],
            plan=plan,
            what_changed="Tender started",
            adjustment="Bring the SME",
        )
        assert review.number == 1
        assert Decimal(review.snapshot["won"]) == Decimal(120_000)
        assert Decimal(review.snapshot["percent_of_objective"]) == Decimal("0.4")  # 120k of 300k
        assert review.version.number == plan.version == 2
        assert review.version.content["objective_amount"] == str(plan.objective_amount)
        second = plan_review(
            actor=self.world.users["manager_1"], plan=plan, what_changed="Won", adjustment="Keep"
        )
        assert second.number == 2 and plan.reviews.count() == 2 and plan.versions.count() == 3

    def test_a_seller_does_not_review_their_own_plan(self):
        plan = self.new_plan()
        with pytest.raises(OutOfScope):
            plan_review(actor=self.world.users["seller_a"], plan=plan, what_changed="x", adjustment="y")

    def test_a_bad_period_is_a_clear_error(self):
        from django.core.exceptions import ValidationError

        with pytest.raises(ValidationError, match="is not a period"):
            plan_save(
                actor=self.world.users["seller_a"],
                plan=TerritoryPlan(seller=self.world.people["seller_a"], period="next year"),
            )

    def test_a_seller_cannot_write_a_plan_for_someone_else(self):
        plan = TerritoryPlan(
            seller=self.world.people["seller_b"], period=fiscal_calendar().year_of(timezone.localdate()).label
        )
        with pytest.raises(OutOfScope):
            plan_save(actor=self.world.users["seller_a"], plan=plan)
        assert not TerritoryPlan.objects.filter(seller=self.world.people["seller_b"]).exists()
