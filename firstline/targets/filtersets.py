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
    # `period` as on every page: the targets set for that period or for periods inside it.
    period = PeriodFilter(method="filter_period", label="Period")
    ordering = django_filters.OrderingFilter(
        fields=(("person__name", "person"), ("start", "period"), ("metric", "metric"), ("amount", "amount")),
        label="Sort by",
        empty_label="Period",
    )

    class Meta:
        model = Target
        fields = ["person", "metric", "period"]

    def filter_period(self, queryset, name, period):
        return queryset.within(period)
