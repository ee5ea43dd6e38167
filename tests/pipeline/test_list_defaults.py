"""Lists open on the rows people work on, and every list sorts by its columns."""

from datetime import timedelta
from decimal import Decimal

from django.test import TestCase
from django.urls import reverse
from django.utils import timezone

from firstline.core.periods import fiscal_calendar
from firstline.pipeline.models import Account, Opportunity
from firstline.targets.models import Target
from tests.world import build_world


class ListDefaultTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.world = build_world()
        w = cls.world
        long_ago = timezone.localdate() - timedelta(days=700)
        cls.old_loss = Opportunity.objects.create(
            name="Acme 2024 loss",
            account=w.account_a,
            owner=w.people["seller_a"],
            amount=Decimal(10_000),
            stage=w.stages["lost"],
            created=long_ago,
            close_date=long_ago,
            closed_on=long_ago,
            loss_reason="Price",
        )
        cls.old_target = Target.objects.create(person=w.people["seller_a"], period="2020Q1", amount=1)

    def setUp(self):
        self.client.force_login(self.world.users["manager_1"])

    def names(self, url, **params):
        response = self.client.get(url, params)
        assert response.status_code == 200
        return [str(row) for row in response.context["object_list"]]

    def test_opportunities_open_on_open_deals_soonest_close_first_with_all_one_choice_away(self):
        url = reverse("pipeline:opportunity_list")
        response = self.client.get(url)
        assert list(response.context["object_list"]) == [self.world.opportunity_a]
        self.assertContains(response, '<option value="open" selected>Open</option>', html=True)
        assert "Acme 2024 loss" in self.names(url, outcome="")

    def test_the_api_keeps_listing_every_deal_unless_asked(self):
        response = self.client.get(reverse("api:opportunity-list"))
        assert self.old_loss.pk in {row["id"] for row in response.json()["results"]}

    def test_targets_open_on_the_current_period(self):
        url = reverse("targets:target_list")
        quarter = fiscal_calendar().quarter_of(timezone.localdate())
        response = self.client.get(url)
        assert list(response.context["object_list"]) == [self.world.target_a]
        assert response.context["filter"].form["period"].value() == quarter.label
        assert str(self.old_target) in self.names(url, period="2020")

    def test_accounts_people_and_targets_sort_by_their_columns(self):
        Account.objects.create(name="Zeta", owner=self.world.people["seller_b"], market_potential=9_000_000)
        accounts = reverse("pipeline:account_list")
        assert self.names(accounts) == ["Acme Corp", "Zeta"]
        assert self.names(accounts, ordering="-potential") == ["Zeta", "Acme Corp"]
        people = reverse("org:person_list")
        assert self.names(people, ordering="-name")[0] == "Mia Moore"
        targets = reverse("targets:target_list")
        assert self.names(targets, period="", ordering="period")[0] == str(self.old_target)
        assert self.names(targets, period="", ordering="-period")[-1] == str(self.old_target)

    def test_headers_link_to_the_other_order_and_say_how_the_list_is_sorted(self):
        response = self.client.get(reverse("pipeline:account_list"), {"ordering": "-potential"})
        self.assertContains(
            response,
            '<th scope="col" class="num" aria-sort="descending"><a href="?ordering=potential&amp;page=1">'
            "Potential</a></th>",
            html=True,
        )
        self.assertContains(
            response, '<th scope="col"><a href="?ordering=name&amp;page=1">Account</a></th>', html=True
        )
