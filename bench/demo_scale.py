"""Time `firstline demo` at scale in a fresh, temporary SQLite database.

    .venv/bin/python bench/demo_scale.py                      # 2,000 sellers, 1,000,000 opportunities
    .venv/bin/python bench/demo_scale.py --sellers 60 --opportunities 25000

Migrates the new database, runs the demo command as a child process and prints its wall time and
peak resident memory (ru_maxrss of that child alone), so the numbers can go into docs/benchmarks.md.
The environment is passed through, so DEBUG=false measures a production-like run.
"""

import argparse
import os
import platform
import shlex
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
COUNTED_TABLES = (
    "org_person",
    "org_team",
    "pipeline_account",
    "pipeline_opportunity",
    "pipeline_stagechange",
    "targets_target",
)


def run_child(command: list[str], env: dict[str, str]) -> tuple[float, int, int]:
    """Run `command`; return its wall time in seconds, peak RSS in KiB and exit status."""
    started = time.perf_counter()
    child = subprocess.Popen(command, cwd=ROOT, env=env)
    _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    return time.perf_counter() - started, usage.ru_maxrss, child.returncode


def row_counts(database: Path) -> dict[str, int]:
    with sqlite3.connect(database) as connection:
        return {
            table: connection.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
            for table in COUNTED_TABLES
        }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sellers", type=int, default=2_000)
    parser.add_argument("--opportunities", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=7)
    arguments = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="firstline-bench-") as directory:
        database = Path(directory) / "demo.sqlite3"
        env = {**os.environ, "DATABASE_URL": f"sqlite:///{database}"}
        cli = [sys.executable, "-m", "firstline.cli"]
        subprocess.run([*cli, "migrate", "--verbosity", "0"], cwd=ROOT, env=env, check=True)
        demo = [
            *cli,
            "demo",
            "--sellers",
            str(arguments.sellers),
            "--opportunities",
            str(arguments.opportunities),
            "--seed",
            str(arguments.seed),
        ]
        seconds, peak_kib, status = run_child(demo, env)
        if status != 0:
            print(f"demo failed with exit status {status}", file=sys.stderr)
            return status
        counts = row_counts(database)
        size = sum(path.stat().st_size for path in Path(directory).iterdir())

    print()
    print(f"command:     firstline {shlex.join(demo[len(cli) :])}")
    print(f"database:    SQLite {sqlite3.sqlite_version}, {size / 2**20:,.0f} MiB on disk (with WAL)")
    debug = env.get("DEBUG", "default (on)")
    print(f"machine:     {os.cpu_count()} cores, Python {platform.python_version()}, DEBUG={debug}")
    print(f"wall time:   {seconds:,.1f} s")
    print(f"peak memory: {peak_kib / 1024:,.0f} MiB (max RSS of the demo process)")
    for table, count in counts.items():
        print(f"  {table:<22}{count:>12,}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
