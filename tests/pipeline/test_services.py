from decimal import Decimal

from auditlog.models import LogEntry
from django.core.exceptions import ValidationError
from django.test import TestCase
from django.utils import timezone

from firstline.core.scoping import OutOfScope
from firstline.pipeline.models import Opportunity
from firstline.pipeline.services import opportunity_save
from tests.world import build_world


class OpportunitySaveTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.world = build_world()

    def test_a_stage_change_is_recorded_with_who_made_it(self):
        w = self.world
        opportunity = w.opportunity_a
        opportunity.stage = w.stages["propose"]
        opportunity_save(actor=w.users["seller_a"], instance=opportunity)
        last = opportunity.stage_changes.order_by("-changed_at", "-pk").first()
        assert (last.stage, last.changed_by) == (w.stages["propose"], w.people["seller_a"])

    def test_winning_sets_the_won_date_and_reopening_clears_it(self):
        w = self.world
        opportunity = w.opportunity_a
        opportunity.stage = w.stages["won"]
        opportunity_save(actor=w.users["manager_1"], instance=opportunity)
        assert opportunity.closed_on == timezone.localdate()
        opportunity.stage = w.stages["propose"]
        opportunity_save(actor=w.users["manager_1"], instance=opportunity)
        assert opportunity.closed_on is None

    def test_an_unchanged_stage_adds_no_history(self):
        w = self.world
        before = w.opportunity_a.stage_changes.count()
        w.opportunity_a.next_step = "Send proposal"
        opportunity_save(actor=w.users["seller_a"], instance=w.opportunity_a)
        assert w.opportunity_a.stage_changes.count() == before

    def test_a_seller_cannot_hand_a_deal_to_another_seller_and_nothing_is_written(self):
        w = self.world
        opportunity = Opportunity.objects.get(pk=w.opportunity_a.pk)
        opportunity.owner = w.people["seller_b"]
        opportunity.stage = w.stages["propose"]
        changes_before = opportunity.stage_changes.count()
        with self.assertRaises(OutOfScope):
            opportunity_save(actor=w.users["seller_a"], instance=opportunity)
        fresh = Opportunity.objects.get(pk=w.opportunity_a.pk)
        assert (fresh.owner, fresh.stage) == (w.people["seller_a"], w.stages["prospect"])
        assert fresh.stage_changes.count() == changes_before

    def test_a_negative_amount_is_refused(self):
        w = self.world
        w.opportunity_a.amount = Decimal(-1)
        with self.assertRaises(ValidationError) as error:
            opportunity_save(actor=w.users["seller_a"], instance=w.opportunity_a)
        assert "amount" in error.exception.message_dict

    def test_changes_are_audited_with_who_and_from_what_to_what(self):
        w = self.world
        self.client.force_login(w.users["seller_a"])
        self.client.post(
            w.opportunity_a.get_absolute_url() + "edit/",
            {
                "name": "Acme expansion",
                "stage": w.stages["prospect"].pk,
                "amount": "150000",
                "close_date": w.opportunity_a.close_date.isoformat(),
            },
        )
        entry = LogEntry.objects.get_for_object(w.opportunity_a).latest("timestamp")
        assert entry.actor == w.users["seller_a"]
        assert [Decimal(value) for value in entry.changes_dict["amount"]] == [
            Decimal(120000),
            Decimal(150000),
        ]
