from django.utils import timezone

from firstline.core.periods import fiscal_calendar
from firstline.core.views import ScopedListView
from firstline.targets.filtersets import TargetFilterSet
from firstline.targets.models import Target


class TargetListView(ScopedListView):
    model = Target
    filterset_class = TargetFilterSet
    select_related = ("person",)
    template_name = "targets/target_list.html"
    partial_template_name = "targets/_target_table.html"

    def default_filters(self):
        return {"period": fiscal_calendar().quarter_of(timezone.localdate()).label}
