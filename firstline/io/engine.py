"""The import, kind by kind: read the file, map the columns, check every row, then write all or nothing.

`run_import()` is the one entry point (CLI, web job and tests call it). Rows are checked in full
before anything is written; a rejected row stops the import unless bad rows are to be skipped.
"""

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db import transaction

from firstline.core.jobs import NoProgress, Progress
from firstline.io.fields import fields_of
from firstline.io.mapping import Mapping, MappingProblem, auto_mapping, check_complete, load_mapping
from firstline.io.reading import FileProblem, Table, read_table
from firstline.io.values import (
    ValueProblem,
    date_order,
    has_ambiguous_dates,
    normalise,
    parse_amount,
    parse_date,
)

MAX_REPORTED_ERRORS = 500


class ImportRefused(Exception):
    """The import as a whole cannot go ahead (file, mapping, permission); nothing was written."""


@dataclass
class RowError:
    line: int
    field: str
    value: str
    reason: str

    def __str__(self) -> str:
        where = f"line {self.line}" + (f", {self.field}" if self.field else "")
        shown = f" {self.value!r}" if self.value else ""
        return f"{where}:{shown} {self.reason}"


@dataclass
class Report:
    kind: str
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: list[RowError] = field(default_factory=list)
    rejected_rows: set[int] = field(default_factory=set)
    matches: dict[str, str] = field(default_factory=dict)  # near-duplicate "file value" → record name
    notes: list[str] = field(default_factory=list)
    mapping: str = ""
    dry_run: bool = False
    written: bool = False

    def reject(self, line: int, field_name: str, value: str, reason: str) -> None:
        self.rejected_rows.add(line)
        if len(self.rejected) < MAX_REPORTED_ERRORS:
            self.rejected.append(RowError(line, field_name, value, reason))

    def counts(self) -> dict[str, int]:
        return {
            "rows": self.rows,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "rejected": len(self.rejected_rows),
        }

    def as_dict(self) -> dict:
        return {
            "counts": self.counts(),
            "rejected": [str(error) for error in self.rejected],
            "matches": self.matches,
            "notes": self.notes,
            "written": self.written,
            "dry_run": self.dry_run,
        }


@dataclass
class Context:
    actor: object
    mapping: Mapping
    report: Report
    progress: Progress
    changes: dict = field(default_factory=lambda: {"created": {}, "updated": {}})
    new_deals: object = None  # kpis.rollup.NewDeals: the deals created, counted without reading them back

    def created(self, model, ids) -> None:
        """Remember created ids (as ranges, compact even for a million rows) for undo."""
        ranges = self.changes["created"].setdefault(model._meta.label_lower, [])
        for pk in sorted(ids):
            if ranges and ranges[-1][1] == pk - 1:
                ranges[-1][1] = pk
            else:
                ranges.append([pk, pk])

    def updated(self, model, pk: int, previous: dict) -> None:
        self.changes["updated"].setdefault(model._meta.label_lower, {})[str(pk)] = previous

    def deleted(self, obj) -> None:
        """Remember a row the import deleted, every column of it, for undo to put back."""
        from firstline.io.importers import jsonable

        row = {f.attname: jsonable(getattr(obj, f.attname)) for f in obj._meta.concrete_fields}
        self.changes.setdefault("deleted", {}).setdefault(obj._meta.label_lower, []).append(row)

    def near_match(self, value: str, name: str) -> None:
        if value.strip() != name:
            self.report.matches[value.strip()] = name


@dataclass
class Cells:
    """Typed values of the mapped columns, column by column; `None` where the cell is empty."""

    lines: Sequence[int]
    values: dict[str, list]  # field → one value per row


def read_cells(table: Table, mapping: Mapping, report: Report) -> Cells:
    """Each mapped column converted as a whole: each distinct cell text is read once (a million
    deals have a few thousand dates and owners), then the column is a list of the results."""
    specs = fields_of(mapping.kind)
    values = {}
    for name, header in mapping.columns.items():
        column = table.columns[table.headers.index(header)]
        values[name] = _convert_column(specs[name].type, name, column, table.lines, mapping, report)
    for name, default in mapping.defaults.items():
        if name not in values and name in specs:
            column = [default] * len(table)
            values[name] = _convert_column(specs[name].type, name, column, table.lines, mapping, report)
    return Cells(lines=table.lines, values=values)


