from django.http import Http404
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import ValidationError as ApiValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from firstline.core.api import ScopedModelSerializer, ScopedRelatedField, ScopedViewSet
from firstline.core.ids import is_id
from firstline.core.periods import PeriodError, fiscal_calendar
from firstline.deals import services
from firstline.deals.filtersets import (
    ActionItemFilterSet,
    DealScopedFilterSet,
    ExitCriterionFilterSet,
    ForecastCallFilterSet,
    StageStatisticFilterSet,
)
from firstline.deals.forecasting import team_forecast
from firstline.deals.models import (
    ActionItem,
    DealForecast,
    DealReview,
    ExitCriterion,
    ForecastCall,
    QualificationFramework,
    RiskSignal,
    Scorecard,
    StageStatistic,
    StrategyCanvas,
)
from firstline.org.models import Person, Team
from firstline.pipeline.models import Opportunity, SalesStage

READ_ONLY = ["get", "head", "options"]
APPEND_ONLY = ["get", "post", "head", "options"]  # history: new rows, never edits


class ExitCriterionSerializer(ScopedModelSerializer):
    stage = ScopedRelatedField(SalesStage)

    class Meta:
        model = ExitCriterion
        fields = ["id", "stage", "text", "order"]


class QualificationFrameworkSerializer(ScopedModelSerializer):
    class Meta:
        model = QualificationFramework
        fields = ["id", "name", "elements", "is_default"]


class QualificationScorecardSerializer(ScopedModelSerializer):
    opportunity = ScopedRelatedField(Opportunity)
    framework = ScopedRelatedField(QualificationFramework)
    gaps = serializers.ListField(child=serializers.CharField(), read_only=True)

    class Meta:
        model = Scorecard
        fields = ["id", "opportunity", "framework", "scores", "evidence", "gaps", "updated_by", "updated_at"]
        read_only_fields = ["updated_by", "updated_at"]


class StrategyCanvasSerializer(ScopedModelSerializer):
    opportunity = ScopedRelatedField(Opportunity)

    class Meta:
        model = StrategyCanvas
        fields = [
            "id",
            "opportunity",
            "version",
            "needs",
            "facts",
            "constraints",
            "competitor",
            "competitor_strengths",
            "competitor_weaknesses",
            "priorities",
            "options",
            "decision",
            "author",
            "created_at",
        ]
        read_only_fields = ["version", "author", "created_at"]


class RiskSignalSerializer(ScopedModelSerializer):
    class Meta:
        model = RiskSignal
        fields = ["id", "opportunity", "kind", "reason", "since", "computed_on"]


class StageStatisticSerializer(ScopedModelSerializer):
    win_rate = serializers.FloatField(read_only=True, allow_null=True)

    class Meta:
        model = StageStatistic
        fields = [
            "id",
            "team",
            "stage",
            "reached",
            "won",
            "win_rate",
            "stall_days",
            "stall_sample",
            "computed_on",
        ]


class DealReviewSerializer(ScopedModelSerializer):
    opportunity = ScopedRelatedField(Opportunity)

    class Meta:
        model = DealReview
        fields = ["id", "opportunity", "reviewer", "held_on", "notes", "risks_discussed"]
        read_only_fields = ["reviewer", "risks_discussed"]
        extra_kwargs = {"held_on": {"required": False}}


class DealActionItemSerializer(ScopedModelSerializer):
    opportunity = ScopedRelatedField(Opportunity)
    review = ScopedRelatedField(DealReview, allow_null=True, required=False)
    owner = ScopedRelatedField(Person)

    class Meta:
        model = ActionItem
        fields = ["id", "opportunity", "review", "owner", "text", "due", "done_on"]


class DealForecastSerializer(ScopedModelSerializer):
    opportunity = ScopedRelatedField(Opportunity)

    class Meta:
        model = DealForecast
        fields = ["id", "opportunity", "category", "updated_by", "updated_at"]
        read_only_fields = ["updated_by", "updated_at"]


class ForecastCallSerializer(ScopedModelSerializer):
    person = ScopedRelatedField(Person, allow_null=True, required=False)
    team = ScopedRelatedField(Team, allow_null=True, required=False)

    class Meta:
        model = ForecastCall
        fields = ["id", "period", "person", "team", "commit", "best_case", "note", "author", "made_at"]
        read_only_fields = ["author", "made_at"]


class ExitCriterionViewSet(ScopedViewSet):
    serializer_class = ExitCriterionSerializer
    filterset_class = ExitCriterionFilterSet


class QualificationFrameworkViewSet(ScopedViewSet):
    serializer_class = QualificationFrameworkSerializer


class QualificationScorecardViewSet(ScopedViewSet):
    serializer_class = QualificationScorecardSerializer
    filterset_class = DealScopedFilterSet.for_model(Scorecard)
    select_related = ("framework",)
    service = staticmethod(services.stamped_save)


