"""One importer per kind: check the actor may import it, plan creates and updates, write them."""

import json
from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db.models import Model

from firstline.core.periods import PeriodError, fiscal_calendar
from firstline.io.engine import Cells, Context, ImportRefused, Index, resolve
from firstline.org.models import Person
from firstline.org.scoping import PersonScope, viewer
from firstline.pipeline.models import Account, Product, Segment
from firstline.targets.models import Metric, Target

CHUNK = 900  # ids per IN (...) query, under SQLite's variable limit


def jsonable(value):
    if isinstance(value, Decimal | date):
        return str(value) if isinstance(value, Decimal) else value.isoformat()
    return value


def people_in_reach(actor, *, owner_may_change: bool = True):
    """The people whose records the actor may change: the same rule as every page (org.scoping)."""
    return Person.objects.filter(PersonScope("", owner_may_change=owner_may_change).q(actor, "change"))


def person_index(queryset) -> Index:
    return Index(queryset.values_list("pk", "name", "email", "external_id"), "person you may import for")


def existing_by(model: type[Model], key: str, keys, fields: list[str], scope_qs=None, base=None) -> dict:
    """Existing rows whose `key` is among `keys`: key → (pk, {field: value}, in_scope).
    `base` is the queryset to look in (default: all), e.g. one annotated with a lower-cased key."""
    keys = [k for k in set(keys) if k is not None]
    found = {}
    editable = None
    for start in range(0, len(keys), CHUNK):
        query = (base if base is not None else model.objects.all()).filter(
            **{f"{key}__in": keys[start : start + CHUNK]}
        )
        rows = query.values("pk", key, *fields)
        for row in rows:
            found[row[key]] = (row["pk"], {f: row[f] for f in fields})
    if scope_qs is not None and found:
        ids = [pk for pk, _values in found.values()]
        editable = set()
        for start in range(0, len(ids), CHUNK):
            editable |= set(scope_qs.filter(pk__in=ids[start : start + CHUNK]).values_list("pk", flat=True))
    return {k: (pk, values, editable is None or pk in editable) for k, (pk, values) in found.items()}


class Importer:
    model: type[Model]
    key_label = "record"

    def __init__(self, context: Context) -> None:
        self.context = context
        self.report = context.report
        self.who = viewer(context.actor)

    def check_allowed(self) -> None:
        if not self.who.is_admin and self.who.person_id is None:
            raise ImportRefused("Only people in the org tree or admins may import.")

    def admin_only(self, what: str) -> None:
        if not self.who.is_admin:
            raise ImportRefused(f"Only an admin may import {what}.")

    def live(self, cells: Cells):
        """Indices of the rows not rejected so far."""
        return [i for i, line in enumerate(cells.lines) if line not in self.report.rejected_rows]

    def classify(self, rows, existing: dict):
        """rows: (line, key, values). Returns creates [(line, values)] and updates [(pk, new, old)]."""
        creates, updates, seen = [], [], {}
        for line, key, values in rows:
            if key in seen:
                self.report.reject(line, "", str(key), f"is the same {self.key_label} as line {seen[key]}")
                continue
            seen[key] = line
            if key not in existing:
                creates.append((line, values))
                continue
            pk, current, in_scope = existing[key]
            if not in_scope:
                self.report.reject(line, "", str(key), "cannot be used: it is not yours to change")
                continue
            changed = {f: v for f, v in values.items() if current.get(f) != v}
            if changed:
                updates.append((pk, changed, {f: jsonable(current[f]) for f in changed}))
            else:
                self.report.unchanged += 1
        return creates, updates

    def write_plain(self, creates, updates, make) -> None:
        """Creates through bulk_create (ids come back) and updates grouped by the fields they change."""
        objects = [make(values) for _line, values in creates]
        for obj in objects:
            self.validate(obj)
        self.model.objects.bulk_create(objects, batch_size=500)
        self.context.created(self.model, [obj.pk for obj in objects])
        self.context.progress.advance(len(objects))
        self.write_updates(updates)

    def write_updates(self, updates) -> None:
        groups: dict[tuple, list] = {}
        for pk, new, old in updates:
            obj = self.model(pk=pk, **new)
            groups.setdefault(tuple(sorted(new)), []).append(obj)
            self.context.updated(self.model, pk, old)
        for fields, objects in groups.items():
            self.model.objects.bulk_update(objects, list(fields), batch_size=500)
            self.context.progress.advance(len(objects))

    def validate(self, obj) -> None:
        try:
            obj.clean_fields(exclude=self.unchecked_fields())
        except ValidationError as error:
            raise ImportRefused(f"A row failed the model's checks after planning: {error}") from None

    def unchecked_fields(self) -> list[str]:
        return [f.name for f in self.model._meta.concrete_fields if f.is_relation] + ["id"]

    def count(self, creates, updates) -> None:
        self.report.created += len(creates)
        self.report.updated += len(updates)


