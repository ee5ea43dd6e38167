"""The import pages: upload, preview and mapping, dry run, import as a job with progress, history, undo."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from firstline.core.scoping import get_visible_or_404
from firstline.io.engine import ImportRefused
from firstline.io.forms import ImportUploadForm, MappingForm
from firstline.io.mapping import MappingProblem, auto_mapping, load_mapping
from firstline.io.models import ImportRun, ImportState
from firstline.io.reading import FileProblem, Table, read_preview
from firstline.io.services import (
    UndoRefused,
    import_run_commit,
    import_run_create,
    import_run_execute,
    import_undo,
)

PREVIEW_ROWS = 8


def import_list(request):
    runs = ImportRun.objects.visible_to(request.user).select_related("actor", "job").defer("data", "changes")
    return render(request, "io/import_list.html", {"runs": runs[:100]})


def import_start(request):
    form = ImportUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        data = upload.read()
        try:
            mapping = ""
            if form.cleaned_data["preset"]:
                table = _preview_table(data, upload.name)
                mapping = auto_mapping(
                    form.cleaned_data["kind"], table.headers, form.cleaned_data["preset"]
                ).to_toml()
            run = import_run_create(
                actor=request.user,
                kind=form.cleaned_data["kind"],
                file_name=upload.name,
                data=data,
                mapping=mapping,
                skip_bad_rows=form.cleaned_data["skip_bad_rows"],
            )
        except (ImportRefused, FileProblem, MappingProblem) as problem:
            form.add_error("file", str(problem))
        else:
            return redirect("io:import_detail", pk=run.pk)
    return render(request, "io/import_start.html", {"form": form})


def _preview_table(data: bytes, file_name: str) -> Table:
    return read_preview(data, file_name)


def _mapping(run: ImportRun, headers: list[str]):
    if run.mapping:
        return load_mapping(run.mapping, run.kind, headers)
    return auto_mapping(run.kind, headers)


def import_detail(request, pk: int):
    run = get_visible_or_404(ImportRun.objects, request.user, pk=pk)
    context = {"run": run, "check": None}
    if run.state == ImportState.PREVIEW and run.job_id is None:
        try:
            table = _preview_table(bytes(run.data), run.file_name)
            mapping = _mapping(run, table.headers)
        except (FileProblem, MappingProblem) as problem:
            context["problem"] = str(problem)
        else:
            form = MappingForm(request.POST or None, kind=run.kind, headers=table.headers, mapping=mapping)
            if request.method == "POST" and form.is_valid():
                run.mapping = form.mapping(mapping).to_toml()
                run.save(update_fields=["mapping"])
                if "check" in request.POST:
                    context["check"] = _check(run)
                else:
                    messages.success(request, "Mapping saved.")
                    return redirect("io:import_detail", pk=run.pk)
            context.update(
                form=form,
                headers=table.headers,
                rows=table.rows[:PREVIEW_ROWS],
                mapping=run.mapping or mapping.to_toml(),
            )
    elif request.method == "POST":
        raise Http404("This import can no longer be changed.")
    return render(request, "io/import_detail.html", context)


def _check(run: ImportRun) -> dict:
    try:
        return import_run_execute(run, dry_run=True).as_dict()
    except ImportRefused as refused:
        return {"refused": str(refused)}


@require_POST
def import_commit(request, pk: int):
    run = get_visible_or_404(ImportRun.objects, request.user, pk=pk)
    if run.state != ImportState.PREVIEW or run.job_id is not None:
        messages.error(request, "This file has already been imported.")
    else:
        import_run_commit(actor=request.user, run=run)
    return redirect("io:import_detail", pk=run.pk)


@require_POST
def import_undo_view(request, pk: int):
    run = get_visible_or_404(ImportRun.objects, request.user, pk=pk)
    if request.POST.get("confirm") != "yes":
        messages.error(request, "Tick the box to confirm the undo; nothing was changed.")
        return redirect("io:import_detail", pk=run.pk)
    try:
        import_undo(actor=request.user, run=run)
    except UndoRefused as refused:
        messages.error(request, str(refused))
    else:
        messages.success(request, f"Undone: the import of {run.file_name} is taken back.")
    return redirect("io:import_detail", pk=run.pk)
