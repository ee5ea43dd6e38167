import django_filters
from django import forms
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from firstline.core.filtersets import ScopedFilterSet
from firstline.org.models import Membership, Person, Role, Team


class PersonFilterSet(ScopedFilterSet):
    q = django_filters.CharFilter(
        field_name="name", lookup_expr="icontains", label="Name", widget=forms.SearchInput
    )
    role = django_filters.ChoiceFilter(choices=Role.choices, empty_label="Any")
    team = extend_schema_field(OpenApiTypes.INT)(
        django_filters.ModelChoiceFilter(
            queryset=Team.objects.all(),
            method="filter_team",
            label="Team (and its sub-teams)",
            empty_label="Any",
        )
    )

    ordering = django_filters.OrderingFilter(
        fields=(("name", "name"), ("title", "title"), ("role", "role"), ("email", "email")),
        label="Sort by",
        empty_label="Name",
    )

    class Meta:
        model = Person
        fields = ["q", "role", "team"]

    def filter_team(self, queryset, name, team):
        members = Membership.objects.current().filter(team__path__startswith=team.path).values("person_id")
        return queryset.filter(pk__in=members)


class TeamFilterSet(ScopedFilterSet):
    class Meta:
        model = Team
        fields = ["kind", "parent", "manager"]


class MembershipFilterSet(ScopedFilterSet):
    class Meta:
        model = Membership
        fields = ["person", "team"]
