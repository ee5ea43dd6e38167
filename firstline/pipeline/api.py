from rest_framework import serializers

from firstline.core.api import ScopedModelSerializer, ScopedRelatedField, ScopedViewSet
from firstline.core.pagination import keyset_pagination
from firstline.org.api import CurrentPersonDefault
from firstline.org.models import Person
from firstline.pipeline.filtersets import AccountFilterSet, OpportunityFilterSet
from firstline.pipeline.models import Account, Opportunity, Product, SalesStage
from firstline.pipeline.services import opportunity_save


class AccountSerializer(ScopedModelSerializer):
    owner = ScopedRelatedField(Person, allow_null=True, default=CurrentPersonDefault())

    class Meta:
        model = Account
        fields = [
            "id",
            "name",
            "industry",
            "segment",
            "city",
            "country",
            "latitude",
            "longitude",
            "market_potential",
            "currency",
            "owner",
        ]


class ProductSerializer(ScopedModelSerializer):
    class Meta:
        model = Product
        fields = ["id", "name", "code", "family"]


class SalesStageSerializer(ScopedModelSerializer):
    class Meta:
        model = SalesStage
        fields = ["id", "name", "order", "probability", "outcome", "exit_criteria"]


class OpportunitySerializer(ScopedModelSerializer):
    account = ScopedRelatedField(Account, allow_null=True, required=False)
    owner = ScopedRelatedField(Person)
    product = ScopedRelatedField(Product, allow_null=True, required=False)
    stage = ScopedRelatedField(SalesStage)
    outcome = serializers.CharField(source="stage.outcome", read_only=True)

    class Meta:
        model = Opportunity
        fields = [
            "id",
            "external_id",
            "name",
            "account",
            "owner",
            "product",
            "amount",
            "currency",
            "stage",
            "outcome",
            "created",
            "engaged_on",
            "close_date",
            "closed_on",
            "loss_reason",
            "competitor",
            "next_step",
        ]
        read_only_fields = ["closed_on"]


class AccountViewSet(ScopedViewSet):
    serializer_class = AccountSerializer
    filterset_class = AccountFilterSet
    pagination_class = keyset_pagination("name", "id")


class ProductViewSet(ScopedViewSet):
    serializer_class = ProductSerializer
    filterset_fields = ["family"]


class SalesStageViewSet(ScopedViewSet):
    serializer_class = SalesStageSerializer
    filterset_fields = ["outcome"]


class OpportunityViewSet(ScopedViewSet):
    serializer_class = OpportunitySerializer
    filterset_class = OpportunityFilterSet
    # Keyset pages in the model's order: a deep page costs what the first one does.
    pagination_class = keyset_pagination("close_date", "id", sortable=("close_date", "amount", "name"))
    select_related = ("stage",)
    service = staticmethod(opportunity_save)
