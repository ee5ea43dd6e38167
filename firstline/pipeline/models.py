from decimal import Decimal

from auditlog.registry import auditlog
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.db.models.lookups import In
from django.urls import reverse

from firstline.core.models import coordinate
from firstline.core.scoping import ScopedQuerySet, Unindexed
from firstline.org.models import Person
from firstline.org.scoping import PersonScope, SharedScope


def default_currency() -> str:
    return settings.DEFAULT_CURRENCY


class Segment(models.TextChoices):
    ENTERPRISE = "enterprise", "Enterprise"
    MID_MARKET = "mid_market", "Mid-market"
    SMALL_BUSINESS = "small_business", "Small business"


class Account(models.Model):
    """A customer or prospect, with its market potential and location for territory design."""

    name = models.CharField(max_length=200)
    external_id = models.CharField(
        max_length=100, unique=True, null=True, blank=True, help_text="Id in the CRM it came from."
    )
    industry = models.CharField(max_length=100, blank=True)
    segment = models.CharField(max_length=20, choices=Segment, default=Segment.MID_MARKET)
    city = models.CharField(max_length=100, blank=True)
    country = models.CharField(max_length=2, blank=True, help_text="ISO 3166 two-letter code.")
    latitude = coordinate(90)
    longitude = coordinate(180)
    market_potential = models.DecimalField(
        max_digits=14,
        decimal_places=2,
        default=Decimal(0),
        validators=[MinValueValidator(0)],
        help_text="Estimated yearly spend the account could place with us.",
    )
    currency = models.CharField(max_length=3, default=default_currency)
    owner = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="accounts"
    )

    objects = ScopedQuerySet.as_manager()
    scope = PersonScope("owner")

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(market_potential__gte=0), name="account_potential_not_negative"
            ),
        ]
        # Name order with the owner, so a scoped page and its count read this index alone.
        indexes = [models.Index(fields=["name", "id", "owner"], name="account_name_id")]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("pipeline:account_detail", args=[self.pk])


