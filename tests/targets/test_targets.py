from decimal import Decimal

from auditlog.models import LogEntry
from django.test import TestCase
from django.urls import reverse
from django.utils import timezone

from firstline.core.periods import fiscal_calendar
from firstline.targets.models import Target
from tests.world import build_world


class RaiseTheBarTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.world = w = build_world()
        cls.quarter = fiscal_calendar().quarter_of(timezone.localdate())
        quarter = cls.quarter.label
        cls.team_target = Target.objects.create(team=w.east, period=quarter, amount=Decimal(500_000))
        cls.params = {"team": w.east.pk, "period": cls.quarter.label, "metric": "revenue", "percent": "10"}

    def login(self, persona):
        self.client.force_login(self.world.users[persona])

    def test_the_preview_shows_every_target_before_and_after_and_changes_nothing(self):
        self.login("manager_1")
        response = self.client.get(reverse("targets:target_raise"), self.params)
        changes = response.context["preview"]
        preview = {str(change.target): (change.before, change.after) for change in changes}
        assert preview == {
            f"Alice Archer Closed-won revenue {self.quarter.label}": (Decimal(300_000), Decimal(330_000)),
            f"East Closed-won revenue {self.quarter.label}": (Decimal(500_000), Decimal(550_000)),
        }
        # Team target beside the sum of its sellers' targets, and the gap between them.
        assert response.context["team_after"] == Decimal(550_000)
        assert response.context["sellers_after"] == Decimal(330_000)
        assert response.context["gap"] == Decimal(220_000)
        self.world.target_a.refresh_from_db()
        assert self.world.target_a.amount == Decimal(300_000)

    def test_applying_raises_them_all_and_audits_who_from_and_to(self):
        self.login("manager_1")
        response = self.client.post(reverse("targets:target_raise"), self.params)
        assert response.status_code == 302
        self.world.target_a.refresh_from_db()
        self.team_target.refresh_from_db()
        assert (self.world.target_a.amount, self.team_target.amount) == (Decimal(330_000), Decimal(550_000))
        entries = LogEntry.objects.get_for_object(self.world.target_a)
        entry = entries.filter(action=LogEntry.Action.UPDATE).get()
        assert entry.actor == self.world.users["manager_1"]
        assert entry.changes_dict["amount"] == ["300000.00", "330000.00"]
        history = self.client.get(self.world.target_a.get_absolute_url())
        self.assertContains(history, "330000.00")

    def test_a_manager_cannot_raise_another_teams_targets(self):
        self.login("manager_2")
        response = self.client.post(reverse("targets:target_raise"), self.params)
        assert response.status_code == 200
        assert "team" in response.context["form"].errors
        self.world.target_a.refresh_from_db()
        assert self.world.target_a.amount == Decimal(300_000)

    def test_a_seller_cannot_set_their_own_target(self):
        self.login("seller_a")
        alice = self.world.people["seller_a"].pk
        data = {"person": alice, "metric": "revenue", "period": "2031Q1", "amount": "1"}
        response = self.client.post(reverse("targets:target_create"), data)
        assert response.status_code == 200
        assert not Target.objects.filter(period="2031Q1").exists()

    def test_a_stretch_target_sits_beside_the_plan(self):
        self.login("manager_1")
        data = {
            "person": self.world.people["seller_a"].pk,
            "metric": "revenue",
            "period": self.quarter.label,
            "amount": "400000",
            "stretch": "on",
        }
        response = self.client.post(reverse("targets:target_create"), data)
        assert response.status_code == 302
        from firstline.kpis.figures import kpi_set, seller_population

        figures = kpi_set(seller_population(self.world.people["seller_a"]), self.quarter)
        assert figures.target == Decimal(300_000)
        assert figures.stretch_target == Decimal(400_000)

    def test_a_target_needs_a_seller_or_a_team_not_both(self):
        self.login("manager_1")
        data = {
            "person": self.world.people["seller_a"].pk,
            "team": self.world.east.pk,
            "metric": "revenue",
            "period": "2031Q1",
            "amount": "1",
        }
        response = self.client.post(reverse("targets:target_create"), data)
        self.assertContains(response, "Choose either a seller or a team")
