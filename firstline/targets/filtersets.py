import django_filters
from drf_spectacular.utils import extend_schema_field

from firstline.core.filtersets import ScopedFilterSet
from firstline.core.forms import PERIOD_SCHEMA, PeriodField
from firstline.org.models import Person
from firstline.targets.models import Metric, Target


@extend_schema_field(PERIOD_SCHEMA)
class PeriodFilter(django_filters.Filter):
    field_class = PeriodField


class TargetFilterSet(ScopedFilterSet):
    person = django_filters.ModelChoiceFilter(queryset=Person.objects.all(), empty_label="Anyone")
    metric = django_filters.ChoiceFilter(choices=Metric.choices, empty_label="Any")
    within = PeriodFilter(method="filter_within", label="Within period")

    class Meta:
        model = Target
        fields = ["person", "metric", "within"]

    def filter_within(self, queryset, name, period):
        return queryset.within(period)
