"""Server time and query counts of the deal guidance pages, beside the opportunity list as baseline.

    .venv/bin/python bench/deal_pages.py --database /work/scale/copy.sqlite3   # a migrated copy

Run it on a demo company (`firstline demo --sellers N`, then `firstline deals refresh`). For a
first-line manager, a director (a region) and the VP it requests each page through Django's test
client with DEBUG off, and prints the median and max milliseconds of `--repeat` requests (after one
to warm the caches), the query count and the ratio to the opportunity list (the named baseline,
measured in the same run), so the numbers move together with the machine's load.
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", help="SQLite file (default: DATABASE_URL)")
    parser.add_argument("--repeat", type=int, default=7)
    arguments = parser.parse_args()
    if arguments.database:
        os.environ["DATABASE_URL"] = f"sqlite:///{arguments.database}"
    os.environ["DEBUG"] = "false"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "firstline.settings")
    import django

    django.setup()
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext, setup_test_environment
    from django.urls import reverse

    from firstline.org.models import Team, TeamKind
    from firstline.pipeline.models import Opportunity

    setup_test_environment()
    personas = [
        ("first-line manager", Team.objects.filter(kind=TeamKind.TEAM, manager__user__isnull=False)),
        ("director", Team.objects.filter(kind=TeamKind.REGION, manager__user__isnull=False)),
        ("VP", Team.objects.filter(parent=None)),
    ]
    print(
        f"database: {connection.vendor}, {connection.settings_dict['NAME']}, "
        f"{Opportunity.objects.count():,} deals"
    )
    print(f"\n{'persona':<20}{'page':<30}{'median ms':>10}{'max ms':>9}{'queries':>8}{'× list':>8}")
    for label, teams in personas:
        team = teams.order_by("path").first()
        if team is None or team.manager is None or team.manager.user is None:
            print(f"{label}: no such persona in this database")
            continue
        user = team.manager.user
        client = Client(raise_request_exception=True)
        client.force_login(user)
        deal = Opportunity.objects.visible_to(user).open().order_by("-amount", "pk").first()
        pages = {
            "opportunity list (baseline)": reverse("pipeline:opportunity_list"),
            "review queue, riskiest": reverse("deals:review_queue"),
            "review queue, largest": reverse("deals:review_queue") + "?focus=largest",
            "review queue, stalled": reverse("deals:review_queue") + "?focus=stalled",
            "review queue, closing": reverse("deals:review_queue") + "?focus=closing",
            "deal plan": reverse("deals:deal", args=[deal.pk]),
            "account relationships": reverse("relationships:account_map", args=[deal.account_id]),
            "forecast": reverse("deals:forecast"),
            "sales process": reverse("deals:process"),
        }
        baseline = None
        for page, url in pages.items():
            client.get(url)  # warm the caches
            times, queries = [], 0
            for _ in range(arguments.repeat):
                with CaptureQueriesContext(connection) as captured:
                    started = time.perf_counter()
                    response = client.get(url)
                    times.append((time.perf_counter() - started) * 1000)
                assert response.status_code == 200, (page, url, response.status_code)
                queries = len(captured.captured_queries)
            median = statistics.median(times)
            baseline = baseline or median
            print(
                f"{label:<20}{page:<30}{median:>10.1f}{max(times):>9.1f}{queries:>8}{median / baseline:>8.2f}"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
