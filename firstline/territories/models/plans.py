from auditlog.registry import auditlog
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils import timezone

from firstline.core.periods import PERIOD_HELP, PeriodError, fiscal_calendar
from firstline.core.scoping import ScopedQuerySet
from firstline.org.models import Person
from firstline.org.scoping import PersonScope
from firstline.pipeline.models import Account, default_currency


class PlanStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    APPROVED = "approved", "Approved"


class TerritoryPlan(models.Model):
    """A seller's plan to reach the territory's objectives in one period: objectives, market
    opportunity, resources, key accounts and actions. The manager approves it; reviews adjust it."""

    seller = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="territory_plans")
    period = models.CharField(max_length=10, help_text=PERIOD_HELP)
    start = models.DateField(editable=False)
    end = models.DateField(editable=False)
    objective_amount = models.DecimalField(
        max_digits=14,
        decimal_places=2,
        default=0,
        validators=[MinValueValidator(0)],
        help_text="Closed-won revenue the plan commits to; starts from the seller's target.",
    )
    currency = models.CharField(max_length=3, default=default_currency)
    objectives = models.TextField(blank=True, help_text="Business and sales goals, in the seller's words.")
    market = models.TextField(
        blank=True, help_text="Where the opportunity is: segments, industries, whitespace."
    )
    resources_time = models.TextField("time", blank=True)
    resources_budget = models.DecimalField(
        "budget", max_digits=12, decimal_places=2, default=0, validators=[MinValueValidator(0)]
    )
    resources_partners = models.TextField("partners", blank=True)
    resources_smes = models.TextField("subject-matter experts", blank=True)
    status = models.CharField(max_length=10, choices=PlanStatus, default=PlanStatus.DRAFT)
    approved_by = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="approved_plans"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=0, editable=False)

    objects = ScopedQuerySet.as_manager()
    scope = PersonScope("seller")

    class Meta:
        ordering = ["-start", "seller"]
        constraints = [
            models.UniqueConstraint(fields=["seller", "period"], name="plan_one_per_seller_period")
        ]

    def __str__(self) -> str:
        return f"{self.seller} territory plan {self.period}"

    def get_absolute_url(self) -> str:
        return reverse("territories:plan_detail", args=[self.pk])

    def clean(self) -> None:
        try:
            period = fiscal_calendar().parse(self.period)
        except PeriodError as error:
            raise ValidationError({"period": str(error)}) from None
        if period.label.endswith("YTD"):
            raise ValidationError({"period": "A plan covers a year, quarter or month, not year to date."})
        self.period, self.start, self.end = period.label, period.start, period.end


class KeyAccount(models.Model):
    """An account the plan singles out, with the strategy for it."""

    plan = models.ForeignKey(TerritoryPlan, on_delete=models.CASCADE, related_name="key_accounts")
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    strategy = models.TextField(blank=True)

    objects = ScopedQuerySet.as_manager()
    scope = PersonScope("plan__seller")

    class Meta:
        ordering = ["plan", "account"]
        constraints = [models.UniqueConstraint(fields=["plan", "account"], name="key_account_once_per_plan")]

    def __str__(self) -> str:
        return f"{self.account} in {self.plan}"


class PlanAction(models.Model):
    """Something to do for the plan, by someone, by a date."""

    plan = models.ForeignKey(TerritoryPlan, on_delete=models.CASCADE, related_name="actions")
    description = models.CharField(max_length=300)
    owner = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    due = models.DateField()
    done = models.BooleanField(default=False)

    objects = ScopedQuerySet.as_manager()
    scope = PersonScope("plan__seller")

    class Meta:
        ordering = ["plan", "due"]

    def __str__(self) -> str:
        return self.description


class PlanVersion(models.Model):
    """A frozen copy of the plan's content, written at every change, approval and review."""

    plan = models.ForeignKey(TerritoryPlan, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    content = models.JSONField()
    reason = models.CharField(max_length=200)
    created = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(Person, null=True, on_delete=models.SET_NULL, related_name="+")

    objects = ScopedQuerySet.as_manager()
    scope = PersonScope("plan__seller", owner_may_change=False)

    class Meta:
        ordering = ["plan", "-number"]
        constraints = [models.UniqueConstraint(fields=["plan", "number"], name="plan_version_number_unique")]

    def __str__(self) -> str:
        return f"{self.plan} v{self.number}"


class PlanReview(models.Model):
    """A scheduled look at the plan: the progress snapshot at that date, what changed, and the
    adjustment decided. Reviews are never edited; the next review records the next decision."""

    plan = models.ForeignKey(TerritoryPlan, on_delete=models.CASCADE, related_name="reviews")
    number = models.PositiveIntegerField()
    reviewed_on = models.DateField(default=timezone.localdate)
    reviewer = models.ForeignKey(Person, null=True, on_delete=models.SET_NULL, related_name="+")
    snapshot = models.JSONField(help_text="Won, pipeline and percent to plan on the review date.")
    what_changed = models.TextField(blank=True)
    adjustment = models.TextField(blank=True)
    version = models.ForeignKey(PlanVersion, on_delete=models.CASCADE, related_name="+")

    objects = ScopedQuerySet.as_manager()
    scope = PersonScope("plan__seller", owner_may_change=False)

    class Meta:
        ordering = ["plan", "-number"]
        constraints = [models.UniqueConstraint(fields=["plan", "number"], name="plan_review_number_unique")]

    def __str__(self) -> str:
        return f"Review {self.number} of {self.plan}"


auditlog.register(TerritoryPlan)
auditlog.register(PlanReview)
