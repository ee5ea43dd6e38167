"""Development plans: goals tied to competencies, the actions that reach them and what to learn from."""

from auditlog.registry import auditlog
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from firstline.coaching.models.competencies import Competency
from firstline.core.scoping import ScopedQuerySet
from firstline.org.models import Person
from firstline.org.scoping import PersonScope


class DevelopmentPlan(models.Model):
    """A person's plan to grow over a stretch of time; seller and manager both keep it current."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="development_plans")
    title = models.CharField(max_length=200)
    starts_on = models.DateField()
    ends_on = models.DateField()
    created_by = models.ForeignKey(Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    objects = ScopedQuerySet.as_manager()
    scope = PersonScope("person")

    class Meta:
        ordering = ["person", "-starts_on"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=models.F("starts_on")), name="plan_ends_after_start"
            )
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.person})"

    def get_absolute_url(self) -> str:
        return reverse("coaching:plan_detail", args=[self.pk])


class GoalStatus(models.TextChoices):
    NOT_STARTED = "not_started", "Not started"
    IN_PROGRESS = "in_progress", "In progress"
    DONE = "done", "Done"


class DevelopmentGoalQuerySet(ScopedQuerySet):
    def overdue(self, today=None):
        today = today or timezone.localdate()
        return self.exclude(status=GoalStatus.DONE).filter(due_on__lt=today)


class DevelopmentGoal(models.Model):
    """What the person will be able to do, by when, tied to the competency it grows."""

    plan = models.ForeignKey(DevelopmentPlan, on_delete=models.CASCADE, related_name="goals")
    competency = models.ForeignKey(
        Competency, null=True, blank=True, on_delete=models.SET_NULL, related_name="goals"
    )
    title = models.CharField(max_length=300)
    due_on = models.DateField()
    status = models.CharField(max_length=20, choices=GoalStatus, default=GoalStatus.NOT_STARTED)

    objects = DevelopmentGoalQuerySet.as_manager()
    scope = PersonScope("plan__person")

    class Meta:
        ordering = ["plan", "due_on", "pk"]

    def __str__(self) -> str:
        return self.title

    @property
    def is_overdue(self) -> bool:
        return self.status != GoalStatus.DONE and self.due_on < timezone.localdate()


class DevelopmentAction(models.Model):
    """A concrete step towards a goal; done when `done_on` is set."""

    goal = models.ForeignKey(DevelopmentGoal, on_delete=models.CASCADE, related_name="actions")
    description = models.CharField(max_length=300)
    due_on = models.DateField()
    done_on = models.DateField(null=True, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope = PersonScope("goal__plan__person")

    class Meta:
        ordering = ["goal", "due_on", "pk"]

    def __str__(self) -> str:
        return self.description


class LearningResource(models.Model):
    """Something to learn from for a goal: a title and a link today, a library item once it exists."""

    goal = models.ForeignKey(DevelopmentGoal, on_delete=models.CASCADE, related_name="resources")
    title = models.CharField(max_length=200)
    url = models.URLField(max_length=500)

    objects = ScopedQuerySet.as_manager()
    scope = PersonScope("goal__plan__person")

    class Meta:
        ordering = ["goal", "title"]

    def __str__(self) -> str:
        return self.title


auditlog.register(DevelopmentPlan)
auditlog.register(DevelopmentGoal)
auditlog.register(DevelopmentAction)
