"""The demo's stored team forecast figures (TeamForecastRollup) are the ones `firstline deals refresh`
stores: made after the KPI roll-ups, so that each team's recent win rate counts, not a factor of 1."""

import pytest
from django.utils import timezone

from firstline.deals.forecasting import _team_factor, rollup_refresh
from firstline.deals.models import TeamForecastRollup
from firstline.demo.generator import generate_demo
from firstline.org.models import Membership
from firstline.pipeline.models import Opportunity


def stored_figures():
    return sorted(
        TeamForecastRollup.objects.values_list("team_id", "period", "tail_mean", "tail_variance", "exact")
    )


@pytest.mark.django_db
def test_the_demos_team_forecast_figures_take_each_teams_recent_win_rate():
    generate_demo(sellers=45, accounts=180, opportunities=3_000)
    today = timezone.localdate()
    members: dict[int, list[int]] = {}
    for person, team in Membership.objects.current().values_list("person_id", "team_id"):
        members.setdefault(team, []).append(person)
    factors = [
        _team_factor(Opportunity.objects.filter(owner_id__in=people), today, people=people)
        for people in members.values()
    ]
    assert any(abs(factor - 1) > 0.01 for factor in factors)  # a factor of 1 would show below

    demo_figures = stored_figures()
    assert demo_figures
    rollup_refresh(today)
    assert stored_figures() == demo_figures
