"""The change log as people read it: field labels, values written the way every page writes them,
"—" for nothing, people by name, and no line for a change that changed nothing."""

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils.text import capfirst

from firstline.core import formatting


@dataclass(frozen=True)
class Change:
    label: str
    before: str
    after: str


@dataclass(frozen=True)
class HistoryEntry:
    timestamp: datetime
    who: str
    created: bool
    changes: list[Change]


def _empty(raw) -> bool:
    return raw is None or raw in ("", "None")


def _display(field, raw, names: dict) -> str:
    if _empty(raw):
        return formatting.NO_VALUE
    if field is None:
        return str(raw)
    if field.choices:
        return str(dict(field.flatchoices).get(raw, raw))
    if isinstance(field, models.ForeignKey):
        return names.get((field.related_model, str(raw)), formatting.NO_VALUE)
    if isinstance(field, models.DateField) and not isinstance(field, models.DateTimeField):
        try:
            return formatting.date(date.fromisoformat(str(raw)))
        except ValueError:
            return str(raw)
    if isinstance(field, models.DecimalField):
        try:
            return formatting.plain_amount(Decimal(str(raw)))
        except InvalidOperation:
            return str(raw)
    return str(raw)


def _field(model, name):
    try:
        field = model._meta.get_field(name)
    except FieldDoesNotExist:
        return None
    return field if getattr(field, "concrete", False) else None


def _related_names(entries, model) -> dict:
    """The names behind every foreign key the entries mention: one query per related model."""
    wanted: dict = {}
    for entry in entries:
        for name, values in entry.changes_dict.items():
            field = _field(model, name)
            if isinstance(field, models.ForeignKey):
                wanted.setdefault(field.related_model, set()).update(
                    str(value) for value in values if not _empty(value)
                )
    names = {}
    for related_model, ids in wanted.items():
        for obj in related_model._default_manager.filter(pk__in=ids):
            names[(related_model, str(obj.pk))] = str(obj)
    return names


def history(entries, model) -> list[HistoryEntry]:
    """`entries`: LogEntry rows of `model` with `actor__person` selected. Changes that only re-wrote a
    value (95000.00 → 95000) are left out, and an update left with nothing is left out too."""
    entries = list(entries)
    names = _related_names(entries, model)
    result = []
    for entry in entries:
        changes = []
        for name, (before, after) in entry.changes_dict.items():
            field = _field(model, name)
            shown = (_display(field, before, names), _display(field, after, names))
            if shown[0] != shown[1]:
                label = capfirst(field.verbose_name) if field is not None else name
                changes.append(Change(label, *shown))
        created = entry.action == entry.Action.CREATE
        if changes or created:
            result.append(HistoryEntry(entry.timestamp, _who(entry.actor), created, changes))
    return result


def _who(actor) -> str:
    if actor is None:
        return "data load"
    person = getattr(actor, "person", None)
    return person.name if person is not None else actor.get_username()
