"""Backtest the forecast projection and score the risk rules, on the demo company.

    .venv/bin/python bench/forecast_backtest.py                 # fresh demo in a temporary SQLite file
    DATABASE_URL=... .venv/bin/python bench/forecast_backtest.py --existing   # any imported history

Forecast: for each past quarter with enough history before it, and each team, forecast the final
won amount from what was known at the end of weeks 2, 6 and 10 (stage history replayed; the model
learns only from deals closed before that day) and print the mean absolute percentage error (MAPE)
side by side with two baselines computed from the same snapshot:
- stage-weighted: won so far + open deals closing in the quarter × configured stage probability;
- run-rate: won so far extended at the same pace to the quarter's end;
plus the share of actual outcomes inside the projection's 80 % interval.

Caveat in the baseline's favour: the stage-weighted baseline uses each deal's close date as stored
today (the demo has no close-date history), which for deals that closed is the real close date.

Risk: on a fresh demo, every planted deal should trip its planted signal (recall), and no more
than 10 % of flagged deals should lack a planted cause.
"""

import argparse
import os
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
WEEKS = (2, 6, 10)
HISTORY_QUARTERS = 4  # quarters of history a backtested quarter needs before it


def setup(existing: bool, directory: str) -> None:
    if not existing:
        os.environ["DATABASE_URL"] = f"sqlite:///{Path(directory) / 'backtest.sqlite3'}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "firstline.settings")
    import django

    django.setup()


def build_demo(sellers: int, seed: int) -> dict:
    from django.core.management import call_command

    from firstline.demo.generator import generate_demo

    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    result = generate_demo(sellers=sellers, seed=seed)
    print(
        f"Demo company: {sellers} sellers, {result.counts['opportunities']:,} deals in "
        f"{time.perf_counter() - started:.0f} s"
    )
    return result.planted


def score_risk(planted: dict) -> None:
    from firstline.deals.models import RiskSignal, SignalKind

    found = defaultdict(set)
    for opportunity_id, kind in RiskSignal.objects.values_list("opportunity_id", "kind"):
        found[opportunity_id].add(kind)
    causes = defaultdict(set)
    for kind, ids in planted.items():
        for pk in ids:
            causes[pk].add(kind)
    print("\nRisk signals on planted deals")
    print(f"  {'signal':<32}{'planted':>8}{'found':>8}{'recall':>8}{'flagged':>9}{'without cause':>15}")
    for kind in SignalKind:
        ids = planted.get(kind.value, [])
        hit = sum(1 for pk in ids if kind.value in found.get(pk, set()))
        flagged = [pk for pk, kinds in found.items() if kind.value in kinds]
        stray = [pk for pk in flagged if kind.value not in causes.get(pk, set())]
        recall = f"{hit / len(ids):.0%}" if ids else "n/a"
        print(f"  {kind.label:<32}{len(ids):>8}{hit:>8}{recall:>8}{len(flagged):>9}{len(stray):>15}")
    flagged_deals = set(found)
    without_cause = [pk for pk in flagged_deals if not causes.get(pk)]
    missed = sum(1 for kind, ids in planted.items() for pk in ids if kind not in found.get(pk, set()))
    share = len(without_cause) / len(flagged_deals) if flagged_deals else 0.0
    print(
        f"  flagged deals {len(flagged_deals)}, without any planted cause {len(without_cause)} ({share:.1%}; "
        f"goal ≤ 10 %); planted signals missed: {missed} (goal 0)"
    )


