"""Server time of every page and API list for a first-line manager, a director and the VP, at scale,
side by side with a hand-written SQL reference for the same rows or figures.

    .venv/bin/python bench/pages_at_scale.py --database /path/to/demo-1m.sqlite3
    DATABASE_URL=postgres://… .venv/bin/python bench/pages_at_scale.py     # the same on PostgreSQL

Each request goes through the whole Django stack in-process (middleware, session, scoping, view,
template; DEBUG off), so "server time" is what a WSGI server such as gunicorn adds its socket work
to. For each page: median and max of --repeat requests, the median CPU time of this process for the
same requests, the number of SQL queries, and the time of the reference SQL (the page's own rows or
figures written by hand, run on the same connection).

SQLite runs inside this process, so on an idle machine the wall time is the CPU time plus reads
the page cache serves; on a busy one the wall time also counts waiting for a core, and the CPU time
is the figure to compare across runs.
"""

# ruff: noqa: E501  (hand-written SQL reads best one clause per line)
import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))


def pages(people, team_ids):
    """(label, url, reference SQL) for one persona; `team_ids` None means the whole company."""
    scope = "" if team_ids is None else f" AND o.owner_id IN ({','.join(map(str, people))})"
    open_scope = scope.replace("o.owner_id", "owner_id")
    first_page = (
        "SELECT o.id, o.name, a.name, p.name, s.name, o.amount, o.close_date FROM pipeline_opportunity o"
        " JOIN pipeline_account a ON a.id = o.account_id JOIN org_person p ON p.id = o.owner_id"
        f" JOIN pipeline_salesstage s ON s.id = o.stage_id WHERE 1=1{scope} ORDER BY o.close_date, o.id LIMIT 50"
    )
    open_page = first_page.replace("WHERE 1=1", "WHERE s.outcome = 'open'")
    capped_count = (
        f"SELECT count(*) FROM (SELECT 1 FROM pipeline_opportunity WHERE 1=1{open_scope} LIMIT 10001) capped"
    )
    return [
        ("My team (dashboard)", "/team/", None),
        ("Opportunities", "/opportunities/", [first_page, capped_count]),
        ("Opportunities, open", "/opportunities/?outcome=open", [open_page]),
        (
            "Opportunities, last page",
            "/opportunities/?page=last",
            [first_page.replace("LIMIT 50", "LIMIT 50 OFFSET 9950")],
        ),
        ("Accounts", "/accounts/", None),
        ("People", "/people/", None),
        ("Targets", "/targets/", None),
        ("API opportunities", "/api/opportunities/", [first_page]),
        ("API opportunities, open", "/api/opportunities/?outcome=open", [open_page]),
        ("API opportunities, page 20", "cursor:/api/opportunities/", None),
        ("API accounts", "/api/accounts/", None),
        ("API targets", "/api/targets/", None),
        ("API people", "/api/people/", None),
        ("API KPIs", "/api/kpis/", None),
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", default=str(ROOT.parent / "scale" / "demo-1m.sqlite3"))
    parser.add_argument("--repeat", type=int, default=7)
    arguments = parser.parse_args()
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{arguments.database}")
    os.environ["DEBUG"] = "false"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "firstline.settings")
    import django

    django.setup()
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext, setup_test_environment

    from firstline.org.models import Team, TeamKind
    from firstline.org.scoping import viewer

    setup_test_environment()
    root = Team.objects.get(parent=None)
    region = Team.objects.filter(kind=TeamKind.REGION, manager__user__isnull=False).order_by("path").first()
    first_line = Team.objects.filter(kind=TeamKind.TEAM, manager__user__isnull=False).order_by("path").first()
    personas = [("first-line manager", first_line), ("director", region), ("VP", root)]
    print(f"database: {connection.vendor}, {connection.settings_dict['NAME']}")
    print(
        f"\n{'persona':<20}{'page':<30}{'median ms':>10}{'max ms':>9}{'cpu ms':>8}{'queries':>8}{'ref ms':>9}"
    )
    worst = worst_cpu = 0.0
    for label, team in personas:
        if team is None or team.manager is None or team.manager.user is None:
            print(f"{label}: no such persona in this database")
            continue
        user = team.manager.user
        who = viewer(user)
        people = sorted({*who.team_person_ids, who.person_id})
        client = Client(raise_request_exception=True)
        client.force_login(user)
        for page, url, reference in pages(people, None if who.leads_root else people):
            if url.startswith("cursor:"):
                url = _deep_cursor(client, url.removeprefix("cursor:"), pages=19)
            times, cpu_times, queries = [], [], 0
            for _ in range(arguments.repeat):
                with CaptureQueriesContext(connection) as captured:
                    started, cpu_started = time.perf_counter(), time.process_time()
                    response = client.get(url)
                    times.append((time.perf_counter() - started) * 1000)
                    cpu_times.append((time.process_time() - cpu_started) * 1000)
                assert response.status_code == 200, (page, url, response.status_code)
                queries = len(captured.captured_queries)
            reference_ms = _reference(connection, reference) if reference else None
            median, most, cpu = statistics.median(times), max(times), statistics.median(cpu_times)
            worst, worst_cpu = max(worst, median), max(worst_cpu, cpu)
            ref = f"{reference_ms:9.1f}" if reference_ms is not None else f"{'—':>9}"
            print(f"{label:<20}{page:<30}{median:>10.1f}{most:>9.1f}{cpu:>8.1f}{queries:>8}{ref}")
    print(
        f"\nslowest median: {worst:.1f} ms, {worst_cpu:.1f} ms of CPU (goal: under 150 ms for every page and persona)"
    )
    print(f"load average while measuring: {os.getloadavg()[0]:.1f} ({os.cpu_count()} cores)")
    return 0


def _deep_cursor(client, url: str, pages: int) -> str:
    """Follow `next` links to page pages+1 of a keyset-paginated API list."""
    for _ in range(pages):
        url = client.get(url).json()["next"]
    return url


def _reference(connection, statements) -> float:
    times = []
    with connection.cursor() as cursor:
        for _ in range(3):
            started = time.perf_counter()
            for sql in statements:
                cursor.execute(sql)
                cursor.fetchall()
            times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


if __name__ == "__main__":
    sys.exit(main())