class AccountImporter(Importer):
    model = Account
    key_label = "account"

    def plan(self, cells: Cells):
        v, lines = cells.values, cells.lines
        people = person_index(people_in_reach(self.context.actor))
        owners = resolve(v.get("owner", [None] * len(lines)), people, "owner", lines, self.context)
        rows = []
        for i in self.live(cells):
            line = lines[i]
            values = {"name": v["name"][i], "owner_id": owners[i]}
            if values["name"] is None:
                self.report.reject(line, "name", "", "is empty")
                continue
            if owners[i] is None and not self.who.is_admin:
                self.report.reject(line, "owner", "", "is needed: name someone in your team")
                continue
            for name in ("industry", "city"):
                if name in v:
                    values[name] = (v[name][i] or "")[:100]
            if "country" in v:
                values["country"] = (v["country"][i] or "").upper()
                if len(values["country"]) > 2:
                    self.report.reject(line, "country", values["country"], "use the two-letter ISO code")
                    continue
            if v.get("segment") and v["segment"][i]:
                segment = _choice(Segment, v["segment"][i])
                if segment is None:
                    self.report.reject(line, "segment", v["segment"][i], "is not a segment we know")
                    continue
                values["segment"] = segment
            if v.get("market_potential") and v["market_potential"][i] is not None:
                values["market_potential"] = v["market_potential"][i][0]
            external = v["external_id"][i] if "external_id" in v else None
            if external:
                values["external_id"] = external
            rows.append((line, external or values["name"].lower(), values))
        live_rows = [r for r in rows if r[0] not in self.report.rejected_rows]
        fields = sorted({f for _l, _k, values in live_rows for f in values})
        scope = Account.objects.editable_by(self.context.actor)
        by_id = existing_by(
            Account, "external_id", [k for _l, k, val in live_rows if val.get("external_id")], fields, scope
        )
        by_name = existing_by(Account, "name", [val["name"] for _l, _k, val in live_rows], fields, scope)
        existing = {}
        for _line, key, values in live_rows:
            match = by_id.get(values.get("external_id")) or (
                by_name.get(values["name"]) if not values.get("external_id") else None
            )
            if match:
                existing[key] = match
        creates, updates = self.classify(live_rows, existing)
        self.count(creates, updates)
        return creates, updates

    def write(self, plan) -> None:
        self.write_plain(*plan, make=lambda values: Account(**values))


def _choice(choices, value: str):
    wanted = value.replace("-", " ").strip().lower()
    for choice, label in choices.choices:
        if wanted in {choice.replace("_", " "), label.lower(), label.lower().replace("-", " ")}:
            return choice
    if wanted in {"smb", "small", "sb"} and hasattr(choices, "SMALL_BUSINESS"):
        return choices.SMALL_BUSINESS
    if wanted in {"mid", "midmarket", "mm", "mid market"} and hasattr(choices, "MID_MARKET"):
        return choices.MID_MARKET
    return None


class ProductImporter(Importer):
    model = Product
    key_label = "product"

    def check_allowed(self) -> None:
        self.admin_only("products")

    def plan(self, cells: Cells):
        v, lines = cells.values, cells.lines
        rows = []
        for i in self.live(cells):
            values = {
                "code": v["code"][i],
                "name": v["name"][i],
                "family": (v.get("family") or [""] * len(lines))[i],
            }
            values["family"] = values["family"] or ""
            if not values["code"] or not values["name"]:
                self.report.reject(lines[i], "code" if not values["code"] else "name", "", "is empty")
                continue
            rows.append((lines[i], values["code"], values))
        existing = existing_by(Product, "code", [k for _l, k, _v in rows], ["code", "name", "family"])
        creates, updates = self.classify(rows, existing)
        self.count(creates, updates)
        return creates, updates

    def write(self, plan) -> None:
        self.write_plain(*plan, make=lambda values: Product(**values))


class TargetImporter(Importer):
    model = Target
    key_label = "target"

    def plan(self, cells: Cells):
        v, lines = cells.values, cells.lines
        people = person_index(people_in_reach(self.context.actor, owner_may_change=False))
        persons = resolve(v["person"], people, "person", lines, self.context)
        calendar = fiscal_calendar()
        rows = []
        for i in self.live(cells):
            line = lines[i]
            try:
                period = calendar.parse(v["period"][i] or "")
            except PeriodError as error:
                self.report.reject(line, "period", v["period"][i] or "", str(error))
                continue
            metric = _choice(Metric, v["metric"][i]) if v.get("metric") and v["metric"][i] else Metric.REVENUE
            amount = v["amount"][i]
            if metric is None or amount is None or period.label.endswith("YTD"):
                field, reason = (
                    ("metric", "is not a metric we know")
                    if metric is None
                    else (
                        ("amount", "is empty")
                        if amount is None
                        else ("period", "must be a year, quarter or month")
                    )
                )
                self.report.reject(line, field, "", reason)
                continue
            values = {
                "person_id": persons[i],
                "metric": metric,
                "period": period.label,
                "start": period.start,
                "end": period.end,
                "amount": amount[0],
            }
            if amount[1] or v.get("currency"):
                values["currency"] = (v["currency"][i] if "currency" in v else None) or amount[1]
            rows.append((line, (persons[i], metric, period.label), values))
        existing = {}
        if rows:
            ids = {values["person_id"] for _l, _k, values in rows}
            fields = sorted({f for _l, _k, values in rows for f in values})
            for target in Target.objects.filter(person_id__in=ids).values("pk", *fields):
                existing[(target["person_id"], target["metric"], target["period"])] = (
                    target["pk"],
                    target,
                    True,
                )
        creates, updates = self.classify(rows, existing)
        self.count(creates, updates)
        return creates, updates

    def write(self, plan) -> None:
        self.write_plain(*plan, make=lambda values: Target(**values))


def dumps(value) -> str:
    return json.dumps(value, default=jsonable)


def _importers():
    from firstline.io.opportunities import OpportunityImporter
    from firstline.io.people import PersonImporter

    return {
        "people": PersonImporter,
        "accounts": AccountImporter,
        "products": ProductImporter,
        "opportunities": OpportunityImporter,
        "targets": TargetImporter,
    }


class _Lazy(dict):
    def __missing__(self, key):
        self.update(_importers())
        return dict.__getitem__(self, key)


IMPORTERS = _Lazy()
