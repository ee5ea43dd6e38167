"""`/api/kpis/`: the same figures as the dashboards and `firstline kpis`, for scripts."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from firstline.core.periods import PeriodError, fiscal_calendar
from firstline.kpis.figures import kpi_set, seller_population, team_population
from firstline.kpis.permissions import kpi_people, kpi_teams
from firstline.org.scoping import viewer


def _one(queryset, value: str, what: str):
    found = queryset.filter(pk=value).first() if value.isdigit() else None
    if found is None:
        raise NotFound(f"No {what} {value!r} among those whose figures you may see.")
    return found


class KpiView(APIView):
    """The KPI set of a team (its whole subtree) or a seller for a fiscal period.

    Without `team` or `seller`: the team you lead, else your own figures. Teams and sellers outside
    what you may see are 404, as everywhere."""

    @extend_schema(
        parameters=[
            OpenApiParameter("team", int, description="A team's id: the team and every team below it."),
            OpenApiParameter("seller", int, description="A person's id."),
            OpenApiParameter("period", str, description="2025, 2025Q3, 2025-07 or 2025YTD (default: now)."),
        ],
        responses={200: OpenApiTypes.OBJECT},
    )
    def get(self, request):
        calendar = fiscal_calendar()
        label = request.query_params.get("period", "")
        try:
            period = calendar.parse(label) if label else calendar.quarter_of(_today())
        except PeriodError as error:
            raise ValidationError({"period": [str(error)]}) from None
        return Response(kpi_set(self._population(request), period).as_dict())

    def _population(self, request):
        team, seller = request.query_params.get("team", ""), request.query_params.get("seller", "")
        if team and seller:
            raise ValidationError({"non_field_errors": ["Ask for a team or a seller, not both."]})
        if team:
            return team_population(_one(kpi_teams(request.user), team, "team"))
        if seller:
            return seller_population(_one(kpi_people(request.user), seller, "seller"))
        who = viewer(request.user)
        led = kpi_teams(request.user).filter(manager_id=who.person_id).order_by("path").first()
        if led is not None:
            return team_population(led)
        me = kpi_people(request.user).filter(pk=who.person_id).first()
        if me is None:
            raise NotFound("You lead no team and have no figures of your own; name a team or a seller.")
        return seller_population(me)


def _today():
    from django.utils import timezone

    return timezone.localdate()
