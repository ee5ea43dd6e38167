"""Imports over the API: upload a file to check it (dry run) or import it as a job; read runs and jobs."""

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from firstline.core.jobs import job_live
from firstline.core.models import Job
from firstline.io.engine import ImportRefused
from firstline.io.fields import KINDS, PRESETS
from firstline.io.mapping import MappingProblem, auto_mapping, check_complete, load_mapping
from firstline.io.models import ImportRun
from firstline.io.reading import FileProblem, read_preview
from firstline.io.services import import_run_commit, import_run_create, import_run_execute


class JobSerializer(serializers.ModelSerializer):
    class Meta:
        model = Job
        fields = [
            "id",
            "kind",
            "state",
            "done",
            "total",
            "percent",
            "message",
            "result",
            "created_at",
            "started_at",
            "finished_at",
        ]


class ImportRunSerializer(serializers.ModelSerializer):
    job = JobSerializer(read_only=True)

    class Meta:
        model = ImportRun
        fields = [
            "id",
            "kind",
            "file_name",
            "state",
            "skip_bad_rows",
            "mapping",
            "counts",
            "report",
            "job",
            "created_at",
            "imported_at",
            "undone_at",
        ]


class ImportUploadSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=KINDS)
    file = serializers.FileField()
    mapping = serializers.CharField(
        required=False, allow_blank=True, help_text="A TOML mapping (docs/import.md)."
    )
    preset = serializers.ChoiceField(choices=sorted(PRESETS), required=False)
    skip_bad_rows = serializers.BooleanField(default=False)
    dry_run = serializers.BooleanField(default=False, help_text="Check every row and answer; write nothing.")


class ScopedReadOnlyViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    def get_queryset(self):
        return self.get_serializer_class().Meta.model.objects.visible_to(self.request.user)


class JobViewSet(ScopedReadOnlyViewSet):
    serializer_class = JobSerializer

    def get_object(self):
        return job_live(super().get_object())


class ImportRunViewSet(mixins.CreateModelMixin, ScopedReadOnlyViewSet):
    """Your imports. POST a file: with dry_run the answer is the check's report (nothing is kept);
    otherwise the import is queued as a job (202) whose progress is at /api/jobs/<id>/."""

    serializer_class = ImportRunSerializer
    parser_classes = [MultiPartParser, FormParser]

    def get_queryset(self):
        return super().get_queryset().select_related("job").defer("data", "changes")

    @extend_schema(
        request={"multipart/form-data": ImportUploadSerializer}, responses={202: ImportRunSerializer}
    )
    def create(self, request, *args, **kwargs):
        upload = ImportUploadSerializer(data=request.data)
        upload.is_valid(raise_exception=True)
        data = upload.validated_data
        content = data["file"].read()
        try:
            mapping = data.get("mapping", "")
            headers = read_preview(content, data["file"].name).headers
            if data.get("preset") and not mapping:
                mapping = auto_mapping(data["kind"], headers, data["preset"]).to_toml()
            # A file whose columns cannot be mapped is a 400 now, not a failed job later.
            found = (
                load_mapping(mapping, data["kind"], headers)
                if mapping
                else auto_mapping(data["kind"], headers)
            )
            check_complete(found, headers)
            run = import_run_create(
                actor=request.user,
                kind=data["kind"],
                file_name=data["file"].name,
                data=content,
                mapping=mapping,
                skip_bad_rows=data["skip_bad_rows"],
            )
            if data["dry_run"]:
                report = import_run_execute(run, dry_run=True).as_dict()
                run.delete()
                return Response(report)
        except (ImportRefused, FileProblem, MappingProblem) as problem:
            raise serializers.ValidationError({"file": [str(problem)]}) from None
        import_run_commit(actor=request.user, run=run)
        run = self.get_queryset().get(pk=run.pk)
        return Response(self.get_serializer(run).data, status=status.HTTP_202_ACCEPTED)
