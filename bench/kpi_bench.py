"""Time the full KPI set at scale: Firstline's pre-aggregated roll-ups against DuckDB and plain SQLite.

    .venv/bin/python bench/kpi_bench.py --database /path/to/demo-1m.sqlite3   # reuse a built company
    .venv/bin/python bench/kpi_bench.py --sellers 2000 --opportunities 1000000  # build one first (~6 min)
    DATABASE_URL=postgres://… .venv/bin/python bench/kpi_bench.py               # a company in PostgreSQL

For (a) a first-line team, (b) a region and (c) the whole company, for the last complete quarter and
the last complete fiscal year, the same figures are computed three ways in one run:

- firstline: `kpi_set()` over the roll-ups (what every page, the API and the CLI call);
- duckdb: hand-written SQL over the same deals, memberships and targets exported from the database
  into DuckDB (the columnar reference; the export is not timed);
- sqlite (or postgresql) scan: the same hand-written SQL run on the database itself (a plain scan
  with GROUP BY).

Each prints the median and max of --repeat runs and the ratio to DuckDB, and the script checks that
all three agree on every figure. The funnel is left out of the comparison (its reference would need
the four million stage changes); `firstline+funnel` shows what it adds.
"""

# ruff: noqa: E501  (hand-written SQL reads best one clause per line)
import argparse
import os
import statistics
import subprocess
import sys
import time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

FIGURES = ("won_count", "won_amount", "lost_count", "lost_amount", "open_count", "open_amount",
           "cycle_days", "cycle_count", "created_count", "won_amount_year_before", "target")  # fmt: skip


def reference_sql(team_ids: tuple[int, ...] | None, dates: dict, days: str) -> list[str]:
    """Three statements (closed deals, open deals, deals created, targets): the KPI inputs by a scan.

    Each deal counts for the team its owner was in on the date of the result; `team_ids` None is the
    whole company (no attribution needed)."""

    def attributed(day: str) -> tuple[str, str]:
        if team_ids is None:
            return "", ""
        ids = ",".join(map(str, team_ids))
        join = (
            f" JOIN org_membership m ON m.person_id = o.owner_id AND m.start <= o.{day}"
            f' AND (m."end" IS NULL OR m."end" >= o.{day})'
        )
        return join, f" AND m.team_id IN ({ids})"

    d, table = dates, "pipeline_opportunity"
    join, where = attributed("closed_on")
    closed = (
        "SELECT"
        f" count(*) FILTER (WHERE s.outcome = 'won' AND o.closed_on BETWEEN '{d['start']}' AND '{d['end']}'),"
        f" sum(o.amount) FILTER (WHERE s.outcome = 'won' AND o.closed_on BETWEEN '{d['start']}' AND '{d['end']}'),"
        f" count(*) FILTER (WHERE s.outcome = 'lost' AND o.closed_on BETWEEN '{d['start']}' AND '{d['end']}'),"
        f" sum(o.amount) FILTER (WHERE s.outcome = 'lost' AND o.closed_on BETWEEN '{d['start']}' AND '{d['end']}'),"
        f" sum({days}) FILTER (WHERE s.outcome = 'won'"
        f"   AND o.closed_on BETWEEN '{d['start']}' AND '{d['end']}'),"
        f" sum(o.amount) FILTER (WHERE s.outcome = 'won' AND o.closed_on BETWEEN '{d['prior_start']}'"
        f"   AND '{d['prior_end']}')"
        f" FROM {table} o JOIN pipeline_salesstage s ON s.id = o.stage_id{join}"
        f" WHERE s.outcome <> 'open' AND (o.closed_on BETWEEN '{d['start']}' AND '{d['end']}'"
        f"   OR o.closed_on BETWEEN '{d['prior_start']}' AND '{d['prior_end']}'){where}"
    )
    join, where = attributed("close_date")
    open_deals = (
        f"SELECT count(*), sum(o.amount) FROM {table} o JOIN pipeline_salesstage s ON s.id = o.stage_id{join}"
        f" WHERE s.outcome = 'open' AND o.close_date BETWEEN '{d['start']}' AND '{d['end']}'{where}"
    )
    join, where = attributed("created")
    created = (
        f"SELECT count(*) FROM {table} o{join} WHERE o.created BETWEEN '{d['start']}' AND '{d['end']}'{where}"
    )
    targets = (
        "SELECT sum(t.amount) FROM targets_target t"
        + (
            " JOIN org_membership m ON m.person_id = t.person_id AND m.start <= t.start"
            ' AND (m."end" IS NULL OR m."end" >= t.start)'
            if team_ids is not None
            else ""
        )
        + f" WHERE t.metric = 'revenue' AND NOT t.stretch AND t.person_id IS NOT NULL"
        f" AND t.start >= '{d['start']}' AND t.\"end\" <= '{d['end']}'"
        + (f" AND m.team_id IN ({','.join(map(str, team_ids))})" if team_ids is not None else "")
    )
    return [closed, open_deals, created, targets]


