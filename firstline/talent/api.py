"""The talent API: positions, candidates, scorecards and pulses. Pulses carry only aggregate results
per team, suppressed below MIN_GROUP answers exactly as on the engagement page; no route reads
individual answers."""

from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import mixins, serializers, viewsets

from firstline.coaching.api import TeamModelSerializer, _service_call
from firstline.coaching.models import Competency
from firstline.core.api import ScopedRelatedField, ScopedViewSet
from firstline.core.scoping import scoped_save
from firstline.org.models import Person, Team
from firstline.org.scoping import viewer
from firstline.talent.models import Candidate, CandidateStage, Position, Pulse, Scorecard, ScorecardRating
from firstline.talent.selectors import pulse_results
from firstline.talent.services import candidate_move, scorecard_record


class PositionSerializer(TeamModelSerializer):
    team = ScopedRelatedField(Team)
    hiring_manager = ScopedRelatedField(Person, allow_null=True, required=False)

    class Meta:
        model = Position
        fields = ["id", "team", "title", "hiring_manager", "opened_on", "filled_on", "status"]
        read_only_fields = ["filled_on"]


class PositionViewSet(ScopedViewSet):
    """Open headcount: the managers of the team and of every team above it open and close it."""

    serializer_class = PositionSerializer
    filterset_fields = ["team", "status"]


class CandidateSerializer(TeamModelSerializer):
    position = ScopedRelatedField(Position)

    class Meta:
        model = Candidate
        fields = ["id", "position", "name", "email", "source", "stage", "applied_on", "stage_changed_on"]
        read_only_fields = ["stage_changed_on"]

    def validate_stage(self, value):
        if value == CandidateStage.HIRED:
            raise serializers.ValidationError("Hire a candidate on the candidate's page, with a start date.")
        return value


def candidate_save(*, actor, instance: Candidate) -> Candidate:
    """New candidates start today in their stage; later stage changes go through candidate_move."""
    if instance.pk is None:
        instance.stage_changed_on = timezone.localdate()
        return scoped_save(actor=actor, instance=instance)
    stage = instance.stage
    current = Candidate.objects.get(pk=instance.pk)
    if stage != current.stage:
        instance.stage = current.stage
        scoped_save(actor=actor, instance=instance)
        return candidate_move(actor=actor, candidate=instance, stage=stage)
    return scoped_save(actor=actor, instance=instance)


class CandidateViewSet(ScopedViewSet):
    serializer_class = CandidateSerializer
    filterset_fields = ["position", "stage"]
    service = staticmethod(candidate_save)


class ScoreSerializer(TeamModelSerializer):
    competency = ScopedRelatedField(Competency)

    class Meta:
        model = ScorecardRating
        fields = ["competency", "score"]


class ScorecardSerializer(TeamModelSerializer):
    candidate = ScopedRelatedField(Candidate)
    scores = ScoreSerializer(many=True, source="ratings")

    class Meta:
        model = Scorecard
        fields = ["id", "candidate", "interviewer", "interviewed_on", "recommendation", "notes", "scores"]
        read_only_fields = ["interviewer"]


class ScorecardViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet
):
    """Interview scorecards on the seller competencies: recorded by the interviewer, then kept."""

    serializer_class = ScorecardSerializer
    filterset_fields = ["candidate"]

    def get_queryset(self):
        return Scorecard.objects.visible_to(self.request.user).prefetch_related("ratings")

    def perform_create(self, serializer):
        data = serializer.validated_data
        serializer.instance = _service_call(
            scorecard_record,
            actor=self.request.user,
            candidate=data["candidate"],
            interviewed_on=data["interviewed_on"],
            recommendation=data["recommendation"],
            notes=data.get("notes", ""),
            scores={row["competency"]: row["score"] for row in data["ratings"]},
        )


class TeamResultSerializer(serializers.Serializer):
    team = serializers.IntegerField()
    shown = serializers.BooleanField(
        help_text="False below 3 answers (or where a small group could be inferred)."
    )
    answers = serializers.IntegerField(allow_null=True)
    enps = serializers.DecimalField(max_digits=6, decimal_places=1, allow_null=True)


class PulseSerializer(TeamModelSerializer):
    team = ScopedRelatedField(Team)
    results = serializers.SerializerMethodField()

    class Meta:
        model = Pulse
        fields = ["id", "team", "title", "opens_on", "closes_on", "results"]

    @extend_schema_field(TeamResultSerializer(many=True))
    def get_results(self, pulse):
        teams, results = self.context.get("teams", []), self.context.get("results", {}).get(pulse.pk, {})
        return [
            {
                "team": team.pk,
                "shown": results[team.pk].shown,
                "answers": results[team.pk].answers if results[team.pk].shown else None,
                # A string like every decimal of the API ("33.3"), as the schema says.
                "enps": None if results[team.pk].enps is None else str(round(results[team.pk].enps, 1)),
            }
            for team in teams
            if team.pk in results
        ]


class PulseViewSet(ScopedViewSet):
    """Pulses sent to you or your teams, with aggregate results for the teams you lead (none for
    a seller); managers send pulses to their teams."""

    serializer_class = PulseSerializer
    filterset_fields = ["team"]

    def get_serializer(self, *args, **kwargs):
        instance = args[0] if args else None
        pulses = list(instance) if kwargs.get("many") else [instance] if isinstance(instance, Pulse) else []
        if pulses:
            who = viewer(self.request.user)
            teams = list(Team.objects.all() if who.is_admin else Team.objects.filter(who.subtree_q()))
            kwargs["context"] = {
                **self.get_serializer_context(),
                "teams": teams,
                "results": pulse_results(pulses=pulses, teams=teams),
            }
            args = (pulses if kwargs.get("many") else pulses[0], *args[1:])
        return super().get_serializer(*args, **kwargs)
