from decimal import Decimal

from django.test import TestCase
from django.urls import reverse

from firstline.org.models import Team
from tests.team_world import build_team_world
from tests.world import build_world


class DrillDownTests(TestCase):
    """Team pages roll up one level at a time: the executive sees East and West, then drills in."""

    @classmethod
    def setUpTestData(cls):
        cls.world = build_world()
        cls.team = build_team_world(cls.world)
        cls.outside = Team.objects.create(name="Elsewhere")  # another root, led by nobody here

    def get(self, persona, name, **params):
        self.client.force_login(self.world.users[persona])
        return self.client.get(reverse(name), params)

    def test_the_executive_sees_teams_and_drills_into_east(self):
        for name in ("coaching:cadence", "coaching:heatmap", "talent:retention"):
            with self.subTest(page=name):
                top = self.get("executive", name)
                assert [t.name for t in top.context["drill"].groups] == ["East", "West"]
                assert top.context["drill"].direct == []
                east = self.get("executive", name, team=self.world.east.pk)
                assert [s.name for s in east.context["drill"].direct] == ["Alice Archer", "Bob Baker"]
                assert [t.name for t in east.context["drill"].trail] == ["Northwind", "East"]

    def test_a_team_outside_the_subtree_is_ignored(self):
        for team in (self.outside.pk, self.world.west.pk, "nonsense"):
            response = self.get("manager_1", "coaching:cadence", team=team)
            assert response.context["drill"].team == self.world.east

    def test_the_cadence_rollup_counts_sessions_per_seller_per_month(self):
        rollup = self.get("executive", "coaching:cadence").context["rollup"]
        east = next(row for row in rollup if row.team == self.world.east)
        assert (east.sellers, east.not_coached_30_days) == (2, 1)  # Bob was never coached
        assert east.per_seller_month == Decimal(1) / Decimal(6)
