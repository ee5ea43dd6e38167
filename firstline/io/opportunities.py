"""Opportunities and their stage history: the big import, written through the fast path (core.bulk)."""

from array import array
from datetime import date, datetime, time
from itertools import chain, repeat

from django.conf import settings
from django.db import connection
from django.db.models import Max
from django.utils import timezone

from firstline.core.bulk import (
    adapt_datetime,
    in_many,
    indexes_rebuilt,
    insert_rows,
    reserve_ids,
    stored,
    table_columns,
)
from firstline.io.engine import Cells, Index, resolve
from firstline.io.importers import CHUNK, Importer, jsonable, people_in_reach, person_index
from firstline.io.values import ValueProblem, normalise, parse_date
from firstline.kpis.rollup import NewDeals
from firstline.pipeline.models import Account, Opportunity, Outcome, Product, SalesStage, StageChange

WON_WORDS = {"won", "closedwon", "win", "dealwon", "signed", "booked"}
LOST_WORDS = {"lost", "closedlost", "deallost", "lose", "closedlostnodecision", "nodecision"}
COLUMNS = table_columns(Opportunity)  # id, external_id, then the fields an update compares
COMPARED = COLUMNS[2:]
ROW = COLUMNS[1:]
# The columns the driver would adapt value by value (see core.bulk.stored); the rest go in as they are.
DATES_AND_AMOUNTS = {
    field.column
    for field in Opportunity._meta.concrete_fields
    if field.get_internal_type() in {"DateField", "DecimalField"}
}
# From this many new deals on, their KPI rows are counted in a thread while the database works.
COUNT_MEANWHILE_FROM = 20_000
DAYS_PER_STATEMENT = 5_000  # two parameters each, within both databases' limits
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
    """Planned and written column by column: a million deals are a few lists, not a million dicts
    or tuples, and each check or conversion runs over a whole column."""

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
        stage_of = {value: stages.find(value) for value in dict.fromkeys(v["stage"]) if value is not None}
        stage_ids = list(map(stage_of.get, v["stage"]))
        live = self._checked(v, lines, owners, stage_ids)
        columns = {"owner_id": owners, "stage_id": stage_ids, "created": v["created"]}
        for name, ids in (("account", accounts), ("product", products)):
            if name in v:
                columns[f"{name}_id"] = ids
        for name in ("external_id", "name", "engaged_on", "close_date"):
            if name in v:
                columns[name] = v[name]
        for name, length in TEXT.items():
            if name in v:
                columns[name] = [(text or "")[:length] for text in v[name]]
        if "amount" in v:
            columns["amount"] = [amount[0] if amount else None for amount in v["amount"]]
            fallback = self.context.mapping.currency or settings.DEFAULT_CURRENCY
            columns["currency"] = [
                (named or (amount[1] if amount else None) or fallback).upper()[:3]
                for named, amount in zip(v.get("currency", empty), v["amount"], strict=True)
            ]
        outcome = stages.outcome
        columns["closed_on"] = [
            None if stage is None or outcome[stage] == Outcome.OPEN else closed or close
            for stage, closed, close in zip(
                stage_ids, v.get("closed_on", empty), columns.get("close_date", empty), strict=True
            )
        ]
        live = self._named(columns, live, lines)
        history = self._history(v.get("stage_history"), lines, stages) if "stage_history" in v else {}
        live = [i for i in live if lines[i] not in self.report.rejected_rows]
        planned = _Planned({name: columns.get(name, ABSENT) for name in ROW}, lines, live)
        creates, updates = self._classify(planned)
        self.count(creates, updates)
        return planned.select(creates), updates, history

    def _checked(self, v, lines, owners, stage_ids) -> list[int]:
        """Indices of the rows with a stage, a created day and an owner; the others are rejected."""
        live, rejected = [], self.report.rejected_rows
        for i, (stage, created, owner) in enumerate(zip(stage_ids, v["created"], owners, strict=True)):
            if rejected and lines[i] in rejected:
                continue
            if stage is None:
                value = v["stage"][i]
                reason = (
                    "is empty"
                    if value is None
                    else "is not a stage of the sales process (an admin can add it)"
                )
                self.report.reject(lines[i], "stage", value or "", reason)
            elif created is None:
                self.report.reject(lines[i], "created", "", "is empty")
            elif owner is None:
                if v["owner"][i] is None:
                    self.report.reject(lines[i], "owner", "", "is empty")
            else:
                live.append(i)
        return live

    def _named(self, columns: dict, live: list[int], lines) -> list[int]:
        """A missing name is derived (account – product, else the external id); a row with nothing to
        name it by is rejected. Returns the rows still live."""
        names = columns.setdefault("name", [None] * len(lines))
        unnamed = [i for i in live if not names[i]]
        if not unnamed:
            return live
        accounts, products = columns.get("account_id"), columns.get("product_id")
        account_names = dict(
            Account.objects.filter(
                pk__in=in_many({accounts[i] for i in unnamed if accounts and accounts[i]})
            ).values_list("pk", "name")
        )
        product_names = dict(Product.objects.values_list("pk", "name"))
        externals = columns.get("external_id")
        names = columns["name"] = list(names)  # the file's column is shared with nothing else now
        for i in unnamed:
            parts = (
                account_names.get(accounts[i]) if accounts else None,
                product_names.get(products[i]) if products else None,
            )
            names[i] = (" – ".join(x for x in parts if x) or (externals[i] if externals else None) or "")[
                :200
            ]
            if not names[i]:
                self.report.reject(
                    lines[i], "name", "", "is empty and there is no account, product or id to name it by"
                )
        return [i for i in live if names[i]]

    def _classify(self, planned: "_Planned"):
        """Creates (positions in the planned columns) and updates [(pk, new, old)]; a key twice in the
        file is rejected, and so is a deal the actor may not change."""
        keys = planned.keys()
        dropped = set()
        if len(set(keys)) != len(keys):
            first_line: dict = {}
            for position, key in enumerate(keys):
                line = planned.line(position)
                first = first_line.setdefault(key, line)
                if first != line:
                    self.report.reject(line, "", str(key), f"is the same {self.key_label} as line {first}")
                    dropped.add(position)
        existing = self._existing(keys)
        if not existing and not dropped:
            return range(len(keys)), []  # all new: the usual case of a first import
        creates, updates = array("l"), []
        for position, key in enumerate(keys):
            if position in dropped:
                continue
            if key not in existing:
                creates.append(position)
                continue
            pk, current, in_scope = existing[key]
            if not in_scope:
                self.report.reject(
                    planned.line(position), "", str(key), "cannot be used: it is not yours to change"
                )
                continue
            changed = {f: value for f, value in planned.row(position).items() if current.get(f) != value}
            if changed:
                updates.append((pk, changed, {f: jsonable(current[f]) for f in changed}))
            else:
                self.report.unchanged += 1
        return creates, updates

    def _accounts(self, names, owners, lines):
        """Each distinct account name found once; one the mapping lets create is created (owned by
        the first row's owner that names it) after a second look, so "ACME" finds a new "Acme"."""
        index = Index(
            Account.objects.visible_to(self.context.actor).values_list("pk", "name", "external_id"),
            "account you can see",
        )
        found = {None: None}
        for value in dict.fromkeys(names):
            if value is not None:
                found[value] = index.find(value, self.context)
        missing = {value for value, pk in found.items() if pk is None and value is not None}
        if missing and "account" in self.context.mapping.create_missing:
            owner_of = {}
            for value, owner in zip(names, owners, strict=True):
                if value in missing and owner is not None:
                    owner_of.setdefault(value, owner)
            for value in [value for value in found if value in owner_of]:
                pk = index.find(value, self.context)
                if pk is None:
                    account = Account.objects.create(name=value.strip()[:200], owner_id=owner_of[value])
                    self.context.created(Account, [account.pk])
                    pk = account.pk
                    index.add(pk, account.name)
                found[value] = pk
                missing.discard(value)
        if missing:
            for value, line in zip(names, lines, strict=True):
                if value in missing:
                    self.report.reject(line, "account", value, "no account you can see by this id or name")
        return list(map(found.__getitem__, names))

    def _products(self) -> Index:
        return Index(Product.objects.values_list("pk", "name", "code"), "product")

    def _new_product(self, value: str) -> int:
        product = Product.objects.create(
            name=value.strip()[:200], code=normalise(value).upper()[:50] or value[:50]
        )
        self.context.created(Product, [product.pk])
        return product.pk

    def _existing(self, keys: list) -> dict:
        """The deals already there for these keys (external ids, else owner, account and name):
        key → (pk, {field: value}, editable by the actor). One query per kind of key."""
        if not Opportunity.objects.exists():
            return {}  # a first import: nothing to look up, however many keys
        by_id = [key for key in keys if isinstance(key, str)]
        natural = [key for key in keys if not isinstance(key, str)]
        found = {}
        if by_id:
            query = Opportunity.objects.filter(external_id__in=in_many(by_id))
            for row in query.values("pk", "external_id", *COMPARED).iterator(CHUNK):
                found[row["external_id"]] = row
        if natural:
            query = Opportunity.objects.filter(
                name__in=in_many({name for _o, _a, name in natural}),
                owner_id__in=in_many({owner for owner, _a, _n in natural}),
            )
            wanted = set(natural)
            for row in query.values("pk", *COMPARED).iterator(CHUNK):
                key = (row["owner_id"], row["account_id"], row["name"])
                if key in wanted:
                    found.setdefault(key, row)
        if not found:
            return {}
        scope = Opportunity.objects.editable_by(self.context.actor)
        ids = [row["pk"] for row in found.values()]
        editable = set(scope.filter(pk__in=in_many(ids)).values_list("pk", flat=True))
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
        }
        columns = []
        for name in ROW:
            column = creates.columns[name]
            if column is ABSENT:
                column = repeat(defaults[name])
            elif name in DATES_AND_AMOUNTS:
                column = stored(column)
            columns.append(column)
        stages, created = creates.columns["stage_id"], creates.columns["created"]
        passed = {}
        if history:
            passed = {
                pk: [stage for stage, _day in history[line]]
                for pk, line in zip(ids, creates.lines, strict=True)
                if history.get(line)
            }
        self.context.new_deals = NewDeals(
            ids=ids,
            owners=creates.columns["owner_id"],
            amounts=_or_none(creates.columns["amount"], len(creates)),
            stages=stages,
            created=created,
            close_dates=_or_none(creates.columns["close_date"], len(creates)),
            closed_on=creates.columns["closed_on"],
            passed=passed,
        )
        with indexes_rebuilt(Opportunity, len(creates)):
            insert_rows(Opportunity, COLUMNS, zip(ids, *columns, strict=False), self.context.progress)
            del columns  # as stored: names, ids and texts of a million rows are not needed again
            for name in ("external_id", "name", "account_id", "product_id", "currency", *TEXT):
                creates.columns[name] = ABSENT
        if len(creates) >= COUNT_MEANWHILE_FROM:
            self.context.new_deals.count_meanwhile()  # while SQLite writes the stage changes
        self.context.created(Opportunity, ids)
        # One stage change per deal: to its stage, on the day it closed or began; or the file's history.
        days = [closed or began for closed, began in zip(creates.columns["closed_on"], created, strict=True)]
        if history or not isinstance(ids, range):
            deals, steps, days = _with_history(ids, creates.lines, stages, days, history)
            self._write_changes(deals, steps, list(map(_Moments().__getitem__, days)))
        else:
            self._write_first_changes(ids, days)
        self.write_updates([(pk, new, old) for pk, new, old in updates])
        moved = [(pk, new["stage_id"]) for pk, new, _old in updates if "stage_id" in new]
        if moved:
            deals, steps = zip(*moved, strict=True)
            self._write_changes(deals, steps, repeat(adapt_datetime(timezone.now())))

    def _write_changes(self, deals, stages, moments) -> None:
        """Stage changes of `deals` to `stages` at `moments` (as stored), made by the importing person."""
        if not len(deals):
            return
        ids = reserve_ids(StageChange, len(deals))
        with indexes_rebuilt(StageChange, len(deals)):
            insert_rows(
                StageChange,
                table_columns(StageChange),
                zip(ids, deals, stages, moments, repeat(self.who.person_id)),
            )

    def _write_first_changes(self, ids: range, days: list) -> None:
        """The one stage change of each deal in `ids` (to its stage, at 9:00 on `days`), made by the
        database from the deals just written: a statement per few thousand distinct days, where rows
        sent one by one cost several times as much (a million deals have a few thousand days)."""
        if not ids:
            return
        quote = connection.ops.quote_name
        changes, deals = quote(StageChange._meta.db_table), quote(Opportunity._meta.db_table)
        moments, distinct = _Moments(), sorted(set(days))
        with indexes_rebuilt(StageChange, len(ids)), connection.cursor() as cursor:
            for start in range(0, len(distinct), DAYS_PER_STATEMENT):
                chunk = distinct[start : start + DAYS_PER_STATEMENT]
                values = ", ".join(["(%s, %s)"] * len(chunk))
                cursor.execute(
                    f"WITH moment (day, at) AS (VALUES {values}) "
                    f"INSERT INTO {changes} (opportunity_id, stage_id, changed_at, changed_by_id) "
                    f"SELECT deal.id, deal.stage_id, moment.at, %s FROM {deals} deal "
                    "JOIN moment ON moment.day = COALESCE(deal.closed_on, deal.created) "
                    "WHERE deal.id BETWEEN %s AND %s ORDER BY deal.id",
                    [
                        *chain.from_iterable(
                            zip(stored(chunk), map(moments.__getitem__, chunk), strict=True)
                        ),
                        self.who.person_id,
                        ids[0],
                        ids[-1],
                    ],
                )


