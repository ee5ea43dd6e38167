"""Filters shared by the deal guidance API lists. On ScopedFilterSet, every reference's choices are
only what the user may see, and ids are read strictly."""

import django_filters

from firstline.core.filtersets import ScopedFilterSet
from firstline.deals.models import ActionItem, ExitCriterion, ForecastCall, StageStatistic
from firstline.org.models import Person, Team
from firstline.pipeline.models import Opportunity, SalesStage


class DealScopedFilterSet(ScopedFilterSet):
    """Filter anything that hangs off a deal by that deal."""

    opportunity = django_filters.ModelChoiceFilter(queryset=Opportunity.objects.all())

    @classmethod
    def for_model(cls, model, extra: list[str] | None = None):
        meta = type("Meta", (), {"model": model, "fields": ["opportunity", *(extra or [])]})
        return type(f"{model.__name__}FilterSet", (cls,), {"Meta": meta})


class ActionItemFilterSet(DealScopedFilterSet):
    owner = django_filters.ModelChoiceFilter(queryset=Person.objects.all())
    # "true"/"false" as plain choices: a BooleanFilter would also take "null" and ignore it.
    open = django_filters.ChoiceFilter(
        choices=[("true", "Open"), ("false", "Done")], method="filter_open", label="Open"
    )

    def filter_open(self, queryset, name, value):
        return queryset.filter(done_on__isnull=value == "true")

    class Meta:
        model = ActionItem
        fields = ["opportunity", "owner", "open"]


class ForecastCallFilterSet(ScopedFilterSet):
    person = django_filters.ModelChoiceFilter(queryset=Person.objects.all())
    team = django_filters.ModelChoiceFilter(queryset=Team.objects.all())

    class Meta:
        model = ForecastCall
        fields = ["period", "person", "team"]


class ExitCriterionFilterSet(ScopedFilterSet):
    stage = django_filters.ModelChoiceFilter(queryset=SalesStage.objects.all())

    class Meta:
        model = ExitCriterion
        fields = ["stage"]


class StageStatisticFilterSet(ScopedFilterSet):
    team = django_filters.ModelChoiceFilter(queryset=Team.objects.all())
    stage = django_filters.ModelChoiceFilter(queryset=SalesStage.objects.all())

    class Meta:
        model = StageStatistic
        fields = ["team", "stage"]
