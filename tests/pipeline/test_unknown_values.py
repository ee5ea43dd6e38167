"""Real CRM exports leave account, amount, engaged and close dates empty on early deals: those stay
unknown (null), every page and KPI copes, and a missing name is derived rather than invented."""

from datetime import timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.test import TestCase
from django.urls import reverse
from django.utils import timezone

from firstline.core.periods import fiscal_calendar
from firstline.kpis.selectors import seller_figures
from firstline.pipeline.models import Opportunity, derived_opportunity_name
from firstline.pipeline.services import opportunity_save
from tests.world import build_world


class UnknownValuesTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.world = build_world()
        w = cls.world
        cls.bare = Opportunity.objects.create(
            name="Early talk",
            owner=w.people["seller_a"],
            stage=w.stages["prospect"],
            created=timezone.localdate() - timedelta(days=3),
        )
        cls.won_unknown_amount = Opportunity.objects.create(
            name="Won, amount unknown",
            owner=w.people["seller_a"],
            stage=w.stages["won"],
            created=timezone.localdate() - timedelta(days=30),
            closed_on=timezone.localdate(),
            close_date=timezone.localdate(),
        )

    def test_a_deal_without_account_amount_or_dates_is_stored_as_unknown(self):
        bare = Opportunity.objects.get(pk=self.bare.pk)
        assert (bare.account, bare.amount, bare.close_date, bare.engaged_on) == (None, None, None, None)

    def test_pages_show_unknowns_without_failing(self):
        w = self.world
        self.client.force_login(w.users["seller_a"])
        detail = self.client.get(reverse("pipeline:opportunity_detail", args=[self.bare.pk]))
        assert detail.status_code == 200
        assert b"No account" in detail.content and b"Unknown" in detail.content
        assert self.client.get(reverse("pipeline:opportunity_list")).status_code == 200
        person_page = reverse("org:person_detail", args=[w.people["seller_a"].pk])
        assert self.client.get(person_page).status_code == 200
        self.client.force_login(w.users["manager_1"])
        assert self.client.get(reverse("kpis:my_team")).status_code == 200

    def test_won_revenue_counts_known_amounts_only(self):
        w = self.world
        quarter = fiscal_calendar().quarter_of(timezone.localdate())
        (row,) = seller_figures(user=w.users["admin"], people=[w.people["seller_a"]], period=quarter)
        assert row.won == Decimal(0)  # the one won deal has no amount: unknown adds nothing

    def test_a_missing_name_is_derived_from_account_and_product(self):
        w = self.world
        deal = Opportunity(
            owner=w.people["seller_a"],
            account=w.account_a,
            product=w.product,
            stage=w.stages["prospect"],
            created=timezone.localdate(),
        )
        opportunity_save(actor=w.users["seller_a"], instance=deal)
        assert deal.name == "Acme Corp – Insight Cloud"

    def test_a_missing_name_falls_back_to_the_external_id(self):
        assert derived_opportunity_name(account="", product="", external_id=" 006A1 ") == "006A1"

    def test_a_deal_with_nothing_to_name_it_by_is_refused(self):
        w = self.world
        deal = Opportunity(
            owner=w.people["seller_a"], stage=w.stages["prospect"], created=timezone.localdate()
        )
        with self.assertRaises(ValidationError) as caught:
            deal.full_clean()
        assert "name" in caught.exception.message_dict