def run_reference(execute, statements) -> dict:
    closed, open_deals, created, targets = (execute(sql) for sql in statements)
    won_count, won_amount, lost_count, lost_amount, cycle_days, prior = closed
    return {
        "won_count": won_count or 0,
        "won_amount": Decimal(str(won_amount or 0)),
        "lost_count": lost_count or 0,
        "lost_amount": Decimal(str(lost_amount or 0)),
        "open_count": open_deals[0] or 0,
        "open_amount": Decimal(str(open_deals[1] or 0)),
        "cycle_days": int(cycle_days or 0),
        "cycle_count": won_count or 0,
        "created_count": created[0] or 0,
        "won_amount_year_before": Decimal(str(prior or 0)),
        "target": Decimal(str(targets[0] or 0)),
    }


def timed(function, repeat: int) -> tuple[float, float, object]:
    result, times = None, []
    for _ in range(repeat):
        started = time.perf_counter()
        result = function()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), max(times), result


def same(a: dict, b: dict) -> bool:
    return all(abs(Decimal(str(a[name])) - Decimal(str(b[name]))) < Decimal("0.01") for name in FIGURES)


def build(arguments) -> Path:
    database = Path(arguments.database)
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{database}", "DEBUG": "false"}
    cli = [sys.executable, "-m", "firstline.cli"]
    subprocess.run([*cli, "migrate", "--verbosity", "0"], cwd=ROOT, env=env, check=True)
    subprocess.run(
        [*cli, "demo", "--sellers", str(arguments.sellers), "--opportunities", str(arguments.opportunities)],
        cwd=ROOT,
        env=env,
        check=True,
    )
    return database


EXPORTED = {
    "pipeline_opportunity": (
        "id, owner_id, amount, stage_id, created, close_date, closed_on",
        "id BIGINT, owner_id BIGINT, amount DECIMAL(18,2), stage_id BIGINT, created DATE,"
        " close_date DATE, closed_on DATE",
    ),
    "pipeline_salesstage": ("id, outcome", "id BIGINT, outcome VARCHAR"),
    "org_membership": (
        'person_id, team_id, start, "end"',
        'person_id BIGINT, team_id BIGINT, start DATE, "end" DATE',
    ),
    "targets_target": (
        'person_id, metric, stretch, start, "end", amount',
        'person_id BIGINT, metric VARCHAR, stretch BOOLEAN, start DATE, "end" DATE, amount DECIMAL(18,2)',
    ),
}


