from datetime import timedelta

from django.core.exceptions import ValidationError
from django.test import TestCase
from django.utils import timezone

from firstline.coaching.models import (
    ActionItem,
    Assessment,
    CoachingNote,
    CoachingSession,
    DevelopmentPlan,
    OneOnOneSchedule,
    Rating,
)
from firstline.coaching.selectors import assessment_comparison, cadence, carried_forward, team_heatmap
from firstline.coaching.services import (
    ActionItemInput,
    RatingInput,
    action_item_set_done,
    assessment_record,
    development_action_set_done,
    session_record,
)
from firstline.core.scoping import OutOfScope
from firstline.org.scoping import viewer
from tests.team_world import PRIVATE_WORD, build_team_world
from tests.world import build_world

ALL = ("seller_a", "seller_b", "seller_c", "manager_1", "manager_2", "executive", "enablement", "admin")


class CoachingScopeTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.world = build_world()
        cls.team = build_team_world(cls.world)

    def who_sees(self, queryset, obj):
        return {p for p in ALL if queryset.visible_to(self.world.users[p]).filter(pk=obj.pk).exists()}

    def who_changes(self, queryset, obj):
        return {p for p in ALL if queryset.editable_by(self.world.users[p]).filter(pk=obj.pk).exists()}

    def test_a_session_is_seen_by_the_seller_the_coach_and_the_managers_above(self):
        session = self.team.session_a
        assert self.who_sees(CoachingSession.objects, session) == {
            "seller_a",
            "manager_1",
            "executive",
            "admin",
        }
        assert self.who_changes(CoachingSession.objects, session) == {"manager_1", "executive", "admin"}

    def test_a_private_note_reaches_the_coach_and_the_seller_only(self):
        note = self.team.private_note
        assert self.who_sees(CoachingNote.objects, note) == {"seller_a", "manager_1"}

    def test_a_shared_note_goes_with_the_session(self):
        note = self.team.shared_note
        assert self.who_sees(CoachingNote.objects, note) == {"seller_a", "manager_1", "executive", "admin"}

    def test_the_seller_ticks_off_action_items_but_nobody_outside_the_session_can(self):
        item = self.team.action_item_a
        assert self.who_changes(ActionItem.objects, item) == {"seller_a", "manager_1", "executive", "admin"}
        action_item_set_done(actor=self.world.users["seller_a"], item=item, done=True)
        item.refresh_from_db()
        assert item.done_on == timezone.localdate()
        with self.assertRaises(OutOfScope):
            action_item_set_done(actor=self.world.users["seller_b"], item=item, done=False)

    def test_the_self_assessment_is_the_sellers_and_the_manager_assessment_the_managers(self):
        assert self.who_changes(Assessment.objects, self.team.self_assessment_a) == {"seller_a", "admin"}
        assert self.who_changes(Assessment.objects, self.team.assessment_a) == {
            "manager_1",
            "executive",
            "admin",
        }
        assert self.who_sees(Rating.objects, self.team.assessment_a.ratings.first()) == {
            "seller_a",
            "manager_1",
            "executive",
            "admin",
        }

    def test_plans_are_kept_by_the_seller_and_the_managers(self):
        assert self.who_changes(DevelopmentPlan.objects, self.team.plan_a) == {
            "seller_a",
            "manager_1",
            "executive",
            "admin",
        }
        development_action_set_done(
            actor=self.world.users["seller_a"], action=self.team.development_action_a, done=True
        )
        self.team.goal_a.refresh_from_db()
        assert self.team.goal_a.status == "in_progress"


class AssessmentServiceTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.world = build_world()
        cls.team = build_team_world(cls.world)
        cls.competencies = list(cls.team.framework.competencies.all())

    def record(self, actor, person, scores, days_ago=0):
        return assessment_record(
            actor=self.world.users[actor],
            person=self.world.people[person],
            framework=self.team.framework,
            assessed_on=timezone.localdate() - timedelta(days=days_ago),
            ratings=[RatingInput(c, s) for c, s in zip(self.competencies, scores, strict=False)],
        )

    def test_a_manager_assessment_moves_from_the_previous_one(self):
        scores = [5] * len(self.competencies)
        assessment = self.record("manager_1", "seller_a", scores)
        assert assessment.kind == "manager"
        rows, heads = assessment_comparison(
            user=self.world.users["seller_a"],
            person=self.world.people["seller_a"],
            framework=self.team.framework,
        )
        assert heads["manager"] == assessment and heads["self"] == self.team.self_assessment_a
        first = rows[0]
        assert (first.manager.score, first.manager.previous, first.manager.movement) == (5, 2, 3)
        assert (first.self.score, first.gap) == (4, -1)

    def test_an_incomplete_assessment_writes_nothing(self):
        before = Assessment.objects.count()
        with self.assertRaises(ValidationError):
            self.record("manager_1", "seller_a", [3, 3])
        assert Assessment.objects.count() == before

    def test_a_manager_cannot_assess_someone_outside_the_team(self):
        with self.assertRaises(OutOfScope):
            self.record("manager_2", "seller_a", [3] * len(self.competencies))

    def test_a_seller_cannot_assess_a_colleague(self):
        with self.assertRaises(OutOfScope):
            self.record("seller_b", "seller_a", [3] * len(self.competencies))

    def test_the_heat_map_shows_the_latest_manager_rating_and_the_team_average(self):
        self.record("manager_1", "seller_b", [1] * len(self.competencies))
        people = [self.world.people["seller_a"], self.world.people["seller_b"]]
        viewer(self.world.users["manager_1"])  # who the user is, found once per request
        with self.assertNumQueries(3):
            heatmap = team_heatmap(
                user=self.world.users["manager_1"], people=people, framework=self.team.framework
            )
        assert [cell.score for cell in heatmap.rows[1].cells] == [1] * len(self.competencies)
        assert heatmap.averages[0] == (2 + 1) / 2

    def test_the_heat_map_takes_the_same_queries_for_a_bigger_team(self):
        people = [self.world.people[p] for p in ("seller_a", "seller_b", "seller_c")]
        for person in ("seller_b",):
            self.record("manager_1", person, [3] * len(self.competencies))
        viewer(self.world.users["admin"])
        with self.assertNumQueries(3):
            team_heatmap(user=self.world.users["admin"], people=people, framework=self.team.framework)


class SessionServiceTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.world = build_world()
        cls.team = build_team_world(cls.world)

    def test_a_manager_records_a_session_with_notes_and_an_action_item(self):
        alice = self.world.people["seller_a"]
        today = timezone.localdate()
        session = session_record(
            actor=self.world.users["manager_1"],
            seller=alice,
            held_on=today,
            shared_note="Good call structure.",
            private_note=f"{PRIVATE_WORD} again",
            opportunities=[self.world.opportunity_a],
            action_items=[ActionItemInput(alice, "Send the recap", today + timedelta(days=2))],
        )
        assert session.coach == self.world.people["manager_1"]
        assert sorted(session.notes.values_list("visibility", flat=True)) == ["private", "shared"]
        assert session.action_items.get().owner == alice
        # Recording the due 1:1 moves the fortnightly schedule on.
        schedule = OneOnOneSchedule.objects.get(pk=self.team.schedule_a.pk)
        assert schedule.next_on == self.team.schedule_a.next_on + timedelta(days=14)
        # The earlier session's open action item is carried forward to this one.
        assert list(carried_forward(user=self.world.users["seller_a"], session=session)) == [
            self.team.action_item_a
        ]

    def test_a_manager_cannot_coach_someone_outside_the_team(self):
        with self.assertRaises(OutOfScope):
            session_record(
                actor=self.world.users["manager_2"],
                seller=self.world.people["seller_a"],
                held_on=timezone.localdate(),
            )
        assert not CoachingSession.objects.filter(coach=self.world.people["manager_2"]).exists()

    def test_a_deal_the_coach_cannot_see_is_refused(self):
        with self.assertRaises(ValidationError):
            session_record(
                actor=self.world.users["manager_1"],
                seller=self.world.people["seller_a"],
                held_on=timezone.localdate(),
                opportunities=[self.world.opportunity_c],
            )

    def test_cadence_counts_sessions_days_since_overdue_items_and_the_next_one_on_one(self):
        today = timezone.localdate()
        ActionItem.objects.create(
            session=self.team.session_a,
            owner=self.world.people["seller_a"],
            description="Late",
            due_on=today - timedelta(days=1),
        )
        people = [self.world.people["seller_a"], self.world.people["seller_b"]]
        viewer(self.world.users["manager_1"])
        with self.assertNumQueries(3):
            alice, bob = cadence(user=self.world.users["manager_1"], people=people, today=today)
        assert (alice.sessions, alice.days_since, alice.overdue_items) == (1, 7, 1)
        assert alice.next_one_on_one == self.team.schedule_a.next_on
        assert (bob.sessions, bob.days_since, bob.per_month) == (0, None, 0)


class CompetencyApiTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.world = build_world()
        cls.team = build_team_world(cls.world)

    def test_an_admin_adds_a_competency_with_its_five_levels(self):
        self.client.force_login(self.world.users["admin"])
        response = self.client.post(
            "/api/competencies/",
            {
                "framework": self.team.framework.pk,
                "name": "Forecasting",
                "behaviours": ["a", "b", "c", "d", "e"],
            },
            content_type="application/json",
        )
        assert response.status_code == 201, response.content
        levels = response.json()["levels"]
        assert [(level["level"], level["behaviour"]) for level in levels] == list(enumerate("abcde", 1))
        short = self.client.post(
            "/api/competencies/",
            {"framework": self.team.framework.pk, "name": "Half", "behaviours": ["a", "b"]},
            content_type="application/json",
        )
        assert short.status_code == 400

    def test_an_incomplete_assessment_is_refused_with_the_documented_error_object(self):
        self.client.force_login(self.world.users["manager_1"])
        competency = self.team.framework.competencies.first()
        response = self.client.post(
            "/api/assessments/",
            {
                "person": self.world.people["seller_a"].pk,
                "framework": self.team.framework.pk,
                "assessed_on": timezone.localdate().isoformat(),
                "ratings": [{"competency": competency.pk, "score": 3}],
            },
            content_type="application/json",
        )
        assert response.status_code == 400
        # An object, as the schema documents for 400 (core.schema), not a bare list of messages.
        whole = ["Rate every competency of the framework exactly once."]
        assert response.json() == {"non_field_errors": whole}
        bare_list = self.client.post("/api/assessments/", [], content_type="application/json")
        assert bare_list.status_code == 400 and "non_field_errors" in bare_list.json()
