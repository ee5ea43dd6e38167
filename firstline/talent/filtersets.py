import django_filters

from firstline.core.filtersets import ScopedFilterSet
from firstline.org.models import Team
from firstline.talent.models import Position, PositionStatus


class PositionFilterSet(ScopedFilterSet):
    status = django_filters.ChoiceFilter(choices=PositionStatus.choices, empty_label="Any")
    team = django_filters.ModelChoiceFilter(queryset=Team.objects.all(), empty_label="Any")

    class Meta:
        model = Position
        fields = ["status", "team"]
