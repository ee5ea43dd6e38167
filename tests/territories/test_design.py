"""Optimizer scenarios on the app's data: run, apply (audited), undo, locks and scope."""

import random
from decimal import Decimal

import pytest
from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.test import TestCase
from django.urls import reverse

from firstline.core.scoping import OutOfScope
from firstline.pipeline.models import Account
from firstline.territories.design import (
    scenario_apply,
    scenario_create,
    scenario_run,
    scenario_undo,
    team_design,
)
from firstline.territories.models import AccountSettings, ScenarioStatus, TerritoryAssignment
from tests.territories.world import build_territories
from tests.world import build_world


class ScenarioTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.world = build_world()
        cls.t = build_territories(cls.world)
        rng = random.Random(5)
        north, south = cls.t["territory_a"], cls.world.east.territories.get(name="East South")
        cls.accounts = []
        # Alice holds 45 accounts in the north, Bob 15 in the south: far out of balance.
        for i in range(60):
            territory = north if i < 45 else south
            lat = 41 + (i / 60) * 2 + rng.uniform(-0.05, 0.05)
            account = Account.objects.create(
                name=f"Account {i}",
                owner=territory.owner,
                latitude=Decimal(f"{lat:.5f}"),
                longitude=Decimal(f"{-74 + rng.uniform(-0.5, 0.5):.5f}"),
                market_potential=Decimal(rng.randint(50, 150) * 1000),
            )
            TerritoryAssignment.objects.create(account=account, territory=territory)
            cls.accounts.append(account)
        cls.locked = cls.accounts[40]  # in Alice's north, near the border: balance would like to move it
        AccountSettings.objects.create(account=cls.locked, locked=True)

    def manager(self):
        return self.world.users["manager_1"]

    def run_scenario(self, **options):
        scenario = scenario_create(actor=self.manager(), team=self.world.east, tolerance=0.1, **options)
        return scenario_run(scenario)

    def current_territory(self, account):
        return TerritoryAssignment.objects.current().get(account=account).territory

    def test_it_reads_the_team_with_a_workload_estimate(self):
        design = team_design(self.world.east)
        assert len(design.territories) == 2
        assert len(design.account_ids) == 60  # accounts without a location are left out and counted
        assert design.skipped == 2
        assert (design.values["workload"] >= 4).all()

    def test_a_run_balances_the_team_and_proposes_moves(self):
        scenario = self.run_scenario()
        assert scenario.status == ScenarioStatus.READY, scenario.message
        result = scenario.result
        assert result["max_deviation"]["potential"]["before"] > 0.3
        assert result["max_deviation"]["potential"]["after"] <= 0.1 + 1e-9
        assert result["connected"] == 2
        assert scenario.moves.count() == len(result["moves"]) > 0
        assert self.locked.pk not in {m.account_id for m in scenario.moves.all()}

    def test_nothing_changes_until_the_scenario_is_applied(self):
        scenario = self.run_scenario()
        moved = scenario.moves.first()
        assert self.current_territory(moved.account) == moved.from_territory

    def test_apply_moves_accounts_and_owners_and_is_audited(self):
        scenario = self.run_scenario()
        moves = list(scenario.moves.select_related("account", "to_territory"))
        scenario_apply(actor=self.manager(), scenario=scenario)
        for move in moves:
            assert self.current_territory(move.account) == move.to_territory
            move.account.refresh_from_db()
            assert move.account.owner_id == move.to_territory.owner_id
        history = TerritoryAssignment.objects.filter(account=moves[0].account).order_by("start", "pk")
        assert [a.end is None for a in history] == [False, True]
        scenario.refresh_from_db()
        assert (
            scenario.status == ScenarioStatus.APPLIED
            and scenario.applied_by == self.world.people["manager_1"]
        )
        entries = LogEntry.objects.filter(
            content_type=ContentType.objects.get_for_model(TerritoryAssignment), actor=self.manager()
        )
        assert entries.count() == 2 * len(moves)  # each move ends one assignment and starts another
        assert LogEntry.objects.get_for_object(scenario).filter(actor=self.manager()).exists()

    def test_undo_puts_every_account_back(self):
        scenario = self.run_scenario()
        moves = list(scenario.moves.select_related("account", "from_territory"))
        scenario_apply(actor=self.manager(), scenario=scenario)
        scenario_undo(actor=self.manager(), scenario=scenario)
        for move in moves:
            assert self.current_territory(move.account) == move.from_territory
            move.account.refresh_from_db()
            assert move.account.owner_id == move.from_territory.owner_id
        scenario.refresh_from_db()
        assert scenario.status == ScenarioStatus.UNDONE

    def test_a_scenario_is_applied_once(self):
        scenario = self.run_scenario()
        scenario_apply(actor=self.manager(), scenario=scenario)
        with pytest.raises(ValueError, match="ready to apply"):
            scenario_apply(actor=self.manager(), scenario=scenario)

    def test_undo_is_refused_when_an_account_has_moved_since(self):
        scenario = self.run_scenario()
        scenario_apply(actor=self.manager(), scenario=scenario)
        move = scenario.moves.first()
        current = TerritoryAssignment.objects.current().get(account=move.account)
        current.territory = self.t["territory_c"]
        current.save()
        with pytest.raises(ValueError, match="changed territory since"):
            scenario_undo(actor=self.manager(), scenario=scenario)
        assert self.current_territory(move.account) == self.t["territory_c"]  # nothing half-done

    def test_a_max_moves_budget_caps_the_moves(self):
        scenario = self.run_scenario(max_moves=2)
        assert scenario.moves.count() <= 2

    def test_other_managers_and_sellers_cannot_optimize_or_apply(self):
        with pytest.raises(OutOfScope):
            scenario_create(actor=self.world.users["manager_2"], team=self.world.east)
        with pytest.raises(OutOfScope):
            scenario_create(actor=self.world.users["seller_a"], team=self.world.east)
        scenario = self.run_scenario()
        with pytest.raises(OutOfScope):
            scenario_apply(actor=self.world.users["manager_2"], scenario=scenario)
        with pytest.raises(OutOfScope):
            scenario_apply(actor=self.world.users["seller_a"], scenario=scenario)

    def test_infeasible_balance_fails_with_the_reason(self):
        Account.objects.filter(pk=self.accounts[0].pk).update(market_potential=Decimal(10**10))
        scenario = self.run_scenario()
        assert scenario.status == ScenarioStatus.FAILED
        assert "Account 0 alone is" in scenario.message

    def test_the_locked_account_is_one_balance_would_move(self):
        AccountSettings.objects.filter(account=self.locked).update(locked=False)
        scenario = self.run_scenario()
        assert self.locked.pk in {m.account_id for m in scenario.moves.all()}

    def test_a_manager_locks_an_account_and_its_seller_cannot(self):
        from firstline.territories.design import account_lock

        account = self.accounts[3]
        with pytest.raises(OutOfScope):
            account_lock(actor=self.world.users["seller_a"], account=account, locked=True)
        account_lock(actor=self.manager(), account=account, locked=True)
        assert AccountSettings.objects.get(account=account).locked


class ScenarioApiTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.world = build_world()
        build_territories(cls.world)

    def test_balancing_on_nothing_is_a_400_in_the_documented_error_shape(self):
        self.client.force_login(self.world.users["manager_1"])
        response = self.client.post(
            reverse("api:scenario-list"),
            {"team": self.world.east.pk, "balance": [], "tolerance": 0.05},
            content_type="application/json",
        )
        assert response.status_code == 400
        assert response.json() == {"non_field_errors": ["Balance on potential, workload; not nothing."]}
