from datetime import timedelta
from decimal import Decimal

from django.test import TestCase
from django.urls import reverse
from django.utils import timezone

from firstline.pipeline.models import Account, Opportunity
from tests.world import build_world


class OpportunityListTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.world = build_world()
        w = cls.world
        today = timezone.localdate()
        Opportunity.objects.bulk_create(
            Opportunity(
                name=f"Deal {number:03d}",
                account=w.account_a,
                owner=w.people["seller_a"],
                amount=Decimal(1000 * number),
                stage=w.stages["won" if number % 4 == 0 else "propose"],
                created=today - timedelta(days=60),
                close_date=today + timedelta(days=number),
                closed_on=today if number % 4 == 0 else None,
            )
            for number in range(1, 121)
        )

    def setUp(self):
        self.client.force_login(self.world.users["manager_1"])

    def test_it_paginates_fifty_a_page_and_keeps_filters_in_page_links(self):
        response = self.client.get(reverse("pipeline:opportunity_list"), {"outcome": "open"})
        assert len(response.context["object_list"]) == 50
        assert response.context["paginator"].count == 91  # 90 open deals plus Acme expansion
        self.assertContains(response, "?outcome=open&amp;page=2")

    def test_it_filters_by_status_and_amount(self):
        response = self.client.get(
            reverse("pipeline:opportunity_list"), {"outcome": "won", "min_amount": "100000"}
        )
        names = [o.name for o in response.context["object_list"]]
        assert names == ["Deal 100", "Deal 104", "Deal 108", "Deal 112", "Deal 116", "Deal 120"]

    def test_an_htmx_request_gets_only_the_results(self):
        response = self.client.get(
            reverse("pipeline:opportunity_list"), {"q": "Deal 00"}, HTTP_HX_REQUEST="true"
        )
        assert b"<html" not in response.content
        self.assertContains(response, "Deal 009")
        self.assertNotContains(response, "Deal 010")

    def test_the_owner_filter_offers_only_people_in_scope(self):
        response = self.client.get(reverse("pipeline:opportunity_list"))
        owners = {person.name for person in response.context["filter"].form.fields["owner"].queryset}
        assert owners == {"Alice Archer", "Bob Baker", "Mia Moore"}

    def test_an_empty_result_says_what_to_do(self):
        response = self.client.get(reverse("pipeline:opportunity_list"), {"q": "no such deal"})
        self.assertContains(response, "No opportunities match these filters")

    def test_the_query_count_does_not_depend_on_the_page_size(self):
        url = reverse("pipeline:opportunity_list")
        with self.assertNumQueries(9) as few:  # 8, and one for the risk badges
            self.client.get(url, {"q": "Deal 001"})
        with self.assertNumQueries(len(few.captured_queries)):
            self.client.get(url)


class OpportunityEditTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.world = build_world()

    def setUp(self):
        self.client.force_login(self.world.users["seller_a"])
        self.url = reverse("pipeline:opportunity_update", args=[self.world.opportunity_a.pk])

    def form(self, **changes):
        opportunity = self.world.opportunity_a
        data = {
            "name": opportunity.name,
            "stage": opportunity.stage_id,
            "amount": "120000",
            "close_date": opportunity.close_date.isoformat(),
            "next_step": "",
        }
        return {**data, **changes}

    def test_a_bad_amount_is_explained_and_what_was_typed_is_kept(self):
        response = self.client.post(self.url, self.form(amount="-5", next_step="Call the CFO"))
        assert response.status_code == 200
        self.assertContains(response, "greater than or equal to 0")
        self.assertContains(response, 'value="Call the CFO"')
        self.assertContains(response, "nothing was saved")
        assert Opportunity.objects.get(pk=self.world.opportunity_a.pk).amount == Decimal(120000)

    def test_saving_moves_the_stage_and_records_it(self):
        response = self.client.post(self.url, self.form(stage=self.world.stages["won"].pk))
        self.assertRedirects(response, self.world.opportunity_a.get_absolute_url())
        opportunity = Opportunity.objects.get(pk=self.world.opportunity_a.pk)
        assert opportunity.closed_on == timezone.localdate()
        assert opportunity.stage_changes.latest("changed_at").stage == self.world.stages["won"]
        detail = self.client.get(opportunity.get_absolute_url())
        self.assertContains(detail, "Closed Won")


class AccountPagesTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.world = build_world()

    def test_an_account_page_lists_its_opportunities(self):
        self.client.force_login(self.world.users["seller_a"])
        response = self.client.get(self.world.account_a.get_absolute_url())
        self.assertContains(response, "Acme expansion")
        self.assertContains(response, "$500,000")

    def test_account_filters_by_segment_and_potential(self):
        w = self.world
        Account.objects.create(
            name="Big Co",
            owner=w.people["seller_a"],
            segment="enterprise",
            market_potential=Decimal(5_000_000),
        )
        self.client.force_login(w.users["manager_1"])
        response = self.client.get(
            reverse("pipeline:account_list"), {"segment": "enterprise", "min_potential": "1000000"}
        )
        assert [a.name for a in response.context["object_list"]] == ["Big Co"]

    def test_a_latitude_out_of_range_is_refused(self):
        self.client.force_login(self.world.users["seller_a"])
        url = reverse("pipeline:account_update", args=[self.world.account_a.pk])
        response = self.client.post(
            url,
            {
                "name": "Acme Corp",
                "segment": "enterprise",
                "market_potential": "1",
                "latitude": "123",
                "longitude": "0",
            },
        )
        self.assertContains(response, "less than or equal to 90")
