"""The KPI roll-ups' computation from the deals (`kpis.rollup.compute`), against an earlier version of
the same module, side by side in one process on one database, and a check that both give the same rows.

    .venv/bin/python bench/rollup_bench.py --database /path/demo-1m.sqlite3            # against 8bf44cc
    .venv/bin/python bench/rollup_bench.py --database /path/x.sqlite3 --baseline main~5

The baseline is `firstline/kpis/rollup.py` as it was at --baseline (a git revision), loaded beside
today's; both read the same database. Times are CPU seconds of this process, best of --repeat runs,
alternating, so that load on a shared machine falls on both alike.
"""

import argparse
import importlib.util
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def baseline_module(revision: str):
    source = subprocess.run(
        ["git", "show", f"{revision}:firstline/kpis/rollup.py"], cwd=ROOT, check=True, capture_output=True
    ).stdout
    path = Path(tempfile.mkdtemp()) / "baseline_rollup.py"
    path.write_bytes(source)
    spec = importlib.util.spec_from_file_location("baseline_rollup", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", required=True, help="a SQLite file with a company in it")
    parser.add_argument(
        "--baseline", default="8bf44cc", help="git revision of the baseline (default: 8bf44cc)"
    )
    parser.add_argument("--repeat", type=int, default=2)
    arguments = parser.parse_args()
    os.environ["DATABASE_URL"] = f"sqlite:///{Path(arguments.database).resolve()}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "firstline.settings")
    import django

    django.setup()
    from firstline.kpis import rollup
    from firstline.pipeline.models import Opportunity

    contenders = {f"baseline ({arguments.baseline})": baseline_module(arguments.baseline), "today": rollup}
    best, results = {}, {}
    for _ in range(arguments.repeat):
        for name, module in contenders.items():
            started = time.process_time()
            results[name] = module.compute()
            best[name] = min(best.get(name, float("inf")), time.process_time() - started)
    print(f"{Opportunity.objects.count():,} deals")
    for name, seconds in best.items():
        rows, funnel = results[name]
        print(
            f"  {name:<24} compute() {seconds:7.2f} s CPU   {len(rows):,} rows, {len(funnel):,} funnel counts"
        )
    (old_rows, old_funnel), (rows, funnel) = results.values()
    same = {k: list(v) for k, v in old_rows.items()} == {k: list(v) for k, v in rows.items()}
    same = same and dict(old_funnel) == dict(funnel)
    baseline, today = best.values()
    print(
        f"today / baseline: {today / baseline:.2f}x the CPU time; "
        f"same rows and funnel: {'yes' if same else 'NO'}"
    )
    return 0 if same else 1


if __name__ == "__main__":
    raise SystemExit(main())
