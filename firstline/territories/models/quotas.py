from auditlog.registry import auditlog
from django.core.validators import MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils import timezone

from firstline.core.periods import PERIOD_HELP
from firstline.core.scoping import ScopedQuerySet
from firstline.org.models import Person, Team
from firstline.org.scoping import PersonScope
from firstline.pipeline.models import default_currency
from firstline.territories.scoping import ManagedTeamScope


class QuotaAllocation(models.Model):
    """A team target split among its sellers by a documented blend of history, potential and pipeline."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="quota_allocations")
    period = models.CharField(max_length=10, help_text=PERIOD_HELP)
    team_target = models.DecimalField(max_digits=14, decimal_places=2, validators=[MinValueValidator(0)])
    currency = models.CharField(max_length=3, default=default_currency)
    weight_history = models.DecimalField(max_digits=4, decimal_places=2, default=0.5)
    weight_potential = models.DecimalField(max_digits=4, decimal_places=2, default=0.3)
    weight_pipeline = models.DecimalField(max_digits=4, decimal_places=2, default=0.2)
    created = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(Person, null=True, on_delete=models.SET_NULL, related_name="+")

    objects = ScopedQuerySet.as_manager()
    scope = ManagedTeamScope("team")

    class Meta:
        ordering = ["-created"]

    def __str__(self) -> str:
        return f"{self.team} quota {self.period}"

    def get_absolute_url(self) -> str:
        return reverse("territories:quota_detail", args=[self.pk])


class QuotaLine(models.Model):
    """One seller's share: the inputs, the computed split, the manager's adjustment and why."""

    allocation = models.ForeignKey(QuotaAllocation, on_delete=models.CASCADE, related_name="lines")
    seller = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="quota_lines")
    history = models.DecimalField(max_digits=14, decimal_places=2)
    potential = models.DecimalField(max_digits=14, decimal_places=2)
    pipeline = models.DecimalField(max_digits=14, decimal_places=2)
    proposed = models.DecimalField(max_digits=14, decimal_places=2)
    adjustment = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    explanation = models.TextField()

    objects = ScopedQuerySet.as_manager()
    scope = PersonScope("seller", owner_may_change=False)

    class Meta:
        ordering = ["allocation", "seller"]
        constraints = [models.UniqueConstraint(fields=["allocation", "seller"], name="quota_line_once")]

    def __str__(self) -> str:
        return f"{self.seller}: {self.final}"

    @property
    def final(self):
        return self.proposed + self.adjustment


auditlog.register(QuotaAllocation)
auditlog.register(QuotaLine)
