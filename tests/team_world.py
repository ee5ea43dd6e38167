"""Coaching, development, hiring and engagement records on top of tests.world:

- Mia coaches Alice: a 1:1 with a shared note, a private note and an action item for Alice;
- Mia and Alice have each assessed Alice on the seller framework; Alice has a development plan;
- East has an open position with a candidate and a scorecard;
- a company-wide pulse with three answers from East and two from West.

The private note carries PRIVATE_WORD and the individual answer SOLO_ANSWER_WORD-free numbers, so
privacy tests can search every surface for them.
"""

from dataclasses import dataclass
from datetime import timedelta

from django.utils import timezone

from firstline.coaching.frameworks import ensure_default_frameworks
from firstline.coaching.models import (
    ActionItem,
    CoachingNote,
    CoachingSession,
    CompetencyFramework,
    DevelopmentAction,
    DevelopmentGoal,
    DevelopmentPlan,
    LearningResource,
    NoteVisibility,
    OneOnOneSchedule,
)
from firstline.coaching.services import RatingInput, assessment_record
from firstline.talent.models import Candidate, Position, Pulse, PulseResponse, Recommendation, Scorecard

PRIVATE_WORD = "Zanzibar"  # only in Alice's private note
SHARED_WORD = "Kilimanjaro"  # only in the shared note


@dataclass
class TeamWorld:
    framework: CompetencyFramework
    session_a: CoachingSession
    shared_note: CoachingNote
    private_note: CoachingNote
    action_item_a: ActionItem
    assessment_a: object
    self_assessment_a: object
    plan_a: DevelopmentPlan
    goal_a: DevelopmentGoal
    development_action_a: DevelopmentAction
    schedule_a: OneOnOneSchedule
    position_east: Position
    candidate_east: Candidate
    scorecard_east: Scorecard
    pulse: Pulse


def build_team_world(world) -> TeamWorld:
    today = timezone.localdate()
    alice, mia = world.people["seller_a"], world.people["manager_1"]
    ensure_default_frameworks()  # a transactional test before this one may have flushed them
    framework = CompetencyFramework.objects.get(audience="seller", is_default=True)
    competencies = list(framework.competencies.all())
    session = CoachingSession.objects.create(seller=alice, coach=mia, held_on=today - timedelta(days=7))
    session.focus.set(competencies[:1])
    shared = CoachingNote.objects.create(
        session=session, author=mia, body=f"Shared: plan the {SHARED_WORD} account review."
    )
    private = CoachingNote.objects.create(
        session=session,
        author=mia,
        visibility=NoteVisibility.PRIVATE,
        body=f"Private: Alice is weighing an offer from {PRIVATE_WORD} Corp.",
    )
    item = ActionItem.objects.create(
        session=session,
        owner=alice,
        description="Map the Acme buying committee",
        due_on=today + timedelta(days=7),
    )
    manager_assessment = assessment_record(
        actor=world.users["manager_1"],
        person=alice,
        framework=framework,
        assessed_on=today - timedelta(days=30),
        ratings=[
            RatingInput(c, 2 + index % 3, "Seen in deal reviews") for index, c in enumerate(competencies)
        ],
    )
    self_assessment = assessment_record(
        actor=world.users["seller_a"],
        person=alice,
        framework=framework,
        assessed_on=today - timedelta(days=28),
        ratings=[RatingInput(c, 4, "") for c in competencies],
    )
    plan = DevelopmentPlan.objects.create(
        person=alice,
        title="Grow into enterprise deals",
        starts_on=today - timedelta(days=60),
        ends_on=today + timedelta(days=120),
    )
    goal = DevelopmentGoal.objects.create(
        plan=plan,
        competency=competencies[1],
        title="Lead discovery in every first meeting",
        due_on=today + timedelta(days=60),
    )
    development_action = DevelopmentAction.objects.create(
        goal=goal, description="Shadow two discovery calls", due_on=today + timedelta(days=14)
    )
    LearningResource.objects.create(
        goal=goal, title="Discovery question bank", url="https://example.com/discovery"
    )
    schedule = OneOnOneSchedule.objects.create(
        seller=alice, coach=mia, every_days=14, next_on=today + timedelta(days=7)
    )
    position = Position.objects.create(
        team=world.east, title="Account Executive", hiring_manager=mia, opened_on=today - timedelta(days=20)
    )
    candidate = Candidate.objects.create(
        position=position,
        name="Priya Patel",
        email="priya@example.com",
        applied_on=today - timedelta(days=15),
        stage_changed_on=today - timedelta(days=15),
    )
    scorecard = Scorecard.objects.create(
        candidate=candidate,
        interviewer=mia,
        interviewed_on=today - timedelta(days=5),
        recommendation=Recommendation.YES,
    )
    pulse = Pulse.objects.create(
        team=world.company,
        title="Spring pulse",
        opens_on=today - timedelta(days=10),
        closes_on=today + timedelta(days=4),
    )
    answers = [(world.east, 10), (world.east, 9), (world.east, 3), (world.west, 2), (world.west, 8)]
    PulseResponse.objects.bulk_create(
        PulseResponse(pulse=pulse, team=team, enps=score, tools=3, manager=4, stay=2)
        for team, score in answers
    )
    return TeamWorld(
        framework,
        session,
        shared,
        private,
        item,
        manager_assessment,
        self_assessment,
        plan,
        goal,
        development_action,
        schedule,
        position,
        candidate,
        scorecard,
        pulse,
    )
