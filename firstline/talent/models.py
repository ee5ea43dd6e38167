"""Hiring (attract) and engagement (retain): open positions, candidates, scorecards, pulses."""

import uuid

from auditlog.registry import auditlog
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.urls import reverse

from firstline.coaching.models import Competency
from firstline.core.scoping import ScopedQuerySet
from firstline.org.models import Person, Team
from firstline.talent.scoping import NobodyScope, OwnScope, PulseScope, TeamRecordScope

MIN_GROUP = 3  # pulse results are shown only for groups of at least this many answers


class PositionStatus(models.TextChoices):
    OPEN = "open", "Open"
    FILLED = "filled", "Filled"
    CANCELLED = "cancelled", "Cancelled"


class PositionQuerySet(ScopedQuerySet):
    def open(self):
        return self.filter(status=PositionStatus.OPEN)

    def filled(self):
        return self.filter(status=PositionStatus.FILLED)


class Position(models.Model):
    """Open headcount in a team: a role to hire for."""

    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="positions")
    title = models.CharField(max_length=200)
    hiring_manager = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="positions_hiring"
    )
    opened_on = models.DateField()
    filled_on = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=20, choices=PositionStatus, default=PositionStatus.OPEN)

    objects = PositionQuerySet.as_manager()
    scope = TeamRecordScope("team")

    class Meta:
        ordering = ["status", "-opened_on", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(filled_on__isnull=True) | Q(filled_on__gte=F("opened_on")),
                name="position_filled_after_opened",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title}, {self.team}"

    def get_absolute_url(self) -> str:
        return reverse("talent:position_detail", args=[self.pk])


class CandidateStage(models.TextChoices):
    SOURCED = "sourced", "Sourced"
    SCREEN = "screen", "Screen"
    INTERVIEW = "interview", "Interview"
    OFFER = "offer", "Offer"
    HIRED = "hired", "Hired"
    DECLINED = "declined", "Declined"


class Candidate(models.Model):
    """Someone being considered for a position, moving through the hiring stages."""

    position = models.ForeignKey(Position, on_delete=models.CASCADE, related_name="candidates")
    name = models.CharField(max_length=200)
    email = models.EmailField()
    source = models.CharField(max_length=100, blank=True, help_text="Referral, job board, agency…")
    stage = models.CharField(max_length=20, choices=CandidateStage, default=CandidateStage.SOURCED)
    applied_on = models.DateField()
    stage_changed_on = models.DateField()
    hired_person = models.OneToOneField(
        Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="hired_as"
    )

    objects = ScopedQuerySet.as_manager()
    scope = TeamRecordScope("position__team")

    class Meta:
        ordering = ["position", "applied_on", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["position", "email"], name="candidate_once_per_position"),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("talent:candidate_detail", args=[self.pk])


class Recommendation(models.TextChoices):
    STRONG_YES = "strong_yes", "Strong yes"
    YES = "yes", "Yes"
    NO = "no", "No"
    STRONG_NO = "strong_no", "Strong no"


class Scorecard(models.Model):
    """One interviewer's ratings of a candidate on the seller competencies."""

    candidate = models.ForeignKey(Candidate, on_delete=models.CASCADE, related_name="scorecards")
    interviewer = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="scorecards")
    interviewed_on = models.DateField()
    recommendation = models.CharField(max_length=20, choices=Recommendation)
    notes = models.TextField(blank=True)

    objects = ScopedQuerySet.as_manager()
    scope = TeamRecordScope("candidate__position__team")

    class Meta:
        ordering = ["candidate", "interviewed_on", "pk"]

    def __str__(self) -> str:
        return f"{self.interviewer} on {self.candidate}"


class ScorecardRating(models.Model):
    scorecard = models.ForeignKey(Scorecard, on_delete=models.CASCADE, related_name="ratings")
    competency = models.ForeignKey(Competency, on_delete=models.PROTECT, related_name="+")
    score = models.PositiveSmallIntegerField(validators=[MinValueValidator(1), MaxValueValidator(5)])

    objects = ScopedQuerySet.as_manager()
    scope = TeamRecordScope("scorecard__candidate__position__team")

    class Meta:
        ordering = ["scorecard", "competency__order"]
        constraints = [
            models.UniqueConstraint(fields=["scorecard", "competency"], name="one_score_per_competency"),
            models.CheckConstraint(condition=Q(score__gte=1, score__lte=5), name="scorecard_score_1_to_5"),
        ]

    def __str__(self) -> str:
        return f"{self.competency}: {self.score}"


class Pulse(models.Model):
    """A short engagement survey sent to everyone in a team's subtree between two dates."""

    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="pulses")
    title = models.CharField(max_length=200)
    opens_on = models.DateField()
    closes_on = models.DateField()

    objects = ScopedQuerySet.as_manager()
    scope = PulseScope()

    class Meta:
        ordering = ["-closes_on", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(closes_on__gte=F("opens_on")), name="pulse_closes_after_opening"
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def is_open_on(self, day) -> bool:
        return self.opens_on <= day <= self.closes_on


# The pulse items besides the eNPS question, each scored 1 (strongly disagree) to 5 (strongly agree).
PULSE_ITEMS = [
    ("tools", "I have the tools and training I need to hit my number."),
    ("manager", "My manager helps me grow."),
    ("stay", "I see myself working here in a year."),
]
ENPS_QUESTION = "How likely are you to recommend working here to a friend? (0–10)"


def _item_field():
    return models.PositiveSmallIntegerField(validators=[MinValueValidator(1), MaxValueValidator(5)])


class PulseResponse(models.Model):
    """One anonymous answer: no person, a random id (so the insert order cannot be matched with
    PulseParticipation) and only the team the answer counts towards."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    pulse = models.ForeignKey(Pulse, on_delete=models.CASCADE, related_name="responses")
    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="+")
    enps = models.PositiveSmallIntegerField(validators=[MaxValueValidator(10)])
    tools = _item_field()
    manager = _item_field()
    stay = _item_field()

    objects = ScopedQuerySet.as_manager()
    scope = NobodyScope()

    class Meta:
        ordering = ["pulse"]
        constraints = [
            models.CheckConstraint(condition=Q(enps__lte=10), name="pulse_enps_0_to_10"),
        ]
        indexes = [models.Index(fields=["pulse", "team"], name="pulse_response_team")]

    def __str__(self) -> str:
        return f"An answer to {self.pulse}"


class PulseParticipation(models.Model):
    """That a person answered a pulse (so they answer once), never what they answered."""

    pulse = models.ForeignKey(Pulse, on_delete=models.CASCADE, related_name="participations")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")

    objects = ScopedQuerySet.as_manager()
    scope = OwnScope()

    class Meta:
        ordering = ["pulse", "person"]
        constraints = [
            models.UniqueConstraint(fields=["pulse", "person"], name="answer_a_pulse_once"),
        ]

    def __str__(self) -> str:
        return f"{self.person} answered {self.pulse}"


auditlog.register(Position)
auditlog.register(Candidate)
auditlog.register(Scorecard)
auditlog.register(Pulse)
# PulseResponse is deliberately not audited: an audit entry would tie an answer to its actor.
