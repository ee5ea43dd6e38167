import django_filters
from django import forms
from django.db.models import Exists, OuterRef, Q

from firstline.core.filtersets import ScopedFilterSet
from firstline.core.widgets import LongSelect
from firstline.org.models import Membership, Person, Team
from firstline.pipeline.models import Account, Opportunity, Outcome, SalesStage, Segment


class AccountFilterSet(ScopedFilterSet):
    q = django_filters.CharFilter(
        field_name="name", lookup_expr="icontains", label="Name", widget=forms.SearchInput
    )
    segment = django_filters.ChoiceFilter(choices=Segment.choices, empty_label="Any")
    industry = django_filters.CharFilter(lookup_expr="iexact")
    country = django_filters.CharFilter(lookup_expr="iexact")
    owner = django_filters.ModelChoiceFilter(
        queryset=Person.objects.all(), empty_label="Anyone", widget=LongSelect
    )
    min_potential = django_filters.NumberFilter(
        field_name="market_potential", lookup_expr="gte", label="Potential at least"
    )

    ordering = django_filters.OrderingFilter(
        fields=(
            ("name", "name"),
            ("segment", "segment"),
            ("industry", "industry"),
            ("city", "location"),
            ("market_potential", "potential"),
            ("owner__name", "owner"),
        ),
        label="Sort by",
        empty_label="Name",
    )

    class Meta:
        model = Account
        fields = ["q", "segment", "industry", "country", "owner", "min_potential"]


class OpportunityFilterSet(ScopedFilterSet):
    q = django_filters.CharFilter(
        field_name="name", lookup_expr="icontains", label="Name", widget=forms.SearchInput
    )
    # The list page opens on open deals (its default); "All" is the empty choice.
    outcome = django_filters.ChoiceFilter(
        method="filter_outcome", choices=Outcome.choices, label="Status", empty_label="All"
    )
    stage = django_filters.ModelChoiceFilter(queryset=SalesStage.objects.all(), empty_label="Any")
    owner = django_filters.ModelChoiceFilter(
        queryset=Person.objects.all(), empty_label="Anyone", widget=LongSelect
    )
    team = django_filters.NumberFilter(
        method="filter_team", label="Team (on the close date)", widget=forms.HiddenInput
    )
    account = django_filters.ModelChoiceFilter(queryset=Account.objects.all(), widget=forms.HiddenInput)
    close_after = django_filters.DateFilter(
        field_name="close_date",
        lookup_expr="gte",
        label="Closing from",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    close_before = django_filters.DateFilter(
        field_name="close_date",
        lookup_expr="lte",
        label="Closing until",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    min_amount = django_filters.NumberFilter(field_name="amount", lookup_expr="gte", label="Amount at least")
    ordering = django_filters.OrderingFilter(
        fields=(
            ("close_date", "close_date"),
            ("amount", "amount"),
            ("name", "name"),
            ("account__name", "account"),
            ("owner__name", "owner"),
            ("stage__order", "stage"),
        ),
        label="Sort by",
        empty_label="Close date",
    )

    class Meta:
        model = Opportunity
        fields = [
            "q",
            "outcome",
            "stage",
            "owner",
            "team",
            "account",
            "close_after",
            "close_before",
            "min_amount",
        ]

    def filter_outcome(self, queryset, name, outcome):
        return queryset.with_outcome(outcome)

    def filter_team(self, queryset, name, value):
        """Deals whose owner was in the team's subtree on the deal's close date: the records behind a
        team's figure on a dashboard (results count where the seller was when they happened)."""
        team = Team.objects.visible_to(getattr(self.request, "user", None)).filter(pk=value).first()
        if team is None:
            return queryset.none()  # out of scope reads like missing
        if team.parent_id is None:
            return queryset
        members = Membership.objects.filter(
            Q(end__isnull=True) | Q(end__gte=OuterRef("close_date")),
            team__path__startswith=team.path,
            person_id=OuterRef("owner_id"),
            start__lte=OuterRef("close_date"),
        )
        return queryset.filter(Exists(members))
