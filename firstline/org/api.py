from firstline.core.api import ScopedModelSerializer, ScopedRelatedField, ScopedViewSet
from firstline.org.filtersets import MembershipFilterSet, PersonFilterSet, TeamFilterSet
from firstline.org.models import Membership, Person, Team


class CurrentPersonDefault:
    """Default a reference to the requesting user's own person record."""

    requires_context = True

    def __call__(self, serializer_field):
        user = serializer_field.context["request"].user
        return Person.objects.filter(user=user).first()


class PersonSerializer(ScopedModelSerializer):
    class Meta:
        model = Person
        fields = ["id", "name", "email", "title", "role", "hired_on"]


class TeamSerializer(ScopedModelSerializer):
    parent = ScopedRelatedField(Team, allow_null=True, required=False)
    manager = ScopedRelatedField(Person, allow_null=True, required=False)

    class Meta:
        model = Team
        fields = ["id", "name", "kind", "parent", "manager", "path"]
        read_only_fields = ["path"]


class MembershipSerializer(ScopedModelSerializer):
    person = ScopedRelatedField(Person)
    team = ScopedRelatedField(Team)

    class Meta:
        model = Membership
        fields = ["id", "person", "team", "start", "end"]


class PersonViewSet(ScopedViewSet):
    serializer_class = PersonSerializer
    filterset_class = PersonFilterSet


class TeamViewSet(ScopedViewSet):
    serializer_class = TeamSerializer
    filterset_class = TeamFilterSet


class MembershipViewSet(ScopedViewSet):
    serializer_class = MembershipSerializer
    filterset_class = MembershipFilterSet
    select_related = ("person", "team")
