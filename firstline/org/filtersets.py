import django_filters
from django import forms

from firstline.org.models import Membership, Person, Role, Team


def visible_teams(request):
    return Team.objects.visible_to(request.user) if request else Team.objects.none()


class PersonFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(
        field_name="name", lookup_expr="icontains", label="Name", widget=forms.SearchInput
    )
    role = django_filters.ChoiceFilter(choices=Role.choices, empty_label="Any")
    team = django_filters.ModelChoiceFilter(
        queryset=visible_teams, method="filter_team", label="Team (and its sub-teams)", empty_label="Any"
    )

    class Meta:
        model = Person
        fields = ["q", "role", "team"]

    def filter_team(self, queryset, name, team):
        members = Membership.objects.current().filter(team__path__startswith=team.path).values("person_id")
        return queryset.filter(pk__in=members)


class TeamFilterSet(django_filters.FilterSet):
    class Meta:
        model = Team
        fields = ["kind", "parent", "manager"]


class MembershipFilterSet(django_filters.FilterSet):
    class Meta:
        model = Membership
        fields = ["person", "team"]
