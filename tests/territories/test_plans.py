"""Territory plans: every change keeps a version, the manager approves and reviews, reviews keep a
progress snapshot tied to the version they reviewed."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import TestCase
from django.urls import reverse
from django.utils import timezone

from firstline.core.periods import fiscal_calendar
from firstline.core.scoping import OutOfScope
from firstline.kpis.rollup import results_refresh
from firstline.pipeline.models import Opportunity
from firstline.territories.models import KeyAccount, PlanStatus, TerritoryPlan
from firstline.territories.services import action_add, plan_approve, plan_review, plan_save
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


class KeyAccountsAndActionsTests(TestCase):
    """The plan's key accounts and actions, changed from its page: each change is a version; naming
    a key account or adding an action sends an approved plan back for approval, progress does not."""

    @classmethod
    def setUpTestData(cls):
        cls.world = build_world()
        cls.t = build_territories(cls.world)

    def setUp(self):
        self.plan = self.t["territory_plan_a"]
        plan_approve(actor=self.world.users["manager_1"], plan=self.plan)
        self.url = reverse("territories:plan_detail", args=[self.plan.pk])

    def post(self, persona, name, data, *args):
        self.client.force_login(self.world.users[persona])
        return self.client.post(reverse(f"territories:{name}", args=args or [self.plan.pk]), data)

    def test_naming_a_key_account_keeps_a_version_and_needs_approval_again(self):
        account_b = self.t["account_b"]
        KeyAccount.objects.filter(plan=self.plan).delete()
        response = self.post(
            "seller_a",
            "plan_key_account",
            {"key-account": self.world.account_a.pk, "key-strategy": "Land the EU arm"},
        )
        assert response.status_code == 302
        self.plan.refresh_from_db()
        assert self.plan.status == PlanStatus.DRAFT
        version = self.plan.versions.get(number=self.plan.version)
        assert version.reason == f"Key account added: {self.world.account_a.name}"
        assert version.content["key_accounts"] == [
            {"account": self.world.account_a.name, "strategy": "Land the EU arm"}
        ]
        # Naming it again changes its strategy; Bob's account is not Alice's to name.
        self.post(
            "seller_a",
            "plan_key_account",
            {"key-account": self.world.account_a.pk, "key-strategy": "Win the EU arm"},
        )
        assert list(self.plan.key_accounts.values_list("strategy", flat=True)) == ["Win the EU arm"]
        response = self.post(
            "seller_a", "plan_key_account", {"key-account": account_b.pk, "key-strategy": "Poach"}
        )
        assert response.status_code == 400
        assert "Poach" in response.content.decode()  # what was typed comes back with the error
        assert not self.plan.key_accounts.filter(account=account_b).exists()

    def test_removing_a_key_account_is_a_version(self):
        key = self.t["key_account_a"]
        assert self.post("manager_1", "key_account_remove", {}, key.pk).status_code == 302
        assert not KeyAccount.objects.filter(pk=key.pk).exists()
        self.plan.refresh_from_db()
        assert self.plan.versions.get(number=self.plan.version).content["key_accounts"] == []

    def test_an_action_is_added_with_an_owner_and_marking_it_done_keeps_the_approval(self):
        data = {
            "action-description": "Call the CFO",
            "action-owner": self.world.people["seller_a"].pk,
            "action-due": "2031-01-15",
        }
        assert self.post("manager_1", "plan_action", data).status_code == 302
        action = self.plan.actions.get(description="Call the CFO")
        assert action.owner == self.world.people["seller_a"]
        plan_approve(actor=self.world.users["manager_1"], plan=self.plan)
        assert self.post("seller_a", "plan_action_done", {"done": "1"}, action.pk).status_code == 302
        action.refresh_from_db()
        self.plan.refresh_from_db()
        assert action.done and self.plan.status == PlanStatus.APPROVED
        assert self.plan.versions.get(number=self.plan.version).reason == "Action done: Call the CFO"
        self.post("seller_a", "plan_action_done", {"done": "0"}, action.pk)
        action.refresh_from_db()
        assert not action.done

    def test_an_action_without_a_date_is_refused_with_the_text_kept_and_nothing_written(self):
        before = self.plan.actions.count()
        data = {
            "action-description": "Plan the roadshow",
            "action-owner": self.world.people["seller_a"].pk,
            "action-due": "",
        }
        response = self.post("seller_a", "plan_action", data)
        assert response.status_code == 400
        assert "Plan the roadshow" in response.content.decode()
        assert self.plan.actions.count() == before

    def test_the_service_refuses_an_owner_the_actor_cannot_see(self):
        with pytest.raises(OutOfScope):
            action_add(
                actor=self.world.users["seller_a"],
                plan=self.plan,
                description="Ask Carol",
                owner=self.world.people["seller_c"],
                due=timezone.localdate(),
            )
