"""Opportunities and their stage history: the big import, written through the fast path (core.bulk)."""

from datetime import date, datetime, time

from django.conf import settings
from django.db.models import Max
from django.utils import timezone

from firstline.core.bulk import adapt_datetime, insert_rows, reserve_ids
from firstline.io.engine import Cells, Index, resolve
from firstline.io.importers import CHUNK, Importer, jsonable, people_in_reach, person_index
from firstline.io.values import ValueProblem, normalise, parse_date
from firstline.pipeline.models import Account, Opportunity, Outcome, Product, SalesStage, StageChange

WON_WORDS = {"won", "closedwon", "win", "dealwon", "signed", "booked"}
LOST_WORDS = {"lost", "closedlost", "deallost", "lose", "closedlostnodecision", "nodecision"}
COMPARED = [
    "name",
    "account_id",
    "owner_id",
    "product_id",
    "amount",
    "currency",
    "stage_id",
    "created",
    "engaged_on",
    "close_date",
    "closed_on",
    "loss_reason",
    "competitor",
    "next_step",
]
COLUMNS = ["id", "external_id", *COMPARED]
ROW = COLUMNS[1:]  # a planned row is a tuple in this order: a dict per row would cost 4x the memory
AT = {name: index for index, name in enumerate(ROW)}
ABSENT = object()  # the file has no column for this field: leave an existing record's value alone
TEXT = {"loss_reason": 200, "competitor": 200, "next_step": 300}


class Stages:
    """Stage names as CRMs write them, matched to the sales process; won and lost are recognised
    without a mapping; an unknown open stage is added after the known ones (admins only)."""

    def __init__(self, importer: "OpportunityImporter") -> None:
        self.importer = importer
        stages = list(SalesStage.objects.values_list("pk", "name", "outcome"))
        self.by_name = {normalise(name): pk for pk, name, _outcome in stages}
        self.outcome = {pk: outcome for pk, _name, outcome in stages}
        self.won = next((pk for pk, _n, outcome in stages if outcome == Outcome.WON), None)
        self.lost = next((pk for pk, _n, outcome in stages if outcome == Outcome.LOST), None)

    def find(self, value: str) -> int | None:
        key = normalise(value)
        pk = self.by_name.get(key)
        if pk is None and (key in WON_WORDS or key.startswith("closedwon")):
            pk = self.won
        if pk is None and (key in LOST_WORDS or key.startswith("closedlost")):
            pk = self.lost
        if pk is None and key and self.importer.who.is_admin:
            pk = self._add(value, key)
        return pk

    def _add(self, value: str, key: str) -> int:
        """A new stage: won or lost if the process has none yet (a fresh install), else open, last."""
        outcome = Outcome.OPEN
        if key in WON_WORDS or key.startswith("closedwon"):
            outcome = Outcome.WON
        elif key in LOST_WORDS or key.startswith("closedlost"):
            outcome = Outcome.LOST
        order = (SalesStage.objects.aggregate(top=Max("order"))["top"] or 0) + 1
        probability = {Outcome.WON: 100, Outcome.LOST: 0}.get(outcome, 0)
        stage = SalesStage.objects.create(
            name=value.strip()[:100], order=order, probability=probability, outcome=outcome
        )
        self.importer.context.created(SalesStage, [stage.pk])
        self.importer.report.notes.append(
            f"Added the {outcome} stage {stage.name!r} after the known ones"
            + (" (probability 0 %: set it on the sales process)." if outcome == Outcome.OPEN else ".")
        )
        self.by_name[key] = stage.pk
        self.outcome[stage.pk] = outcome
        if outcome == Outcome.WON:
            self.won = stage.pk
        elif outcome == Outcome.LOST:
            self.lost = stage.pk
        return stage.pk


