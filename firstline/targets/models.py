from auditlog.registry import auditlog
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse

from firstline.core.periods import PERIOD_HELP, PeriodError, fiscal_calendar
from firstline.core.scoping import ScopedQuerySet
from firstline.org.models import Person, Team
from firstline.org.scoping import PersonScope, viewer
from firstline.pipeline.models import default_currency


class Metric(models.TextChoices):
    REVENUE = "revenue", "Closed-won revenue"
    DEALS_CREATED = "deals_created", "Deals created"
    ACTIVITIES = "activities", "Activities"


class TargetQuerySet(ScopedQuerySet):
    def within(self, period):
        """Targets whose period lies inside `period` (a quarter's months, a year's quarters…)."""
        return self.filter(start__gte=period.start, end__lte=period.end)

    def plan(self):
        """The plan itself, without the stretch targets on top of it."""
        return self.filter(stretch=False)


class TargetScope:
    """A seller's target follows the seller (they see it, their managers change it); a team's target
    is seen and changed by the managers above the team, down their whole subtree."""

    people = PersonScope("person", owner_may_change=False)

    def q(self, user, action) -> Q:
        who = viewer(user)
        if who.is_admin:
            return Q()
        people = self.people.q(user, action)
        if not people.children:  # Q() means everything; `Q() | x` would silently mean just x
            return people
        return people | (Q(team__isnull=False) & who.subtree_q("team__path"))


class Target(models.Model):
    """What a seller or a whole team is expected to reach in one fiscal period. Sellers see theirs;
    managers set them. A stretch target is the raised bar on top of the plan for the same period."""

    person = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.CASCADE, related_name="targets"
    )
    team = models.ForeignKey(Team, null=True, blank=True, on_delete=models.CASCADE, related_name="targets")
    stretch = models.BooleanField(
        default=False, help_text="A raised bar above the plan, not the plan itself."
    )
    metric = models.CharField(max_length=20, choices=Metric, default=Metric.REVENUE)
    period = models.CharField(max_length=10, help_text=PERIOD_HELP)
    start = models.DateField(editable=False)
    end = models.DateField(editable=False)
    amount = models.DecimalField(max_digits=14, decimal_places=2, validators=[MinValueValidator(0)])
    currency = models.CharField(max_length=3, default=default_currency)

    objects = TargetQuerySet.as_manager()
    scope = TargetScope()

    class Meta:
        ordering = ["start", "person", "team"]
        constraints = [
            models.UniqueConstraint(
                fields=["person", "metric", "period", "stretch"], name="target_one_per_person_period"
            ),
            models.UniqueConstraint(
                fields=["team", "metric", "period", "stretch"], name="target_one_per_team_period"
            ),
            models.CheckConstraint(condition=Q(amount__gte=0), name="target_amount_not_negative"),
            models.CheckConstraint(
                condition=Q(person__isnull=False, team__isnull=True)
                | Q(person__isnull=True, team__isnull=False),
                name="target_for_a_person_or_a_team",
            ),
        ]
        indexes = [
            models.Index(fields=["person", "start", "end"], name="target_person_dates"),
            models.Index(fields=["start", "person", "team"], name="target_list_order"),
            # Covers the KPI sums of a period and the 8-quarter trend (no table reads for the company).
            models.Index(
                fields=["start", "end", "metric", "stretch", "person", "team", "amount"],
                name="target_period_sums",
            ),
        ]

    def __str__(self) -> str:
        stretch = " (stretch)" if self.stretch else ""
        return f"{self.person or self.team} {self.get_metric_display()} {self.period}{stretch}"

    def save(self, *args, **kwargs) -> None:
        self.clean()  # start and end always follow the period label
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("targets:target_detail", args=[self.pk])

    def clean(self) -> None:
        if (self.person_id is None) == (self.team_id is None):
            raise ValidationError("A target is set for one seller or for one team.")
        try:
            period = fiscal_calendar().parse(self.period)
        except PeriodError as error:
            raise ValidationError({"period": str(error)}) from None
        if period.label.endswith("YTD"):
            raise ValidationError(
                {"period": "A target is set for a year, quarter or month, not year to date."}
            )
        self.period, self.start, self.end = period.label, period.start, period.end


class Kudos(models.Model):
    """Recognition a manager gives a seller, shown on the seller's page: praise in public."""

    giver = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="kudos_given")
    receiver = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="kudos_received")
    message = models.CharField(max_length=500)
    created = models.DateTimeField(auto_now_add=True)

    objects = ScopedQuerySet.as_manager()
    # The receiver and everyone above them see it; managers give it to the people below them.
    scope = PersonScope("receiver", owner_may_change=False)

    class Meta:
        ordering = ["-created"]
        verbose_name_plural = "kudos"
        constraints = [
            models.CheckConstraint(condition=~Q(giver=models.F("receiver")), name="kudos_not_to_oneself"),
        ]

    def __str__(self) -> str:
        return f"{self.giver} → {self.receiver}: {self.message[:40]}"

    def get_absolute_url(self) -> str:
        return reverse("org:person_detail", args=[self.receiver_id])


auditlog.register(Target)
auditlog.register(Kudos)