class StrategyCanvasViewSet(ScopedViewSet):
    """Every version of every deal strategy; posting makes the next version."""

    serializer_class = StrategyCanvasSerializer
    filterset_class = DealScopedFilterSet.for_model(StrategyCanvas)
    http_method_names = APPEND_ONLY
    service = staticmethod(services.canvas_version_save)


class RiskSignalViewSet(ScopedViewSet):
    """The stored signals (as of `computed_on`); the rules recompute them nightly and on writes."""

    serializer_class = RiskSignalSerializer
    filterset_class = DealScopedFilterSet.for_model(RiskSignal, extra=["kind"])
    http_method_names = READ_ONLY


class StageStatisticViewSet(ScopedViewSet):
    serializer_class = StageStatisticSerializer
    filterset_class = StageStatisticFilterSet
    http_method_names = READ_ONLY


class DealReviewViewSet(ScopedViewSet):
    serializer_class = DealReviewSerializer
    filterset_class = DealScopedFilterSet.for_model(DealReview)
    http_method_names = APPEND_ONLY
    service = staticmethod(services.deal_review_create)


class DealActionItemViewSet(ScopedViewSet):
    serializer_class = DealActionItemSerializer
    filterset_class = ActionItemFilterSet


class DealForecastViewSet(ScopedViewSet):
    serializer_class = DealForecastSerializer
    filterset_class = DealScopedFilterSet.for_model(DealForecast, extra=["category"])
    service = staticmethod(services.stamped_save)


class ForecastCallViewSet(ScopedViewSet):
    """Calls are history: a new call is a new row, the latest per seller or team counts."""

    serializer_class = ForecastCallSerializer
    filterset_class = ForecastCallFilterSet
    http_method_names = APPEND_ONLY
    service = staticmethod(services.stamped_save)


class ProjectionSerializer(serializers.Serializer):
    team = serializers.IntegerField()
    period = serializers.CharField()
    as_of = serializers.DateField()
    target = serializers.FloatField()
    won_so_far = serializers.FloatField()
    stage_weighted = serializers.FloatField()
    run_rate = serializers.FloatField()
    projection_mean = serializers.FloatField()
    projection_low = serializers.FloatField(help_text="10th percentile: the 80 % interval's low end.")
    projection_high = serializers.FloatField(help_text="90th percentile: the 80 % interval's high end.")
    percent_to_plan = serializers.FloatField(allow_null=True)
    percent_to_plan_low = serializers.FloatField(allow_null=True)
    percent_to_plan_high = serializers.FloatField(allow_null=True)
    commit_call = serializers.FloatField(allow_null=True)
    best_case_call = serializers.FloatField(allow_null=True)
    call_adjusted = serializers.BooleanField()
    open_deals = serializers.IntegerField()
    unknown_amounts = serializers.IntegerField()
    seed = serializers.IntegerField()
    has_history = serializers.BooleanField(
        help_text="False: no closed deals learned from; ignore the projection."
    )
    rolled_up = serializers.IntegerField(
        help_text="Teams whose figures of `as_of` (the last `firstline deals refresh`) were added up; "
        "0: computed from the deals now."
    )


def forecast_payload(result) -> dict:
    projection, (plan, plan_low, plan_high), call = result.projection, result.to_plan, result.call
    return {
        "team": result.team.pk,
        "period": result.period.label,
        "as_of": result.as_of,
        "target": result.target,
        "won_so_far": result.won_so_far,
        "stage_weighted": result.stage_weighted,
        "run_rate": result.run_rate,
        "projection_mean": projection.mean,
        "projection_low": projection.low,
        "projection_high": projection.high,
        "percent_to_plan": plan,
        "percent_to_plan_low": plan_low,
        "percent_to_plan_high": plan_high,
        "commit_call": call.commit if call else None,
        "best_case_call": call.best_case if call else None,
        "call_adjusted": bool(call and call.adjusted),
        "open_deals": projection.open_deals,
        "unknown_amounts": projection.unknown_amounts,
        "seed": projection.seed,
        "has_history": result.has_history,
        "rolled_up": result.rolled_up,
    }


class ForecastView(APIView):
    """A team's forecast for a period: the call, the stage-weighted pipeline and the projection."""

    @extend_schema(
        parameters=[
            OpenApiParameter("team", int, required=True),
            OpenApiParameter("period", str, required=True, description="2025Q3, 2025, 2025-07."),
        ],
        responses=ProjectionSerializer,
    )
    def get(self, request):
        team_id, label = request.query_params.get("team", ""), request.query_params.get("period", "")
        if not is_id(team_id):
            raise ApiValidationError({"team": "Give the id of a team you can see."})
        try:
            period = fiscal_calendar().parse(label)
        except PeriodError as error:
            raise ApiValidationError({"period": str(error)}) from None
        team = get_object_or_404(Team.objects.visible_to(request.user), pk=team_id)
        if team is None:
            raise Http404
        result = team_forecast(user=request.user, team=team, period=period)
        return Response(ProjectionSerializer(forecast_payload(result)).data)
