"""The roll-ups a manager of managers sees (per sub-team) are computed from grouped, windowed reads;
each must equal what the per-seller computation of the same sellers gives, boundaries included:
sessions 30 / 31, 45 / 46 and 91 / 92 days ago, a session dated in the future, overdue and open
follow-ups, overdue goals, falling attainment and a team with a low eNPS."""

from datetime import timedelta
from decimal import Decimal

from django.test import TestCase
from django.urls import reverse
from django.utils import timezone

from firstline.coaching.models import ActionItem, CoachingSession, DevelopmentGoal
from firstline.coaching.selectors import (
    NOT_COACHED_DAYS,
    cadence,
    cadence_rollup,
    drill_down,
    heatmap_of,
    heatmap_rollup,
    team_heatmap,
)
from firstline.coaching.services import RatingInput, assessment_record
from firstline.core.periods import fiscal_calendar
from firstline.kpis.engagement import sessions_per_seller_month
from firstline.org.models import Membership, Person
from firstline.pipeline.models import Opportunity
from firstline.talent.selectors import RISK_RULES, retention_risks, retention_rollup
from firstline.targets.models import Target
from tests.team_world import build_team_world
from tests.world import build_world


class RollUpTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.world = w = build_world()
        cls.team = build_team_world(w)
        cls.today = today = timezone.localdate()
        extra = {}
        for key, team in (("dora", w.east), ("ed", w.west), ("fay", w.west)):
            extra[key] = Person.objects.create(name=key.title(), email=f"{key}@example.com")
            Membership.objects.create(person=extra[key], team=team, start=today - timedelta(days=500))
        alice, bob, carol = (w.people[k] for k in ("seller_a", "seller_b", "seller_c"))
        mia, max_ = w.people["manager_1"], w.people["manager_2"]
        sessions = [
            (alice, mia, 30),
            (alice, mia, 92),
            (bob, mia, 31),
            (bob, mia, -5),  # dated in the future: not held yet
            (extra["dora"], mia, 91),
            (carol, max_, 46),
            (extra["ed"], max_, 45),
        ]
        for seller, coach, days_ago in sessions:
            session = CoachingSession.objects.create(
                seller=seller, coach=coach, held_on=today - timedelta(days=days_ago)
            )
            for due, done in ((today - timedelta(days=1), None), (today - timedelta(days=3), today)):
                ActionItem.objects.create(
                    session=session, owner=seller, description="Follow up", due_on=due, done_on=done
                )
        competencies = list(cls.team.framework.competencies.all())
        for actor, seller, scores, days_ago in (
            ("manager_2", carol, [2] * len(competencies), 200),
            ("manager_2", carol, [4] * len(competencies), 10),
            ("manager_1", bob, list(range(1, len(competencies) + 1)), 5),
            ("manager_2", extra["ed"], [5] * len(competencies), 3),
        ):
            assessment_record(
                actor=w.users[actor],
                person=seller,
                framework=cls.team.framework,
                assessed_on=today - timedelta(days=days_ago),
                ratings=[RatingInput(c, min(5, s)) for c, s in zip(competencies, scores, strict=True)],
            )
        DevelopmentGoal.objects.filter(pk=cls.team.goal_a.pk).update(due_on=today - timedelta(days=2))
        calendar = fiscal_calendar()
        last = calendar.quarter_of(calendar.quarter_of(today).start - timedelta(days=1))
        before = calendar.quarter_of(last.start - timedelta(days=1))
        for period, won in ((before, 100_000), (last, 30_000)):  # Fay falls from 100 % to 30 %
            Target.objects.create(person=extra["fay"], period=period.label, amount=Decimal(100_000))
            Opportunity.objects.create(
                name=f"Won {period.label}",
                account=w.account_c,
                owner=extra["fay"],
                amount=Decimal(won),
                stage=w.stages["won"],
                created=period.start,
                close_date=period.end,
                closed_on=period.end,
            )

    def setUp(self):
        self.user = self.world.users["executive"]
        self.drill = drill_down(self.user, None)

    def people(self, ids):
        return list(Person.objects.filter(pk__in=ids).order_by("name"))

    def test_the_executive_sees_east_and_west_with_every_seller_below_them(self):
        w = self.world
        assert self.drill.team == w.company and self.drill.direct == []
        groups = {team.name: sorted(ids) for team, ids in self.drill.groups.items()}
        east = Person.objects.filter(memberships__team=w.east, role="seller").values_list("pk", flat=True)
        west = Person.objects.filter(memberships__team=w.west, role="seller").values_list("pk", flat=True)
        assert groups == {"East": sorted(east), "West": sorted(west)}
        assert self.drill.sellers == len(east) + len(west) == 6
        assert sorted(self.drill.within_ids.values_list("person_id", flat=True)) == sorted([*east, *west])

    def test_the_cadence_rollup_equals_each_sellers_cadence_rolled_up(self):
        rollup = cadence_rollup(
            user=self.user, groups=self.drill.groups, person_ids=self.drill.within_ids, today=self.today
        )
        expected = []
        for team, ids in self.drill.groups.items():
            rows = cadence(user=self.user, people=self.people(ids), today=self.today)
            expected.append(
                (
                    team,
                    len(rows),
                    sessions_per_seller_month(sum(r.sessions for r in rows), len(rows), 3),
                    sum(1 for r in rows if r.days_since is None or r.days_since > NOT_COACHED_DAYS),
                    sum(r.overdue_items for r in rows),
                )
            )
        got = [
            (r.team, r.sellers, r.per_seller_month, r.not_coached_30_days, r.overdue_items) for r in rollup
        ]
        assert got == expected
        # And the figures themselves, so that both sides cannot be wrong together.
        # East: Bob (31 days; his future session does not count) and Dora (91) not coached in 30 days,
        # Alice was (7 days); one overdue follow-up per new session. West: nobody within 30 days.
        east, west = got
        assert east[3:] == (2, 5) and west[3:] == (3, 2)

    def test_the_heatmap_rollup_equals_the_heatmap_of_each_team(self):
        framework = self.team.framework
        rollup = heatmap_rollup(
            user=self.user, groups=self.drill.groups, person_ids=self.drill.within_ids, framework=framework
        )
        for (team, averages), (expected_team, ids) in zip(rollup, self.drill.groups.items(), strict=True):
            per_seller = team_heatmap(user=self.user, people=self.people(ids), framework=framework)
            assert team == expected_team
            assert averages.averages == heatmap_of(per_seller.competencies, per_seller.rows).averages
        west = dict(rollup)[self.world.west]
        assert west.averages[0] == Decimal("4.5")  # Carol's latest 4 (not her earlier 2) and Ed's 5

    def test_the_retention_rollup_counts_the_flags_retention_risks_gives(self):
        team_enps = {self.world.east.pk: Decimal(-10), self.world.west.pk: Decimal(30)}
        rollup = retention_rollup(
            user=self.user,
            groups=self.drill.groups,
            team_of=self.drill.team_of,
            person_ids=self.drill.within_ids,
            team_enps=team_enps,
            today=self.today,
        )
        for result, (team, ids) in zip(rollup, self.drill.groups.items(), strict=True):
            memberships = (
                Membership.objects.current().filter(person_id__in=ids).select_related("person", "team")
            )
            rows = retention_risks(
                user=self.user, memberships=list(memberships), team_enps=team_enps, today=self.today
            )
            flags = [{rule for rule, _why in row.reasons} for row in rows]
            assert (result.team, result.sellers, result.flagged) == (
                team,
                len(rows),
                sum(1 for f in flags if f),
            )
            assert result.rule_counts == [sum(1 for f in flags if rule in f) for rule in RISK_RULES]
        east, west = rollup
        # East: everyone by engagement, Alice by her overdue goal, Dora by 91 days without coaching.
        assert east.rule_counts == [0, 1, 1, 3]
        # West: Fay's attainment fell; Carol (46 days) and Fay (never) are not coached, Ed (45) is.
        assert west.rule_counts == [1, 0, 2, 0] and west.flagged == 2

    def test_engagement_rolls_up_one_level_and_ignores_a_team_outside_the_subtree(self):
        w = self.world

        def teams(persona, query=""):
            self.client.force_login(w.users[persona])
            response = self.client.get(reverse("talent:engagement") + query)
            return [team.name for team, _results in response.context["table"]]

        assert teams("executive") == ["Northwind", "East", "West"]
        assert teams("executive", f"?team={w.east.pk}") == ["East"]
        assert teams("manager_2", f"?team={w.east.pk}") == ["West"]
