from firstline.core.api import ScopedModelSerializer, ScopedRelatedField, ScopedViewSet
from firstline.org.models import Person
from firstline.targets.filtersets import TargetFilterSet
from firstline.targets.models import Target


class TargetSerializer(ScopedModelSerializer):
    person = ScopedRelatedField(Person)

    class Meta:
        model = Target
        fields = ["id", "person", "metric", "period", "start", "end", "amount", "currency"]
        read_only_fields = ["start", "end"]


class TargetViewSet(ScopedViewSet):
    serializer_class = TargetSerializer
    filterset_class = TargetFilterSet
