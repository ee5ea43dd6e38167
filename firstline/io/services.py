"""Writes of the import app: keep an uploaded file, run it (now or as a job), undo it."""

from django.apps import apps
from django.db import transaction
from django.db.models import ProtectedError, Q
from django.urls import reverse
from django.utils import timezone

from firstline.core.jobs import JobFailed, NoProgress, Progress, job_kind, job_start
from firstline.io.engine import ImportRefused, Report, affected_sellers, kpi_results_refresh, run_import
from firstline.io.fields import KINDS
from firstline.io.models import ImportRun, ImportState
from firstline.io.reading import MAX_BYTES

IMPORT_JOB = "io.import"


def import_run_create(
    *, actor, kind: str, file_name: str, data: bytes, mapping: str = "", skip_bad_rows=False
):
    if kind not in KINDS:
        raise ImportRefused(f"Unknown kind {kind!r}; choose one of {', '.join(KINDS)}.")
    if len(data) > MAX_BYTES:
        raise ImportRefused(f"The file is larger than {MAX_BYTES // 2**20} MiB; split it.")
    return ImportRun.objects.create(
        actor=actor,
        kind=kind,
        file_name=file_name[:255],
        data=data,
        mapping=mapping,
        skip_bad_rows=skip_bad_rows,
    )


def import_run_execute(run: ImportRun, *, dry_run: bool, progress: Progress | None = None) -> Report:
    """Check (dry run) or import the run's file; an import records its counts, report and undo data."""
    report, changes = run_import(
        actor=run.actor,
        kind=run.kind,
        data=bytes(run.data),
        filename=run.file_name,
        mapping_text=run.mapping or None,
        dry_run=dry_run,
        skip_bad_rows=run.skip_bad_rows,
        progress=progress or NoProgress(),
    )
    if not dry_run:
        run.state = ImportState.IMPORTED if report.written else ImportState.REJECTED
        run.counts, run.report, run.changes = report.counts(), report.as_dict(), changes
        run.imported_at = timezone.now()
        run.mapping = run.mapping or report.mapping
        run.save(update_fields=["state", "counts", "report", "changes", "imported_at", "mapping"])
    return report


def import_run_commit(*, actor, run: ImportRun):
    """Queue the import as a background job; the page follows its progress."""
    with transaction.atomic():
        job = job_start(actor=actor, kind=IMPORT_JOB, params={"run": run.pk}, message="Waiting to import")
        ImportRun.objects.filter(pk=run.pk).update(job=job)
    return job


@job_kind(IMPORT_JOB)
def import_job(job, progress) -> dict:
    run = ImportRun.objects.get(pk=job.params["run"])
    try:
        report = import_run_execute(run, dry_run=False, progress=progress)
    except ImportRefused as refused:
        ImportRun.objects.filter(pk=run.pk).update(
            state=ImportState.REJECTED, report={"refused": str(refused)}, imported_at=timezone.now()
        )
        raise JobFailed(str(refused)) from None
    url = reverse("io:import_detail", args=[run.pk])
    if not report.written:
        raise JobFailed(
            f"Nothing was imported: {len(report.rejected_rows)} row(s) were rejected.",
            {"url": url, "link_text": "See the rejected rows"},
        )
    return {"url": url, "link_text": "See what was imported", **report.counts()}


class UndoRefused(Exception):
    pass


def import_undo(*, actor, run: ImportRun) -> None:
    """Put back what the import changed: delete what it created, restore what it updated. All or nothing;
    refused if a later import still stands or if something made since depends on what it created."""
    if run.state != ImportState.IMPORTED:
        raise UndoRefused("Only an import that was written can be undone.")
    later = ImportRun.objects.filter(state=ImportState.IMPORTED, kind=run.kind, pk__gt=run.pk)
    if later.exists():
        raise UndoRefused("A later import of the same kind still stands; undo it first.")
    touched = affected_sellers(run.changes)
    try:
        with transaction.atomic():
            for label, rows in run.changes.get("updated", {}).items():
                model = apps.get_model(label)
                for pk, previous in rows.items():
                    model.objects.filter(pk=int(pk)).update(**_typed(model, previous))
            # Reverse order of dependence: deals before the accounts, products and stages they use.
            order = [
                "pipeline.opportunity",
                "org.membership",
                "targets.target",
                "pipeline.account",
                "pipeline.product",
                "pipeline.salesstage",
                "org.team",
                "org.person",
            ]
            created = run.changes.get("created", {})
            for label in sorted(created, key=lambda label: order.index(label) if label in order else -1):
                model = apps.get_model(label)
                for first, last in created[label]:
                    _delete_range(model, first, last)
            for label, rows in run.changes.get("deleted", {}).items():
                model = apps.get_model(label)
                model.objects.bulk_create(model(**_typed(model, row)) for row in rows)
            run.state, run.undone_at = ImportState.UNDONE, timezone.now()
            run.save(update_fields=["state", "undone_at"])
            kpi_results_refresh({}, touched)
    except ProtectedError:
        raise UndoRefused(
            "Records this import created are now used by others (deals, teams); nothing was undone."
        ) from None


def _typed(model, values: dict) -> dict:
    """Column values as undo data keeps them (JSON) → as the model's fields take them."""
    return {name: model._meta.get_field(name).to_python(value) for name, value in values.items()}


def _delete_range(model, first: int, last: int) -> None:
    query = model.objects.filter(Q(pk__gte=first) & Q(pk__lte=last))
    if model._meta.label_lower == "org.team":
        for team in query.order_by("-path"):  # leaves first
            team.delete()
        return
    query.delete()
