"""Server time and query counts of the deal guidance pages, beside the opportunity list as baseline.

    DATABASE_URL=sqlite:////tmp/big.sqlite3 .venv/bin/python bench/deal_pages.py

Run it on a demo company (`firstline demo --sellers N`). For the VP (the whole company) and for a
first-line manager it requests each page through Django's test client, best of five, and prints
milliseconds, the query count and the ratio to the opportunity list (the named baseline, measured in
the same run), so the numbers move together with the machine's load.
"""

import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "firstline.settings")
os.environ.setdefault("DEBUG", "false")

import django

django.setup()

from django.db import connection, reset_queries  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.urls import reverse  # noqa: E402

from firstline.demo.generator import demo_logins  # noqa: E402
from firstline.org.models import Person  # noqa: E402
from firstline.pipeline.models import Opportunity  # noqa: E402

ROUNDS = 5


def measure(client: Client, url: str) -> tuple[float, int, int]:
    best, queries, status = float("inf"), 0, 0
    for _ in range(ROUNDS):
        reset_queries()
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            response = client.get(url)
            best = min(best, time.perf_counter() - started)
        queries, status = len(captured.captured_queries), response.status_code
    return best * 1000, queries, status


def main() -> int:
    logins = {login.role: login for login in demo_logins()}
    deals = Opportunity.objects.count()
    print(f"{Person.objects.count():,} people, {deals:,} opportunities ({connection.vendor})")
    for role in ("executive", "manager"):
        person = Person.objects.get(user__username=logins[role].username)
        client = Client()
        client.force_login(person.user)
        deal = Opportunity.objects.visible_to(person.user).open().order_by("-amount").first()
        pages = {
            "opportunity list (baseline)": reverse("pipeline:opportunity_list"),
            "review queue, riskiest": reverse("deals:review_queue"),
            "review queue, largest": reverse("deals:review_queue") + "?focus=largest",
            "deal plan": reverse("deals:deal", args=[deal.pk]),
            "account relationships": reverse("relationships:account_map", args=[deal.account_id]),
            "forecast (live projection)": reverse("deals:forecast"),
            "sales process": reverse("deals:process"),
        }
        print(f"\n{role} ({person.name})")
        print(f"  {'page':<30}{'ms':>9}{'queries':>9}{'× baseline':>12}")
        baseline = None
        for label, url in pages.items():
            ms, queries, status = measure(client, url)
            baseline = baseline or ms
            flag = "" if status == 200 else f"  (status {status})"
            print(f"  {label:<30}{ms:>9.1f}{queries:>9}{ms / baseline:>12.2f}{flag}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