class Product(models.Model):
    """Something we sell."""

    name = models.CharField(max_length=200)
    code = models.CharField(max_length=50, unique=True)
    family = models.CharField(max_length=100, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope = SharedScope()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Outcome(models.TextChoices):
    OPEN = "open", "Open"
    WON = "won", "Won"
    LOST = "lost", "Lost"


class SalesStage(models.Model):
    """One step of the standard sales process, in order, with its probability and exit criteria."""

    name = models.CharField(max_length=100, unique=True)
    order = models.PositiveSmallIntegerField(unique=True)
    probability = models.PositiveSmallIntegerField(validators=[MaxValueValidator(100)], help_text="Percent.")
    outcome = models.CharField(max_length=10, choices=Outcome, default=Outcome.OPEN)
    exit_criteria = models.TextField(blank=True, help_text="What must be true to leave this stage.")

    objects = ScopedQuerySet.as_manager()
    scope = SharedScope()

    class Meta:
        ordering = ["order"]
        constraints = [
            models.CheckConstraint(condition=Q(probability__lte=100), name="stage_probability_at_most_100"),
        ]

    def __str__(self) -> str:
        return self.name


class OpportunityQuerySet(ScopedQuerySet):
    def open(self):
        # An open deal has no closed_on (Opportunity.clean, opportunity_save): saying so lets the
        # database read open deals in close-date order from a small partial index, which also holds
        # the stage, so the few open stages are checked there rather than joined and sorted.
        open_stages = SalesStage.objects.filter(outcome=Outcome.OPEN).values("pk")
        return self.filter(In(Unindexed(F("stage_id")), open_stages), closed_on__isnull=True)

    def with_outcome(self, outcome: str):
        return self.open() if outcome == Outcome.OPEN else self.filter(stage__outcome=outcome)

    def won(self):
        return self.filter(stage__outcome=Outcome.WON)

    def lost(self):
        return self.filter(stage__outcome=Outcome.LOST)

    def closing_in(self, period):
        return self.filter(close_date__range=(period.start, period.end))

    def closed_in(self, period):
        return self.filter(closed_on__range=(period.start, period.end))


class Opportunity(models.Model):
    """A deal: what we hope to sell to an account, who owns it and where it stands."""

    # NULL, never "", when there is none: many deals have no CRM id, while each CRM id is one deal.
    external_id = models.CharField(
        max_length=100, unique=True, null=True, blank=True, help_text="Id in the CRM it came from."
    )
    # Blank only until clean() derives it: CRM exports often carry no deal name.
    name = models.CharField(max_length=200, blank=True)
    # Account, amount, engaged and close dates are often empty on early-stage deals in real CRMs:
    # unknown stays null (never a made-up value) and every KPI says how it treats unknowns.
    account = models.ForeignKey(
        Account, null=True, blank=True, on_delete=models.PROTECT, related_name="opportunities"
    )
    # No index of its own: opportunity_owner_close (owner, close date) serves every lookup by owner.
    owner = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="opportunities", db_index=False)
    product = models.ForeignKey(Product, null=True, blank=True, on_delete=models.SET_NULL)
    amount = models.DecimalField(
        max_digits=14, decimal_places=2, null=True, blank=True, validators=[MinValueValidator(0)]
    )
    currency = models.CharField(max_length=3, default=default_currency)
    stage = models.ForeignKey(SalesStage, on_delete=models.PROTECT, related_name="opportunities")
    created = models.DateField(help_text="When the opportunity was opened.")
    engaged_on = models.DateField(
        null=True, blank=True, help_text="When the customer engaged (first meeting); unknown if empty."
    )
    close_date = models.DateField(
        null=True, blank=True, help_text="Expected close date, or the actual one once closed."
    )
    closed_on = models.DateField(null=True, blank=True, help_text="The day it was won or lost.")
    loss_reason = models.CharField(max_length=200, blank=True)
    competitor = models.CharField(max_length=200, blank=True)
    next_step = models.CharField(max_length=300, blank=True)

    objects = OpportunityQuerySet.as_manager()
    scope = PersonScope("owner")

    class Meta:
        ordering = ["close_date", "pk"]
        verbose_name_plural = "opportunities"
        constraints = [
            models.CheckConstraint(condition=Q(amount__gte=0), name="opportunity_amount_not_negative"),
            models.CheckConstraint(
                condition=~Q(external_id=""), name="opportunity_external_id_null_not_blank"
            ),
        ]
        indexes = [
            models.Index(fields=["owner", "close_date"], name="opportunity_owner_close"),
            models.Index(fields=["owner", "closed_on"], name="opportunity_owner_closed"),
            # The list's order and its sort columns, so a page is read from an index, not sorted.
            # close date, id, then the columns lists filter on: pages are read from the index alone.
            models.Index(fields=["close_date", "id", "owner", "stage"], name="opportunity_close_id"),
            models.Index(fields=["amount", "id"], name="opportunity_amount_id"),
            # Closed deals only: an index that also held the open deals' empty dates would tempt
            # the database to fetch every open deal through it and sort them.
            # With stage, amount and created, a KPI's "last few days" sums read this index alone.
            models.Index(
                fields=["closed_on", "stage", "amount", "created"],
                condition=Q(closed_on__isnull=False),
                name="opportunity_closed_on",
            ),
            models.Index(fields=["created", "owner"], name="opportunity_created_owner"),
            models.Index(
                fields=["close_date", "id", "owner", "stage", "amount"],
                condition=Q(closed_on__isnull=True),
                name="opportunity_open_close",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("pipeline:opportunity_detail", args=[self.pk])

    def clean(self) -> None:
        if self.external_id is not None:
            self.external_id = self.external_id.strip() or None
        if self.closed_on and self.stage_id and self.stage.outcome == Outcome.OPEN:
            raise ValidationError({"closed_on": "An open opportunity has not closed yet: leave it empty."})
        if not self.name.strip():
            self.name = derived_opportunity_name(
                account=self.account.name if self.account_id else "",
                product=self.product.name if self.product_id else "",
                external_id=self.external_id or "",
            )
        if not self.name:
            raise ValidationError({"name": "Give the deal a name, an account, a product or an external id."})


def derived_opportunity_name(*, account: str, product: str, external_id: str) -> str:
    """The name for a deal whose source has none: "account – product", else the external id.
    Empty when there is nothing to derive it from (the caller then reports the row)."""
    name = " – ".join(part for part in (account.strip(), product.strip()) if part)
    return (name or external_id.strip())[:200]


class StageChange(models.Model):
    """The opportunity entered `stage` at `changed_at`: the stage history."""

    opportunity = models.ForeignKey(Opportunity, on_delete=models.CASCADE, related_name="stage_changes")
    stage = models.ForeignKey(SalesStage, on_delete=models.PROTECT, related_name="+")
    changed_at = models.DateTimeField()
    changed_by = models.ForeignKey(Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["opportunity", "changed_at", "pk"]

    def __str__(self) -> str:
        return f"{self.opportunity} → {self.stage} ({self.changed_at:%Y-%m-%d})"


auditlog.register(Account)
auditlog.register(Product)
auditlog.register(SalesStage)
auditlog.register(Opportunity)
