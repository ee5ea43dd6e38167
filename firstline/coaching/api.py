"""The coaching API: frameworks, assessments, sessions (with the notes the caller may read), action
items and development plans. Same scoping as the pages; writes through the coaching services."""

from django.core.exceptions import ValidationError as ModelValidationError
from django.db.models import Prefetch
from rest_framework import mixins, serializers, viewsets
from rest_framework.exceptions import PermissionDenied
from rest_framework.exceptions import ValidationError as ApiValidationError

from firstline.coaching.filtersets import CoachingSessionFilterSet
from firstline.coaching.models import (
    ActionItem,
    Assessment,
    CoachingNote,
    CoachingSession,
    Competency,
    CompetencyFramework,
    CompetencyLevel,
    DevelopmentAction,
    DevelopmentGoal,
    DevelopmentPlan,
    LearningResource,
    Rating,
    SessionKind,
)
from firstline.coaching.services import (
    ActionItemInput,
    RatingInput,
    assessment_record,
    competency_save,
    session_record,
)
from firstline.core.api import (
    ScopedModelSerializer,
    ScopedRelatedField,
    ScopedViewSet,
    StrictCharField,
    api_validation_error,
)
from firstline.core.scoping import OutOfScope
from firstline.org.models import Person
from firstline.pipeline.models import Opportunity


class CompetencyLevelSerializer(ScopedModelSerializer):
    class Meta:
        model = CompetencyLevel
        fields = ["level", "behaviour"]


class CompetencySerializer(ScopedModelSerializer):
    levels = CompetencyLevelSerializer(many=True, read_only=True)

    class Meta:
        model = Competency
        fields = ["id", "name", "description", "order", "levels"]


class EditableCompetencySerializer(ScopedModelSerializer):
    framework = ScopedRelatedField(CompetencyFramework)
    behaviours = serializers.ListField(
        child=StrictCharField(),
        min_length=5,
        max_length=5,
        write_only=True,
        required=False,
        help_text="What the competency looks like at levels 1 to 5, in order.",
    )
    levels = CompetencyLevelSerializer(many=True, read_only=True)

    class Meta:
        model = Competency
        fields = ["id", "framework", "name", "description", "order", "levels", "behaviours"]


class CompetencyViewSet(ScopedViewSet):
    """Competencies of the frameworks, with the behaviour per level; admins configure them."""

    serializer_class = EditableCompetencySerializer
    filterset_fields = ["framework"]
    service = staticmethod(competency_save)

    def get_queryset(self):
        return super().get_queryset().prefetch_related("levels")

    def _write(self, serializer, instance):
        instance.behaviours = serializer.validated_data.pop("behaviours", None)
        super()._write(serializer, instance)


class CompetencyFrameworkSerializer(ScopedModelSerializer):
    competencies = CompetencySerializer(many=True, read_only=True)

    class Meta:
        model = CompetencyFramework
        fields = ["id", "name", "audience", "description", "is_default", "competencies"]


class CompetencyFrameworkViewSet(ScopedViewSet):
    """Everyone reads the frameworks; admins change them."""

    serializer_class = CompetencyFrameworkSerializer
    filterset_fields = ["audience"]

    def get_queryset(self):
        return super().get_queryset().prefetch_related("competencies__levels")


def _service_call(function, **kwargs):
    """Run a service, answering model validation errors with 400 and out-of-scope writes with 403
    (the references were visible to the caller, or they would have been refused as invalid)."""
    try:
        return function(**kwargs)
    except ModelValidationError as error:
        raise api_validation_error(error) from None
    except OutOfScope as error:
        raise PermissionDenied(str(error)) from None


class RatingSerializer(ScopedModelSerializer):
    competency = ScopedRelatedField(Competency)

    class Meta:
        model = Rating
        fields = ["competency", "score", "evidence"]


class AssessmentSerializer(ScopedModelSerializer):
    person = ScopedRelatedField(Person)
    framework = ScopedRelatedField(CompetencyFramework)
    ratings = RatingSerializer(many=True)

    class Meta:
        model = Assessment
        fields = ["id", "person", "assessor", "kind", "framework", "assessed_on", "summary", "ratings"]
        read_only_fields = ["assessor", "kind"]


class AssessmentViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet
):
    """Assessments are recorded whole and kept as history: list, read and create, never edit.
    Creating one for yourself is a self-assessment; for someone in your team, a manager one."""

    serializer_class = AssessmentSerializer
    filterset_fields = ["person", "kind", "framework"]

    def get_queryset(self):
        return Assessment.objects.visible_to(self.request.user).prefetch_related("ratings")

    def perform_create(self, serializer):
        data = serializer.validated_data
        serializer.instance = _service_call(
            assessment_record,
            actor=self.request.user,
            person=data["person"],
            framework=data["framework"],
            assessed_on=data["assessed_on"],
            summary=data.get("summary", ""),
            ratings=[
                RatingInput(r["competency"], r["score"], r.get("evidence", "")) for r in data["ratings"]
            ],
        )


