from datetime import date

from auditlog.registry import auditlog
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import F, Q, Value
from django.db.models.functions import Lower, Replace
from django.urls import reverse
from django.utils import timezone

from firstline.core.scoping import ScopedQuerySet
from firstline.org.scoping import PersonScope, TeamScope


class Role(models.TextChoices):
    SELLER = "seller", "Seller"
    MANAGER = "manager", "Manager"
    EXECUTIVE = "executive", "Executive"
    ENABLEMENT = "enablement", "Enablement"
    ADMIN = "admin", "Admin"


class Person(models.Model):
    """Someone in the sales organisation, usually with a sign-in account."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="person"
    )
    name = models.CharField(max_length=200)
    # Unique whatever the case (see Meta): Ann@x.com and ann@x.com are one mailbox.
    email = models.EmailField()
    external_id = models.CharField(
        max_length=100, unique=True, null=True, blank=True, help_text="Id in the CRM it came from."
    )
    title = models.CharField(max_length=200, blank=True)
    role = models.CharField(max_length=20, choices=Role, default=Role.SELLER)
    hired_on = models.DateField(null=True, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope = PersonScope("", directory=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "people"
        constraints = [
            models.UniqueConstraint(
                Lower("email"),
                name="person_email_unique_any_case",
                violation_error_code="unique",
                violation_error_message="A person with this email already exists.",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("org:person_detail", args=[self.pk])

    def current_membership(self) -> "Membership | None":
        return self.memberships.current().select_related("team").first()


class TeamKind(models.TextChoices):
    COMPANY = "company", "Company"
    REGION = "region", "Region"
    TEAM = "team", "Team"


class Team(models.Model):
    """A node of the org tree (company → region → team, any depth), led by one manager.

    `path` is the chain of ids from the root ("/1/4/9/"), so a whole subtree is one
    `path__startswith` filter; `save()` keeps it and the paths below it true.
    """

    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=TeamKind, default=TeamKind.TEAM)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    manager = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="managed_teams"
    )
    path = models.CharField(max_length=500, editable=False, db_index=True, default="")

    objects = ScopedQuerySet.as_manager()
    scope = TeamScope()

    class Meta:
        ordering = ["path"]

    def __str__(self) -> str:
        return self.name

    @transaction.atomic
    def save(self, *args, **kwargs) -> None:
        old_path = self.path
        if self.pk is None:
            super().save(*args, **kwargs)
            args, kwargs = (), {"update_fields": ["path"]}
        parent_path = self.parent.path if self.parent_id else "/"
        self.path = f"{parent_path}{self.pk}/"
        super().save(*args, **kwargs)
        if old_path and old_path != self.path:
            Team.objects.filter(path__startswith=old_path).exclude(pk=self.pk).update(
                path=Replace(F("path"), Value(old_path), Value(self.path))
            )

    def clean(self) -> None:
        if self.pk and self.parent_id:
            parent_path = Team.objects.filter(pk=self.parent_id).values_list("path", flat=True).first() or ""
            if f"/{self.pk}/" in parent_path:
                raise ValidationError(
                    {"parent": "A team cannot sit below itself or one of its own sub-teams."}
                )

    def subtree(self) -> models.QuerySet["Team"]:
        return Team.objects.filter(path__startswith=self.path)


class MembershipQuerySet(ScopedQuerySet):
    def active_on(self, day: date):
        return self.filter(Q(end__isnull=True) | Q(end__gte=day), start__lte=day)

    def current(self):
        return self.active_on(timezone.localdate())


class Membership(models.Model):
    """A person's place in a team between two dates; moving team ends one and starts another,
    so results stay with the team where they happened."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="memberships")
    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="memberships")
    start = models.DateField()
    end = models.DateField(null=True, blank=True, help_text="Last day in the team; empty while current.")

    objects = MembershipQuerySet.as_manager()
    scope = PersonScope("person", directory=True)

    class Meta:
        ordering = ["person", "start"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end__isnull=True) | Q(end__gte=F("start")), name="membership_ends_after_start"
            ),
        ]
        indexes = [models.Index(fields=["team", "start", "end"], name="membership_team_dates")]

    def __str__(self) -> str:
        until = self.end.isoformat() if self.end else "now"
        return f"{self.person} in {self.team} ({self.start.isoformat()} – {until})"

    def clean(self) -> None:
        if self.end and self.start and self.end < self.start:
            raise ValidationError({"end": "The membership cannot end before it starts."})
        if self.person_id and self.start:
            overlapping = Membership.objects.filter(person_id=self.person_id).exclude(pk=self.pk)
            overlapping = overlapping.filter(Q(end__isnull=True) | Q(end__gte=self.start))
            if self.end:
                overlapping = overlapping.filter(start__lte=self.end)
            if overlapping.exists():
                raise ValidationError("This person is already in a team for part of these dates.")


auditlog.register(Person, exclude_fields=["user"])
auditlog.register(Team, exclude_fields=["path"])
auditlog.register(Membership)
