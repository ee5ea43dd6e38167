"""Filters shared by the deal guidance API lists. References are plain ids (NumberFilter): a
choice list would show every person or team, and an id outside the user's scope simply matches
nothing, like a missing one."""

import django_filters

from firstline.deals.models import ActionItem, ExitCriterion, ForecastCall, StageStatistic


class DealScopedFilterSet(django_filters.FilterSet):
    """Filter anything that hangs off a deal by that deal."""

    opportunity = django_filters.NumberFilter(field_name="opportunity_id")

    @classmethod
    def for_model(cls, model, extra: list[str] | None = None):
        meta = type("Meta", (), {"model": model, "fields": ["opportunity", *(extra or [])]})
        return type(f"{model.__name__}FilterSet", (cls,), {"Meta": meta})


class ActionItemFilterSet(DealScopedFilterSet):
    owner = django_filters.NumberFilter(field_name="owner_id")
    open = django_filters.BooleanFilter(field_name="done_on", lookup_expr="isnull", label="Open")

    class Meta:
        model = ActionItem
        fields = ["opportunity", "owner", "open"]


class ForecastCallFilterSet(django_filters.FilterSet):
    person = django_filters.NumberFilter(field_name="person_id")
    team = django_filters.NumberFilter(field_name="team_id")

    class Meta:
        model = ForecastCall
        fields = ["period", "person", "team"]


class ExitCriterionFilterSet(django_filters.FilterSet):
    stage = django_filters.NumberFilter(field_name="stage_id")

    class Meta:
        model = ExitCriterion
        fields = ["stage"]


class StageStatisticFilterSet(django_filters.FilterSet):
    team = django_filters.NumberFilter(field_name="team_id")
    stage = django_filters.NumberFilter(field_name="stage_id")

    class Meta:
        model = StageStatistic
        fields = ["team", "stage"]
