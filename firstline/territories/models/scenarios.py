from auditlog.registry import auditlog
from django.db import models
from django.urls import reverse
from django.utils import timezone

from firstline.core.scoping import ScopedQuerySet
from firstline.org.models import Person, Team
from firstline.pipeline.models import Account
from firstline.territories.scoping import ManagedTeamScope

from .territories import Territory


class ScenarioStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    READY = "ready", "Ready to apply"
    FAILED = "failed", "Failed"
    APPLIED = "applied", "Applied"
    UNDONE = "undone", "Undone"


class Scenario(models.Model):
    """A proposed territory design for a team. Nothing changes until a manager applies it; an applied
    scenario can be undone while its accounts have not moved since."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="territory_scenarios")
    name = models.CharField(max_length=200)
    created = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(Person, null=True, on_delete=models.SET_NULL, related_name="+")
    parameters = models.JSONField(default=dict)
    status = models.CharField(max_length=10, choices=ScenarioStatus, default=ScenarioStatus.QUEUED)
    progress = models.PositiveSmallIntegerField(default=0)
    message = models.CharField(max_length=500, blank=True)
    result = models.JSONField(default=dict, blank=True)
    applied_at = models.DateTimeField(null=True, blank=True)
    applied_by = models.ForeignKey(Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    undone_at = models.DateTimeField(null=True, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope = ManagedTeamScope("team")

    class Meta:
        ordering = ["-created"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("territories:scenario_detail", args=[self.pk])


class ScenarioMove(models.Model):
    """One account the scenario hands from one territory to another."""

    scenario = models.ForeignKey(Scenario, on_delete=models.CASCADE, related_name="moves")
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    from_territory = models.ForeignKey(Territory, null=True, on_delete=models.CASCADE, related_name="+")
    to_territory = models.ForeignKey(Territory, on_delete=models.CASCADE, related_name="+")

    objects = ScopedQuerySet.as_manager()
    scope = ManagedTeamScope("scenario__team")

    class Meta:
        ordering = ["scenario", "account"]
        constraints = [models.UniqueConstraint(fields=["scenario", "account"], name="scenario_move_once")]

    def __str__(self) -> str:
        return f"{self.account}: {self.from_territory} → {self.to_territory}"


auditlog.register(Scenario, exclude_fields=["progress", "message", "result"])
