"""Filters shared by the deal guidance API lists."""

import django_filters

from firstline.deals.models import ActionItem, ForecastCall


class DealScopedFilterSet(django_filters.FilterSet):
    """Filter anything that hangs off a deal by that deal."""

    opportunity = django_filters.NumberFilter(field_name="opportunity_id")

    @classmethod
    def for_model(cls, model, extra: list[str] | None = None):
        meta = type("Meta", (), {"model": model, "fields": ["opportunity", *(extra or [])]})
        return type(f"{model.__name__}FilterSet", (cls,), {"Meta": meta})


class ActionItemFilterSet(DealScopedFilterSet):
    open = django_filters.BooleanFilter(field_name="done_on", lookup_expr="isnull", label="Open")

    class Meta:
        model = ActionItem
        fields = ["opportunity", "owner", "open"]


class ForecastCallFilterSet(django_filters.FilterSet):
    class Meta:
        model = ForecastCall
        fields = ["period", "person", "team"]
