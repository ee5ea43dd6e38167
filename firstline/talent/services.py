"""Writes to hiring and engagement records."""

from dataclasses import dataclass
from datetime import date

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from firstline.coaching.models import Competency
from firstline.core.scoping import OutOfScope
from firstline.org.models import Membership, Person, Role
from firstline.org.scoping import viewer
from firstline.org.services import membership_move, person_create
from firstline.talent.models import (
    Candidate,
    CandidateStage,
    Position,
    PositionStatus,
    Pulse,
    PulseParticipation,
    PulseResponse,
    Scorecard,
    ScorecardRating,
)
from firstline.talent.scoping import current_team_ancestors


def _check_may_change(actor, model, obj) -> None:
    if not model.objects.editable_by(actor).filter(pk=obj.pk).exists():
        raise OutOfScope(f"You may not change this {model._meta.verbose_name}.")


def candidate_move(*, actor, candidate: Candidate, stage: str, on: date | None = None) -> Candidate:
    """Move a candidate to another stage; hiring goes through `candidate_hire`."""
    _check_may_change(actor, Candidate, candidate)
    if stage == CandidateStage.HIRED:
        raise ValidationError({"stage": "Hire a candidate with a start date, through “Hire”."})
    if candidate.stage == CandidateStage.HIRED:
        raise ValidationError({"stage": "This candidate is already hired."})
    candidate.stage = stage
    candidate.stage_changed_on = on or timezone.localdate()
    candidate.full_clean()
    candidate.save(update_fields=["stage", "stage_changed_on"])
    return candidate


@transaction.atomic
def candidate_hire(*, actor, candidate: Candidate, starts_on: date) -> Person:
    """Hire: the candidate becomes a seller in the position's team from `starts_on`, the position
    is filled, and the other candidates still in the running are declined."""
    _check_may_change(actor, Candidate, candidate)
    position = Position.objects.select_for_update().get(pk=candidate.position_id)
    if position.status != PositionStatus.OPEN:
        raise ValidationError("This position is no longer open.")
    if Person.objects.filter(email__iexact=candidate.email).exists():
        raise ValidationError({"email": "Someone with this email is already in the organisation."})
    person = person_create(
        name=candidate.name, email=candidate.email, role=Role.SELLER, title=position.title, hired_on=starts_on
    )
    membership_move(person=person, team=position.team, on=starts_on)
    today = timezone.localdate()
    candidate.stage, candidate.stage_changed_on, candidate.hired_person = CandidateStage.HIRED, today, person
    candidate.save(update_fields=["stage", "stage_changed_on", "hired_person"])
    position.status, position.filled_on = PositionStatus.FILLED, max(starts_on, position.opened_on)
    position.save(update_fields=["status", "filled_on"])
    still_running = position.candidates.exclude(pk=candidate.pk).exclude(
        stage__in=[CandidateStage.HIRED, CandidateStage.DECLINED]
    )
    still_running.update(stage=CandidateStage.DECLINED, stage_changed_on=today)
    return person


@transaction.atomic
def scorecard_record(
    *,
    actor,
    candidate: Candidate,
    interviewed_on: date,
    recommendation: str,
    scores: dict[Competency, int],
    notes: str = "",
) -> Scorecard:
    """An interviewer's scorecard on the seller competencies (any subset of them)."""
    _check_may_change(actor, Candidate, candidate)
    interviewer = Person.objects.get(pk=viewer(actor).person_id)
    scorecard = Scorecard(
        candidate=candidate,
        interviewer=interviewer,
        interviewed_on=interviewed_on,
        recommendation=recommendation,
        notes=notes,
    )
    scorecard.full_clean()
    scorecard.save()
    rows = [ScorecardRating(scorecard=scorecard, competency=c, score=s) for c, s in scores.items()]
    for row in rows:
        row.full_clean(exclude=["scorecard"])
    ScorecardRating.objects.bulk_create(rows)
    return scorecard


@dataclass(frozen=True)
class PulseAnswer:
    enps: int
    tools: int
    manager: int
    stay: int


def pulse_answer(*, actor, pulse: Pulse, answer: PulseAnswer, on: date | None = None) -> None:
    """Answer a pulse once, anonymously: the answer keeps only the team it counts towards, and the
    person is recorded apart from it (in PulseParticipation) so that nobody answers twice."""
    who = viewer(actor)
    today = on or timezone.localdate()
    if who.person_id is None or pulse.team_id not in current_team_ancestors(who.person_id):
        raise OutOfScope("This pulse was not sent to you.")
    if not pulse.is_open_on(today):
        raise ValidationError("This pulse is closed.")
    membership = Membership.objects.current().filter(person_id=who.person_id).order_by("-team__path").first()
    response = PulseResponse(pulse=pulse, team_id=membership.team_id, **answer.__dict__)
    response.full_clean()
    try:
        with transaction.atomic():
            PulseParticipation.objects.create(pulse=pulse, person_id=who.person_id)
            response.save(force_insert=True)
    except IntegrityError:
        raise ValidationError("You have already answered this pulse.") from None
