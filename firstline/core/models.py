from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from firstline.core.scoping import ScopedQuerySet


def coordinate(limit: int) -> models.DecimalField:
    """A latitude (`limit` 90) or longitude (180) in degrees, to five decimals (about a metre);
    empty while unknown."""
    return models.DecimalField(
        max_digits=8,
        decimal_places=5,
        null=True,
        blank=True,
        validators=[MinValueValidator(-limit), MaxValueValidator(limit)],
    )


class User(AbstractUser):
    """A sign-in account. What the user may see follows from the Person linked to it (org app)."""

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"
        ordering = ["username"]


class JobState(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Done"
    FAILED = "failed", "Failed"


class JobScope:
    """A job is seen by whoever started it (and superusers): it may carry their file and errors."""

    def q(self, user, action):
        return Q() if user.is_superuser else Q(actor=user)


class Job(models.Model):
    """A piece of background work (an import, an optimizer run…) with the progress a page can show.

    `firstline.core.jobs` starts and runs jobs; the worker is Django's tasks framework with a
    database-backed queue. `done`/`total` count the units of the current phase named in `message`.
    """

    kind = models.CharField(max_length=50)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="jobs"
    )
    state = models.CharField(max_length=20, choices=JobState, default=JobState.QUEUED)
    params = models.JSONField(default=dict, blank=True, help_text="What the job was asked to do.")
    done = models.PositiveBigIntegerField(default=0)
    total = models.PositiveBigIntegerField(null=True, blank=True, help_text="Unknown while empty.")
    message = models.CharField(max_length=300, blank=True)
    result = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope = JobScope()

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["kind", "-created_at"], name="job_kind_created")]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk} ({self.get_state_display()})"

    @property
    def finished(self) -> bool:
        return self.state in {JobState.SUCCEEDED, JobState.FAILED}

    @property
    def percent(self) -> int | None:
        """Progress of the current phase in percent; None while the total is unknown."""
        if self.state == JobState.SUCCEEDED:
            return 100
        if not self.total:
            return None
        return min(100, self.done * 100 // self.total)