class OpportunityImporter(Importer):
    model = Opportunity
    key_label = "opportunity"

    def plan(self, cells: Cells):
        v, lines, context = cells.values, cells.lines, self.context
        n = len(lines)
        empty = [None] * n
        owners = resolve(v["owner"], person_index(people_in_reach(context.actor)), "owner", lines, context)
        accounts = self._accounts(v.get("account", empty), owners, lines)
        products = resolve(
            v.get("product", empty), self._products(), "product", lines, context, self._new_product
        )
        stages = Stages(self)
        stage_ids = [None if value is None else stages.find(value) for value in v["stage"]]
        account_names = (
            dict(Account.objects.filter(pk__in={a for a in accounts if a}).values_list("pk", "name"))
            if "name" not in v or None in v["name"]
            else {}
        )
        product_names = dict(Product.objects.values_list("pk", "name"))
        mapped = set(v)
        rows = []
        for i in self.live(cells):
            values = self._row(i, v, mapped, owners, accounts, products, stage_ids, stages, lines[i], empty)
            if values is None:
                continue
            if not values.get("name"):
                values["name"] = (
                    " – ".join(
                        x
                        for x in (
                            account_names.get(values.get("account_id")),
                            product_names.get(values.get("product_id")),
                        )
                        if x
                    )
                    or values.get("external_id")
                    or ""
                )
                if not values["name"]:
                    self.report.reject(
                        lines[i], "name", "", "is empty and there is no account, product or id to name it by"
                    )
                    continue
                values["name"] = values["name"][:200]
            key = values.get("external_id") or (values["owner_id"], values.get("account_id"), values["name"])
            rows.append((lines[i], key, tuple(values.get(name, ABSENT) for name in ROW)))
        rows = [row for row in rows if row[0] not in self.report.rejected_rows]
        existing = self._existing(rows)
        creates, updates = self.classify(rows, existing)
        self.count(creates, updates)
        history = self._history(v.get("stage_history"), lines, stages) if "stage_history" in v else {}
        return creates, updates, history

    def unpack(self, row: tuple) -> dict:
        return {name: value for name, value in zip(ROW, row, strict=True) if value is not ABSENT}

    def _row(self, i, v, mapped, owners, accounts, products, stage_ids, stages, line, empty):
        if v["stage"][i] is None or stage_ids[i] is None:
            reason = (
                "is empty"
                if v["stage"][i] is None
                else "is not a stage of the sales process (an admin can add it)"
            )
            self.report.reject(line, "stage", v["stage"][i] or "", reason)
            return None
        if v["created"][i] is None:
            self.report.reject(line, "created", "", "is empty")
            return None
        if owners[i] is None:
            if v["owner"][i] is None:
                self.report.reject(line, "owner", "", "is empty")
            return None
        values = {"owner_id": owners[i], "stage_id": stage_ids[i], "created": v["created"][i]}
        for name, ids in (("account", accounts), ("product", products)):
            if name in mapped:
                values[f"{name}_id"] = ids[i]
        for name in ("external_id", "name", "engaged_on", "close_date"):
            if name in mapped:
                values[name] = v[name][i]
        for name, length in TEXT.items():
            if name in mapped:
                values[name] = (v[name][i] or "")[:length]
        if "amount" in mapped:
            amount = v["amount"][i]
            values["amount"] = amount[0] if amount else None
            currency = v.get("currency", empty)[i] or (amount[1] if amount else None)
            values["currency"] = (
                currency or self.context.mapping.currency or settings.DEFAULT_CURRENCY
            ).upper()[:3]
        closed = stages.outcome[stage_ids[i]] != Outcome.OPEN
        values["closed_on"] = (v.get("closed_on", empty)[i] or values.get("close_date")) if closed else None
        return values

    def _accounts(self, names, owners, lines):
        index = Index(
            Account.objects.visible_to(self.context.actor).values_list("pk", "name", "external_id"),
            "account you can see",
        )
        create = "account" in self.context.mapping.create_missing
        result, made = [], {}
        for value, owner, line in zip(names, owners, lines, strict=True):
            if value is None:
                result.append(None)
                continue
            pk = index.find(value, self.context) or made.get(value)
            if pk is None and create and owner is not None:
                account = Account.objects.create(name=value.strip()[:200], owner_id=owner)
                self.context.created(Account, [account.pk])
                pk = made[value] = account.pk
                index.add(pk, account.name)
            if pk is None:
                self.report.reject(line, "account", value, "no account you can see by this id or name")
            result.append(pk)
        return result

    def _products(self) -> Index:
        return Index(Product.objects.values_list("pk", "name", "code"), "product")

    def _new_product(self, value: str) -> int:
        product = Product.objects.create(
            name=value.strip()[:200], code=normalise(value).upper()[:50] or value[:50]
        )
        self.context.created(Product, [product.pk])
        return product.pk

    def _existing(self, rows) -> dict:
        by_id = [key for _line, key, _values in rows if isinstance(key, str)]
        natural = [key for _line, key, _values in rows if not isinstance(key, str)]
        scope = Opportunity.objects.editable_by(self.context.actor)
        found = {}
        for start in range(0, len(by_id), CHUNK):
            for row in Opportunity.objects.filter(external_id__in=by_id[start : start + CHUNK]).values(
                "pk", "external_id", *COMPARED
            ):
                found[row["external_id"]] = row
        for start in range(0, len(natural), CHUNK):
            chunk = natural[start : start + CHUNK]
            query = Opportunity.objects.filter(
                name__in={name for _o, _a, name in chunk}, owner_id__in={o for o, _a, _n in chunk}
            )
            for row in query.values("pk", *COMPARED):
                found.setdefault((row["owner_id"], row["account_id"], row["name"]), row)
        ids = [row["pk"] for row in found.values()]
        editable = set()
        for start in range(0, len(ids), CHUNK):
            editable |= set(scope.filter(pk__in=ids[start : start + CHUNK]).values_list("pk", flat=True))
        return {key: (row["pk"], row, row["pk"] in editable) for key, row in found.items()}

    def _history(self, column, lines, stages) -> dict[int, list]:
        """ "Prospect 2024-01-05; Propose 2024-02-10; Closed Won 2024-03-01" → [(stage id, day), …]."""
        history = {}
        for value, line in zip(column, lines, strict=True):
            if not value:
                continue
            steps = []
            for entry in filter(None, (part.strip() for part in value.replace("|", ";").split(";"))):
                name, _, day = entry.rpartition(" ")
                try:
                    when = parse_date(day, "iso")
                except ValueProblem as problem:
                    self.report.reject(line, "stage_history", entry, str(problem))
                    continue
                stage = stages.find(name) if name else None
                if stage is None:
                    self.report.reject(line, "stage_history", entry, "names no stage of the sales process")
                    continue
                steps.append((stage, when))
            history[line] = sorted(steps, key=lambda step: step[1])
        return history

    def write(self, plan) -> None:
        creates, updates, history = plan
        ids = reserve_ids(Opportunity, len(creates))
        currency = self.context.mapping.currency or settings.DEFAULT_CURRENCY
        defaults = {
            "external_id": None,
            "name": "",
            "account_id": None,
            "product_id": None,
            "amount": None,
            "currency": currency,
            "engaged_on": None,
            "close_date": None,
            "loss_reason": "",
            "competitor": "",
            "next_step": "",
            # Always in the row; here so that every column has a default to fall back on.
            "owner_id": None,
            "stage_id": None,
            "created": None,
            "closed_on": None,
        }
        fallback = [defaults[name] for name in ROW]
        rows = (
            (pk, *[d if value is ABSENT else value for value, d in zip(row, fallback, strict=True)])
            for pk, (_line, row) in zip(ids, creates, strict=True)
        )
        insert_rows(Opportunity, COLUMNS, rows, self.context.progress)
        self.context.created(Opportunity, ids)
        moments: dict[date, object] = {}  # one stored value per day, not one conversion per row

        def moment(day: date):
            if day not in moments:
                moments[day] = adapt_datetime(_moment(day))
            return moments[day]

        changes = []
        stage, closed_on, created = AT["stage_id"], AT["closed_on"], AT["created"]
        for pk, (line, row) in zip(ids, creates, strict=True):
            steps = history.get(line) or [(row[stage], row[closed_on] or row[created])]
            changes += [(pk, stage, moment(day)) for stage, day in steps]
        self._write_changes(changes)
        self.write_updates([(pk, new, old) for pk, new, old in updates])
        now = adapt_datetime(timezone.now())
        self._write_changes([(pk, new["stage_id"], now) for pk, new, _old in updates if "stage_id" in new])

    def _write_changes(self, changes) -> None:
        if not changes:
            return
        ids = reserve_ids(StageChange, len(changes))
        insert_rows(
            StageChange,
            ["id", "opportunity_id", "stage_id", "changed_at", "changed_by_id"],
            (
                (pk, opportunity, stage, at, self.who.person_id)
                for pk, (opportunity, stage, at) in zip(ids, changes, strict=True)
            ),
        )


def _moment(day: date) -> datetime:
    return datetime.combine(day, time(9), tzinfo=timezone.get_current_timezone())


__all__ = ["OpportunityImporter", "jsonable"]
