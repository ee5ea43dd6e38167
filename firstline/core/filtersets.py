"""The base of every FilterSet: a filter's choices are what the user may see, never the directory.

Pages and API share FilterSets, and the browsable API renders their forms, so a choice list built
from `Model.objects.all()` would show a seller every person and team, and `?manager=<id>` would tell
an out-of-scope id (valid) from a missing one (invalid). Here every model choice filter, declared or
generated from `Meta.fields`, is narrowed through `visible_to(request.user)`: out of scope and missing
read the same.
"""

import django_filters
from django import forms
from django.core.exceptions import ImproperlyConfigured
from django_filters import fields as filter_fields
from django_filters.filters import BaseCSVFilter, QuerySetRequestMixin
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework.exceptions import ValidationError

from firstline.core.ids import is_id


class IdChoiceField(filter_fields.ModelChoiceField):
    """A model choice by id that refuses what cannot be an id before asking the database."""

    def to_python(self, value):
        if value not in self.empty_values and not is_id(value):
            raise forms.ValidationError(self.error_messages["invalid_choice"], code="invalid_choice")
        return super().to_python(value)


class IdMultipleChoiceField(filter_fields.ModelMultipleChoiceField):
    def clean(self, value):
        for item in value or ():
            if not is_id(item):
                raise forms.ValidationError(
                    self.error_messages["invalid_pk_value"], code="invalid_pk_value", params={"pk": item}
                )
        return super().clean(value)


class ScopedFilterSet(django_filters.FilterSet):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        user = getattr(self.request, "user", None)
        for name, filter_ in self.filters.items():
            if isinstance(filter_, QuerySetRequestMixin):
                filter_.queryset = self._scoped_choices(name, filter_, user)
                if isinstance(filter_, django_filters.ModelMultipleChoiceFilter):
                    filter_.field_class = IdMultipleChoiceField
                else:
                    filter_.field_class = IdChoiceField

    def _scoped_choices(self, name, filter_, user):
        queryset = filter_.get_queryset(self.request)
        if not hasattr(queryset, "visible_to"):
            raise ImproperlyConfigured(
                f"{type(self).__name__}.{name}: choices must be a model with a scope (visible_to)."
            )
        # Any narrowing the filter declared stays; the scope is added on top.
        return queryset.visible_to(user)


MULTIPLE = (django_filters.MultipleChoiceFilter, django_filters.ModelMultipleChoiceFilter)


class ScopedFilterBackend(DjangoFilterBackend):
    """The API's filter backend: FilterSets it builds from `filterset_fields` are scoped too, and a
    typed parameter sent empty (`?close_after=`, `?outcome=`) or a single-valued one sent twice is
    refused as the schema says, where a page's filter form would read it as "any" or as the last."""

    filterset_base = ScopedFilterSet

    def filter_queryset(self, request, queryset, view):
        filterset = self.get_filterset(request, queryset, view)
        if filterset is not None:
            problems = {}
            for name, filter_ in filterset.filters.items():
                values = request.query_params.getlist(name)
                if len(values) > 1 and not isinstance(filter_, MULTIPLE):
                    problems[name] = ["Give this parameter once."]
                elif "" in values and not isinstance(filter_, django_filters.CharFilter):
                    problems[name] = ["Leave the parameter out rather than sending it empty."]
                elif isinstance(filter_, BaseCSVFilter) and any("" in v.split(",") for v in values):
                    problems[name] = ["Separate values with single commas, with nothing empty between."]
            if problems:
                raise ValidationError(problems)
        return super().filter_queryset(request, queryset, view)
