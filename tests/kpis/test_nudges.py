from datetime import timedelta
from decimal import Decimal

from django.core import mail
from django.test import TestCase
from django.urls import reverse
from django.utils import timezone

from firstline.core.periods import fiscal_calendar
from firstline.kpis.models import Nudge
from firstline.kpis.nudges import nudges_check
from firstline.pipeline.models import Opportunity
from firstline.targets.models import Kudos, Target
from tests.world import build_world


class NudgeTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.world = build_world()
        cls.quarter = fiscal_calendar().quarter_of(timezone.localdate())

    def win(self, amount):
        w = self.world
        return Opportunity.objects.create(
            name="Win",
            account=w.account_a,
            owner=w.people["seller_a"],
            amount=Decimal(amount),
            stage=w.stages["won"],
            created=self.quarter.start,
            close_date=self.quarter.start,
            closed_on=self.quarter.start,
        )

    def reached(self, person):
        return set(Nudge.objects.filter(recipient=person, kind="reached").values_list("threshold", flat=True))

    def test_crossing_half_the_target_nudges_the_seller_and_the_manager_once(self):
        w = self.world
        self.win(160_000)  # Alice's target is 300,000: 53 %
        assert self.reached(w.people["seller_a"]) == {50}
        assert self.reached(w.people["manager_1"]) == {50}

        def reached_mails():
            return [message for message in mail.outbox if "has reached" in message.subject]

        assert len(reached_mails()) == 2
        nudges_check()
        assert len(reached_mails()) == 2, "a nudge is sent once"
        self.win(140_000)  # 100 %
        assert self.reached(w.people["seller_a"]) == {50, 90, 100}

    def test_a_team_target_nudges_its_manager_and_the_one_above(self):
        w = self.world
        Target.objects.create(team=w.east, period=self.quarter.label, amount=Decimal(200_000))
        self.win(190_000)
        assert 90 in self.reached(w.people["manager_1"])
        assert 90 in self.reached(w.people["executive"])

    def test_falling_behind_pace_is_a_nudge_once_a_third_of_the_period_is_gone(self):
        w = self.world
        late = self.quarter.end - timedelta(days=5)
        nudges_check(day=late)
        behind = Nudge.objects.filter(kind="behind", recipient=w.people["seller_a"])
        assert behind.count() == 1
        nudges_check(day=self.quarter.start + timedelta(days=3))
        assert behind.count() == 1

    def test_each_person_sees_only_their_own_nudges(self):
        w = self.world
        self.win(160_000)
        self.client.force_login(w.users["seller_c"])
        response = self.client.get(reverse("kpis:nudge_list"))
        assert list(response.context["nudges"]) == []
        self.client.force_login(w.users["seller_a"])
        response = self.client.get(reverse("kpis:nudge_list"))
        self.assertContains(response, "has reached 50 %")


class KudosTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.world = build_world()

    def test_a_manager_gives_kudos_that_show_on_the_sellers_page(self):
        w = self.world
        self.client.force_login(w.users["manager_1"])
        url = reverse("targets:kudos_give", args=[w.people["seller_a"].pk])
        response = self.client.post(url, {"message": "Brilliant discovery call with Acme."})
        assert response.status_code == 302
        self.client.force_login(w.users["seller_a"])
        page = self.client.get(w.people["seller_a"].get_absolute_url())
        self.assertContains(page, "Brilliant discovery call with Acme.")
        self.assertContains(page, "Mia Moore")

    def test_nobody_gives_kudos_to_themselves_or_outside_their_team(self):
        w = self.world
        self.client.force_login(w.users["seller_a"])
        url = reverse("targets:kudos_give", args=[w.people["seller_a"].pk])
        assert self.client.post(url, {"message": "Me!"}).status_code == 404
        self.client.force_login(w.users["manager_2"])
        assert self.client.post(url, {"message": "Hi"}).status_code == 404
        assert not Kudos.objects.exists()
