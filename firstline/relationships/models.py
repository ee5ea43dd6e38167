from auditlog.registry import auditlog
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse

from firstline.core.scoping import ScopedQuerySet
from firstline.org.models import Person
from firstline.org.scoping import PersonScope
from firstline.pipeline.models import Account, Opportunity
from firstline.relationships.scoping import AnyOfScope

# A stakeholder or partner belongs to the account's owner and, on a deal, to the deal's owner too.
ACCOUNT_OR_DEAL = AnyOfScope(PersonScope("account__owner"), PersonScope("opportunity__owner"))


class Contact(models.Model):
    """A person at a customer or prospect."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="contacts")
    name = models.CharField(max_length=200)
    title = models.CharField(max_length=200, blank=True)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=50, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope = PersonScope("account__owner")

    class Meta:
        ordering = ["account", "name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.title})" if self.title else self.name


class StakeholderRole(models.TextChoices):
    ECONOMIC_BUYER = "economic_buyer", "Economic buyer"
    CHAMPION = "champion", "Coach / champion"
    USER = "user", "User"
    TECHNICAL = "technical", "Technical"
    BLOCKER = "blocker", "Blocker"


class Stance(models.IntegerChoices):
    """Where the person stands on us: a number so that maps and health can place and weigh it."""

    OPPONENT = -2, "Opponent"
    SKEPTIC = -1, "Skeptic"
    NEUTRAL = 0, "Neutral"
    SUPPORTER = 1, "Supporter"
    ADVOCATE = 2, "Advocate"


ONE_TO_FIVE = [MinValueValidator(1), MaxValueValidator(5)]


class Stakeholder(models.Model):
    """A contact's part in a buying decision: on one deal, or (without a deal) on the account."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="stakeholders")
    opportunity = models.ForeignKey(
        Opportunity, null=True, blank=True, on_delete=models.CASCADE, related_name="stakeholders"
    )
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="stakeholder_roles")
    role = models.CharField(max_length=20, choices=StakeholderRole)
    influence = models.PositiveSmallIntegerField(
        default=3, validators=ONE_TO_FIVE, help_text="1 (little say) to 5 (decides)."
    )
    stance = models.SmallIntegerField(choices=Stance, default=Stance.NEUTRAL)
    strength = models.PositiveSmallIntegerField(
        default=2, validators=ONE_TO_FIVE, help_text="Our relationship: 1 (never met) to 5 (trusted)."
    )
    last_contact = models.DateField(null=True, blank=True)
    note = models.CharField(max_length=300, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope = ACCOUNT_OR_DEAL

    class Meta:
        ordering = ["-influence", "contact__name"]
        constraints = [
            models.UniqueConstraint(fields=["contact", "opportunity"], name="stakeholder_once_per_deal"),
            models.UniqueConstraint(
                fields=["contact"], condition=Q(opportunity__isnull=True), name="stakeholder_once_per_account"
            ),
            models.CheckConstraint(condition=Q(influence__range=(1, 5)), name="stakeholder_influence_1_to_5"),
            models.CheckConstraint(condition=Q(strength__range=(1, 5)), name="stakeholder_strength_1_to_5"),
        ]

    def __str__(self) -> str:
        return f"{self.contact.name}: {self.get_role_display()}"

    def get_absolute_url(self) -> str:
        if self.opportunity_id:
            return reverse("deals:deal", args=[self.opportunity_id])
        return reverse("relationships:account_map", args=[self.account_id])

    def clean(self) -> None:
        if self.contact_id and self.account_id and self.contact.account_id != self.account_id:
            raise ValidationError({"contact": "This contact works at another account."})
        if self.opportunity_id and self.account_id and self.opportunity.account_id != self.account_id:
            raise ValidationError({"opportunity": "This deal is with another account."})


class PartnerRole(models.TextChoices):
    SALES_ENGINEER = "sales_engineer", "Sales engineer"
    CUSTOMER_SUCCESS = "customer_success", "Customer success"
    SME = "sme", "Subject-matter expert"
    EXECUTIVE_SPONSOR = "executive_sponsor", "Executive sponsor"
    PARTNER_MANAGER = "partner_manager", "Partner manager"


class InternalPartner(models.Model):
    """Someone on our side who helps with an account or a deal, and what they do."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="internal_partners")
    opportunity = models.ForeignKey(
        Opportunity, null=True, blank=True, on_delete=models.CASCADE, related_name="internal_partners"
    )
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="partner_roles")
    part = models.CharField(max_length=20, choices=PartnerRole)
    contribution = models.CharField(max_length=300, blank=True, help_text="What they do here.")

    objects = ScopedQuerySet.as_manager()
    scope = ACCOUNT_OR_DEAL

    class Meta:
        ordering = ["part", "person__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["person", "account", "opportunity", "part"], name="internal_partner_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person}: {self.get_part_display()}"

    def clean(self) -> None:
        if self.opportunity_id and self.account_id and self.opportunity.account_id != self.account_id:
            raise ValidationError({"opportunity": "This deal is with another account."})


auditlog.register(Contact)
auditlog.register(Stakeholder)
auditlog.register(InternalPartner)
