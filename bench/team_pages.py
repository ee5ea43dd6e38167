"""Coaching and talent at scale: how long the demo's coaching and talent phases take next to the rest
of the demo, and how the coaching and talent pages compare with the baseline "My team" page for the
same persona, with their query counts.

    .venv/bin/python bench/team_pages.py                          # 2,000 sellers, 200,000 opportunities
    .venv/bin/python bench/team_pages.py --sellers 60 --opportunities 25000

Runs in one process on a fresh temporary SQLite database (DEBUG off). Each page is requested five
times after one warm-up request; the median and the maximum are reported, with the median CPU time
of the process (the database included: SQLite runs in it), steadier than wall time on a busy
machine. Ratios are median page / median baseline for the persona. `--database PATH` times the pages
of an existing demo database (e.g. a copy of the 1,000,000-deal company); `--timings` sets the
number of requests.
"""

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PAGES = [
    ("coaching:cadence", ()),
    ("coaching:heatmap", ()),
    ("coaching:framework_list", ()),
    ("coaching:session_list", ()),
    ("talent:engagement", ()),
    ("talent:retention", ()),
    ("talent:position_list", ()),
    ("api:coachingsession-list", ()),
    ("api:pulse-list", ()),
]
BASELINE = "kpis:my_team"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sellers", type=int, default=2_000)
    parser.add_argument("--opportunities", type=int, default=200_000)
    parser.add_argument("--database", help="Time the pages of an existing demo database instead.")
    parser.add_argument("--timings", type=int, default=5, help="Requests per page after the warm-up.")
    arguments = parser.parse_args()
    directory = tempfile.mkdtemp(prefix="firstline-team-bench-")
    database = arguments.database or f"{directory}/bench.sqlite3"
    os.environ["DATABASE_URL"] = f"sqlite:///{database}"
    os.environ.setdefault("DEBUG", "false")
    os.environ.setdefault("SECRET_KEY", "bench-" + "x" * 60)
    os.environ["DJANGO_SETTINGS_MODULE"] = "firstline.settings"
    import django

    django.setup()
    from django.core.management import call_command

    if not arguments.database:
        call_command("migrate", verbosity=0)
        phases = timed_demo(arguments.sellers, arguments.opportunities)
        rest = phases["rest of the demo"]
        print(f"\nDemo phases ({arguments.sellers:,} sellers, {arguments.opportunities:,} opportunities):")
        for name, seconds in phases.items():
            print(f"  {name:<22}{seconds:8.2f} s   ratio to the rest of the demo {seconds / rest:5.3f}")
    print(f"\nPages, {arguments.timings} requests each (ms; cpu = this process, the database included;")
    print(f"ratio = median / median of {BASELINE} for the same persona):")
    for role, rows in time_pages(arguments.timings).items():
        for name, ms, slowest, cpu, queries, ratio in rows:
            print(
                f"  {role:<10}{name:<28}median {ms:7.1f}  max {slowest:7.1f}  cpu {cpu:7.1f}"
                f"  x{ratio:5.2f}  {queries:3} q"
            )
    print(f"\nLoad average while timing: {os.getloadavg()[0]:.1f} (1 min)")
    return 0


def timed_demo(sellers: int, opportunities: int) -> dict[str, float]:
    """The demo's own phases, timed: everything before coaching, then coaching, then talent."""
    from firstline.demo import generator

    timings = {}
    real_coaching, real_talent = generator.build_coaching, generator.build_talent

    def wrap(name, function):
        def timed(**kwargs):
            started = time.perf_counter()
            result = function(**kwargs)
            timings[name] = time.perf_counter() - started
            return result

        return timed

    generator.build_coaching = wrap("coaching", real_coaching)
    generator.build_talent = wrap("talent", real_talent)
    started = time.perf_counter()
    generator.generate_demo(sellers=sellers, opportunities=opportunities, seed=7)
    total = time.perf_counter() - started
    return {"rest of the demo": total - sum(timings.values()), **timings}


def time_pages(timings: int) -> dict[str, list]:
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from firstline.demo.generator import demo_logins
    from firstline.org.models import Person

    settings.ALLOWED_HOSTS = ["*"]
    results = {}
    for login in demo_logins():
        if login.role not in ("executive", "manager"):
            continue
        client = Client()
        client.force_login(Person.objects.get(user__username=login.username).user)

        def measure(url, client=client):
            client.get(url)
            samples, cpu = [], []
            for _ in range(timings):
                with CaptureQueriesContext(connection) as queries:
                    started, cpu_started = time.perf_counter(), time.process_time()
                    response = client.get(url)
                    samples.append((time.perf_counter() - started) * 1000)
                    cpu.append((time.process_time() - cpu_started) * 1000)
                assert response.status_code == 200, (url, response.status_code)
            return statistics.median(samples), max(samples), statistics.median(cpu), len(queries)

        baseline, *rest = measure(reverse(BASELINE))
        rows = [(BASELINE, baseline, *rest, 1.0)]
        for name, args in PAGES:
            ms, *rest = measure(reverse(name, args=args))
            rows.append((name, ms, *rest, ms / baseline))
        results[login.role] = rows
    return results


if __name__ == "__main__":
    sys.exit(main())
