"""The statistics refresh without the forecast (what the demo's pacing needs) learns only the stall
thresholds, from the stage changes alone: the same thresholds the whole refresh learns."""

from dataclasses import replace

import pytest
from django.utils import timezone

from firstline.deals.models import StageStatistic
from firstline.deals.selectors import current_teams, field_changes, histories, stage_entries
from firstline.deals.services import stage_statistics_refresh
from firstline.demo.generator import generate_demo
from firstline.kpis.forecast import DealHistory, learn_stage_days
from firstline.kpis.forecast_columns import learn
from firstline.pipeline.models import Opportunity, Outcome, StageChange


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


def one_by_one(opportunities):
    """Each deal with a stage history read on its own, as DealHistory: what `histories` must give."""
    teams = current_teams(opportunities.values_list("owner_id", flat=True))
    changes = field_changes(opportunities.values_list("pk", flat=True))
    for opportunity in opportunities.select_related("stage").order_by("pk"):
        entries = tuple(
            (change.stage_id, timezone.localtime(change.changed_at).date())
            for change in opportunity.stage_changes.order_by("changed_at", "pk")
        )
        if not entries:
            continue
        edited = changes.get(opportunity.pk, {"close_date": [], "amount": []})
        outcome = opportunity.stage.outcome
        yield DealHistory(
            group=teams.get(opportunity.owner_id),
            entries=entries,
            closed_on=opportunity.closed_on,
            won=None if outcome == Outcome.OPEN else outcome == Outcome.WON,
            amount=float(opportunity.amount) if opportunity.amount is not None else None,
            created=opportunity.created,
            close_date=opportunity.close_date,
            amount_changes=tuple(edited["amount"]),
            close_date_changes=tuple(edited["close_date"]),
        )


@pytest.mark.django_db
def test_the_histories_read_as_columns_are_each_deal_read_on_its_own():
    generate_demo(sellers=45, accounts=180, opportunities=900)
    deals = Opportunity.objects.all()
    odd = list(deals.order_by("pk")[:3])
    StageChange.objects.filter(opportunity=odd[0]).delete()  # no stage history: left out
    Opportunity.objects.filter(pk=odd[1].pk).update(amount=None)
    stage = odd[2].stage_changes.order_by("changed_at").first()
    StageChange.objects.create(opportunity=odd[2], stage=stage.stage, changed_at=stage.changed_at)  # twice
    expected = list(one_by_one(deals))
    assert len(expected) == deals.count() - 1
    assert sum(1 for deal in expected if deal.amount_changes or deal.close_date_changes) > 10
    assert list(histories(deals)) == expected
    west = deals.filter(owner__in=list(deals.values_list("owner_id", flat=True)[:40]))
    assert list(histories(west, group_by_team=False)) == [
        replace(deal, group=None) for deal in one_by_one(west)
    ]
