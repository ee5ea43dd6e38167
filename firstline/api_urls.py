"""The REST API: one router for every app's viewsets, the OpenAPI schema and its docs page."""

from django.conf import settings
from django.urls import path
from django.utils.csp import CSP
from django.views.decorators.csp import csp_override
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter

from firstline.coaching.api import (
    ActionItemViewSet,
    AssessmentViewSet,
    CoachingSessionViewSet,
    CompetencyFrameworkViewSet,
    CompetencyViewSet,
    DevelopmentPlanViewSet,
)
from firstline.core.api import TokenView
from firstline.deals import api as deals_api
from firstline.io.api import ImportRunViewSet, JobViewSet
from firstline.kpis.api import KpiView
from firstline.org.api import MembershipViewSet, PersonViewSet, TeamViewSet
from firstline.pipeline.api import AccountViewSet, OpportunityViewSet, ProductViewSet, SalesStageViewSet
from firstline.relationships import api as relationships_api
from firstline.talent.api import CandidateViewSet, PositionViewSet, PulseViewSet, ScorecardViewSet
from firstline.targets.api import TargetViewSet
from firstline.territories import api as territories_api


class Router(DefaultRouter):
    include_format_suffixes = False


router = Router()
router.register("people", PersonViewSet, basename="person")
router.register("teams", TeamViewSet, basename="team")
router.register("memberships", MembershipViewSet, basename="membership")
router.register("accounts", AccountViewSet, basename="account")
router.register("products", ProductViewSet, basename="product")
router.register("stages", SalesStageViewSet, basename="salesstage")
router.register("opportunities", OpportunityViewSet, basename="opportunity")
router.register("targets", TargetViewSet, basename="target")
router.register("territories", territories_api.TerritoryViewSet, basename="territory")
router.register("territory-assignments", territories_api.AssignmentViewSet, basename="territoryassignment")
router.register("territory-plans", territories_api.PlanViewSet, basename="territoryplan")
router.register("territory-plan-reviews", territories_api.ReviewViewSet, basename="planreview")
router.register("territory-scenarios", territories_api.ScenarioViewSet, basename="scenario")
router.register("quota-allocations", territories_api.QuotaAllocationViewSet, basename="quotaallocation")
router.register("quota-lines", territories_api.QuotaLineViewSet, basename="quotaline")
router.register("imports", ImportRunViewSet, basename="importrun")
router.register("jobs", JobViewSet, basename="job")
router.register("exit-criteria", deals_api.ExitCriterionViewSet, basename="exitcriterion")
router.register("qualification-frameworks", deals_api.QualificationFrameworkViewSet, basename="framework")
router.register("deal-scorecards", deals_api.QualificationScorecardViewSet, basename="dealscorecard")
router.register("strategy-canvases", deals_api.StrategyCanvasViewSet, basename="canvas")
router.register("risk-signals", deals_api.RiskSignalViewSet, basename="risksignal")
router.register("stage-statistics", deals_api.StageStatisticViewSet, basename="stagestatistic")
router.register("deal-reviews", deals_api.DealReviewViewSet, basename="dealreview")
router.register("deal-action-items", deals_api.DealActionItemViewSet, basename="dealactionitem")
router.register("deal-forecasts", deals_api.DealForecastViewSet, basename="dealforecast")
router.register("forecast-calls", deals_api.ForecastCallViewSet, basename="forecastcall")
router.register("contacts", relationships_api.ContactViewSet, basename="contact")
router.register("stakeholders", relationships_api.StakeholderViewSet, basename="stakeholder")
router.register("internal-partners", relationships_api.InternalPartnerViewSet, basename="internalpartner")
router.register("competency-frameworks", CompetencyFrameworkViewSet, basename="competencyframework")
router.register("competencies", CompetencyViewSet, basename="competency")
router.register("assessments", AssessmentViewSet, basename="assessment")
router.register("coaching-sessions", CoachingSessionViewSet, basename="coachingsession")
router.register("action-items", ActionItemViewSet, basename="actionitem")
router.register("development-plans", DevelopmentPlanViewSet, basename="developmentplan")
router.register("positions", PositionViewSet, basename="position")
router.register("candidates", CandidateViewSet, basename="candidate")
router.register("scorecards", ScorecardViewSet, basename="scorecard")
router.register("pulses", PulseViewSet, basename="pulse")

app_name = "api"
urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path(
        "docs/",
        # Swagger UI sets inline styles as it renders; scripts stay restricted to our own.
        csp_override({**settings.SECURE_CSP, "style-src": [CSP.SELF, CSP.UNSAFE_INLINE]})(
            SpectacularSwaggerSplitView.as_view(url_name="api:schema")
        ),
        name="docs",
    ),
    path("token/", TokenView.as_view(), name="token"),
    path("kpis/", KpiView.as_view(), name="kpis"),
    path("forecast/", deals_api.ForecastView.as_view(), name="forecast"),
    *router.urls,
]
