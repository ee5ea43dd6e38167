from datetime import timedelta
from decimal import Decimal

from django.test import TestCase
from django.urls import reverse
from django.utils import timezone

from firstline.deals.models import RiskSignal, Scorecard, SignalKind
from firstline.deals.services import default_framework, risk_refresh, stage_statistics_refresh
from firstline.pipeline.models import Opportunity, StageChange
from firstline.relationships.models import Contact, Stakeholder
from tests.world import build_world


def add_deals(world, count: int, *, past_close: bool = True):
    today = timezone.localdate()
    deals = Opportunity.objects.bulk_create(
        Opportunity(
            name=f"Deal {index:03d}",
            account=world.account_a,
            owner=world.people["seller_a"],
            amount=Decimal(1000 + index),
            stage=world.stages["propose"],
            created=today - timedelta(days=60),
            close_date=today - timedelta(days=3) if past_close else today + timedelta(days=30),
        )
        for index in range(count)
    )
    StageChange.objects.bulk_create(
        StageChange(opportunity=deal, stage=deal.stage, changed_at=timezone.now() - timedelta(days=5))
        for deal in deals
    )
    return deals


class ReviewQueueTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.world = build_world()
        add_deals(cls.world, 3)
        risk_refresh()

    def setUp(self):
        self.client.force_login(self.world.users["manager_1"])

    def test_the_riskiest_deals_come_with_their_reasons(self):
        response = self.client.get(reverse("deals:review_queue"))
        self.assertContains(response, "Deal 002")
        self.assertContains(response, "Past close date")
        self.assertContains(response, "and still open")
        self.assertNotContains(response, "Cobalt renewal")  # Nate's team, not Mia's

    def test_the_query_count_does_not_depend_on_the_number_of_deals(self):
        url = reverse("deals:review_queue")
        # Session, user, viewer and the scope's id list (org.scoping), then the queue (the deals with
        # several signals, then the flagged ones by size) and its signals.
        with self.assertNumQueries(8) as few:
            self.client.get(url)
        add_deals(self.world, 30)
        risk_refresh()
        with self.assertNumQueries(len(few.captured_queries)):
            self.client.get(url)

    def test_the_deals_with_most_signals_come_first_then_the_largest(self):
        smallest = Opportunity.objects.get(name="Deal 000")
        kinds = set(RiskSignal.objects.filter(opportunity=smallest).values_list("kind", flat=True))
        extra = next(kind for kind in SignalKind if kind not in kinds)
        RiskSignal.objects.create(
            opportunity=smallest,
            kind=extra,
            reason="Planted.",
            since=timezone.localdate(),
            computed_on=timezone.localdate(),
        )
        rows = self.client.get(reverse("deals:review_queue")).context["rows"]
        counts = [len(found) for _deal, found in rows]
        assert rows[0][0] == smallest and counts[0] == max(counts)
        rest = [(len(found), deal.amount) for deal, found in rows]
        assert rest == sorted(rest, key=lambda row: (-row[0], -row[1]))

    def test_qualification_gaps_show_in_the_queue(self):
        deal = Opportunity.objects.get(name="Deal 002")
        scores = dict.fromkeys(default_framework().element_keys(), 3) | {"champion": 1, "metrics": 0}
        Scorecard.objects.create(
            opportunity=deal, framework=default_framework(), scores=scores, updated_at=timezone.now()
        )
        response = self.client.get(reverse("deals:review_queue"))
        self.assertContains(response, "2 MEDDICC gaps")
        self.assertContains(response, "Metrics, Champion")
        self.assertContains(response, "not scored")

    def test_qualification_gaps_show_in_the_opportunity_list_in_constant_queries(self):
        url = reverse("pipeline:opportunity_list")
        with self.assertNumQueries(11) as few:  # as without scorecards (tests/pipeline/test_pages.py)
            self.client.get(url)
        framework = default_framework()
        full = dict.fromkeys(framework.element_keys(), 3)
        for index, deal in enumerate(add_deals(self.world, 30)):
            scores = full | {"champion": 1, "metrics": 0} if index == 0 else full
            Scorecard.objects.create(
                opportunity=deal, framework=framework, scores=scores, updated_at=timezone.now()
            )
        with self.assertNumQueries(len(few.captured_queries)):
            response = self.client.get(url, {"sort": "-amount"})
        self.assertContains(response, "Qualification gaps")
        self.assertContains(response, "2 MEDDICC gaps")
        self.assertContains(response, "Metrics, Champion")
        self.assertContains(response, "not scored")  # the deals scored before the 30 were not
        self.assertContains(response, "none", count=29)

    def test_each_focus_answers(self):
        for focus in ("largest", "stalled", "closing", "nonsense"):
            assert self.client.get(reverse("deals:review_queue"), {"focus": focus}).status_code == 200


class DealPlanTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.world = build_world()
        cls.deal = add_deals(cls.world, 1)[0]

    def test_the_plan_says_why_the_deal_is_at_risk_and_since_when(self):
        self.client.force_login(self.world.users["seller_a"])
        response = self.client.get(reverse("deals:deal", args=[self.deal.pk]))
        self.assertContains(response, "Why this deal is at risk")
        self.assertContains(response, "No economic buyer and no champion identified")
        since = timezone.localdate() - timedelta(days=2)
        self.assertContains(response, f"Since {since.day} {since:%b %Y}.")
        self.assertNotContains(response, "Review this deal")  # sellers do not review their own deals

    def test_the_query_count_does_not_depend_on_the_number_of_stakeholders(self):
        self.client.force_login(self.world.users["manager_1"])
        url = reverse("deals:deal", args=[self.deal.pk])
        self.client.get(url)  # warm the content-type cache
        few = self._queries(url)
        for index in range(5):
            contact = Contact.objects.create(account=self.world.account_a, name=f"Person {index}")
            Stakeholder.objects.create(
                account=self.world.account_a, opportunity=self.deal, contact=contact, role="user"
            )
        with self.assertNumQueries(len(few)):
            response = self.client.get(url)
        self.assertContains(response, "<svg")
        self.assertContains(response, "Stakeholders, in words")

    def _queries(self, url):
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as captured:
            self.client.get(url)
        return captured.captured_queries

    def test_out_of_scope_is_404(self):
        self.client.force_login(self.world.users["seller_c"])
        assert self.client.get(reverse("deals:deal", args=[self.deal.pk])).status_code == 404
        assert self.client.get(reverse("deals:canvas", args=[self.deal.pk])).status_code == 404


class ForecastPageTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.world = build_world()
        stage_statistics_refresh()

    def test_a_manager_sees_the_calls_beside_the_projection(self):
        self.client.force_login(self.world.users["manager_1"])
        response = self.client.get(reverse("deals:forecast"))
        self.assertContains(response, "Forecast: East")
        self.assertContains(response, "Projected percent to plan")
        self.assertContains(response, "Stage-weighted pipeline")
        assert response.context["may_adjust"]
        # Acme expansion has no category: it counts as pipeline if it closes in this quarter.
        result = response.context["result"]
        closes_now = self.world.opportunity_a.close_date in result.period
        assert result.categories["Pipeline"] == ((1, 120_000.0) if closes_now else (0, 0.0))
        assert result.categories["Commit"] == (0, 0.0)

    def test_a_bad_period_says_how_to_write_one(self):
        self.client.force_login(self.world.users["manager_1"])
        response = self.client.get(reverse("deals:forecast"), {"period": "Q5"})
        self.assertContains(response, "is not a period")

    def test_another_managers_team_is_404(self):
        self.client.force_login(self.world.users["manager_2"])
        assert self.client.get(reverse("deals:forecast"), {"team": self.world.east.pk}).status_code == 404

    def test_the_api_answers_for_a_visible_team_only(self):
        self.client.force_login(self.world.users["manager_1"])
        label = self.world.target_a.period
        ok = self.client.get(reverse("api:forecast"), {"team": self.world.east.pk, "period": label})
        assert ok.status_code == 200 and ok.json()["target"] == 300_000.0
        hidden = self.client.get(reverse("api:forecast"), {"team": self.world.west.pk, "period": label})
        assert hidden.status_code == 404


class AccountMapTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.world = build_world()

    def test_an_empty_map_says_who_to_add(self):
        self.client.force_login(self.world.users["seller_a"])
        response = self.client.get(reverse("relationships:account_map", args=[self.world.account_a.pk]))
        self.assertContains(response, "Nobody on the map yet")

    def test_adding_a_stakeholder_with_a_new_contact_draws_the_map(self):
        self.client.force_login(self.world.users["seller_a"])
        url = reverse("relationships:account_stakeholder_add", args=[self.world.account_a.pk])
        response = self.client.post(
            url,
            {"new_name": "Pat <Buyer>", "role": "economic_buyer", "influence": 5, "stance": 1, "strength": 3},
        )
        assert response.status_code == 302
        page = self.client.get(reverse("relationships:account_map", args=[self.world.account_a.pk]))
        self.assertContains(page, "Pat &lt;Buyer&gt;")  # escaped in the SVG and the table
        self.assertNotContains(page, "Pat <Buyer>")
        self.assertContains(page, "Relationship health")

    def test_a_bad_stakeholder_keeps_no_new_contact(self):
        self.client.force_login(self.world.users["seller_a"])
        url = reverse("relationships:account_stakeholder_add", args=[self.world.account_a.pk])
        response = self.client.post(
            url, {"new_name": "Pat", "role": "economic_buyer", "influence": 9, "stance": 1, "strength": 3}
        )
        assert response.status_code == 200
        assert not Contact.objects.exists()
