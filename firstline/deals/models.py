"""Guiding deals: the sales process's exit criteria, qualification, strategy, risk, reviews, forecast."""

from auditlog.registry import auditlog
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse

from firstline.core.periods import PERIOD_HELP, PeriodError, fiscal_calendar
from firstline.core.scoping import ScopedQuerySet
from firstline.deals.scoping import ForecastCallScope, TeamFiguresScope
from firstline.org.models import Person, Team
from firstline.org.scoping import PersonScope, SharedScope
from firstline.pipeline.models import Opportunity, SalesStage

DEAL_OWNER = PersonScope("opportunity__owner")


class ExitCriterion(models.Model):
    """One thing that must be true before a deal leaves a stage: part of the standard sales process."""

    stage = models.ForeignKey(SalesStage, on_delete=models.CASCADE, related_name="criteria")
    text = models.CharField(max_length=300)
    order = models.PositiveSmallIntegerField(default=0)

    objects = ScopedQuerySet.as_manager()
    scope = SharedScope()

    class Meta:
        ordering = ["stage__order", "order", "pk"]
        verbose_name_plural = "exit criteria"
        constraints = [
            models.UniqueConstraint(fields=["stage", "text"], name="exit_criterion_once_per_stage")
        ]

    def __str__(self) -> str:
        return f"{self.stage}: {self.text}"