def _convert_column(kind: str, name: str, column: list[str], lines, mapping: Mapping, report: Report) -> list:
    table = mapping.values.get(name, {})
    default = mapping.defaults.get(name, "")
    cells = [table.get(cell, cell) or default for cell in column] if table or default else column
    distinct = set(cells)
    if kind == "date":
        order = mapping.date_format if mapping.date_format in {"us", "eu"} else None
        if order is None and mapping.date_format != "iso":
            try:
                order = date_order(distinct)
            except ValueProblem as problem:
                report.notes.append(f"{name}: {problem}; set date_format in the mapping.")
                order = None
            if order is None and has_ambiguous_dates(distinct):
                report.notes.append(
                    f"{name}: every date could be month-first or day-first; set date_format in the mapping."
                )
        return _parsed(cells, distinct, parse_date, order, name, lines, report)
    if kind == "amount":
        return _parsed(cells, distinct, _amount, mapping.currency, name, lines, report)
    return [cell or None for cell in cells] if "" in distinct else cells


def _parsed(cells: list[str], distinct: set[str], parse, option, name: str, lines, report: Report) -> list:
    """`parse(cell, option)` of each cell, each distinct text parsed once; an empty cell is None and
    a cell that cannot be read is None and rejected, on every row that has it."""
    values, problems = {"": None}, {}
    for cell in distinct:
        if cell:
            try:
                values[cell] = parse(cell, option)
            except ValueProblem as problem:
                values[cell], problems[cell] = None, str(problem)
    if problems:
        for cell, line in zip(cells, lines, strict=True):
            if cell in problems:
                report.reject(line, name, cell, problems[cell])
    return list(map(values.__getitem__, cells))


def _amount(cell: str, currency: str | None) -> tuple[Decimal, str | None]:
    amount, named = parse_amount(cell)
    if amount < 0:
        raise ValueProblem("cannot be negative")
    return amount, named or currency


class Index:
    """Records to match references against: by external id, exact name (or email, code), then the
    normalised name; a normalised name shared by two records is ambiguous and matches neither."""

    def __init__(self, rows, label: str) -> None:
        self.label = label
        self.exact: dict[str, int] = {}
        self.loose: dict[str, int | None] = {}
        self.names: dict[int, str] = {}
        for pk, name, *keys in rows:
            self.add(pk, name, *keys)

    def add(self, pk: int, name: str, *keys) -> None:
        self.names[pk] = name
        for key in (name, *keys):
            if key:
                self.exact.setdefault(str(key).strip().lower(), pk)
        loose = normalise(name)
        if loose:
            self.loose[loose] = None if self.loose.get(loose, pk) != pk else pk

    def find(self, value: str, context: Context) -> int | None:
        pk = self.exact.get(value.strip().lower())
        if pk is not None:
            return pk
        pk = self.loose.get(normalise(value))
        if pk is not None:
            context.near_match(value, self.names[pk])
        return pk


def resolve(values: list, index: Index, name: str, lines, context: Context, create=None) -> list:
    """Replace each referenced name with an id, each distinct name looked up once; a reference to
    nothing is rejected, or created through `create(value)` when the mapping lists the field under
    create_missing."""
    found: dict[str | None, int | None] = {None: None}
    for value in dict.fromkeys(values):
        if value is None:
            continue
        pk = index.find(value, context)
        if pk is None and create is not None and name in context.mapping.create_missing:
            pk = create(value)
            index.add(pk, value)
        found[value] = pk
    missing = {value for value, pk in found.items() if pk is None and value is not None}
    if missing:
        for value, line in zip(values, lines, strict=True):
            if value in missing:
                context.report.reject(line, name, value, f"no {index.label} by this id or name")
    return list(map(found.__getitem__, values))


