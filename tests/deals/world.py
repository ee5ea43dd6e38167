"""Deal guidance for the test company: one of each record on Alice's deal (and Carol's, for
scoping), built on tests.world."""

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from firstline.deals.models import (
    ActionItem,
    DealForecast,
    DealReview,
    ExitCriterion,
    ForecastCall,
    RiskSignal,
    Scorecard,
    StageStatistic,
    StrategyCanvas,
)
from firstline.deals.services import default_framework
from firstline.relationships.models import Contact, InternalPartner, Stakeholder


def build_deal_objects(world) -> dict:
    now, today = timezone.now(), timezone.localdate()
    alice, mia = world.people["seller_a"], world.people["manager_1"]
    deal = world.opportunity_a
    criterion = ExitCriterion.objects.create(stage=world.stages["prospect"], text="A need is named.")
    framework = default_framework()
    contact = Contact.objects.create(account=world.account_a, name="Paula Payne", title="CFO")
    review = DealReview.objects.create(
        opportunity=deal, reviewer=mia, held_on=today, notes="Thread into finance."
    )
    quarter = world.target_a.period
    return {
        "exit_criterion": criterion,
        "framework": framework,
        "contact_a": contact,
        "stakeholder_a": Stakeholder.objects.create(
            account=world.account_a, opportunity=deal, contact=contact, role="economic_buyer", influence=5
        ),
        "partner_a": InternalPartner.objects.create(
            account=world.account_a, opportunity=deal, person=mia, part="executive_sponsor"
        ),
        "scorecard_a": Scorecard.objects.create(
            opportunity=deal, framework=framework, scores={"metrics": 1}, updated_at=now
        ),
        "canvas_a": StrategyCanvas.objects.create(
            opportunity=deal, version=1, facts="Budget set.", created_at=now
        ),
        "review_a": review,
        "action_item_a": ActionItem.objects.create(
            opportunity=deal, review=review, owner=alice, text="Meet the CFO", due=today + timedelta(days=7)
        ),
        "deal_forecast_a": DealForecast.objects.create(
            opportunity=deal, category="best_case", updated_at=now
        ),
        "call_a": ForecastCall.objects.create(
            period=quarter, person=alice, commit=Decimal(100_000), best_case=Decimal(150_000), made_at=now
        ),
        "risk_signal_a": RiskSignal.objects.create(
            opportunity=deal, kind="no_power", reason="No champion.", since=today, computed_on=today
        ),
        "stage_statistic": StageStatistic.objects.create(
            stage=world.stages["prospect"], reached=10, won=3, computed_on=today
        ),
    }
