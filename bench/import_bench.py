"""Import 1,000,000 opportunities from a CRM-like CSV, three ways side by side, in fresh databases.

    .venv/bin/python bench/import_bench.py                      # SQLite, 1,000,000 rows
    .venv/bin/python bench/import_bench.py --rows 100000 --die-rows 20000
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/fl_bench .venv/bin/python bench/import_bench.py

The file has 2,000 owners and 20,000 accounts to resolve by name, and a few per cent messy values
(amounts like "USD 1,054.00" and "1.054,00 €", names in other case and spacing, "Won" for "Closed Won").

  ours    `firstline.io.engine.run_import` on the messy file, end to end (read, map, check, resolve, write)
  django-import-export   4.x in its fastest configuration (use_bulk, skip_diff, no row results, a
          transaction) on the first --die-rows rows of a *clean* copy (canonical values: its widgets
          cannot read the messy ones), which favours it
  raw     the limit: the already-parsed rows (ids resolved, values typed) inserted with executemany
          (SQLite) or COPY (PostgreSQL) into the same table; parsing is not timed
  raw, indexes rebuilt   the same, with the table's secondary indexes dropped first and built again
          at the end in the same transaction (core.bulk.indexes_rebuilt, as ours does on SQLite)

Each runs in its own child process on a fresh database (SQLite: a copy of one prepared file;
PostgreSQL: the opportunity tables emptied first), and reports rows per second, peak memory (ru_maxrss
of that child alone) and the child's CPU time (with Django's start-up and, for raw, the untimed parsing).
"""

import argparse
import csv
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
OWNERS, ACCOUNTS = 2_000, 20_000
STAGES = [
    ("Prospect", 10, "open"),
    ("Qualify", 25, "open"),
    ("Propose", 60, "open"),
    ("Negotiate", 80, "open"),
    ("Closed Won", 100, "won"),
    ("Closed Lost", 0, "lost"),
]
HEADER = [
    "Opportunity ID",
    "Opportunity Name",
    "Opportunity Owner",
    "Account Name",
    "Amount",
    "Stage",
    "Created Date",
    "Close Date",
]


def owner_name(i: int) -> str:
    return f"Seller {i:04d} Example"


def account_name(i: int) -> str:
    return f"Account {i:05d} Corp"


def write_files(folder: Path, rows: int, seed: int) -> tuple[Path, Path]:
    """The messy CSV for ours and a clean copy (same rows, canonical values) for django-import-export."""
    rng = random.Random(seed)
    messy_path, clean_path = folder / "deals.csv", folder / "deals-clean.csv"
    with (
        messy_path.open("w", newline="", encoding="utf-8") as messy,
        clean_path.open("w", newline="") as clean,
    ):
        messy_out, clean_out = csv.writer(messy), csv.writer(clean)
        messy_out.writerow(HEADER)
        clean_out.writerow(HEADER)
        start = date(2023, 1, 1)
        for n in range(rows):
            owner, account = owner_name(rng.randrange(OWNERS)), account_name(rng.randrange(ACCOUNTS))
            amount = rng.randrange(500, 200_000)
            stage = STAGES[rng.randrange(len(STAGES))][0]
            created = start + timedelta(days=rng.randrange(900))
            close = created + timedelta(days=rng.randrange(10, 200))
            clean_row = [
                f"B-{n:07d}",
                f"Deal {n}",
                owner,
                account,
                f"{amount}.00",
                stage,
                created.isoformat(),
                close.isoformat(),
            ]
            messy_row = list(clean_row)
            roll = rng.random()
            if roll < 0.02:
                messy_row[4] = f"USD {amount:,}.00"
            elif roll < 0.04:
                messy_row[4] = f"{amount:,}.00 €".replace(",", ".").replace(".00 €", ",00 €")
            elif roll < 0.05:
                messy_row[2] = owner.upper().replace(" ", "  ")
            elif roll < 0.06:
                messy_row[3] = account.lower() + "."
            elif roll < 0.07 and stage == "Closed Won":
                messy_row[5] = "Won"
            messy_out.writerow(messy_row)
            clean_out.writerow(clean_row)
    return messy_path, clean_path


def setup_django(database_url: str) -> None:
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DEBUG", "false")
    os.environ["DJANGO_SETTINGS_MODULE"] = "firstline.settings"
    import django

    django.setup()


