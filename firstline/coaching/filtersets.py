import django_filters
from django import forms
from django.db.models import Q

from firstline.coaching.models import CoachingNote, CoachingSession, SessionKind
from firstline.core.filtersets import ScopedFilterSet
from firstline.org.models import Person


class CoachingSessionFilterSet(ScopedFilterSet):
    """Shared by the session list page, its CSV export and the API.

    The text search reads only shared notes the requesting user may read: private notes are never
    searched, so a word from one cannot even be confirmed by a hit.
    """

    q = django_filters.CharFilter(method="filter_text", label="Search notes", widget=forms.SearchInput)
    # An id rather than a list of every visible person: a VP would get thousands of options. The
    # seller's coaching page links here with it; the scope still decides what is listed.
    seller = django_filters.ModelChoiceFilter(queryset=Person.objects.all(), widget=forms.HiddenInput)
    kind = django_filters.ChoiceFilter(choices=SessionKind.choices, empty_label="Any")
    held_after = django_filters.DateFilter(
        field_name="held_on", lookup_expr="gte", label="From", widget=forms.DateInput(attrs={"type": "date"})
    )
    held_before = django_filters.DateFilter(
        field_name="held_on", lookup_expr="lte", label="Until", widget=forms.DateInput(attrs={"type": "date"})
    )

    class Meta:
        model = CoachingSession
        fields = ["q", "seller", "kind", "held_after", "held_before"]

    def filter_text(self, queryset, name, value):
        user = self.request.user if self.request else None
        readable = CoachingNote.objects.visible_to(user).filter(visibility="shared", body__icontains=value)
        return queryset.filter(Q(pk__in=readable.values("session_id")))
