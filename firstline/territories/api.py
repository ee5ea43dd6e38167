"""API for territories, assignments, plans, reviews, scenarios and quota allocations, through the same
scoping and services as the pages."""

from django.core.exceptions import ValidationError
from django.db import transaction
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from firstline.core.api import ScopedModelSerializer, ScopedRelatedField, ScopedViewSet, api_validation_error
from firstline.core.scoping import OutOfScope
from firstline.org.models import Person, Team
from firstline.territories import design, services
from firstline.territories.filtersets import PlanFilterSet, ScenarioFilterSet, TerritoryFilterSet
from firstline.territories.models import (
    PlanReview,
    QuotaAllocation,
    QuotaLine,
    Scenario,
    Territory,
    TerritoryAssignment,
    TerritoryPlan,
)
from firstline.territories.tasks import optimize_scenario


class ScopedReadOnlyViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    select_related: tuple[str, ...] = ()

    def get_queryset(self):
        model = self.get_serializer_class().Meta.model
        return model.objects.visible_to(self.request.user).with_related(self.select_related)


class TerritorySerializer(ScopedModelSerializer):
    class Meta:
        model = Territory
        fields = ["id", "name", "team", "owner", "created"]


class AssignmentSerializer(ScopedModelSerializer):
    class Meta:
        model = TerritoryAssignment
        fields = ["id", "account", "territory", "start", "end"]


class PlanSerializer(ScopedModelSerializer):
    seller = ScopedRelatedField(Person)

    class Meta:
        model = TerritoryPlan
        fields = [
            "id",
            "seller",
            "period",
            "start",
            "end",
            "objective_amount",
            "currency",
            "objectives",
            "market",
            "resources_time",
            "resources_budget",
            "resources_partners",
            "resources_smes",
            "status",
            "approved_by",
            "approved_at",
            "version",
        ]
        read_only_fields = ["start", "end", "status", "approved_by", "approved_at", "version"]


class ReviewSerializer(ScopedModelSerializer):
    class Meta:
        model = PlanReview
        fields = [
            "id",
            "plan",
            "number",
            "reviewed_on",
            "reviewer",
            "snapshot",
            "what_changed",
            "adjustment",
            "version",
        ]


class ScenarioSerializer(ScopedModelSerializer):
    team = ScopedRelatedField(Team)
    balance = serializers.ListField(
        child=serializers.ChoiceField(design.MEASURES), write_only=True, default=list(design.MEASURES)
    )
    tolerance = serializers.FloatField(write_only=True, default=0.02, min_value=0.001, max_value=0.5)
    max_moves = serializers.IntegerField(write_only=True, required=False, allow_null=True, min_value=0)

    class Meta:
        model = Scenario
        fields = [
            "id",
            "team",
            "name",
            "created",
            "parameters",
            "status",
            "progress",
            "message",
            "result",
            "applied_at",
            "undone_at",
            "balance",
            "tolerance",
            "max_moves",
        ]
        read_only_fields = [
            "name",
            "created",
            "parameters",
            "status",
            "progress",
            "message",
            "result",
            "applied_at",
            "undone_at",
        ]


class QuotaLineSerializer(ScopedModelSerializer):
    final = serializers.DecimalField(max_digits=14, decimal_places=2, read_only=True)

    class Meta:
        model = QuotaLine
        fields = [
            "id",
            "allocation",
            "seller",
            "history",
            "potential",
            "pipeline",
            "proposed",
            "adjustment",
            "final",
            "explanation",
        ]


class QuotaAllocationSerializer(ScopedModelSerializer):
    class Meta:
        model = QuotaAllocation
        fields = [
            "id",
            "team",
            "period",
            "team_target",
            "currency",
            "weight_history",
            "weight_potential",
            "weight_pipeline",
            "created",
        ]


class TerritoryViewSet(ScopedReadOnlyViewSet):
    serializer_class = TerritorySerializer
    filterset_class = TerritoryFilterSet


class AssignmentViewSet(ScopedReadOnlyViewSet):
    serializer_class = AssignmentSerializer
    filterset_fields = ["territory", "account"]


class PlanViewSet(ScopedViewSet):
    serializer_class = PlanSerializer
    filterset_class = PlanFilterSet
    select_related = ("seller",)

    @staticmethod
    def service(*, actor, instance):
        return services.plan_save(actor=actor, plan=instance)


class ReviewViewSet(ScopedReadOnlyViewSet):
    serializer_class = ReviewSerializer
    filterset_fields = ["plan"]


class ScenarioViewSet(ScopedReadOnlyViewSet, mixins.CreateModelMixin):
    serializer_class = ScenarioSerializer
    filterset_class = ScenarioFilterSet

    def perform_create(self, serializer):
        data = serializer.validated_data
        try:
            scenario = design.scenario_create(
                actor=self.request.user,
                team=data["team"],
                balance=data["balance"],
                tolerance=data["tolerance"],
                max_moves=data.get("max_moves"),
            )
        except OutOfScope as error:
            raise PermissionDenied(str(error)) from None
        except ValidationError as error:
            raise api_validation_error(error) from None
        except ValueError as error:  # the optimizer's inputs refused: same shape as any 400
            raise api_validation_error(ValidationError(str(error))) from None
        transaction.on_commit(lambda: optimize_scenario.enqueue(scenario.pk))
        serializer.instance = scenario

    @extend_schema(request=None, responses=ScenarioSerializer)
    @action(detail=True, methods=["post"])
    def apply(self, request, pk=None):
        return self._change(design.scenario_apply)

    @extend_schema(request=None, responses=ScenarioSerializer)
    @action(detail=True, methods=["post"])
    def undo(self, request, pk=None):
        return self._change(design.scenario_undo)

    def _change(self, service):
        scenario = self.get_object()
        try:
            scenario = service(actor=self.request.user, scenario=scenario)
        except OutOfScope as error:
            raise PermissionDenied(str(error)) from None
        except ValueError as error:
            return Response({"detail": str(error)}, status=status.HTTP_409_CONFLICT)
        return Response(self.get_serializer(scenario).data)


class QuotaAllocationViewSet(ScopedReadOnlyViewSet):
    serializer_class = QuotaAllocationSerializer
    filterset_fields = ["team", "period"]


class QuotaLineViewSet(ScopedReadOnlyViewSet):
    serializer_class = QuotaLineSerializer
    filterset_fields = ["allocation", "seller"]
