from datetime import timedelta
from decimal import Decimal

from django.test import TestCase
from django.urls import reverse
from django.utils import timezone

from firstline.coaching.models import DevelopmentGoal
from firstline.core.periods import fiscal_calendar
from firstline.org.models import Membership
from firstline.pipeline.models import Opportunity
from firstline.talent.selectors import retention_risks
from firstline.targets.models import Target
from tests.team_world import build_team_world
from tests.world import build_world


class RetentionRiskTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.world = build_world()
        cls.team = build_team_world(cls.world)
        w, today = cls.world, timezone.localdate()
        calendar = fiscal_calendar()
        last = calendar.quarter_of(calendar.quarter_of(today).start - timedelta(days=1))
        before = calendar.quarter_of(last.start - timedelta(days=1))
        cls.last, cls.before = last, before
        # Bob: 100 % to plan the quarter before, 40 % in the last one.
        bob = w.people["seller_b"]
        for period, won in ((before, 100_000), (last, 40_000)):
            Target.objects.create(person=bob, period=period.label, amount=Decimal(100_000))
            Opportunity.objects.create(
                name=f"Won {period.label}",
                account=w.account_a,
                owner=bob,
                amount=Decimal(won),
                stage=w.stages["won"],
                created=period.start,
                close_date=period.end,
                closed_on=period.end,
            )
        DevelopmentGoal.objects.filter(pk=cls.team.goal_a.pk).update(due_on=today - timedelta(days=3))

    def rows(self, team_enps=None):
        memberships = list(
            Membership.objects.current()
            .filter(team=self.world.east)
            .select_related("person", "team")
            .order_by("person__name")
        )
        rows = retention_risks(
            user=self.world.users["manager_1"],
            memberships=memberships,
            team_enps=team_enps or {},
            today=timezone.localdate(),
        )
        return {row.person.name: dict(row.reasons) for row in rows}

    def test_each_flag_names_its_rule_and_the_figures(self):
        rows = self.rows()
        alice, bob = rows["Alice Archer"], rows["Bob Baker"]
        assert alice == {"Overdue development goals": "1 development goal(s) past due."}
        assert bob["Falling attainment"] == (
            f"40% to plan in {self.last.label}, down from 100% in {self.before.label}."
        )
        assert bob["Long time since coaching"] == "No coaching session recorded."
        assert "Overdue development goals" not in bob

    def test_low_team_engagement_flags_everyone_in_the_team(self):
        rows = self.rows({self.world.east.pk: Decimal(-20)})
        assert all(r["Low team engagement"] == "The team's latest eNPS is -20." for r in rows.values())
        assert all("Low team engagement" not in r for r in self.rows({self.world.east.pk: None}).values())

    def test_the_page_lists_the_reasons(self):
        self.client.force_login(self.world.users["manager_1"])
        page = self.client.get(reverse("talent:retention")).content.decode()
        assert "Overdue development goals:</strong> 1 development goal(s) past due." in page
        assert "2 of 2 sellers flagged" in page