def prepare_database() -> None:
    """Migrate and fill the references every contender resolves: owners, accounts, stages, an admin."""
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    from firstline.org.models import Person
    from firstline.pipeline.models import Account, SalesStage

    call_command("migrate", verbosity=0)
    get_user_model().objects.create_user("bench-admin", is_superuser=True)
    people = Person.objects.bulk_create(
        Person(name=owner_name(i), email=f"seller{i}@bench.test") for i in range(OWNERS)
    )
    Account.objects.bulk_create(
        (Account(name=account_name(i), owner_id=people[i % OWNERS].pk) for i in range(ACCOUNTS)),
        batch_size=2000,
    )
    SalesStage.objects.bulk_create(
        SalesStage(name=name, order=order, probability=p, outcome=o)
        for order, (name, p, o) in enumerate(STAGES)
    )


def empty_deals() -> None:
    """Every deal and what hangs on it gone, at once (a QuerySet.delete() of 200,000 deals collects
    them one by one for minutes)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE pipeline_stagechange, pipeline_opportunity CASCADE")


def run_ours(path: Path) -> int:
    from django.contrib.auth import get_user_model

    from firstline.io.engine import run_import

    admin = get_user_model().objects.get(username="bench-admin")
    report, _changes = run_import(
        actor=admin, kind="opportunities", data=path.read_bytes(), filename=path.name
    )
    assert report.written, report.rejected[:5]
    return report.created


def run_die(path: Path, rows: int) -> int:
    import tablib
    from import_export import fields, resources, widgets

    from firstline.org.models import Person
    from firstline.pipeline.models import Account, Opportunity, SalesStage

    class OpportunityResource(resources.ModelResource):
        external_id = fields.Field(attribute="external_id", column_name="Opportunity ID")
        name = fields.Field(attribute="name", column_name="Opportunity Name")
        owner = fields.Field(
            attribute="owner",
            column_name="Opportunity Owner",
            widget=widgets.ForeignKeyWidget(Person, "name"),
        )
        account = fields.Field(
            attribute="account", column_name="Account Name", widget=widgets.ForeignKeyWidget(Account, "name")
        )
        amount = fields.Field(attribute="amount", column_name="Amount", widget=widgets.DecimalWidget())
        stage = fields.Field(
            attribute="stage", column_name="Stage", widget=widgets.ForeignKeyWidget(SalesStage, "name")
        )
        created = fields.Field(
            attribute="created", column_name="Created Date", widget=widgets.DateWidget("%Y-%m-%d")
        )
        close_date = fields.Field(
            attribute="close_date", column_name="Close Date", widget=widgets.DateWidget("%Y-%m-%d")
        )

        class Meta:
            model = Opportunity
            fields = ("external_id", "name", "owner", "account", "amount", "stage", "created", "close_date")
            import_id_fields = ("external_id",)
            use_bulk = True
            batch_size = 1000
            skip_diff = True
            force_init_instance = True  # every row is new: no lookup of an existing instance per row
            use_transactions = True

    with path.open(newline="") as handle:
        lines = handle.read().splitlines()[: rows + 1]
    dataset = tablib.Dataset().load("\n".join(lines), format="csv")
    result = OpportunityResource().import_data(
        dataset, dry_run=False, raise_errors=True, collect_failed_rows=False
    )
    return result.totals["new"]


def run_raw(path: Path, rebuild: bool) -> int:
    """Parse and resolve outside the clock, then time only the INSERTs of the typed rows."""
    from decimal import Decimal

    from django.conf import settings
    from django.db import connection, transaction

    from firstline.core.bulk import indexes_rebuilt, insert_rows, reserve_ids
    from firstline.org.models import Person
    from firstline.pipeline.models import Account, Opportunity, SalesStage

    owners = dict(Person.objects.values_list("name", "pk"))
    accounts = dict(Account.objects.values_list("name", "pk"))
    stages = dict(SalesStage.objects.values_list("name", "pk"))
    with path.open(newline="") as handle:
        reader = csv.reader(handle)
        next(reader)
        rows = [
            (
                r[0],
                r[1],
                accounts[r[3]],
                owners[r[2]],
                Decimal(r[4]),
                settings.DEFAULT_CURRENCY,
                stages[r[5]],
                date.fromisoformat(r[6]),
                date.fromisoformat(r[7]),
            )
            for r in reader
        ]
    columns = [
        "id",
        "external_id",
        "name",
        "account_id",
        "owner_id",
        "amount",
        "currency",
        "stage_id",
        "created",
        "close_date",
        "loss_reason",
        "competitor",
        "next_step",
    ]
    started = time.perf_counter()
    with transaction.atomic(), indexes_rebuilt(Opportunity, len(rows) if rebuild else 0):
        ids = reserve_ids(Opportunity, len(rows))
        if connection.vendor == "sqlite":
            # The plainest write there is: one executemany of every row through the driver.
            placeholders = ", ".join("?" * len(columns))
            raw = connection.connection
            raw.executemany(
                f"INSERT INTO pipeline_opportunity ({', '.join(columns)}) VALUES ({placeholders})",
                ((pk, *row, "", "", "") for pk, row in zip(ids, rows, strict=True)),
            )
        else:
            insert_rows(
                Opportunity, columns, ((pk, *row, "", "", "") for pk, row in zip(ids, rows, strict=True))
            )
    print(json.dumps({"timed_seconds": time.perf_counter() - started}))
    return len(rows)


def child(arguments) -> None:
    setup_django(arguments.database_url)
    if arguments.child == "prepare":
        prepare_database()
        return
    if arguments.child == "empty":
        empty_deals()
        return
    started = time.perf_counter()
    if arguments.child == "ours":
        rows = run_ours(Path(arguments.file))
    elif arguments.child == "die":
        rows = run_die(Path(arguments.file), arguments.die_rows)
    else:
        rows = run_raw(Path(arguments.file), rebuild=arguments.child == "raw-rebuilt")
    print(json.dumps({"rows": rows, "seconds": time.perf_counter() - started}))


def spawn(kind: str, database_url: str, file: Path | None = None, die_rows: int = 0) -> dict:
    command = [
        sys.executable,
        __file__,
        "--child",
        kind,
        "--database-url",
        database_url,
        "--die-rows",
        str(die_rows),
    ]
    if file:
        command += ["--file", str(file)]
    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    output = process.stdout.read()
    _pid, status, usage = os.wait4(process.pid, 0)
    if os.waitstatus_to_exitcode(status):
        raise SystemExit(f"{kind} failed:\n{output}")
    result = {}
    for line in output.splitlines():
        if line.startswith("{"):
            result.update(json.loads(line))
    result.update(
        wall=time.perf_counter() - started,
        peak_mib=usage.ru_maxrss / 1024,
        cpu=usage.ru_utime + usage.ru_stime,  # on a shared machine, a steadier measure than the wall clock
    )
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--die-rows", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--only",
        choices=["ours", "django-import-export", "raw", "raw, indexes rebuilt"],
        help="Run one contender (no ratios).",
    )
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--file", help=argparse.SUPPRESS)
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL", ""), help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.child:
        child(arguments)
        return 0
    with tempfile.TemporaryDirectory(prefix="firstline-import-bench-") as directory:
        folder = Path(directory)
        messy, clean = write_files(folder, arguments.rows, arguments.seed)
        print(
            f"{arguments.rows:,} opportunities, {OWNERS:,} owners and {ACCOUNTS:,} accounts to resolve; "
            f"file {messy.stat().st_size / 2**20:.0f} MiB"
        )
        postgres = arguments.database_url.startswith("postgres")
        template = folder / "template.sqlite3"
        spawn("prepare", arguments.database_url if postgres else f"sqlite:///{template}")
        results = {}
        contenders = [
            ("ours", messy, 0),
            ("django-import-export", clean, arguments.die_rows),
            ("raw", clean, 0),
            ("raw, indexes rebuilt", clean, 0),
        ]
        for name, file, rows in contenders:
            if arguments.only and name != arguments.only:
                continue
            if postgres:
                url = arguments.database_url
                spawn("empty", url)
            else:
                target = folder / f"{name}.sqlite3"
                shutil.copyfile(template, target)
                url = f"sqlite:///{target}"
            kind = {
                "ours": "ours",
                "django-import-export": "die",
                "raw": "raw",
                "raw, indexes rebuilt": "raw-rebuilt",
            }[name]
            results[name] = spawn(kind, url, file, rows)
            seconds = results[name].get("timed_seconds", results[name]["seconds"])
            results[name]["rate"] = results[name]["rows"] / seconds
            print(
                f"  {name:<22}{results[name]['rows']:>10,} rows {seconds:8.2f} s "
                f"{results[name]['rate']:>12,.0f} rows/s  peak {results[name]['peak_mib']:6.0f} MiB  "
                f"CPU {results[name]['cpu']:6.1f} s (whole child)"
            )
        if arguments.only:
            return 0
        ours = results["ours"]["rate"]
        print(
            "ours / django-import-export: "
            f"{ours / results['django-import-export']['rate']:.1f}x rows per second"
        )
        print(
            f"raw / ours: {results['raw']['rate'] / ours:.1f}x (ours is within this factor of the raw insert)"
        )
        print(
            f"raw with indexes rebuilt / ours: {results['raw, indexes rebuilt']['rate'] / ours:.1f}x "
            "(the same, against the fastest raw insert)"
        )
        print(
            f"ours end to end: {results['ours']['seconds']:.1f} s for {results['ours']['rows']:,} rows "
            f"({'SQLite' if not postgres else 'PostgreSQL, COPY'})"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