def _with_history(ids, lines, stages, days, history: dict) -> tuple[list, list, list]:
    """The stage changes of deals where the file gives a history: its steps, else the one change;
    as three columns (deal, stage, day)."""
    deals, steps, step_days = [], [], []
    for pk, line, stage, day in zip(ids, lines, stages, days, strict=True):
        for step, when in history.get(line) or ((stage, day),):
            deals.append(pk)
            steps.append(step)
            step_days.append(when)
    return deals, steps, step_days


class _Moments(dict):
    """A day → the stored value of 9:00 that day, local time: each distinct day converted once."""

    def __missing__(self, day: date):
        value = self[day] = adapt_datetime(
            datetime.combine(day, time(9), tzinfo=timezone.get_current_timezone())
        )
        return value


class _Planned:
    """The planned deals column by column (ABSENT for a field the file has no column for), over the
    rows `live` of the file; `lines` are the file's line numbers of those rows."""

    def __init__(self, columns: dict, lines, live) -> None:
        self.lines = lines
        self.live = live
        every = len(live) == len(lines)
        self.columns = {
            name: column if column is ABSENT or every else [column[i] for i in live]
            for name, column in columns.items()
        }

    def __len__(self) -> int:
        return len(self.live)

    def keys(self) -> list:
        """Each row's key: its external id, else (owner, account, name)."""
        externals = self.columns["external_id"]
        owners, names = self.columns["owner_id"], self.columns["name"]
        accounts = self.columns["account_id"]
        accounts = repeat(None) if accounts is ABSENT else accounts
        if externals is ABSENT:
            return list(zip(owners, accounts, names, strict=False))
        return [
            external or (owner, account, name)
            for external, owner, account, name in zip(externals, owners, accounts, names, strict=False)
        ]

    def line(self, position: int) -> int:
        return self.lines[self.live[position]]

    def row(self, position: int) -> dict:
        return {name: column[position] for name, column in self.columns.items() if column is not ABSENT}

    def select(self, positions) -> "_Created":
        lines = array("l", map(self.line, positions))
        if len(positions) == len(self.live):
            return _Created(self.columns, lines)
        return _Created(
            {
                name: column if column is ABSENT else [column[p] for p in positions]
                for name, column in self.columns.items()
            },
            lines,
        )


class _Created:
    """The deals to create: columns and the file line of each (for their stage history)."""

    def __init__(self, columns: dict, lines: array) -> None:
        self.columns = columns
        self.lines = lines

    def __len__(self) -> int:
        return len(self.lines)


def _or_none(column, length: int) -> list:
    return [None] * length if column is ABSENT else column


__all__ = ["OpportunityImporter", "jsonable"]