class CriterionCheck(models.Model):
    """An exit criterion the seller has ticked as met on one deal."""

    opportunity = models.ForeignKey(Opportunity, on_delete=models.CASCADE, related_name="criterion_checks")
    criterion = models.ForeignKey(ExitCriterion, on_delete=models.CASCADE, related_name="checks")
    checked_by = models.ForeignKey(Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    checked_at = models.DateTimeField()

    objects = ScopedQuerySet.as_manager()
    scope = DEAL_OWNER

    class Meta:
        ordering = ["criterion"]
        constraints = [
            models.UniqueConstraint(
                fields=["opportunity", "criterion"], name="criterion_checked_once_per_deal"
            )
        ]

    def __str__(self) -> str:
        return f"{self.opportunity}: {self.criterion.text}"


class StageSkip(models.Model):
    """A deal moved past a stage with exit criteria unmet: which ones, and the answer to "why?"."""

    opportunity = models.ForeignKey(Opportunity, on_delete=models.CASCADE, related_name="stage_skips")
    from_stage = models.ForeignKey(SalesStage, on_delete=models.PROTECT, related_name="+")
    to_stage = models.ForeignKey(SalesStage, on_delete=models.PROTECT, related_name="+")
    unmet = models.TextField(help_text="The criteria that were not met, one per line.")
    reason = models.TextField()
    actor = models.ForeignKey(Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField()

    objects = ScopedQuerySet.as_manager()
    scope = DEAL_OWNER

    class Meta:
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.opportunity}: {self.from_stage} → {self.to_stage} with criteria unmet"


class QualificationFramework(models.Model):
    """A qualification scorecard's elements (MEDDICC by default); admins configure others."""

    name = models.CharField(max_length=50, unique=True)
    elements = models.JSONField(help_text='A list of {"key": …, "label": …, "question": …}.')
    is_default = models.BooleanField(default=False)

    objects = ScopedQuerySet.as_manager()
    scope = SharedScope()

    class Meta:
        ordering = ["-is_default", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"], condition=Q(is_default=True), name="one_default_framework"
            )
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        elements = self.elements
        if not isinstance(elements, list) or not elements:
            raise ValidationError({"elements": "List at least one element."})
        keys = [element.get("key") if isinstance(element, dict) else None for element in elements]
        if not all(isinstance(key, str) and key for key in keys) or len(set(keys)) != len(keys):
            raise ValidationError({"elements": "Every element needs its own non-empty key."})
        if not all(isinstance(element.get("label"), str) and element["label"] for element in elements):
            raise ValidationError({"elements": "Every element needs a label."})

    def element_keys(self) -> list[str]:
        return [element["key"] for element in self.elements]


SCORE_MAX = 3  # 0 unknown, 1 assumed, 2 confirmed by the customer, 3 confirmed and in our favour
GAP_BELOW = 2


class Scorecard(models.Model):
    """How well qualified one deal is: a score per framework element, with the evidence."""

    opportunity = models.OneToOneField(Opportunity, on_delete=models.CASCADE, related_name="scorecard")
    framework = models.ForeignKey(QualificationFramework, on_delete=models.PROTECT, related_name="scorecards")
    scores = models.JSONField(
        default=dict, help_text="Element key → 0 (unknown) to 3 (confirmed, favourable)."
    )
    evidence = models.JSONField(default=dict, blank=True, help_text="Element key → what we know.")
    updated_by = models.ForeignKey(Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    updated_at = models.DateTimeField()

    objects = ScopedQuerySet.as_manager()
    scope = DEAL_OWNER

    class Meta:
        ordering = ["opportunity"]

    def __str__(self) -> str:
        return f"{self.framework} for {self.opportunity}"

    def clean(self) -> None:
        keys = set(self.framework.element_keys())
        if not isinstance(self.scores, dict) or set(self.scores) - keys:
            raise ValidationError({"scores": f"Score only the elements of {self.framework}."})
        if not all(isinstance(value, int) and 0 <= value <= SCORE_MAX for value in self.scores.values()):
            raise ValidationError({"scores": f"Each score is a whole number from 0 to {SCORE_MAX}."})

    def rows(self) -> list[dict]:
        return [
            {
                **element,
                "score": self.scores.get(element["key"], 0),
                "evidence": (self.evidence or {}).get(element["key"], ""),
                "gap": self.scores.get(element["key"], 0) < GAP_BELOW,
            }
            for element in self.framework.elements
        ]

    def gaps(self) -> list[str]:
        return [row["label"] for row in self.rows() if row["gap"]]

    @property
    def total(self) -> int:
        return sum(self.scores.values())

    @property
    def maximum(self) -> int:
        return SCORE_MAX * len(self.framework.elements)


class StrategyCanvas(models.Model):
    """One version of a deal's strategy; saving makes a new version, so the thinking has a history."""

    opportunity = models.ForeignKey(Opportunity, on_delete=models.CASCADE, related_name="canvases")
    version = models.PositiveIntegerField()
    needs = models.JSONField(default=list, blank=True, help_text='[{"need": …, "solution": …}]')
    facts = models.TextField(blank=True)
    constraints = models.TextField(blank=True)
    competitor = models.CharField(max_length=200, blank=True)
    competitor_strengths = models.TextField(blank=True)
    competitor_weaknesses = models.TextField(blank=True)
    priorities = models.TextField(blank=True, help_text="Our strategic priorities in this deal.")
    options = models.JSONField(default=list, blank=True, help_text='[{"option": …, "consequences": …}]')
    decision = models.TextField(blank=True)
    author = models.ForeignKey(Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField()

    objects = ScopedQuerySet.as_manager()
    scope = DEAL_OWNER

    class Meta:
        ordering = ["opportunity", "-version"]
        verbose_name_plural = "strategy canvases"
        constraints = [
            models.UniqueConstraint(fields=["opportunity", "version"], name="canvas_version_once_per_deal")
        ]

    def __str__(self) -> str:
        return f"{self.opportunity} strategy v{self.version}"

    def clean(self) -> None:
        for name, keys in (("needs", ("need", "solution")), ("options", ("option", "consequences"))):
            value = getattr(self, name)
            if not isinstance(value, list) or not all(
                isinstance(row, dict)
                and set(row) <= set(keys)
                and all(isinstance(v, str) for v in row.values())
                for row in value
            ):
                raise ValidationError({name: f"A list of {{{', '.join(keys)}}} pairs of text."})


class SignalKind(models.TextChoices):
    STALLED = "stalled", "Stalled"
    SLIPPED = "slipped", "Close date slipped"
    SINGLE_THREADED = "single_threaded", "Single-threaded"
    NO_POWER = "no_power", "No economic buyer or champion"
    NO_NEXT_STEP = "no_next_step", "No next step"
    AMOUNT_CUT = "amount_cut", "Amount cut"
    PAST_CLOSE = "past_close", "Past close date"


class RiskSignal(models.Model):
    """A risk found on an open deal by the rules in deals.risk, stored so lists and queues can sort
    by it; refreshed by `firstline deals refresh` and after every write through the deal services."""

    opportunity = models.ForeignKey(Opportunity, on_delete=models.CASCADE, related_name="risk_signals")
    kind = models.CharField(max_length=20, choices=SignalKind)
    reason = models.CharField(max_length=300)
    since = models.DateField()
    computed_on = models.DateField()

    objects = ScopedQuerySet.as_manager()
    scope = PersonScope("opportunity__owner", owner_may_change=False)

    class Meta:
        ordering = ["opportunity_id", "kind"]
        constraints = [
            models.UniqueConstraint(fields=["opportunity", "kind"], name="risk_signal_once_per_deal")
        ]
        indexes = [models.Index(fields=["kind", "opportunity"], name="risk_signal_kind")]

    def __str__(self) -> str:
        return f"{self.opportunity}: {self.get_kind_display()}"


class StageStatistic(models.Model):
    """What history says about one stage, for one team (or the whole company when team is empty):
    the calibrated win rate and the "stalled" threshold. Refreshed by `firstline deals refresh`."""

    team = models.ForeignKey(Team, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    stage = models.ForeignKey(SalesStage, on_delete=models.CASCADE, related_name="statistics")
    reached = models.PositiveIntegerField(default=0, help_text="Closed deals that reached the stage.")
    won = models.PositiveIntegerField(default=0)
    stall_days = models.FloatField(null=True, blank=True, help_text="75th percentile of days in the stage.")
    stall_sample = models.PositiveIntegerField(default=0)
    timing = models.JSONField(
        default=list,
        blank=True,
        help_text="Company-wide: [days in stage, days to close or still open, outcome, amount] samples.",
    )
    computed_on = models.DateField()

    objects = ScopedQuerySet.as_manager()
    scope = SharedScope()

    class Meta:
        ordering = ["team", "stage__order"]
        constraints = [
            models.UniqueConstraint(fields=["team", "stage"], name="stage_statistic_once_per_team"),
            models.UniqueConstraint(
                fields=["stage"], condition=Q(team__isnull=True), name="stage_statistic_once_company_wide"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.stage} ({self.team or 'company'})"

    @property
    def win_rate(self) -> float | None:
        return self.won / self.reached if self.reached else None


class PeriodKind(models.TextChoices):
    QUARTER = "quarter", "Quarter"
    MONTH = "month", "Month"
    YEAR = "year", "Year"


class ForecastCalibration(models.Model):
    """How the projection's chances did at the same point of the last periods of a kind (see
    kpis.forecast.calibrate), for the live projection of the current period. Refreshed by
    `firstline deals refresh`, which the live page needs: a million deals cannot be replayed per request."""

    kind = models.CharField(max_length=10, choices=PeriodKind.choices, unique=True)
    days_into_period = models.PositiveIntegerField()
    factor = models.FloatField(help_text="Won from the deals open then / what their chances expected.")
    shock_sd = models.FloatField(help_text="Relative spread of a team's period beyond coin-flip noise.")
    periods = models.PositiveSmallIntegerField(help_text="Past periods it rests on.")
    computed_on = models.DateField()

    objects = ScopedQuerySet.as_manager()
    scope = SharedScope()

    class Meta:
        ordering = ["kind"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} calibration of {self.computed_on}"


class TeamForecastRollup(models.Model):
    """One first-line team's live forecast figures for the current period of a kind, as of the last
    `firstline deals refresh`: what a region's or the company's forecast page adds up instead of
    reading every open deal below it (kpis.forecast.combine)."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=10, choices=PeriodKind.choices)
    period = models.CharField(max_length=10)
    computed_on = models.DateField()
    won_so_far = models.FloatField()
    stage_weighted = models.FloatField()
    without_close_date = models.PositiveIntegerField()
    exact = models.JSONField(help_text="[amount, chance] of the largest open deals.")
    tail_mean = models.FloatField()
    tail_variance = models.FloatField()
    open_deals = models.PositiveIntegerField()
    unknown_amounts = models.PositiveIntegerField()
    new_business = models.JSONField(help_text="Won from deals created later, per past period.")
    categories = models.JSONField(help_text="Forecast category label → [deals, amount].")

    objects = ScopedQuerySet.as_manager()
    scope = TeamFiguresScope()

    class Meta:
        ordering = ["team", "kind"]
        constraints = [models.UniqueConstraint(fields=["team", "kind"], name="team_forecast_rollup_once")]

    def __str__(self) -> str:
        return f"{self.team} {self.period} forecast of {self.computed_on}"


class DealReview(models.Model):
    """A manager's review of one deal: what was discussed and the next steps agreed."""

    opportunity = models.ForeignKey(Opportunity, on_delete=models.CASCADE, related_name="reviews")
    reviewer = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="deal_reviews")
    held_on = models.DateField()
    notes = models.TextField()
    risks_discussed = models.CharField(
        max_length=300, blank=True, help_text="The signals open at the review."
    )
    coaching_session = models.OneToOneField(
        "coaching.CoachingSession",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="deal_review",
        help_text="The deal-review session it was recorded as in the owner's coaching.",
    )

    objects = ScopedQuerySet.as_manager()
    scope = PersonScope("opportunity__owner", owner_may_change=False)

    class Meta:
        ordering = ["-held_on", "-pk"]

    def __str__(self) -> str:
        return f"Review of {self.opportunity} on {self.held_on:%Y-%m-%d}"

    def get_absolute_url(self) -> str:
        return reverse("deals:deal", args=[self.opportunity_id])


class ActionItemQuerySet(ScopedQuerySet):
    def open(self):
        return self.filter(done_on__isnull=True)


class ActionItem(models.Model):
    """A next step agreed in a review: who does what by when."""

    opportunity = models.ForeignKey(Opportunity, on_delete=models.CASCADE, related_name="action_items")
    review = models.ForeignKey(
        DealReview, null=True, blank=True, on_delete=models.CASCADE, related_name="action_items"
    )
    owner = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="action_items")
    text = models.CharField(max_length=300)
    due = models.DateField(null=True, blank=True)
    done_on = models.DateField(null=True, blank=True)

    objects = ActionItemQuerySet.as_manager()
    scope = DEAL_OWNER

    class Meta:
        ordering = ["done_on", "due", "pk"]

    def __str__(self) -> str:
        return self.text


class ForecastCategory(models.TextChoices):
    COMMIT = "commit", "Commit"
    BEST_CASE = "best_case", "Best case"
    PIPELINE = "pipeline", "Pipeline"
    OMITTED = "omitted", "Omitted"


class DealForecast(models.Model):
    """The seller's forecast category for one deal (a deal without one counts as pipeline)."""

    opportunity = models.OneToOneField(Opportunity, on_delete=models.CASCADE, related_name="forecast")
    category = models.CharField(max_length=20, choices=ForecastCategory, default=ForecastCategory.PIPELINE)
    updated_by = models.ForeignKey(Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    updated_at = models.DateTimeField()

    objects = ScopedQuerySet.as_manager()
    scope = DEAL_OWNER

    class Meta:
        ordering = ["opportunity"]

    def __str__(self) -> str:
        return f"{self.opportunity}: {self.get_category_display()}"


class ForecastCall(models.Model):
    """One call for a period, kept forever so the history shows how it moved: a seller's own call
    (person set) or a manager's adjusted call for a whole team (team set)."""

    period = models.CharField(max_length=10, help_text=PERIOD_HELP)
    person = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.CASCADE, related_name="forecast_calls"
    )
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.CASCADE, related_name="forecast_calls"
    )
    commit = models.DecimalField(max_digits=14, decimal_places=2, validators=[MinValueValidator(0)])
    best_case = models.DecimalField(max_digits=14, decimal_places=2, validators=[MinValueValidator(0)])
    note = models.CharField(max_length=300, blank=True)
    author = models.ForeignKey(Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    made_at = models.DateTimeField()

    objects = ScopedQuerySet.as_manager()
    scope = ForecastCallScope()

    class Meta:
        ordering = ["-made_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(person__isnull=True, team__isnull=False)
                | Q(person__isnull=False, team__isnull=True),
                name="forecast_call_for_person_or_team",
            ),
            models.CheckConstraint(
                condition=Q(best_case__gte=models.F("commit")), name="forecast_best_case_at_least_commit"
            ),
        ]
        indexes = [
            models.Index(fields=["period", "person", "made_at"], name="forecast_call_person"),
            models.Index(fields=["period", "team", "made_at"], name="forecast_call_team"),
        ]

    def __str__(self) -> str:
        return f"{self.person or self.team} {self.period}: {self.commit}"

    def clean(self) -> None:
        try:
            period = fiscal_calendar().parse(self.period)
        except PeriodError as error:
            raise ValidationError({"period": str(error)}) from None
        self.period = period.label
        if (self.person_id is None) == (self.team_id is None):
            raise ValidationError("A call is either a seller's own or a manager's call for a team.")
        if self.commit is not None and self.best_case is not None and self.best_case < self.commit:
            raise ValidationError({"best_case": "Best case cannot be below commit."})


auditlog.register(ExitCriterion)
auditlog.register(QualificationFramework)
auditlog.register(Scorecard)
auditlog.register(DealReview)
auditlog.register(ActionItem)
auditlog.register(DealForecast)