def backtest(seed: int) -> None:
    from datetime import timedelta

    from django.utils import timezone

    from firstline.core.periods import fiscal_calendar
    from firstline.deals.selectors import histories
    from firstline.kpis import forecast as math
    from firstline.kpis.forecast_columns import HistoryColumns, calibrate, learn
    from firstline.pipeline.models import Opportunity, SalesStage

    today = timezone.localdate()
    calendar = fiscal_calendar()
    started = time.perf_counter()
    deals = list(histories(Opportunity.objects.all()))
    everyone = HistoryColumns.of(deals)  # what learning and calibrating work on, made once
    probabilities = dict(SalesStage.objects.values_list("pk", "probability"))
    first = min(deal.entries[0][1] for deal in deals)
    history_start = min(deal.closed_on for deal in deals if deal.closed_on)  # as deals.forecasting's
    quarters, quarter = [], calendar.quarter_of(today)
    while True:
        quarter = calendar.quarter_of(quarter.start - timedelta(days=1))
        if quarter.start < first:
            break
        quarters.append(quarter)
    usable = [q for q in quarters if (q.start - first).days >= 91 * HISTORY_QUARTERS][::-1]
    by_team = defaultdict(list)
    for deal in deals:
        by_team[deal.group].append(deal)
    teams = sorted(team for team in by_team if team is not None)
    rows = defaultdict(lambda: defaultdict(list))  # week → method → (forecast, actual)
    inside = defaultdict(list)
    for quarter in usable:
        past = [(p.start, p.end) for p in _previous(calendar, quarter, 8)]
        for week in WEEKS:
            as_of = quarter.start + timedelta(days=7 * week - 1)
            history = learn(everyone, as_of=as_of, seed=seed)
            calibration = calibrate(
                everyone,
                history,
                as_of=as_of,
                start=quarter.start,
                past_periods=past,
                history_start=history_start,
            )
            for team in teams:
                team_deals = by_team[team]
                actual = math.actual_won(team_deals, start=quarter.start, end=quarter.end)
                snap = math.snapshot(team_deals, as_of=as_of, start=quarter.start, end=quarter.end)
                projection = math.project(
                    open_deals=snap.open_deals,
                    history=history,
                    horizon_days=(quarter.end - as_of).days,
                    won_so_far=snap.won_so_far,
                    new_business=math.new_business_samples(
                        team_deals,
                        as_of=as_of,
                        start=quarter.start,
                        past_periods=past,
                        history_start=history_start,
                    ),
                    factor=calibration.factor * history.group_factor(team),
                    shock_sd=calibration.shock_sd,
                    seed=seed,
                )
                weighted = math.stage_weighted(snap.open_closing_in_period, probabilities, snap.won_so_far)
                elapsed = (as_of - quarter.start).days + 1
                rate = math.run_rate(snap.won_so_far, elapsed, quarter.days)
                for method, value in (
                    ("projection", projection.mean),
                    ("stage-weighted", weighted),
                    ("run-rate", rate),
                ):
                    rows[week][method].append((value, actual))
                if actual:
                    inside[week].append(projection.low <= actual <= projection.high)
    print(
        f"\nForecast backtest: {len(usable)} quarters × {len(teams)} teams, weeks {WEEKS} "
        f"({time.perf_counter() - started:.0f} s)"
    )
    print(
        f"  {'week':<6}{'projection':>12}{'stage-weighted':>16}{'run-rate':>10}{'ratio to weighted':>19}"
        f"{'80 % coverage':>15}{'bias':>8}"
    )
    for week in WEEKS:
        mape = {m: math.mean_absolute_percentage_error(pairs) for m, pairs in rows[week].items()}
        ratio = mape["projection"] / mape["stage-weighted"] if mape["stage-weighted"] else float("nan")
        coverage = sum(inside[week]) / len(inside[week]) if inside[week] else float("nan")
        signed = [(f - a) / a for f, a in rows[week]["projection"] if a]
        bias = sum(signed) / len(signed) if signed else float("nan")
        print(
            f"  {week:<6}{mape['projection']:>12.1%}{mape['stage-weighted']:>16.1%}{mape['run-rate']:>10.1%}"
            f"{ratio:>19.2f}{coverage:>15.0%}{bias:>+8.1%}"
        )
    print("  Goals: at week 6 the projection's MAPE at most 0.75 × stage-weighted; coverage 70–90 %.")


def _previous(calendar, quarter, count):
    from datetime import timedelta

    result, current = [], quarter
    for _ in range(count):
        current = calendar.quarter_of(current.start - timedelta(days=1))
        result.append(current)
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sellers", type=int, default=60)
    parser.add_argument("--seed", type=int, default=7, help="Demo seed.")
    parser.add_argument("--projection-seed", type=int, default=0, help="Monte Carlo and learning seed.")
    parser.add_argument("--existing", action="store_true", help="Backtest the database in DATABASE_URL.")
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="firstline-backtest-") as directory:
        setup(arguments.existing, directory)
        if not arguments.existing:
            score_risk(build_demo(arguments.sellers, arguments.seed))
        backtest(seed=arguments.projection_seed)
    return 0


if __name__ == "__main__":
    sys.exit(main())
