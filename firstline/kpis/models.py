"""Pre-aggregated results: what every KPI is computed from, kept current on every write.

Scanning a million deals for the whole company's year takes SQLite about 400 ms; summing the rows
below for the same year takes a few. Each row is one seller's results in one fiscal month, attributed
to the team the seller belonged to on the date of each result (the close date for won and lost
deals, the expected close date for open ones, the creation date for "deals created"), so a seller who
moved mid-month has a row for each team. `month` is empty for results whose date is unknown (an
import may leave it out): they belong to no period and are reported as such, never dropped silently.

The rows are derived data: `firstline.kpis.rollup` rebuilds them from scratch and refreshes one
seller's rows whenever their deals, stage history or team memberships change.
"""

from decimal import Decimal

from django.db import models

from firstline.core.scoping import ScopedQuerySet
from firstline.org.models import Person, Team
from firstline.org.scoping import PersonScope
from firstline.pipeline.models import SalesStage

ZERO = Decimal(0)


def _money() -> models.DecimalField:
    return models.DecimalField(max_digits=18, decimal_places=2, default=ZERO)


class Measures(models.Model):
    """The additive measures every KPI is computed from (see kpis.figures)."""

    won_count = models.PositiveIntegerField(default=0)
    won_amount = _money()
    won_unknown_amount = models.PositiveIntegerField(default=0, help_text="Won deals with no amount.")
    cycle_days = models.PositiveIntegerField(default=0, help_text="Sum of created→close days, won deals.")
    cycle_count = models.PositiveIntegerField(default=0, help_text="Won deals with both dates known.")
    lost_count = models.PositiveIntegerField(default=0)
    lost_amount = _money()
    lost_unknown_amount = models.PositiveIntegerField(default=0)
    open_count = models.PositiveIntegerField(default=0)
    open_amount = _money()
    open_unknown_amount = models.PositiveIntegerField(default=0)
    created_count = models.PositiveIntegerField(default=0)

    class Meta:
        abstract = True


class SellerMonthResult(Measures):
    """One seller's results in one month, within one team."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    team = models.ForeignKey(Team, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    month = models.DateField(null=True, blank=True, help_text="First day of the month; empty if unknown.")

    objects = ScopedQuerySet.as_manager()
    scope = PersonScope("person", owner_may_change=False)

    class Meta:
        ordering = ["person", "month"]
        indexes = [
            models.Index(fields=["team", "month"], name="result_team_month"),
            models.Index(fields=["person", "month"], name="result_person_month"),
        ]

    def __str__(self) -> str:
        return f"{self.person_id} in {self.team_id} {self.month}"


class TeamMonthResult(Measures):
    """The sum of the seller rows of one team (not its subtree) and month: a region's year is a few
    hundred of these rather than thousands of seller rows. Empty team: results of people in no team."""

    team = models.ForeignKey(Team, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    month = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["team", "month"]
        indexes = [
            models.Index(fields=["month", "team"], name="team_result_month_team"),
            models.Index(fields=["team", "month"], name="team_result_team_month"),
        ]

    def __str__(self) -> str:
        return f"team {self.team_id} {self.month}"


class FunnelReach(models.Model):
    """How many of a seller's deals closed in a month got at most as far as `stage` before the end.

    Won deals are counted at their won stage (they passed every open stage); lost deals at the last
    open stage their history shows. "Reached stage k" is then the sum over stage k and every later one.
    """

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    team = models.ForeignKey(Team, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    month = models.DateField()
    stage = models.ForeignKey(SalesStage, on_delete=models.CASCADE, related_name="+")
    deals = models.PositiveIntegerField(default=0)

    objects = ScopedQuerySet.as_manager()
    scope = PersonScope("person", owner_may_change=False)

    class Meta:
        ordering = ["person", "month", "stage"]
        indexes = [
            models.Index(fields=["month", "team"], name="funnel_month_team"),
            models.Index(fields=["person", "month"], name="funnel_person_month"),
        ]

    def __str__(self) -> str:
        return f"{self.person_id} {self.month} {self.stage_id}: {self.deals}"


class TeamMonthFunnel(models.Model):
    """FunnelReach summed per team and month, for the same reason as TeamMonthResult."""

    team = models.ForeignKey(Team, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    month = models.DateField()
    stage = models.ForeignKey(SalesStage, on_delete=models.CASCADE, related_name="+")
    deals = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["team", "month", "stage"]
        indexes = [models.Index(fields=["month", "team"], name="team_funnel_month_team")]

    def __str__(self) -> str:
        return f"team {self.team_id} {self.month} {self.stage_id}: {self.deals}"


class CompanyMonthResult(Measures):
    """Every team's rows of one month summed: the whole company's year is twelve rows."""

    month = models.DateField(null=True, blank=True, unique=True)

    class Meta:
        ordering = ["month"]

    def __str__(self) -> str:
        return f"company {self.month}"


class CompanyMonthFunnel(models.Model):
    month = models.DateField()
    stage = models.ForeignKey(SalesStage, on_delete=models.CASCADE, related_name="+")
    deals = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["month", "stage"]
        indexes = [models.Index(fields=["month", "stage"], name="company_funnel_month_stage")]

    def __str__(self) -> str:
        return f"company {self.month} {self.stage_id}: {self.deals}"


class NudgeKind(models.TextChoices):
    REACHED = "reached", "Reached a share of the target"
    BEHIND = "behind", "Behind the period's pace"


class NudgeScope:
    """A nudge is for its recipient alone (admins see all)."""

    def q(self, user, action):
        from django.db.models import Q

        from firstline.core.scoping import NOTHING
        from firstline.org.scoping import viewer

        who = viewer(user)
        if who.is_admin:
            return Q()
        return Q(recipient_id=who.person_id) if who.person_id else NOTHING


class Nudge(models.Model):
    """An in-app notification (also sent by e-mail) when a target's attainment crosses 50, 90 or
    100 %, or falls behind the period's pace. One per target, kind, threshold and recipient."""

    recipient = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="nudges")
    target = models.ForeignKey("targets.Target", on_delete=models.CASCADE, related_name="nudges")
    kind = models.CharField(max_length=10, choices=NudgeKind)
    threshold = models.PositiveSmallIntegerField(default=0, help_text="Percent of the target crossed.")
    message = models.CharField(max_length=300)
    created = models.DateTimeField(auto_now_add=True)
    read = models.BooleanField(default=False)

    objects = ScopedQuerySet.as_manager()
    scope = NudgeScope()

    class Meta:
        ordering = ["-created"]
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "target", "kind", "threshold"], name="nudge_once_per_threshold"
            ),
        ]

    def __str__(self) -> str:
        return self.message
