"""Pages write numbers through the formatting module: symbols, no stray cents, coverage as a
multiple, a beaten target as news rather than "no data", counts with separators."""

from decimal import Decimal
from types import SimpleNamespace

from django.template.loader import render_to_string
from django.test import RequestFactory, TestCase
from django.urls import reverse
from django.utils import timezone

from firstline.core.periods import fiscal_calendar
from firstline.pipeline.models import Opportunity
from tests.world import build_world


class FormattedPagesTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.world = build_world()

    def test_a_single_deal_shows_its_amount_in_full_with_the_currency_symbol(self):
        self.client.force_login(self.world.users["seller_a"])
        response = self.client.get(self.world.opportunity_a.get_absolute_url())
        self.assertContains(response, "<dd>$120,000</dd>", html=True)
        self.assertNotContains(response, "k USD")

    def test_the_edit_form_shows_the_amount_as_typed_not_with_database_cents(self):
        self.client.force_login(self.world.users["seller_a"])
        response = self.client.get(reverse("pipeline:opportunity_update", args=[self.world.opportunity_a.pk]))
        self.assertContains(response, 'value="120000"')
        self.assertNotContains(response, "120000.00")

    def test_coverage_reads_as_a_multiple_and_a_beaten_target_says_so(self):
        self.client.force_login(self.world.users["seller_a"])
        person = self.world.people["seller_a"]
        response = self.client.get(person.get_absolute_url())
        # Open 120,000 against a target of 300,000 with nothing won: 0.4×.
        expected = (
            "0.4×"
            if self.world.opportunity_a.close_date in fiscal_calendar().quarter_of(timezone.localdate())
            else "0.0×"
        )
        self.assertContains(response, expected)
        quarter = fiscal_calendar().quarter_of(timezone.localdate())
        Opportunity.objects.create(
            name="Big win",
            account=self.world.account_a,
            owner=person,
            amount=Decimal(400_000),
            stage=self.world.stages["won"],
            created=quarter.start,
            close_date=quarter.start,
            closed_on=quarter.start,
        )
        response = self.client.get(person.get_absolute_url())
        self.assertContains(response, "Target met")
        self.assertNotContains(response, '<span class="kpi-value">no data</span>', html=True)

    def test_counts_in_pagination_have_thousands_separators(self):
        request = RequestFactory().get("/opportunities/")
        html = render_to_string(
            "includes/pagination.html",
            {
                "request": request,
                "is_paginated": True,
                "page_obj": SimpleNamespace(number=1, has_previous=False, has_next=True, next_page_number=2),
                "paginator": SimpleNamespace(count=3330, num_pages=67),
            },
        )
        assert "3,330 in all" in html