def duckdb_copy(source):
    """The same rows in an in-memory DuckDB, through CSV files (DuckDB's SQLite and PostgreSQL
    readers are extensions it would download, and this machine reaches no such host)."""
    import csv
    import tempfile

    import duckdb

    connection = duckdb.connect()
    with tempfile.TemporaryDirectory(prefix="kpi-bench-") as directory:
        for table, (columns, types) in EXPORTED.items():
            path = Path(directory) / f"{table}.csv"
            with path.open("w", newline="") as file, source.cursor() as cursor:
                cursor.execute(f"SELECT {columns} FROM {table}")
                csv.writer(file).writerows(cursor.fetchall())
            connection.execute(f"CREATE TABLE {table} ({types})")
            connection.execute(f"COPY {table} FROM '{path}' (HEADER false, NULLSTR '')")
    return connection


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", default=str(ROOT.parent / "scale" / "demo-1m.sqlite3"))
    parser.add_argument("--sellers", type=int, default=2_000)
    parser.add_argument("--opportunities", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=7)
    arguments = parser.parse_args()
    if "DATABASE_URL" not in os.environ:
        database = Path(arguments.database)
        if not database.exists():
            build(arguments)
        os.environ["DATABASE_URL"] = f"sqlite:///{database}"
    os.environ.setdefault("DEBUG", "false")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "firstline.settings")
    import django

    django.setup()
    from django.db import connection
    from django.utils import timezone

    from firstline.core.periods import fiscal_calendar
    from firstline.kpis.figures import kpi_set, team_population, year_before
    from firstline.org.models import Team, TeamKind

    calendar = fiscal_calendar()
    today = timezone.localdate()
    quarter = calendar.quarter_of(calendar.quarter_of(today).start - timedelta(days=1))
    year = calendar.year_of(calendar.year_of(today).start - timedelta(days=1))
    root = Team.objects.get(parent=None)
    region = Team.objects.filter(kind=TeamKind.REGION).order_by("path").first()
    first_line = Team.objects.filter(kind=TeamKind.TEAM, parent=region).order_by("path").first()
    print("copying the rows into DuckDB (not timed)…", flush=True)
    duck = duckdb_copy(connection)
    scan = f"{connection.vendor} scan"
    cycle = "(o.closed_on - o.created)" if connection.vendor == "postgresql" else None
    print(f"database: {connection.vendor}, {connection.settings_dict['NAME']}")

    def on_database(sql):
        with connection.cursor() as cursor:
            cursor.execute(sql)
            return cursor.fetchone()

    print(
        f"\n{'population':<34}{'period':<8}{'engine':<16}{'median ms':>10}{'max ms':>9}{'÷ duckdb':>10}  same"
    )
    ok = True
    for team in (first_line, region, root):
        population = team_population(team)
        ids = None if population.kind == "company" else population.team_ids
        for period in (quarter, year):
            prior = year_before(period)
            dates = {
                "start": period.start,
                "end": period.end,
                "prior_start": prior.start,
                "prior_end": prior.end,
            }
            in_duck = reference_sql(ids, dates, "(o.closed_on - o.created)")
            in_db = reference_sql(ids, dates, cycle or "(julianday(o.closed_on) - julianday(o.created))")
            d_med, d_max, d_fig = timed(
                lambda s=in_duck: run_reference(lambda q: duck.execute(q).fetchone(), s), arguments.repeat
            )
            s_med, s_max, s_fig = timed(lambda s=in_db: run_reference(on_database, s), 3)
            f_med, f_max, f_set = timed(
                lambda p=population, q=period: kpi_set(p, q, funnel=False), arguments.repeat
            )
            w_med, w_max, _ = timed(lambda p=population, q=period: kpi_set(p, q), arguments.repeat)
            f_fig = {name: getattr(f_set, name) for name in FIGURES}
            f_fig["target"] = f_set.sellers_target
            agree = same(f_fig, d_fig) and same(f_fig, s_fig)
            ok &= agree
            label = f"{team.get_kind_display()} {team.name}"[:33]
            for engine, med, worst in (
                ("duckdb", d_med, d_max),
                (scan, s_med, s_max),
                ("firstline", f_med, f_max),
                ("firstline+funnel", w_med, w_max),
            ):
                mark = ("yes" if agree else "NO") if engine == "firstline" else ""
                print(
                    f"{label:<34}{period.label:<8}{engine:<16}{med:>10.1f}{worst:>9.1f}{med / d_med:>9.2f}×  {mark}"
                )
            if not agree:
                print("  firstline", f_fig, "\n  duckdb   ", d_fig, f"\n  {scan}", s_fig)
    print("\nall three engines agree on every figure" if ok else "\nTHE ENGINES DISAGREE (see above)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
