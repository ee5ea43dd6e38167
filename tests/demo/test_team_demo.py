"""The demo company's year of coaching, assessments, plans, hiring and pulses."""

from datetime import timedelta

import pytest
from django.db import transaction
from django.db.models import Count, Sum
from django.test import TestCase
from django.urls import reverse
from django.utils import timezone

from firstline.coaching.models import (
    ActionItem,
    Assessment,
    CoachingNote,
    CoachingSession,
    DevelopmentGoal,
    DevelopmentPlan,
    Rating,
)
from firstline.demo.generator import demo_logins, generate_demo
from firstline.org.models import Membership, Person, Role
from firstline.talent.models import Candidate, Position, Pulse, PulseParticipation, PulseResponse
from tests.demo.test_generator import SMALL


class TeamDemoTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        generate_demo(**SMALL, seed=5)
        cls.today = timezone.localdate()
        cls.logins = {login.role: login.username for login in demo_logins()}

    def test_every_seller_was_coached_by_their_manager_in_the_last_year(self):
        sellers = Membership.objects.current().filter(person__role=Role.SELLER).select_related("team")
        coached = dict(
            CoachingSession.objects.filter(held_on__gt=self.today - timedelta(days=365))
            .values("seller_id")
            .annotate(n=Count("pk"))
            .values_list("seller_id", "n")
        )
        for membership in sellers:
            assert coached.get(membership.person_id, 0) >= 3, membership.person
        wrong_coach = CoachingSession.objects.exclude(
            coach_id__in=Membership.objects.current().values("team__manager_id")
        )
        assert not wrong_coach.exists()
        for session in CoachingSession.objects.order_by("?")[:20]:
            session.full_clean()

    def test_notes_and_action_items_look_like_real_coaching(self):
        assert CoachingNote.objects.filter(visibility="private").count() > 0
        assert CoachingNote.objects.filter(visibility="shared").count() >= CoachingSession.objects.count()
        items = ActionItem.objects.all()
        done, overdue = items.filter(done_on__isnull=False).count(), items.overdue(self.today).count()
        assert done > 0.7 * items.count() and overdue > 0

    def test_sellers_are_assessed_twice_by_manager_and_self_and_have_a_plan(self):
        sellers = Person.objects.filter(role=Role.SELLER)
        assessed = Assessment.objects.values("person_id", "kind").annotate(n=Count("pk"))
        assert {row["kind"] for row in assessed} == {"manager", "self"}
        assert sum(1 for row in assessed if row["n"] == 2) > 0.7 * 2 * sellers.count()
        assert Rating.objects.count() == Assessment.objects.count() * 7
        assert DevelopmentPlan.objects.count() == sellers.count()
        assert DevelopmentGoal.objects.overdue(self.today).exists()
        # Ratings moved between rounds: the heat map has movement to show.
        assert Rating.objects.aggregate(total=Sum("score"))["total"] > 0

    def test_hiring_shows_filled_and_open_positions_with_the_hire_linked_to_the_person(self):
        assert Position.objects.filter(status="open").exists()
        for position in Position.objects.filter(status="filled"):
            hire = position.candidates.get(stage="hired")
            assert hire.hired_person.hired_on == position.filled_on > position.opened_on
        assert Candidate.objects.filter(scorecards__isnull=False).exists()

    def test_pulses_are_quarterly_with_one_open_that_the_demo_seller_can_still_answer(self):
        pulses = Pulse.objects.order_by("closes_on")
        assert pulses.count() >= 4
        open_pulse = pulses.last()
        assert open_pulse.is_open_on(self.today)
        seller = Person.objects.get(user__username=self.logins["seller"])
        assert not PulseParticipation.objects.filter(pulse=open_pulse, person=seller).exists()
        for pulse in pulses:
            assert PulseResponse.objects.filter(pulse=pulse).count() == pulse.participations.count()

    def test_the_demo_manager_sees_content_on_every_coaching_and_talent_page(self):
        self.client.force_login(Person.objects.get(user__username=self.logins["manager"]).user)
        cadence = self.client.get(reverse("coaching:cadence"))
        assert cadence.context["rows"] and all(row.sessions >= 0 for row in cadence.context["rows"])
        heatmap = self.client.get(reverse("coaching:heatmap")).context["heatmap"]
        assert any(cell.score for row in heatmap.rows for cell in row.cells)
        assert any(cell.movement is not None for row in heatmap.rows for cell in row.cells)
        engagement = self.client.get(reverse("talent:engagement"))
        assert any(result.shown for _team, results in engagement.context["table"] for result in results)
        retention = self.client.get(reverse("talent:retention"))
        assert retention.context["rows"]


def team_summary() -> tuple:
    return (
        CoachingSession.objects.count(),
        list(CoachingSession.objects.order_by("pk").values_list("held_on", "kind")[:40]),
        Rating.objects.aggregate(total=Sum("score"))["total"],
        PulseResponse.objects.aggregate(total=Sum("enps"))["total"],
        list(Candidate.objects.order_by("pk").values_list("name", "stage")[:20]),
    )


@pytest.mark.django_db
def test_the_same_seed_gives_the_same_coaching_hiring_and_pulses():
    runs = []
    for seed in (3, 3):
        with transaction.atomic():
            generate_demo(**SMALL, seed=seed)
            runs.append(team_summary())
            transaction.set_rollback(True)
    assert runs[0] == runs[1]