class CoachingNoteSerializer(ScopedModelSerializer):
    class Meta:
        model = CoachingNote
        fields = ["id", "author", "visibility", "body", "created"]


class ActionItemSerializer(ScopedModelSerializer):
    class Meta:
        model = ActionItem
        fields = ["id", "session", "owner", "description", "due_on", "done_on"]
        read_only_fields = ["session", "owner", "description", "due_on"]


class NewActionItemSerializer(serializers.Serializer):
    owner = serializers.IntegerField(help_text="Id of the person who owns it: the seller or the coach.")
    description = StrictCharField(max_length=300)
    due_on = serializers.DateField()


class CoachingSessionSerializer(ScopedModelSerializer):
    seller = ScopedRelatedField(Person)
    focus = ScopedRelatedField(Competency, many=True, required=False)
    opportunities = ScopedRelatedField(Opportunity, many=True, required=False)
    kind = serializers.ChoiceField(choices=SessionKind.choices, default=SessionKind.ONE_ON_ONE)
    # Only the notes this caller may read: a private note reaches the coach and the seller alone.
    notes = CoachingNoteSerializer(source="readable_notes", many=True, read_only=True)
    action_items = ActionItemSerializer(source="readable_items", many=True, read_only=True)
    shared_note = StrictCharField(write_only=True, required=False, allow_blank=True)
    private_note = StrictCharField(write_only=True, required=False, allow_blank=True)
    new_action_items = NewActionItemSerializer(many=True, write_only=True, required=False)

    class Meta:
        model = CoachingSession
        fields = [
            "id",
            "seller",
            "coach",
            "kind",
            "held_on",
            "focus",
            "opportunities",
            "notes",
            "action_items",
            "shared_note",
            "private_note",
            "new_action_items",
        ]
        read_only_fields = ["coach"]


class CoachingSessionViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet
):
    """Sessions the caller may see, with the notes and action items they may read; the caller
    records new sessions as the coach."""

    serializer_class = CoachingSessionSerializer
    filterset_class = CoachingSessionFilterSet

    def get_queryset(self):
        user = self.request.user
        return CoachingSession.objects.visible_to(user).prefetch_related(
            "focus",
            "opportunities",
            Prefetch("notes", queryset=CoachingNote.objects.visible_to(user), to_attr="readable_notes"),
            Prefetch("action_items", queryset=ActionItem.objects.visible_to(user), to_attr="readable_items"),
        )

    def perform_create(self, serializer):
        data = serializer.validated_data
        session = _service_call(
            session_record,
            actor=self.request.user,
            seller=data["seller"],
            kind=data["kind"],
            held_on=data["held_on"],
            focus=data.get("focus", []),
            opportunities=data.get("opportunities", []),
            shared_note=data.get("shared_note", ""),
            private_note=data.get("private_note", ""),
            action_items=self._action_items(data.get("new_action_items", [])),
        )
        serializer.instance = self.get_queryset().get(pk=session.pk)

    def _action_items(self, items) -> list[ActionItemInput]:
        people = Person.objects.visible_to(self.request.user).in_bulk([item["owner"] for item in items])
        if any(item["owner"] not in people for item in items):
            raise ApiValidationError(
                {"new_action_items": "An action item belongs to the seller or the coach."}
            )
        return [ActionItemInput(people[item["owner"]], item["description"], item["due_on"]) for item in items]


class ActionItemViewSet(ScopedViewSet):
    """Action items: read them, and tick them off by setting `done_on` (the seller may). They are
    created with their session."""

    serializer_class = ActionItemSerializer
    filterset_fields = ["owner", "session"]
    http_method_names = ["get", "patch", "head", "options"]


class LearningResourceSerializer(ScopedModelSerializer):
    class Meta:
        model = LearningResource
        fields = ["title", "url"]


class DevelopmentActionSerializer(ScopedModelSerializer):
    class Meta:
        model = DevelopmentAction
        fields = ["id", "description", "due_on", "done_on"]


class DevelopmentGoalSerializer(ScopedModelSerializer):
    actions = DevelopmentActionSerializer(many=True, read_only=True)
    resources = LearningResourceSerializer(many=True, read_only=True)

    class Meta:
        model = DevelopmentGoal
        fields = ["id", "competency", "title", "due_on", "status", "actions", "resources"]


class DevelopmentPlanSerializer(ScopedModelSerializer):
    person = ScopedRelatedField(Person)
    goals = DevelopmentGoalSerializer(many=True, read_only=True)

    class Meta:
        model = DevelopmentPlan
        fields = ["id", "person", "title", "starts_on", "ends_on", "goals"]


class DevelopmentPlanViewSet(ScopedViewSet):
    serializer_class = DevelopmentPlanSerializer
    filterset_fields = ["person"]

    def get_queryset(self):
        return super().get_queryset().prefetch_related("goals__actions", "goals__resources")
