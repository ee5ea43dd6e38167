"""The REST API: one router for every app's viewsets, the OpenAPI schema and its docs page."""

from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.routers import DefaultRouter

from firstline.org.api import MembershipViewSet, PersonViewSet, TeamViewSet
from firstline.pipeline.api import AccountViewSet, OpportunityViewSet, ProductViewSet, SalesStageViewSet
from firstline.targets.api import TargetViewSet


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

app_name = "api"
urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api:schema"), name="docs"),
    path("token/", ObtainAuthToken.as_view(), name="token"),
    *router.urls,
]
