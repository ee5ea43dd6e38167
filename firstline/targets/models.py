from auditlog.registry import auditlog
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q

from firstline.core.periods import PERIOD_HELP, PeriodError, fiscal_calendar
from firstline.core.scoping import ScopedQuerySet
from firstline.org.models import Person
from firstline.org.scoping import PersonScope
from firstline.pipeline.models import default_currency


class Metric(models.TextChoices):
    REVENUE = "revenue", "Closed-won revenue"
    DEALS_CREATED = "deals_created", "Deals created"
    ACTIVITIES = "activities", "Activities"


class TargetQuerySet(ScopedQuerySet):
    def within(self, period):
        """Targets whose period lies inside `period` (a quarter's months, a year's quarters…)."""
        return self.filter(start__gte=period.start, end__lte=period.end)


class Target(models.Model):
    """What a seller is expected to reach in one fiscal period. Sellers see theirs; managers set them."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="targets")
    metric = models.CharField(max_length=20, choices=Metric, default=Metric.REVENUE)
    period = models.CharField(max_length=10, help_text=PERIOD_HELP)
    start = models.DateField(editable=False)
    end = models.DateField(editable=False)
    amount = models.DecimalField(max_digits=14, decimal_places=2, validators=[MinValueValidator(0)])
    currency = models.CharField(max_length=3, default=default_currency)

    objects = TargetQuerySet.as_manager()
    scope = PersonScope("person", owner_may_change=False)

    class Meta:
        ordering = ["start", "person"]
        constraints = [
            models.UniqueConstraint(
                fields=["person", "metric", "period"], name="target_one_per_person_period"
            ),
            models.CheckConstraint(condition=Q(amount__gte=0), name="target_amount_not_negative"),
        ]
        indexes = [models.Index(fields=["person", "start", "end"], name="target_person_dates")]

    def __str__(self) -> str:
        return f"{self.person} {self.get_metric_display()} {self.period}"

    def save(self, *args, **kwargs) -> None:
        self.clean()  # start and end always follow the period label
        super().save(*args, **kwargs)

    def clean(self) -> None:
        try:
            period = fiscal_calendar().parse(self.period)
        except PeriodError as error:
            raise ValidationError({"period": str(error)}) from None
        if period.label.endswith("YTD"):
            raise ValidationError(
                {"period": "A target is set for a year, quarter or month, not year to date."}
            )
        self.period, self.start, self.end = period.label, period.start, period.end


auditlog.register(Target)
