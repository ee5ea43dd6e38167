from firstline.core.views import ScopedListView
from firstline.targets.filtersets import TargetFilterSet
from firstline.targets.models import Target


class TargetListView(ScopedListView):
    model = Target
    filterset_class = TargetFilterSet
    select_related = ("person",)
    template_name = "targets/target_list.html"
    partial_template_name = "targets/_target_table.html"
