from datetime import timedelta

from django.core.exceptions import ValidationError
from django.test import TestCase
from django.utils import timezone

from firstline.core.scoping import OutOfScope
from firstline.org.models import Membership, Person
from firstline.talent.models import (
    Candidate,
    CandidateStage,
    Position,
    Pulse,
    PulseParticipation,
    PulseResponse,
)
from firstline.talent.selectors import pulse_results, suppress
from firstline.talent.services import PulseAnswer, candidate_hire, candidate_move, pulse_answer
from tests.team_world import build_team_world
from tests.world import build_world

ALL = ("seller_a", "seller_b", "seller_c", "manager_1", "manager_2", "executive", "enablement", "admin")


class TalentTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.world = build_world()
        cls.team = build_team_world(cls.world)

    def who_sees(self, queryset, obj):
        return {p for p in ALL if queryset.visible_to(self.world.users[p]).filter(pk=obj.pk).exists()}

    def test_hiring_records_are_for_the_managers_above_the_team(self):
        assert self.who_sees(Position.objects, self.team.position_east) == {"manager_1", "executive", "admin"}
        assert self.who_sees(Candidate.objects, self.team.candidate_east) == {
            "manager_1",
            "executive",
            "admin",
        }

    def test_hiring_a_candidate_creates_the_person_and_membership_and_fills_the_position(self):
        starts_on = timezone.localdate() + timedelta(days=14)
        other = Candidate.objects.create(
            position=self.team.position_east,
            name="Sam Stone",
            email="sam@example.com",
            stage=CandidateStage.INTERVIEW,
            applied_on=timezone.localdate(),
            stage_changed_on=timezone.localdate(),
        )
        person = candidate_hire(
            actor=self.world.users["manager_1"], candidate=self.team.candidate_east, starts_on=starts_on
        )
        assert (person.name, person.role, person.hired_on) == ("Priya Patel", "seller", starts_on)
        membership = Membership.objects.get(person=person)
        assert (membership.team, membership.start) == (self.world.east, starts_on)
        position = Position.objects.get(pk=self.team.position_east.pk)
        assert (position.status, position.filled_on) == ("filled", starts_on)
        other.refresh_from_db()
        assert other.stage == CandidateStage.DECLINED

    def test_a_manager_of_another_team_cannot_hire_into_east(self):
        with self.assertRaises(OutOfScope):
            candidate_hire(
                actor=self.world.users["manager_2"],
                candidate=self.team.candidate_east,
                starts_on=timezone.localdate(),
            )
        assert not Person.objects.filter(email="priya@example.com").exists()

    def test_a_candidate_is_hired_only_through_hire(self):
        with self.assertRaises(ValidationError):
            candidate_move(
                actor=self.world.users["manager_1"], candidate=self.team.candidate_east, stage="hired"
            )
        candidate_move(
            actor=self.world.users["manager_1"], candidate=self.team.candidate_east, stage="interview"
        )
        assert Candidate.objects.get(pk=self.team.candidate_east.pk).stage == "interview"

    def test_a_pulse_is_answered_once_and_anonymously(self):
        pulse = self.team.pulse
        before = PulseResponse.objects.count()
        pulse_answer(actor=self.world.users["seller_b"], pulse=pulse, answer=PulseAnswer(7, 4, 4, 5))
        with self.assertRaises(ValidationError):
            pulse_answer(actor=self.world.users["seller_b"], pulse=pulse, answer=PulseAnswer(1, 1, 1, 1))
        assert PulseResponse.objects.count() == before + 1
        field_names = {f.name for f in PulseResponse._meta.get_fields()}
        assert "person" not in field_names and "created" not in field_names
        assert PulseParticipation.objects.filter(pulse=pulse, person=self.world.people["seller_b"]).exists()

    def test_nobody_reads_individual_answers_through_the_scope_not_even_an_admin(self):
        for persona in ALL:
            assert not PulseResponse.objects.visible_to(self.world.users[persona]).exists()

    def test_a_pulse_for_east_is_not_answered_by_west(self):
        east_pulse = Pulse.objects.create(
            team=self.world.east,
            title="East check-in",
            opens_on=timezone.localdate(),
            closes_on=timezone.localdate(),
        )
        with self.assertRaises(OutOfScope):
            pulse_answer(actor=self.world.users["seller_c"], pulse=east_pulse, answer=PulseAnswer(9, 5, 5, 5))

    def test_results_show_groups_of_three_and_hide_smaller_ones_and_their_difference(self):
        w = self.world
        results = pulse_results(pulses=[self.team.pulse], teams=[w.company, w.east, w.west])[
            self.team.pulse.pk
        ]
        east, west, company = results[w.east.pk], results[w.west.pk], results[w.company.pk]
        assert east.shown and east.answers == 3 and round(east.enps) == round((2 - 1) / 3 * 100)
        assert not west.shown and west.enps is None
        # The company total minus East would reveal West's two answers, so it is hidden too.
        assert not company.shown

    def test_suppression_keeps_a_parent_when_the_hidden_remainder_is_large_enough(self):
        paths = ["/1/", "/1/2/", "/1/3/", "/1/4/"]
        assert suppress({"/1/": 12, "/1/2/": 5, "/1/3/": 4, "/1/4/": 3}, paths) == set()
        assert suppress({"/1/": 10, "/1/2/": 5, "/1/3/": 3, "/1/4/": 2}, paths) == {"/1/4/", "/1/"}
        # Two small teams hidden together add up to three: the parent can be shown.
        assert suppress({"/1/": 9, "/1/2/": 6, "/1/3/": 1, "/1/4/": 2}, paths) == {"/1/3/", "/1/4/"}
