"""Coaching and talent pages and API lists run the same number of queries however much data there is."""

from datetime import timedelta

from django.db import connection
from django.test import TestCase
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from firstline.coaching.models import ActionItem, CoachingNote, CoachingSession
from firstline.coaching.services import RatingInput, assessment_record
from firstline.org.models import Membership, Person
from firstline.talent.models import Pulse, PulseResponse
from tests.team_world import build_team_world
from tests.world import build_world


class QueryCountTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.world = build_world()
        cls.team = build_team_world(cls.world)

    def grow(self):
        """More sessions, notes, items, assessments, sellers and pulse answers."""
        w, today = self.world, timezone.localdate()
        for index in range(4):
            person = Person.objects.create(name=f"New Seller {index}", email=f"new{index}@example.com")
            Membership.objects.create(person=person, team=w.east, start=today - timedelta(days=400))
        for seller in Person.objects.filter(memberships__team=w.east, role="seller"):
            for days in (3, 20, 50):
                session = CoachingSession.objects.create(
                    seller=seller, coach=w.people["manager_1"], held_on=today - timedelta(days=days)
                )
                CoachingNote.objects.create(session=session, author=w.people["manager_1"], body="More")
                ActionItem.objects.create(
                    session=session, owner=seller, description="Do it", due_on=today - timedelta(days=1)
                )
            assessment_record(
                actor=w.users["manager_1"],
                person=seller,
                framework=self.team.framework,
                assessed_on=today,
                ratings=[RatingInput(c, 3) for c in self.team.framework.competencies.all()],
            )
        pulse = Pulse.objects.create(
            team=w.company, title="Later", opens_on=today - timedelta(days=3), closes_on=today
        )
        PulseResponse.objects.bulk_create(
            PulseResponse(pulse=pulse, team=w.east, enps=9, tools=4, manager=4, stay=4) for _ in range(6)
        )

    def count(self, persona, url) -> int:
        self.client.force_login(self.world.users[persona])
        with CaptureQueriesContext(connection) as queries:
            response = self.client.get(url)
        assert response.status_code == 200, url
        return len(queries)

    def test_pages_and_api_lists_do_not_grow_with_the_data(self):
        alice = self.world.people["seller_a"].pk
        urls = [
            reverse("coaching:cadence"),
            reverse("coaching:heatmap"),
            reverse("coaching:session_list"),
            reverse("coaching:person_overview", args=[alice]),
            reverse("coaching:person_competencies", args=[alice]),
            reverse("coaching:session_detail", args=[self.team.session_a.pk]),
            reverse("talent:engagement"),
            reverse("talent:retention"),
            reverse("talent:position_list"),
            reverse("api:coachingsession-list"),
            reverse("api:assessment-list"),
            reverse("api:developmentplan-list"),
            reverse("api:actionitem-list"),
        ]
        personas = ("manager_1", "executive", "seller_a")
        visible = {p: [u for u in urls if p != "seller_a" or "/api/" in u or "people" in u] for p in personas}
        before = {p: {url: self.count(p, url) for url in visible[p]} for p in personas}
        self.grow()
        after = {p: {url: self.count(p, url) for url in visible[p]} for p in personas}
        assert after == before
