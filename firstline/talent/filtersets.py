import django_filters

from firstline.org.filtersets import visible_teams
from firstline.talent.models import Position, PositionStatus


class PositionFilterSet(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=PositionStatus.choices, empty_label="Any")
    team = django_filters.ModelChoiceFilter(queryset=visible_teams, empty_label="Any")

    class Meta:
        model = Position
        fields = ["status", "team"]
