import django_filters

from firstline.core.forms import PeriodField
from firstline.core.widgets import LongSelect
from firstline.pipeline.filtersets import visible_people
from firstline.targets.models import Metric, Target


class PeriodFilter(django_filters.Filter):
    field_class = PeriodField


class TargetFilterSet(django_filters.FilterSet):
    person = django_filters.ModelChoiceFilter(
        queryset=visible_people, empty_label="Anyone", widget=LongSelect
    )
    metric = django_filters.ChoiceFilter(choices=Metric.choices, empty_label="Any")
    within = PeriodFilter(method="filter_within", label="Within period")

    class Meta:
        model = Target
        fields = ["person", "metric", "within"]

    def filter_within(self, queryset, name, period):
        return queryset.within(period)
