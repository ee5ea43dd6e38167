"""Competency frameworks, and the assessments that rate people against them."""

from auditlog.registry import auditlog
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.urls import reverse

from firstline.coaching.scoping import AssessmentScope
from firstline.core.scoping import ScopedQuerySet
from firstline.org.models import Person
from firstline.org.scoping import SharedScope

SCALE = range(1, 6)
SCALE_LABELS = {1: "Beginning", 2: "Developing", 3: "Proficient", 4: "Advanced", 5: "Role model"}


class Audience(models.TextChoices):
    SELLER = "seller", "Sellers"
    MANAGER = "manager", "Managers"


class CompetencyFramework(models.Model):
    """A set of competencies people in one role are developed and assessed on."""

    name = models.CharField(max_length=200, unique=True)
    audience = models.CharField(max_length=20, choices=Audience, default=Audience.SELLER)
    description = models.TextField(blank=True)
    is_default = models.BooleanField(
        default=False, help_text="The framework used for this audience unless another is chosen."
    )

    objects = ScopedQuerySet.as_manager()
    scope = SharedScope()

    class Meta:
        ordering = ["audience", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["audience"], condition=Q(is_default=True), name="one_default_framework_per_audience"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("coaching:framework_detail", args=[self.pk])


class Competency(models.Model):
    """One thing a person in the role must be good at, e.g. discovery or negotiation."""

    framework = models.ForeignKey(CompetencyFramework, on_delete=models.CASCADE, related_name="competencies")
    name = models.CharField(max_length=100)
    description = models.TextField(blank=True)
    order = models.PositiveSmallIntegerField(default=0)

    objects = ScopedQuerySet.as_manager()
    scope = SharedScope()

    class Meta:
        ordering = ["framework", "order", "name"]
        verbose_name_plural = "competencies"
        constraints = [
            models.UniqueConstraint(fields=["framework", "name"], name="competency_name_unique_in_framework"),
        ]

    def __str__(self) -> str:
        return self.name


class CompetencyLevel(models.Model):
    """What the competency looks like at one level of the 1–5 scale: the behaviour to observe."""

    competency = models.ForeignKey(Competency, on_delete=models.CASCADE, related_name="levels")
    level = models.PositiveSmallIntegerField(validators=[MinValueValidator(1), MaxValueValidator(5)])
    behaviour = models.TextField()

    objects = ScopedQuerySet.as_manager()
    scope = SharedScope()

    class Meta:
        ordering = ["competency", "level"]
        constraints = [
            models.UniqueConstraint(fields=["competency", "level"], name="competency_level_unique"),
            models.CheckConstraint(condition=Q(level__gte=1, level__lte=5), name="competency_level_1_to_5"),
        ]

    def __str__(self) -> str:
        return f"{self.competency} {self.level}"


class AssessmentKind(models.TextChoices):
    SELF = "self", "Self-assessment"
    MANAGER = "manager", "Manager assessment"


class AssessmentQuerySet(ScopedQuerySet):
    def by_manager(self):
        return self.filter(kind=AssessmentKind.MANAGER)

    def by_self(self):
        return self.filter(kind=AssessmentKind.SELF)


class Assessment(models.Model):
    """One rating of a person on every competency of a framework, by their manager or by themselves."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="assessments")
    assessor = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="assessments_given")
    kind = models.CharField(max_length=10, choices=AssessmentKind)
    framework = models.ForeignKey(CompetencyFramework, on_delete=models.PROTECT, related_name="assessments")
    assessed_on = models.DateField()
    summary = models.TextField(blank=True)

    objects = AssessmentQuerySet.as_manager()
    scope = AssessmentScope()

    class Meta:
        ordering = ["person", "-assessed_on", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind="manager") | Q(assessor=F("person")), name="self_assessment_by_the_person"
            ),
        ]
        indexes = [models.Index(fields=["person", "kind", "assessed_on"], name="assessment_person_kind_day")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} of {self.person} on {self.assessed_on.isoformat()}"

    def get_absolute_url(self) -> str:
        return reverse("coaching:person_competencies", args=[self.person_id])


class Rating(models.Model):
    """A score from 1 to 5 on one competency, with the evidence behind it."""

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="ratings")
    competency = models.ForeignKey(Competency, on_delete=models.PROTECT, related_name="ratings")
    score = models.PositiveSmallIntegerField(validators=[MinValueValidator(1), MaxValueValidator(5)])
    evidence = models.TextField(blank=True)

    objects = ScopedQuerySet.as_manager()
    scope = AssessmentScope("assessment__")

    class Meta:
        ordering = ["assessment", "competency__order"]
        constraints = [
            models.UniqueConstraint(fields=["assessment", "competency"], name="one_rating_per_competency"),
            models.CheckConstraint(condition=Q(score__gte=1, score__lte=5), name="rating_score_1_to_5"),
        ]

    def __str__(self) -> str:
        return f"{self.competency}: {self.score}"


auditlog.register(CompetencyFramework)
auditlog.register(Competency)
auditlog.register(Assessment)
auditlog.register(Rating)
