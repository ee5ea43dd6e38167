"""Quota allocation on the app's data: inputs gathered per seller, proposals sum to the target,
adjustments change the gap and the over-assignment ratio."""

from decimal import Decimal

import pytest
from django.test import TestCase

from firstline.core.formatting import money_compact as money
from firstline.core.scoping import OutOfScope
from firstline.territories.quota import over_assignment
from firstline.territories.services import quota_adjust, quota_allocate
from tests.territories.world import build_territories
from tests.world import build_world

WEIGHTS = {"history": Decimal("0.5"), "potential": Decimal("0.3"), "pipeline": Decimal("0.2")}


class QuotaServiceTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.world = build_world()
        cls.t = build_territories(cls.world)

    def allocate(self, actor="manager_1", target="600000"):
        return quota_allocate(
            actor=self.world.users[actor],
            team=self.world.east,
            period=self.world.target_a.period,
            team_target=Decimal(target),
            weights=WEIGHTS,
        )

    def test_each_seller_with_a_territory_gets_an_explained_share_summing_to_the_target(self):
        allocation = self.allocate()
        lines = {line.seller.name: line for line in allocation.lines.select_related("seller")}
        assert set(lines) == {"Alice Archer", "Bob Baker"}
        assert sum(line.proposed for line in lines.values()) == Decimal(600_000)
        # No history anywhere: potential (500k vs 90k untapped) and pipeline (120k vs 0) decide.
        alice = lines["Alice Archer"]
        assert alice.potential == Decimal(500_000) and alice.pipeline == Decimal(120_000)
        expected = Decimal("0.6") * Decimal(500) / Decimal(590) + Decimal("0.4")
        assert abs(alice.proposed - Decimal(600_000) * expected) <= Decimal("0.01")
        assert "Last year's won revenue: none in the team" in alice.explanation
        assert alice.explanation.endswith(f"= {money(alice.proposed)}.")  # the amount as pages show money

    def test_adjustments_show_as_over_assignment_and_gap(self):
        allocation = self.allocate()
        line = allocation.lines.first()
        quota_adjust(actor=self.world.users["manager_1"], line=line, adjustment=Decimal(60_000))
        ratio, gap = over_assignment(allocation.team_target, [x.final for x in allocation.lines.all()])
        assert ratio == Decimal("1.1") and gap == Decimal(60_000)

    def test_a_seller_cannot_adjust_their_own_quota_and_other_managers_cannot_allocate(self):
        allocation = self.allocate()
        line = allocation.lines.get(seller=self.world.people["seller_a"])
        with pytest.raises(OutOfScope):
            quota_adjust(actor=self.world.users["seller_a"], line=line, adjustment=Decimal(-50_000))
        with pytest.raises(OutOfScope):
            self.allocate(actor="manager_2")
