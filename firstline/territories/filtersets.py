import django_filters

from firstline.org.models import Team
from firstline.territories.models import PlanStatus, Scenario, ScenarioStatus, Territory, TerritoryPlan


def visible_teams(request):
    return Team.objects.visible_to(request.user) if request else Team.objects.none()


class TerritoryFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(field_name="name", lookup_expr="icontains", label="Name")
    team = django_filters.ModelChoiceFilter(queryset=visible_teams, empty_label="Any team")

    class Meta:
        model = Territory
        fields = ["q", "team"]


class PlanFilterSet(django_filters.FilterSet):
    period = django_filters.CharFilter(lookup_expr="iexact")
    status = django_filters.ChoiceFilter(choices=PlanStatus.choices, empty_label="Any")

    class Meta:
        model = TerritoryPlan
        fields = ["period", "status"]


class ScenarioFilterSet(django_filters.FilterSet):
    team = django_filters.ModelChoiceFilter(queryset=visible_teams, empty_label="Any team")
    status = django_filters.ChoiceFilter(choices=ScenarioStatus.choices, empty_label="Any")

    class Meta:
        model = Scenario
        fields = ["team", "status"]