def prepare(*, kind: str, data: bytes, filename: str, mapping_text: str | None, preset: str | None):
    try:
        table = read_table(data, filename)
    except FileProblem as problem:
        raise ImportRefused(str(problem)) from None
    try:
        if mapping_text:
            mapping = load_mapping(mapping_text, kind, table.headers, preset)
        else:
            mapping = auto_mapping(kind, table.headers, preset)
        check_complete(mapping, table.headers)
    except MappingProblem as problem:
        raise ImportRefused(str(problem)) from None
    return table, mapping


def run_import(
    *,
    actor,
    kind: str,
    data: bytes,
    filename: str = "",
    mapping_text: str | None = None,
    preset: str | None = None,
    dry_run: bool = False,
    skip_bad_rows: bool = False,
    progress: Progress | None = None,
) -> tuple[Report, dict]:
    """Import `data` as `kind` for `actor`; returns the report and what undo needs.

    Raises ImportRefused when nothing can be imported at all. Otherwise every row is checked; with any
    row rejected nothing is written unless `skip_bad_rows`, and a dry run writes nothing either way.
    """
    from firstline.io.importers import IMPORTERS

    progress = progress or NoProgress()
    table, mapping = prepare(
        kind=kind, data=data, filename=filename, mapping_text=mapping_text, preset=preset
    )
    report = Report(kind=kind, rows=len(table), mapping=mapping.to_toml(), dry_run=dry_run)
    if table.skipped:
        report.notes.append(f"Skipped {len(table.skipped)} report line(s) around the table.")
    context = Context(actor=actor, mapping=mapping, report=report, progress=progress)
    importer = IMPORTERS[kind](context)
    importer.check_allowed()
    progress.phase("Reading rows", total=len(table))
    cells = read_cells(table, mapping, report)
    progress.advance(len(table))
    table.columns.clear()  # the typed columns are all that is needed from here
    # Progress reported inside the transaction shows while it runs (core.jobs.JobProgress).
    progress.phase("Matching references", total=None)
    with transaction.atomic():
        # Inside the transaction: references created for missing records vanish with a rollback.
        plan = importer.plan(cells)
        cells.values.clear()  # the plan holds what is to be written
        must_stop = report.rejected_rows and not skip_bad_rows
        if dry_run or must_stop:
            transaction.set_rollback(True)
            report.written = False
        else:
            progress.phase(
                f"Writing {report.created + report.updated:,} rows", total=report.created + report.updated
            )
            importer.write(plan)
            del plan  # names, ids and texts of a million rows: the refresh needs only new_deals
            report.written = True
            progress.phase("Refreshing the KPI results", total=None)
            kpi_results_refresh(context.changes, new_deals=context.new_deals)
    return report, context.changes


def affected_sellers(changes: dict) -> set[int]:
    """The people whose KPI results an import (or its undo) touches: owners of the deals and people
    whose memberships it created or changed, before and after."""
    from django.apps import apps

    people: set[int] = set()
    for label, column in (("pipeline.opportunity", "owner_id"), ("org.membership", "person_id")):
        model = apps.get_model(label)
        ranges = changes.get("created", {}).get(label, [])
        updated = changes.get("updated", {}).get(label, {})
        deleted = changes.get("deleted", {}).get(label, [])
        people.update(row[column] for row in [*updated.values(), *deleted] if row.get(column))
        query = model.objects.filter(pk__in=[int(pk) for pk in updated])
        for first, last in ranges:
            query = query | model.objects.filter(pk__gte=first, pk__lte=last)
        people.update(query.order_by().values_list(column, flat=True).distinct())
    return people


def kpi_results_refresh(changes: dict, people: set[int] | None = None, new_deals=None) -> None:
    """Keep the KPI roll-ups current: bulk writes send no signals, so the import refreshes them.
    The deals in `new_deals` are counted from memory, not looked up among the created rows."""
    from firstline.kpis.rollup import results_refresh

    if new_deals is not None:
        created = {k: v for k, v in changes["created"].items() if k != "pipeline.opportunity"}
        changes = {**changes, "created": created}
    results_refresh(person_ids=affected_sellers(changes) | (people or set()), new_deals=new_deals)


def group_by(items, key) -> dict:
    grouped = defaultdict(list)
    for item in items:
        grouped[key(item)].append(item)
    return grouped


def today() -> date:
    from django.utils import timezone

    return timezone.localdate()
