"""The demo company built in one process with the clock frozen: CPU and wall time per phase, and a
checksum of every table, so that two versions of the code can be compared phase by phase and shown
to build the same company. CPU time is this process's and its finished children's (user + system).

    DEBUG=false .venv/bin/python bench/demo_phases.py --sellers 200 --opportunities 100000
    DEBUG=false .venv/bin/python bench/demo_phases.py --checksums sums.json   # then compare two files
    .venv/bin/python bench/demo_phases.py --compare before.json after.json

Run it from the worktree whose code is to be measured (its own virtual environment or PYTHONPATH
pointing at it). The database is a fresh temporary SQLite file, migrated first (not timed). The clock
is frozen at --now through `django.utils.timezone.now`; defaults bound at import time
(`default=timezone.now`) still read the real clock, and password salts differ on every run, so those
columns are left out of the checksums (VOLATILE).
"""

import argparse
import hashlib
import json
import os
import resource
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from unittest import mock

ROOT = Path.cwd()
# Columns that differ between any two runs of the same code: salts, the real clock, key order in JSON.
VOLATILE = {
    "core_user": {"password", "last_login", "date_joined"},
    "django_migrations": {"applied"},
    "territories_territory": {"created"},
    "auditlog_logentry": {"changes", "timestamp"},
}


def _cpu() -> float:
    """CPU time of this process and of its children that ended."""
    return sum(os.times()[:4])


def _timed(phases: dict, name: str, function):
    def wrapper(*args, **kwargs):
        cpu, wall = _cpu(), time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            calls = sum(1 for phase in phases if phase.split(" #")[0] == name)
            key = f"{name} #{calls + 1}" if calls else name
            phases[key] = (_cpu() - cpu, time.perf_counter() - wall)

    return wrapper


def checksums(database: Path) -> dict[str, str]:
    import sqlite3

    sums = {}
    with sqlite3.connect(database) as connection:
        tables = [
            name
            for (name,) in connection.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
                "ORDER BY name"
            )
        ]
        for table in tables:
            columns = [row[1] for row in connection.execute(f'PRAGMA table_info("{table}")')]
            kept = [c for c in columns if c not in VOLATILE.get(table, set())]
            digest = hashlib.sha256()
            select = ", ".join(f'"{c}"' for c in kept)
            order = "id" if "id" in columns else "rowid"
            for row in connection.execute(f'SELECT {select} FROM "{table}" ORDER BY {order}'):
                digest.update(repr(row).encode())
            sums[table] = digest.hexdigest()
    return sums


def compare(before: Path, after: Path) -> int:
    first, second = json.loads(before.read_text()), json.loads(after.read_text())
    differ = sorted(t for t in first.keys() | second.keys() if first.get(t) != second.get(t))
    print(f"{len(first)} tables, {len(differ)} differ" + (": " + ", ".join(differ) if differ else ""))
    return 1 if differ else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sellers", type=int, default=200)
    parser.add_argument("--opportunities", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--now", default="2026-11-30T10:00:00+00:00")
    parser.add_argument("--checksums", type=Path, help="Write every table's checksum to this JSON file.")
    parser.add_argument("--compare", nargs=2, type=Path, metavar="JSON", help="Compare two checksum files.")
    parser.add_argument("--keep", type=Path, help="Copy the database here at the end, to look into it.")
    parser.add_argument("--profile", type=Path, help="Write a pyinstrument profile here (.txt or .html).")
    arguments = parser.parse_args()
    if arguments.compare:
        return compare(*arguments.compare)

    with tempfile.TemporaryDirectory(prefix="firstline-phases-") as directory:
        database = Path(directory) / "demo.sqlite3"
        os.environ["DATABASE_URL"] = f"sqlite:///{database}"
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "firstline.settings")
        sys.path.insert(0, str(ROOT))
        import django

        django.setup()
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        now = datetime.fromisoformat(arguments.now).astimezone(UTC)
        phases: dict[str, tuple[float, float]] = {}
        from firstline.demo import deals, generator

        for name in (
            "build_company",
            "build_accounts",
            "build_opportunities",
            "build_targets",
            "build_deal_guidance",
            "results_rebuild",
            "refresh_deal_statistics",
            "build_territories",
            "build_coaching",
            "build_talent",
            "demo_logins",
        ):
            setattr(generator, name, _timed(phases, name, getattr(generator, name)))
        for name in ("stage_statistics_refresh", "risk_refresh"):
            setattr(deals, name, _timed(phases, f"  {name}", getattr(deals, name)))
        profiler = None
        if arguments.profile:
            from pyinstrument import Profiler

            profiler = Profiler(interval=0.005)
        with mock.patch("django.utils.timezone.now", return_value=now):
            cpu, wall = _cpu(), time.perf_counter()
            if profiler:
                profiler.start()
            generator.generate_demo(
                sellers=arguments.sellers,
                opportunities=arguments.opportunities,
                seed=arguments.seed,
            )
            if profiler:
                profiler.stop()
            cpu, wall = _cpu() - cpu, time.perf_counter() - wall
        for name, (phase_cpu, phase_wall) in phases.items():
            print(f"{name:<30}{phase_cpu:>9.1f} s CPU{phase_wall:>9.1f} s wall")
        print(f"{'generate_demo':<30}{cpu:>9.1f} s CPU{wall:>9.1f} s wall")
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"peak memory {peak:,.0f} MiB")
        print(f"load average {' '.join(f'{load:.2f}' for load in os.getloadavg())}")
        if profiler:
            text = arguments.profile.suffix == ".txt"
            output = profiler.output_text(color=False, show_all=False) if text else profiler.output_html()
            arguments.profile.write_text(output)
        from django.db import connections

        connections.close_all()
        if arguments.keep:
            import shutil

            shutil.copyfile(database, arguments.keep)
        if arguments.checksums:
            arguments.checksums.write_text(json.dumps(checksums(database), indent=1, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
