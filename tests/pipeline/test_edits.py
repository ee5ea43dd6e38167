"""Edits that would contradict themselves are refused with a reason; the won/lost day follows every
change of outcome; a save is confirmed and an error puts focus where the fix is."""

from datetime import timedelta

from django.core.exceptions import ValidationError
from django.test import TestCase
from django.urls import reverse
from django.utils import timezone

from firstline.pipeline.models import Opportunity
from firstline.pipeline.services import opportunity_save
from tests.world import build_world


class OpportunityContradictionTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.world = build_world()

    def save(self, **changes):
        opportunity = Opportunity.objects.get(pk=self.world.opportunity_a.pk)
        for field, value in changes.items():
            setattr(opportunity, field, value)
        return opportunity_save(actor=self.world.users["seller_a"], instance=opportunity)

    def test_a_lost_deal_needs_a_loss_reason(self):
        with self.assertRaises(ValidationError) as error:
            self.save(stage=self.world.stages["lost"])
        assert "loss_reason" in error.exception.message_dict
        saved = self.save(stage=self.world.stages["lost"], loss_reason="Budget moved to next year")
        assert saved.loss_reason == "Budget moved to next year"

    def test_an_open_deal_cannot_be_set_to_close_in_the_past(self):
        with self.assertRaises(ValidationError) as error:
            self.save(close_date=timezone.localdate() - timedelta(days=800))
        assert "close_date" in error.exception.message_dict

    def test_every_problem_is_reported_at_once(self):
        with self.assertRaises(ValidationError) as error:
            self.save(stage=self.world.stages["lost"], amount=-1)
        assert {"loss_reason", "amount"} <= set(error.exception.message_dict)

    def test_reopening_a_lost_deal_as_won_dates_the_win_today_not_the_old_loss(self):
        long_ago = timezone.localdate() - timedelta(days=400)
        Opportunity.objects.filter(pk=self.world.opportunity_a.pk).update(
            stage=self.world.stages["lost"], closed_on=long_ago, close_date=long_ago, loss_reason="Price"
        )
        won = self.save(stage=self.world.stages["won"])
        assert won.closed_on == timezone.localdate()
        assert won.loss_reason == ""

    def test_reopening_clears_the_close_day_and_the_loss_reason(self):
        self.save(stage=self.world.stages["lost"], loss_reason="Price")
        reopened = self.save(stage=self.world.stages["propose"])
        assert reopened.closed_on is None
        assert reopened.loss_reason == ""


class OpportunityEditPageTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.world = build_world()

    def setUp(self):
        self.client.force_login(self.world.users["seller_a"])
        self.url = reverse("pipeline:opportunity_update", args=[self.world.opportunity_a.pk])

    def form(self, **changes):
        opportunity = self.world.opportunity_a
        return {
            "name": opportunity.name,
            "stage": opportunity.stage_id,
            "amount": "120000",
            "close_date": opportunity.close_date.isoformat(),
            **changes,
        }

    def test_a_save_is_confirmed(self):
        response = self.client.post(self.url, self.form(next_step="Call the CFO"), follow=True)
        self.assertContains(response, "Saved Acme expansion.")

    def test_the_first_invalid_field_takes_focus(self):
        response = self.client.post(self.url, self.form(stage=self.world.stages["lost"].pk))
        assert response.status_code == 200
        field = response.context["form"]["loss_reason"]
        assert field.errors
        self.assertContains(response, 'name="loss_reason"', count=1)
        assert "autofocus" in str(field)
        assert "autofocus" not in str(response.context["form"]["name"])

    def test_the_loss_reason_shows_only_on_lost_deals(self):
        Opportunity.objects.filter(pk=self.world.opportunity_a.pk).update(loss_reason="Old reason")
        response = self.client.get(self.world.opportunity_a.get_absolute_url())
        self.assertNotContains(response, "Loss reason")
