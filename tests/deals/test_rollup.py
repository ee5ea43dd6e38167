"""A forecast above the first line adds up its teams' stored figures instead of reading every deal."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test import TestCase
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from firstline.core.periods import fiscal_calendar
from firstline.deals.forecasting import _live_parts, stored_calibration, team_forecast
from firstline.deals.models import TeamForecastRollup
from firstline.deals.selectors import stored_history
from firstline.deals.services import stage_statistics_refresh
from firstline.kpis import forecast as math
from firstline.org.models import Membership, Person, Role, Team
from firstline.pipeline.models import Opportunity, StageChange
from tests.world import build_world


def deal(world, owner, amount, stage, *, closed_days_ago=None):
    today = timezone.localdate()
    opportunity = Opportunity.objects.create(
        name=f"{owner.name} {amount}",
        account=world.account_a,
        owner=owner,
        amount=Decimal(amount),
        stage=world.stages[stage],
        created=today - timedelta(days=200),
        close_date=today - timedelta(days=closed_days_ago) if closed_days_ago is not None else today,
        closed_on=today - timedelta(days=closed_days_ago) if closed_days_ago is not None else None,
    )
    StageChange.objects.create(
        opportunity=opportunity,
        stage=world.stages["prospect"],
        changed_at=timezone.now() - timedelta(days=200),
    )
    if stage != "prospect":
        StageChange.objects.create(
            opportunity=opportunity,
            stage=opportunity.stage,
            changed_at=timezone.now() - timedelta(days=closed_days_ago or 10),
        )
    return opportunity


class RollupTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.world = build_world()
        alice, carol = cls.world.people["seller_a"], cls.world.people["seller_c"]
        for index in range(30):  # history to learn from, on both teams
            deal(
                cls.world,
                alice if index % 2 else carol,
                10_000 + index,
                "won" if index % 3 else "lost",
                closed_days_ago=100 + index,
            )
        deal(cls.world, alice, 40_000, "won", closed_days_ago=0)  # won today, in this quarter
        for amount in (50_000, 70_000):
            deal(cls.world, carol, amount, "propose")
        stage_statistics_refresh()
        cls.quarter = fiscal_calendar().quarter_of(timezone.localdate())

    def forecast(self, team, user="executive"):
        return team_forecast(user=self.world.users[user], team=team, period=self.quarter)

    def test_the_company_adds_up_what_each_team_stored(self):
        rolled = self.forecast(self.world.company)
        assert rolled.rolled_up == 3  # the company's own members, East and West
        east = self.forecast(self.world.east, "manager_1")
        west = self.forecast(self.world.west, "manager_2")
        assert east.rolled_up == 0 and west.rolled_up == 0  # first-line teams are computed live
        assert rolled.won_so_far == pytest.approx(east.won_so_far + west.won_so_far) == 40_000
        assert rolled.stage_weighted == pytest.approx(east.stage_weighted + west.stage_weighted)
        assert rolled.projection.open_deals == east.projection.open_deals + west.projection.open_deals
        assert rolled.projection.expected_from_open == pytest.approx(
            east.projection.expected_from_open + west.projection.expected_from_open
        )
        assert (
            rolled.categories["Pipeline"][0]
            == east.categories["Pipeline"][0] + west.categories["Pipeline"][0]
        )
        TeamForecastRollup.objects.all().delete()
        live = self.forecast(self.world.company)  # nothing stored: computed from the deals
        assert live.rolled_up == 0
        assert (live.won_so_far, live.stage_weighted) == pytest.approx(
            (rolled.won_so_far, rolled.stage_weighted)
        )

    def test_each_team_stores_the_figures_a_query_per_team_gives(self):
        # The refresh reads every team's deals at once and adds up their owners' sums.
        today = timezone.localdate()
        rates, timing = stored_history()
        history = math.History(rates=rates, stage_days={}, timing=timing)
        calibration = stored_calibration(self.quarter)
        rows = TeamForecastRollup.objects.all()
        assert rows.count() == 3
        for row in rows:
            people = list(
                Membership.objects.current().filter(team=row.team).values_list("person_id", flat=True)
            )
            deals = Opportunity.objects.filter(owner_id__in=people)
            parts = _live_parts(deals, people, self.quarter, today, history, calibration)
            pipeline = parts["pipeline"]
            assert (row.won_so_far, row.stage_weighted, row.without_close_date) == (
                parts["won"],
                parts["weighted"],
                parts["no_close_date"],
            )
            assert row.new_business == parts["new_business"]
            assert row.categories == {label: list(figures) for label, figures in parts["categories"].items()}
            assert [tuple(deal) for deal in row.exact] == list(pipeline.exact)
            assert (row.tail_mean, row.tail_variance, row.open_deals) == (
                pipeline.tail_mean,
                pipeline.tail_variance,
                pipeline.open_deals,
            )
        assert TeamForecastRollup.objects.get(team=self.world.east).won_so_far == 40_000

    def test_a_manager_sees_no_other_teams_stored_figures(self):
        assert (
            TeamForecastRollup.objects.visible_to(self.world.users["manager_1"]).get().team == self.world.east
        )
        assert not TeamForecastRollup.objects.visible_to(self.world.users["seller_a"]).exists()

    def test_the_company_page_reads_the_same_number_of_queries_whatever_the_number_of_teams(self):
        self.client.force_login(self.world.users["executive"])
        url = reverse("deals:forecast")
        with CaptureQueriesContext(connection) as few:
            self.client.get(url)
        for index in range(5):
            team = Team.objects.create(name=f"South {index}", parent=self.world.company)
            seller = Person.objects.create(
                name=f"Sam {index}", email=f"sam{index}@example.com", role=Role.SELLER
            )
            Membership.objects.create(person=seller, team=team, start=date(2024, 1, 1))
            deal(self.world, seller, 20_000, "propose")
        stage_statistics_refresh()
        with self.assertNumQueries(len(few.captured_queries)):
            response = self.client.get(url)
        assert response.context["result"].rolled_up == 8
        self.assertContains(response, "added up from 8 teams")
