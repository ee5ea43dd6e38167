"""The statistics refresh without the forecast (what the demo's pacing needs) learns only the stall
thresholds, from the stage changes alone: the same thresholds the whole refresh learns."""

import pytest
from django.utils import timezone

from firstline.deals.models import StageStatistic
from firstline.deals.selectors import histories, stage_entries
from firstline.deals.services import stage_statistics_refresh
from firstline.demo.generator import generate_demo
from firstline.kpis.forecast import learn, learn_stage_days
from firstline.pipeline.models import Opportunity


def stall_rows():
    return sorted(
        StageStatistic.objects.values_list("team_id", "stage_id", "stall_days", "stall_sample"),
        key=repr,
    )


@pytest.mark.django_db
def test_the_stall_thresholds_alone_are_the_ones_the_whole_refresh_learns():
    generate_demo(sellers=45, accounts=180, opportunities=900)
    today = timezone.localdate()
    deals = Opportunity.objects.all()
    stage_days = learn_stage_days(stage_entries(deals), as_of=today).stage_days
    assert stage_days == learn(histories(deals), as_of=today).stage_days
    assert len({group for group, _stage in stage_days}) > 3  # the teams' own, not only the company's

    stage_statistics_refresh(today=today)
    learned = stall_rows()
    stage_statistics_refresh(today=today, forecast=False)
    assert stall_rows() == learned
    assert not StageStatistic.objects.exclude(timing=[]).exists()
    assert not StageStatistic.objects.filter(reached__gt=0).exists()
