from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.test import TestCase
from django.utils import timezone

from firstline.core.periods import fiscal_calendar
from firstline.core.scoping import OutOfScope
from firstline.deals import services
from firstline.deals.forecasting import rolled_calls
from firstline.deals.models import (
    ActionItem,
    ExitCriterion,
    ForecastCall,
    RiskSignal,
    StageSkip,
    StrategyCanvas,
)
from firstline.deals.selectors import deal_signals
from firstline.pipeline.models import Opportunity
from firstline.pipeline.services import opportunity_save
from firstline.relationships.models import Contact, Stakeholder
from tests.world import build_world


class ExitCriteriaTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.world = build_world()
        cls.need = ExitCriterion.objects.create(stage=cls.world.stages["prospect"], text="A need is named.")
        cls.alice = cls.world.users["seller_a"]

    def deal(self):
        return Opportunity.objects.select_related("stage").get(pk=self.world.opportunity_a.pk)

    def test_moving_on_with_unmet_criteria_asks_why_and_writes_nothing(self):
        with pytest.raises(ValidationError) as error:
            services.opportunity_move_stage(
                actor=self.alice, opportunity=self.deal(), stage=self.world.stages["propose"]
            )
        assert "A need is named." in str(error.value)
        assert self.deal().stage == self.world.stages["prospect"]
        assert not StageSkip.objects.exists()

    def test_the_answer_is_kept_with_the_criteria_that_were_skipped(self):
        services.opportunity_move_stage(
            actor=self.alice,
            opportunity=self.deal(),
            stage=self.world.stages["propose"],
            reason="CFO asked for a price.",
        )
        skip = StageSkip.objects.get()
        assert skip.reason == "CFO asked for a price." and skip.unmet == "Prospect: A need is named."
        assert skip.actor == self.world.people["seller_a"]
        assert self.deal().stage == self.world.stages["propose"]

    def test_met_criteria_need_no_answer(self):
        services.criteria_check(actor=self.alice, opportunity=self.deal(), met={self.need.pk})
        services.opportunity_move_stage(
            actor=self.alice, opportunity=self.deal(), stage=self.world.stages["propose"]
        )
        assert not StageSkip.objects.exists()

    def test_losing_or_moving_back_needs_no_criteria(self):
        deal = self.deal()
        assert services.unmet_criteria(deal, self.world.stages["lost"]) == []
        assert services.unmet_criteria(deal, self.world.stages["prospect"]) == []

    def test_only_the_current_stages_criteria_can_be_ticked(self):
        other = ExitCriterion.objects.create(stage=self.world.stages["propose"], text="Proposal sent.")
        with pytest.raises(ValidationError):
            services.criteria_check(actor=self.alice, opportunity=self.deal(), met={other.pk})

    def test_someone_outside_the_deals_scope_cannot_move_it(self):
        with pytest.raises(OutOfScope):
            services.opportunity_move_stage(
                actor=self.world.users["seller_c"], opportunity=self.deal(), stage=self.world.stages["lost"]
            )


class ReviewAndCanvasTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.world = build_world()

    def test_a_review_turns_next_steps_into_action_items_and_clears_no_next_step(self):
        deal = self.world.opportunity_a
        deal.next_step = ""
        deal.save()
        services.risk_refresh(opportunities=Opportunity.objects.filter(pk=deal.pk))
        assert RiskSignal.objects.filter(opportunity=deal, kind="no_next_step").exists()
        alice = self.world.people["seller_a"]
        review = services.deal_review_record(
            actor=self.world.users["manager_1"],
            opportunity=deal,
            notes="Needs a second thread.",
            next_steps=[("Meet the CFO", alice, timezone.localdate() + timedelta(days=7))],
        )
        assert review.reviewer == self.world.people["manager_1"]
        assert "No next step" in review.risks_discussed
        assert ActionItem.objects.get().owner == alice
        assert not RiskSignal.objects.filter(opportunity=deal, kind="no_next_step").exists()
        # It is coaching too: a deal-review session for Alice, with the deal and the notes.
        session = review.coaching_session
        assert (session.kind, session.seller, session.coach) == ("deal_review", alice, review.reviewer)
        assert list(session.opportunities.all()) == [deal]
        assert session.notes.get().body == "Needs a second thread."

    def test_a_seller_cannot_review_their_own_deal(self):
        with pytest.raises(OutOfScope):
            services.deal_review_record(
                actor=self.world.users["seller_a"], opportunity=self.world.opportunity_a, notes="Fine"
            )

    def test_each_canvas_save_is_a_new_version(self):
        actor = self.world.users["seller_a"]
        first = services.canvas_save(actor=actor, opportunity=self.world.opportunity_a, decision="Pilot")
        second = services.canvas_save(
            actor=actor, opportunity=self.world.opportunity_a, needs=[{"need": "Speed", "solution": "Cloud"}]
        )
        assert (first.version, second.version) == (1, 2)
        assert StrategyCanvas.objects.get(version=1).decision == "Pilot"

    def test_a_canvas_with_malformed_needs_is_refused(self):
        with pytest.raises(ValidationError):
            services.canvas_save(
                actor=self.world.users["seller_a"], opportunity=self.world.opportunity_a, needs=["x"]
            )


class RiskFromHistoryTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.world = build_world()

    def test_two_close_date_slips_in_the_audit_log_trip_the_signal(self):
        alice = self.world.users["seller_a"]
        deal = Opportunity.objects.get(pk=self.world.opportunity_a.pk)
        for days in (30, 60):
            deal.close_date = deal.close_date + timedelta(days=days)
            opportunity_save(actor=alice, instance=deal)
        found = {
            signal.kind
            for signal in deal_signals([Opportunity.objects.select_related("stage").get(pk=deal.pk)])[deal.pk]
        }
        assert "slipped" in found

    def test_stakeholders_and_closing_the_deal_clear_the_signals(self):
        deal = Opportunity.objects.select_related("stage").get(pk=self.world.opportunity_a.pk)
        deal.stage = self.world.stages["propose"]  # past qualification: a buying group is expected
        deal.save()
        services.risk_refresh()
        assert set(RiskSignal.objects.filter(opportunity=deal).values_list("kind", flat=True)) >= {
            "single_threaded",
            "no_power",
        }
        for role in ("economic_buyer", "champion"):
            contact = Contact.objects.create(account=deal.account, name=role)
            Stakeholder.objects.create(account=deal.account, opportunity=deal, contact=contact, role=role)
        services.risk_refresh()
        assert not RiskSignal.objects.filter(
            opportunity=deal, kind__in=["single_threaded", "no_power"]
        ).exists()
        deal.stage = self.world.stages["won"]
        deal.save()
        services.risk_refresh()
        assert not RiskSignal.objects.filter(opportunity=deal).exists()


class ForecastCallTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.world = build_world()
        cls.quarter = fiscal_calendar().quarter_of(timezone.localdate())

    def call(self, persona, **target):
        return services.forecast_call_make(
            actor=self.world.users[persona],
            period=self.quarter.label,
            commit=Decimal(target.pop("commit")),
            best_case=Decimal(target.pop("best_case")),
            **target,
        )

    def test_calls_roll_up_and_the_latest_call_counts(self):
        alice, bob, carol = (self.world.people[key] for key in ("seller_a", "seller_b", "seller_c"))
        self.call("seller_a", person=alice, commit=100, best_case=150)
        self.call("seller_a", person=alice, commit=120, best_case=160)  # a later call replaces it
        self.call("seller_b", person=bob, commit=30, best_case=40)
        self.call("seller_c", person=carol, commit=50, best_case=50)
        self.call("manager_1", team=self.world.east, commit=140, best_case=190)
        rolled = rolled_calls(
            user=self.world.users["executive"], team=self.world.company, period=self.quarter
        )
        east = rolled[self.world.east.pk]
        assert (east.from_below.commit, east.commit, east.adjustment) == (150, 140, -10)
        assert rolled[self.world.company.pk].commit == 140 + 50
        assert ForecastCall.objects.filter(person=alice).count() == 2  # history kept

    def test_a_manager_cannot_make_a_sellers_call_or_adjust_a_sibling_team(self):
        with pytest.raises(OutOfScope):
            self.call("manager_1", person=self.world.people["seller_a"], commit=1, best_case=2)
        with pytest.raises(OutOfScope):
            self.call("manager_1", team=self.world.west, commit=1, best_case=2)

    def test_best_case_below_commit_is_refused(self):
        with pytest.raises(ValidationError):
            self.call("seller_a", person=self.world.people["seller_a"], commit=10, best_case=5)


class HistoryStartTests(TestCase):
    def test_the_history_begins_with_the_first_close_not_the_oldest_deal(self):
        from firstline.deals.forecasting import history_start

        world = build_world()
        assert history_start() is None  # open deals only: no outcome recorded yet
        today = timezone.localdate()
        # An export often holds open deals created years before the first outcome it records.
        Opportunity.objects.update(created=today - timedelta(days=900))
        Opportunity.objects.filter(pk=world.opportunity_c.pk).update(
            stage=world.stages["won"], closed_on=today - timedelta(days=30)
        )
        assert history_start() == today - timedelta(days=30)
