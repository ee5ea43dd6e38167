import json
from datetime import timedelta
from decimal import Decimal
from io import StringIO

from django.core.management import CommandError, call_command
from django.test import TestCase
from django.urls import reverse
from django.utils import timezone

from firstline.core.periods import fiscal_calendar
from firstline.pipeline.models import Opportunity
from tests.world import build_world

FIGURE_NAMES = {
    "won_amount",
    "won_count",
    "lost_count",
    "close_ratio_count",
    "close_ratio_amount",
    "target",
    "percent_to_plan",
    "growth",
    "pipeline_coverage",
    "average_deal_size",
    "sales_cycle_days",
    "velocity",
}


class KpiApiTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.world = w = build_world()
        cls.quarter = fiscal_calendar().quarter_of(timezone.localdate())
        Opportunity.objects.create(
            name="Won",
            account=w.account_a,
            owner=w.people["seller_a"],
            amount=Decimal(60_000),
            stage=w.stages["won"],
            created=cls.quarter.start - timedelta(days=40),
            close_date=cls.quarter.start,
            closed_on=cls.quarter.start,
        )

    def get(self, persona, **params):
        self.client.force_login(self.world.users[persona])
        return self.client.get(reverse("api:kpis"), params)

    def test_a_manager_gets_their_teams_figures_with_plain_names(self):
        response = self.get("manager_1", period=self.quarter.label)
        assert response.status_code == 200
        body = response.json()
        assert set(body) >= FIGURE_NAMES
        assert body["population"]["name"] == "East"
        assert body["period"]["label"] == self.quarter.label
        assert Decimal(body["won_amount"]) == Decimal(60_000)
        assert body["won_count"] == 1
        assert Decimal(body["percent_to_plan"]) == Decimal("0.2")  # 60,000 of Alice's 300,000
        assert body["growth"] is None  # nothing a year before: no data, not 0 %

    def test_a_team_or_seller_outside_scope_is_404(self):
        w = self.world
        assert self.get("seller_a", team=w.east.pk).status_code == 404
        assert self.get("manager_1", team=w.west.pk).status_code == 404
        assert self.get("manager_1", seller=w.people["seller_c"].pk).status_code == 404
        assert self.get("enablement", seller=w.people["seller_a"].pk).status_code == 404

    def test_a_seller_gets_their_own_figures(self):
        body = self.get("seller_a").json()
        assert body["population"]["kind"] == "seller"
        assert body["won_count"] == 1

    def test_a_bad_period_is_a_400_that_says_why(self):
        response = self.get("manager_1", period="2025Q9")
        assert response.status_code == 400
        assert "is not a period" in response.json()["period"][0]

    def test_asking_for_a_team_and_a_seller_is_a_400_in_the_documented_error_shape(self):
        w = self.world
        response = self.get("manager_1", team=w.east.pk, seller=w.people["seller_a"].pk)
        assert response.status_code == 400
        assert response.json() == {"non_field_errors": ["Ask for a team or a seller, not both."]}

    def test_the_cli_prints_the_same_figures_as_the_api(self):
        api = self.get("manager_1", period=self.quarter.label).json()
        out = StringIO()
        call_command("kpis", "--team", "East", "--period", self.quarter.label, "--format", "json", stdout=out)
        cli = json.loads(out.getvalue())
        for name in FIGURE_NAMES:
            assert cli[name] == api[name], name

    def test_the_cli_explains_an_unknown_name(self):
        with self.assertRaisesMessage(CommandError, "No team is called 'Nowhere'"):
            call_command("kpis", "--team", "Nowhere", "--period", "2025Q1", stdout=StringIO())

    def test_the_cli_writes_csv_with_no_data_as_empty(self):
        out = StringIO()
        arguments = ["--seller", "Bob Baker", "--period", self.quarter.label, "--format", "csv"]
        call_command("kpis", *arguments, stdout=out)
        lines = out.getvalue().splitlines()
        assert lines[0] == "figure,value,period,population"
        assert f"percent_to_plan,,{self.quarter.label},Bob Baker" in lines
