"""Coaching sessions, their notes (private or shared), action items and recurring 1:1 schedules."""

from datetime import date, timedelta

from auditlog.registry import auditlog
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from firstline.coaching.models.competencies import Competency
from firstline.coaching.scoping import NoteScope, SessionScope
from firstline.core.scoping import ScopedQuerySet
from firstline.org.models import Person
from firstline.pipeline.models import Opportunity


class SessionKind(models.TextChoices):
    ONE_ON_ONE = "one_on_one", "1:1"
    DEAL_REVIEW = "deal_review", "Deal review"
    CALL_COACHING = "call_coaching", "Call or ride-along coaching"
    TERRITORY_REVIEW = "territory_review", "Territory review"


class CoachingSessionQuerySet(ScopedQuerySet):
    def held_between(self, start, end):
        return self.filter(held_on__range=(start, end))


class CoachingSession(models.Model):
    """One conversation in which a coach (usually the manager) coaches a seller."""

    seller = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="coaching_received")
    coach = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="coaching_given")
    kind = models.CharField(max_length=20, choices=SessionKind, default=SessionKind.ONE_ON_ONE)
    held_on = models.DateField()
    focus = models.ManyToManyField(Competency, blank=True, related_name="sessions")
    opportunities = models.ManyToManyField(Opportunity, blank=True, related_name="coaching_sessions")

    objects = CoachingSessionQuerySet.as_manager()
    scope = SessionScope()

    class Meta:
        ordering = ["-held_on", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(seller=models.F("coach")), name="session_coach_is_not_seller"
            ),
        ]
        indexes = [
            models.Index(fields=["seller", "held_on"], name="session_seller_day"),
            models.Index(fields=["coach", "held_on"], name="session_coach_day"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} with {self.seller} on {self.held_on.isoformat()}"

    def get_absolute_url(self) -> str:
        return reverse("coaching:session_detail", args=[self.pk])


class NoteVisibility(models.TextChoices):
    SHARED = "shared", "Shared (the seller's managers can read it)"
    PRIVATE = "private", "Private (coach and seller only)"


class CoachingNote(models.Model):
    """What was said. Private notes are for the coach and the seller only (see coaching.scoping)."""

    session = models.ForeignKey(CoachingSession, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    visibility = models.CharField(max_length=10, choices=NoteVisibility, default=NoteVisibility.SHARED)
    body = models.TextField()
    created = models.DateTimeField(default=timezone.now)

    objects = ScopedQuerySet.as_manager()
    scope = NoteScope()

    class Meta:
        ordering = ["session", "created", "pk"]

    def __str__(self) -> str:
        return f"{self.get_visibility_display()} note on {self.session}"

    @property
    def is_private(self) -> bool:
        return self.visibility == NoteVisibility.PRIVATE


class ActionItemQuerySet(ScopedQuerySet):
    def open(self):
        return self.filter(done_on__isnull=True)

    def overdue(self, today=None):
        return self.open().filter(due_on__lt=today or timezone.localdate())


class ActionItem(models.Model):
    """A follow-up agreed in a session; carried forward to every later session until done."""

    session = models.ForeignKey(CoachingSession, on_delete=models.CASCADE, related_name="action_items")
    owner = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="coaching_action_items")
    description = models.CharField(max_length=300)
    due_on = models.DateField()
    done_on = models.DateField(null=True, blank=True)

    objects = ActionItemQuerySet.as_manager()
    # The seller ticks off their own follow-ups; the coach and the managers above may too.
    scope = SessionScope("session__", seller_may_change=True)

    class Meta:
        ordering = ["due_on", "pk"]

    def __str__(self) -> str:
        return self.description

    @property
    def is_overdue(self) -> bool:
        return self.done_on is None and self.due_on < timezone.localdate()


class Frequency(models.IntegerChoices):
    WEEKLY = 7, "Weekly"
    FORTNIGHTLY = 14, "Every two weeks"
    MONTHLY = 28, "Every four weeks"


class OneOnOneSchedule(models.Model):
    """A recurring 1:1 between a coach and a seller; recording the 1:1 moves `next_on` forward."""

    seller = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="one_on_one_schedules")
    coach = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    every_days = models.PositiveSmallIntegerField(choices=Frequency, default=Frequency.FORTNIGHTLY)
    next_on = models.DateField()
    active = models.BooleanField(default=True)

    objects = ScopedQuerySet.as_manager()
    scope = SessionScope()

    class Meta:
        ordering = ["next_on", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["seller", "coach"], name="one_schedule_per_pair"),
        ]

    def __str__(self) -> str:
        return f"1:1 {self.coach} – {self.seller}, {self.get_every_days_display().lower()}"

    def following(self, held_on: date) -> date:
        """The date of the 1:1 after the due one, held on `held_on`, keeping the rhythm."""
        step = timedelta(days=self.every_days)
        next_on = self.next_on + step
        while next_on <= held_on:
            next_on += step
        return next_on


auditlog.register(CoachingSession, m2m_fields={"focus"})
auditlog.register(ActionItem)
auditlog.register(OneOnOneSchedule)
# Notes are deliberately not audited: the audit log is readable by admins, and a private note's
# text must not reach anyone outside the coach and the seller through it.
