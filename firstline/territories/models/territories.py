from decimal import Decimal

from auditlog.registry import auditlog
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone

from firstline.core.models import coordinate
from firstline.core.scoping import ScopedQuerySet
from firstline.org.models import Person, Team
from firstline.org.scoping import PersonScope
from firstline.pipeline.models import Account


class Territory(models.Model):
    """A named set of accounts owned by one seller, within a team."""

    name = models.CharField(max_length=200)
    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="territories")
    owner = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="territories")
    created = models.DateTimeField(default=timezone.now, editable=False)

    objects = ScopedQuerySet.as_manager()
    scope = PersonScope("owner", owner_may_change=False)

    class Meta:
        ordering = ["team", "name"]
        verbose_name_plural = "territories"
        constraints = [models.UniqueConstraint(fields=["team", "name"], name="territory_name_unique_in_team")]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("territories:territory_detail", args=[self.pk])


class AssignmentQuerySet(ScopedQuerySet):
    def current(self):
        return self.filter(end__isnull=True)


class TerritoryAssignment(models.Model):
    """An account in a territory from `start` until `end` (empty while current): the history of
    where each account has belonged, one open row per account at a time."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="territory_assignments")
    territory = models.ForeignKey(Territory, on_delete=models.CASCADE, related_name="assignments")
    start = models.DateField(default=timezone.localdate)
    end = models.DateField(null=True, blank=True)

    objects = AssignmentQuerySet.as_manager()
    scope = PersonScope("territory__owner", owner_may_change=False)

    class Meta:
        ordering = ["account", "start"]
        constraints = [
            models.UniqueConstraint(
                fields=["account"], condition=Q(end__isnull=True), name="assignment_one_current_per_account"
            ),
            models.CheckConstraint(
                condition=Q(end__isnull=True) | Q(end__gte=F("start")), name="assignment_ends_after_start"
            ),
        ]
        indexes = [models.Index(fields=["territory", "end"], name="assignment_territory_end")]

    def __str__(self) -> str:
        return f"{self.account} in {self.territory} from {self.start.isoformat()}"

    def clean(self) -> None:
        if self.end and self.start and self.end < self.start:
            raise ValidationError({"end": "An assignment cannot end before it starts."})


class AccountSettings(models.Model):
    """Territory-design settings of one account: locked (never moved by the optimizer) and a workload
    that overrides the estimate."""

    account = models.OneToOneField(Account, on_delete=models.CASCADE, related_name="territory_settings")
    locked = models.BooleanField(default=False, help_text="The optimizer never moves a locked account.")
    workload_override = models.DecimalField(
        max_digits=8,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
        help_text="Hours a year this account takes, replacing the estimate from its deals and size.",
    )

    objects = ScopedQuerySet.as_manager()
    scope = PersonScope("account__owner", owner_may_change=False)

    class Meta:
        ordering = ["account"]
        verbose_name_plural = "account settings"

    def __str__(self) -> str:
        return f"Territory settings of {self.account}"


class SellerProfile(models.Model):
    """Where a seller works from and how much territory they can carry (1 = a full-time seller)."""

    person = models.OneToOneField(Person, on_delete=models.CASCADE, related_name="seller_profile")
    home_latitude = coordinate(90)
    home_longitude = coordinate(180)
    capacity = models.DecimalField(
        max_digits=4,
        decimal_places=2,
        default=Decimal(1),
        validators=[MinValueValidator(Decimal("0.1")), MaxValueValidator(Decimal(2))],
    )

    objects = ScopedQuerySet.as_manager()
    scope = PersonScope("person", owner_may_change=False)

    class Meta:
        ordering = ["person"]

    def __str__(self) -> str:
        return f"Profile of {self.person}"


auditlog.register(Territory)
auditlog.register(TerritoryAssignment)
auditlog.register(AccountSettings)
auditlog.register(SellerProfile)
