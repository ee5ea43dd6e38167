"""Writes to coaching records. Views, the API and the CLI call these rather than saving directly."""

from dataclasses import dataclass
from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from firstline.coaching.models import (
    ActionItem,
    Assessment,
    AssessmentKind,
    CoachingNote,
    CoachingSession,
    Competency,
    CompetencyFramework,
    CompetencyLevel,
    DevelopmentAction,
    DevelopmentGoal,
    GoalStatus,
    NoteVisibility,
    OneOnOneSchedule,
    Rating,
    SessionKind,
)
from firstline.core.scoping import OutOfScope, save_in_scope, scoped_save
from firstline.org.models import Person
from firstline.org.scoping import viewer
from firstline.pipeline.models import Opportunity


def _actor_person(actor) -> Person:
    person_id = viewer(actor).person_id
    if person_id is None:
        raise OutOfScope("Only someone with a person record can do this.")
    return Person.objects.get(pk=person_id)


@dataclass(frozen=True)
class RatingInput:
    competency: Competency
    score: int
    evidence: str = ""


@transaction.atomic
def assessment_record(
    *,
    actor,
    person: Person,
    framework: CompetencyFramework,
    assessed_on: date,
    ratings: list[RatingInput],
    summary: str = "",
) -> Assessment:
    """Record a complete assessment: a self-assessment when the actor rates themselves, else a
    manager assessment. Every competency of the framework is rated once, or nothing is written."""
    assessor = _actor_person(actor)
    kind = AssessmentKind.SELF if assessor.pk == person.pk else AssessmentKind.MANAGER
    assessment = Assessment(
        person=person,
        assessor=assessor,
        kind=kind,
        framework=framework,
        assessed_on=assessed_on,
        summary=summary,
    )
    assessment.full_clean()
    expected = set(framework.competencies.values_list("pk", flat=True))
    given = [rating.competency.pk for rating in ratings]
    if len(given) != len(set(given)) or set(given) != expected:
        raise ValidationError("Rate every competency of the framework exactly once.")

    def save() -> None:
        assessment.save()
        rows = [
            Rating(assessment=assessment, competency=r.competency, score=r.score, evidence=r.evidence)
            for r in ratings
        ]
        for row in rows:
            row.full_clean(exclude=["assessment"])
        Rating.objects.bulk_create(rows)

    save_in_scope(actor, assessment, save)
    return assessment


@dataclass(frozen=True)
class ActionItemInput:
    owner: Person
    description: str
    due_on: date


def _check_may_coach(actor, seller: Person, coach: Person) -> None:
    if seller.pk == coach.pk:
        raise ValidationError({"seller": "A coaching session needs someone other than yourself."})
    if not Person.objects.visible_to(actor).filter(pk=seller.pk).exists():
        raise OutOfScope("You may only coach people in your team.")


@transaction.atomic
def session_record(
    *,
    actor,
    seller: Person,
    kind: str = SessionKind.ONE_ON_ONE,
    held_on: date,
    focus: list[Competency] = (),
    opportunities: list[Opportunity] = (),
    shared_note: str = "",
    private_note: str = "",
    action_items: list[ActionItemInput] = (),
) -> CoachingSession:
    """Record a session coached by the actor, with its notes and action items. A 1:1 moves the
    pair's recurring schedule on to its next date."""
    coach = _actor_person(actor)
    _check_may_coach(actor, seller, coach)
    visible_deals = Opportunity.objects.visible_to(actor)
    if any(not visible_deals.filter(pk=deal.pk).exists() for deal in opportunities):
        raise ValidationError({"opportunities": "Link only opportunities you can see."})
    session = CoachingSession(seller=seller, coach=coach, kind=kind, held_on=held_on)
    session.full_clean()
    session.save()
    session.focus.set(focus)
    session.opportunities.set(opportunities)
    for visibility, body in ((NoteVisibility.SHARED, shared_note), (NoteVisibility.PRIVATE, private_note)):
        if body.strip():
            note = CoachingNote(session=session, author=coach, visibility=visibility, body=body.strip())
            note.full_clean()
            note.save()
    for item in action_items:
        if item.owner.pk not in (seller.pk, coach.pk):
            raise ValidationError({"action_items": "An action item belongs to the seller or the coach."})
        action = ActionItem(
            session=session, owner=item.owner, description=item.description, due_on=item.due_on
        )
        action.full_clean()
        action.save()
    if kind == SessionKind.ONE_ON_ONE:
        _advance_schedule(seller=seller, coach=coach, held_on=held_on)
    return session


def _advance_schedule(*, seller: Person, coach: Person, held_on: date) -> None:
    # A 1:1 held in the second half of the interval before the due date counts as that one.
    schedule = OneOnOneSchedule.objects.filter(seller=seller, coach=coach, active=True).first()
    if schedule is not None and (schedule.next_on - held_on).days * 2 <= schedule.every_days:
        schedule.next_on = schedule.following(held_on)
        schedule.save(update_fields=["next_on"])


def note_add(*, actor, session: CoachingSession, body: str, visibility: str) -> CoachingNote:
    """Add a note to a session the actor may see; private notes only by the coach or the seller."""
    author = _actor_person(actor)
    if author.pk not in (session.coach_id, session.seller_id):
        raise OutOfScope("Only the coach and the seller write notes on a session.")
    note = CoachingNote(session=session, author=author, visibility=visibility, body=body.strip())
    note.full_clean()
    note.save()
    return note


def action_item_set_done(*, actor, item: ActionItem, done: bool, on: date | None = None) -> ActionItem:
    """Tick an action item off (or reopen it); the seller, the coach and the managers above may."""
    if not ActionItem.objects.editable_by(actor).filter(pk=item.pk).exists():
        raise OutOfScope("You may not change this action item.")
    item.done_on = (on or timezone.localdate()) if done else None
    item.save(update_fields=["done_on"])
    return item


def goal_set_status(*, actor, goal: DevelopmentGoal, status: str) -> DevelopmentGoal:
    if not DevelopmentGoal.objects.editable_by(actor).filter(pk=goal.pk).exists():
        raise OutOfScope("You may not change this goal.")
    goal.status = status
    goal.full_clean()
    goal.save(update_fields=["status"])
    return goal


def development_action_set_done(*, actor, action: DevelopmentAction, done: bool) -> DevelopmentAction:
    """Tick off a step of a plan; the goal moves to "in progress" once any of its steps is done."""
    if not DevelopmentAction.objects.editable_by(actor).filter(pk=action.pk).exists():
        raise OutOfScope("You may not change this plan.")
    with transaction.atomic():
        action.done_on = timezone.localdate() if done else None
        action.save(update_fields=["done_on"])
        goal = action.goal
        if done and goal.status == GoalStatus.NOT_STARTED:
            goal.status = GoalStatus.IN_PROGRESS
            goal.save(update_fields=["status"])
    return action


@transaction.atomic
def competency_save(*, actor, instance: Competency) -> Competency:
    """Save a competency an admin configures; `instance.behaviours`, when given, replaces the
    behaviour described for levels 1–5."""
    behaviours = getattr(instance, "behaviours", None)
    scoped_save(actor=actor, instance=instance)
    if behaviours is not None:
        instance.levels.all().delete()
        levels = [
            CompetencyLevel(competency=instance, level=n, behaviour=text)
            for n, text in enumerate(behaviours, 1)
        ]
        for level in levels:
            level.full_clean()
        CompetencyLevel.objects.bulk_create(levels)
    return instance
