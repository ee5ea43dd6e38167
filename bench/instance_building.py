"""Building unsaved opportunities for bulk_create: the demo's InstanceFactory against the baseline,
`Opportunity(...)` (Model.__init__), side by side in one process.

    .venv/bin/python bench/instance_building.py [--rows 200000] [--rounds 3]

Prints the best time of each over the rounds and the ratio baseline / factory (above 1: faster).
No database is touched: only the Python objects are built, as the demo does before each INSERT.
"""

import argparse
import os
import time
from datetime import date
from decimal import Decimal

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "firstline.settings")
django.setup()

from firstline.demo.instances import InstanceFactory  # noqa: E402
from firstline.pipeline.models import Opportunity  # noqa: E402


def fields(number: int) -> dict:
    return {
        "external_id": f"BENCH-{number:07d}", "name": f"Deal {number}", "account_id": number % 997 + 1,
        "owner_id": number % 61 + 1, "amount": Decimal(1000 + number % 50_000), "stage_id": number % 7 + 1,
        "created": date(2025, 1, 1), "close_date": date(2025, 6, 30), "next_step": "Call back",
    }  # fmt: skip


def best_of(rounds: int, build) -> float:
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        build()
        times.append(time.perf_counter() - started)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    rows = [fields(number) for number in range(args.rows)]
    factory = InstanceFactory(Opportunity)
    baseline = best_of(args.rounds, lambda: [Opportunity(**row) for row in rows])
    candidate = best_of(args.rounds, lambda: [factory(**row) for row in rows])
    print(f"{args.rows:,} opportunities, best of {args.rounds}")
    print(f"  baseline  Opportunity(**fields)  {baseline:8.3f} s")
    print(f"  factory   InstanceFactory        {candidate:8.3f} s")
    print(f"  ratio     baseline / factory     {baseline / candidate:8.2f}x")


if __name__ == "__main__":
    main()
