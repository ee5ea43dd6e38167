"""Territory pages: the number of queries does not grow with the data, and pages say what to do next."""

from decimal import Decimal

from django.db import connection
from django.test import TestCase
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from firstline.pipeline.models import Account
from firstline.territories.models import (
    KeyAccount,
    PlanReview,
    PlanVersion,
    QuotaLine,
    Territory,
    TerritoryAssignment,
)
from tests.territories.world import build_territories
from tests.world import build_world


class PageQueryTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.world = build_world()
        cls.t = build_territories(cls.world)

    def queries(self, url, persona="manager_1"):
        self.client.force_login(self.world.users[persona])
        with CaptureQueriesContext(connection) as captured:
            response = self.client.get(url)
        assert response.status_code == 200
        return len(captured)

    def grow(self):
        """Ten more territories with accounts, ten more reviews and key accounts, more quota lines."""
        east, alice = self.world.east, self.world.people["seller_a"]
        plan = self.t["territory_plan_a"]
        for i in range(10):
            territory = Territory.objects.create(name=f"Extra {i}", team=east, owner=alice)
            account = Account.objects.create(
                name=f"Extra account {i}", owner=alice, market_potential=Decimal(1000)
            )
            TerritoryAssignment.objects.create(account=account, territory=territory)
            version = PlanVersion.objects.create(plan=plan, number=10 + i, content={}, reason="x")
            PlanReview.objects.create(plan=plan, number=10 + i, snapshot={"won": "1"}, version=version)
            KeyAccount.objects.create(plan=plan, account=account, strategy="Grow")
        for person in ("manager_1", "executive"):  # people without a line yet
            QuotaLine.objects.create(
                allocation=self.t["allocation_east"],
                seller=self.world.people[person],
                history=1,
                potential=1,
                pipeline=1,
                proposed=1,
                explanation="x",
            )

    def test_query_counts_do_not_grow_with_the_data(self):
        urls = [
            reverse("territories:territory_list"),
            reverse("territories:territory_detail", args=[self.t["territory_a"].pk]),
            reverse("territories:plan_list"),
            reverse("territories:plan_detail", args=[self.t["territory_plan_a"].pk]),
            reverse("territories:scenario_list"),
            reverse("territories:scenario_detail", args=[self.t["scenario_east"].pk]),
            reverse("territories:quota_list"),
            reverse("territories:quota_detail", args=[self.t["allocation_east"].pk]),
        ]
        before = [self.queries(url) for url in urls]
        self.grow()
        after = [self.queries(url) for url in urls]
        assert after == before, list(zip(urls, before, after, strict=True))

    def test_a_seller_without_plans_is_told_what_to_do(self):
        self.client.force_login(self.world.users["seller_c"])
        response = self.client.get(reverse("territories:plan_list"))
        self.assertContains(response, "No territory plans yet")

    def test_a_seller_starts_her_plan_from_her_targets_and_a_second_one_for_the_period_is_refused(self):
        self.client.force_login(self.world.users["seller_a"])
        url = reverse("territories:plan_create")
        data = {"seller": self.world.people["seller_a"].pk, "period": "2031Q1"}
        response = self.client.post(url, data)
        plan = self.world.people["seller_a"].territory_plans.get(period="2031Q1")
        self.assertRedirects(response, plan.get_absolute_url())
        assert plan.versions.count() == 1
        again = self.client.post(url, data)
        assert again.status_code == 200
        self.assertContains(again, "already exists")
