"""Forecast math: calibration arithmetic, timing with still-open deals, the seeded projection
against a reference computation, baselines and the roll-up of calls. Pure: no database."""

from datetime import date, timedelta
from math import exp, sqrt
from random import Random

import numpy
import pytest

from firstline.kpis import forecast as f
from firstline.kpis import forecast_columns as columns

D0 = date(2026, 1, 1)


def deal(entries, closed=None, won=None, amount=1000.0, group="east"):
    return f.DealHistory(
        group=group,
        entries=tuple((stage, D0 + timedelta(days=day)) for stage, day in entries),
        closed_on=D0 + timedelta(days=closed) if closed is not None else None,
        won=won,
        amount=amount,
        created=D0 + timedelta(days=entries[0][1]),
    )


def test_percentile_interpolates_like_numpy():
    assert f.percentile([1, 2, 3, 4], 0.75) == 3.25
    assert f.percentile([10], 0.75) == 10
    with pytest.raises(ValueError):
        f.percentile([], 0.5)


def test_calibration_counts_each_stage_a_closed_deal_reached():
    deals = [
        deal([(1, 0), (2, 5), (9, 10)], closed=10, won=True),
        deal([(1, 0), (2, 5), (8, 12)], closed=12, won=False),
        deal([(1, 0), (8, 3)], closed=3, won=False),
        deal([(2, 0), (1, 4), (2, 6), (9, 9)], closed=9, won=True),  # back and forth: counted once per stage
        deal([(1, 0), (2, 5)]),  # still open: not in the calibration
        deal([(1, 0), (9, 40)], closed=40, won=True),  # closed after as_of: not known yet
    ]
    history = columns.learn(deals, as_of=D0 + timedelta(days=30))
    assert (history.rates[1].reached, history.rates[1].won) == (4, 2)
    assert (history.rates[2].reached, history.rates[2].won) == (3, 2)
    assert history.rates[2].rate == pytest.approx(2 / 3)
    assert f.calibration(history.rates, [1, 2, 3])[3].rate is None


def test_stall_threshold_uses_completed_stays_and_falls_back_to_the_company():
    deals = [deal([(1, 0), (2, days)], group="east") for days in range(1, 21)]
    deals += [deal([(1, 0), (2, 100)], group="west")]
    history = columns.learn(deals, as_of=D0 + timedelta(days=200))
    assert history.stall_limit("east", 1) == (f.percentile(list(range(1, 21)), 0.75), 20)
    limit, sample = history.stall_limit("west", 1)  # one deal of its own: the company's 21
    assert sample == 21 and limit == f.percentile([*range(1, 21), 100], 0.75)


def test_timing_counts_still_open_deals_watched_long_enough():
    timing = f.Timing.from_samples(
        [(5, 10, f.WON)] * 30
        + [(5, 40, f.LOST)] * 30
        + [(5, 100, f.STILL_OPEN)] * 40
        + [(5, 15, f.STILL_OPEN)] * 10
    )
    # From day 0, within 20 days: 30 won of 30 + 30 closed + 40 still open watched 100 ≥ 20 days;
    # the 10 watched only 15 days have an unknown outcome and are left out.
    assert timing.chance(0, 20) == pytest.approx(30 / 100)


def test_timing_conditions_on_time_already_spent_in_the_stage():
    timing = f.Timing.from_samples([(3, 5, f.WON)] * 50 + [(30, 35, f.WON)] * 25 + [(30, 200, f.LOST)] * 25)
    assert timing.chance(0, 10) == pytest.approx(50 / 100)
    assert timing.chance(14, 30) == pytest.approx(25 / 50)  # only deals that stayed past two weeks


def test_timing_reads_chances_within_the_deals_size_band():
    small = [(1, 5, f.WON, 1_000)] * 300 + [(1, 5, f.LOST, 1_000)] * 300  # half won
    middle = [(1, 5, f.WON, 10_000)] * 200 + [(1, 5, f.LOST, 10_000)] * 400  # a third
    large = [(1, 5, f.WON, 100_000)] * 100 + [(1, 5, f.LOST, 100_000)] * 500  # a sixth
    timing = f.Timing.from_samples(small + middle + large)
    assert timing.edges == (10_000, 100_000)
    assert timing.chance(0, 10, 500) == pytest.approx(1 / 2)
    assert timing.chance(0, 10, 10_000) == pytest.approx(1 / 3)  # an edge belongs to the band above it
    assert timing.chance(0, 10, 250_000) == pytest.approx(1 / 6)
    assert timing.chance(0, 10) == pytest.approx(600 / 1_800)  # no amount: every size
    few = f.Timing.from_samples(small[:299] + small[300:599])  # too few per band: one band
    assert few.bands == () and few.chance(0, 10, 100_000) == pytest.approx(1 / 2)
    # Samples stored before amounts were kept have three fields; they count for every size.
    assert f.Timing.from_samples([(1, 5, f.WON)] * 30).chance(0, 10, 5_000) == 1.0


def reference_projection(chances_and_amounts, won_so_far, draws, seed, shock_sd=0.0):
    """The Monte Carlo spelled out draw by draw, from the same random numbers in the same order:
    the shocks, then a uniform number per draw and deal (largest deal first)."""
    rng = numpy.random.default_rng(seed)
    ordered = sorted(((a, p) for a, p in chances_and_amounts), reverse=True)
    shocks = [exp(x) for x in rng.normal(-(shock_sd**2) / 2, shock_sd, draws)] if shock_sd else [1.0] * draws
    uniforms = rng.random((draws, len(ordered)))
    totals = []
    for draw in range(draws):
        won = [a for (a, p), u in zip(ordered, uniforms[draw], strict=True) if u < p * shocks[draw]]
        totals.append(won_so_far + sum(won))
    return sum(totals) / draws, f.percentile(totals, 0.1), f.percentile(totals, 0.9)


def test_the_projection_matches_the_reference_with_a_fixed_seed():
    timing = f.Timing.from_samples(
        [(1, 5, f.WON)] * 40 + [(1, 5, f.LOST)] * 60
    )  # 40 % within any horizon ≥ 5
    history = f.History(rates={}, stage_days={}, timing={7: timing})
    deals = [f.OpenDeal(amount, 7, 0) for amount in (50_000.0, 20_000.0, 10_000.0, 5_000.0)]
    projection = f.project(
        open_deals=deals, history=history, horizon_days=30, won_so_far=1_000.0, draws=500, seed=11
    )
    mean, low, high = reference_projection([(d.amount, 0.4) for d in deals], 1_000.0, 500, 11)
    assert (projection.mean, projection.low, projection.high) == pytest.approx((mean, low, high))
    assert projection.expected_from_open == pytest.approx(0.4 * 85_000)
    again = f.project(
        open_deals=deals, history=history, horizon_days=30, won_so_far=1_000.0, draws=500, seed=11
    )
    assert again == projection


def test_a_shared_shock_moves_every_deal_together_and_widens_the_interval():
    timing = f.Timing.from_samples([(1, 5, f.WON)] * 40 + [(1, 5, f.LOST)] * 60)
    history = f.History(rates={}, stage_days={}, timing={7: timing})
    deals = [f.OpenDeal(1_000.0, 7, 0)] * 50
    arguments = {"open_deals": deals, "history": history, "horizon_days": 30, "won_so_far": 0.0, "draws": 400}
    shocked = f.project(**arguments, factor=1.25, shock_sd=0.3, seed=5)
    mean, low, high = reference_projection([(d.amount, 0.5) for d in deals], 0.0, 400, 5, shock_sd=0.3)
    assert (shocked.mean, shocked.low, shocked.high) == pytest.approx((mean, low, high))
    plain = f.project(**arguments, factor=1.25, seed=5)
    assert shocked.high - shocked.low > plain.high - plain.low


def test_calibration_compares_past_chances_with_what_was_won():
    # Every deal stays in stage 1 and has a 50 % chance of being won within any horizon.
    timing = f.Timing.from_samples([(100, 5, f.WON)] * 50 + [(100, 5, f.LOST)] * 50)
    history = f.History(rates={}, stage_days={}, timing={1: timing})
    past = [(D0 + timedelta(days=90), D0 + timedelta(days=179)), (D0, D0 + timedelta(days=89))]

    def open_at_day_100(group, won, amount=100.0):
        return deal([(1, 95), (9, 150)], closed=150, won=won, amount=amount, group=group)

    deals = [open_at_day_100("east", True), open_at_day_100("east", True)]
    deals += [open_at_day_100("west", False), open_at_day_100("west", False)]
    deals += [deal([(1, 95), (9, 200)], closed=200, won=True, amount=100.0, group="west")]  # won too late
    # Today is day 190 of history, 10 days into a period starting on day 180: the points replayed
    # are day 100 of the period starting on day 90 (the one before began before any deal existed).
    calibration = columns.calibrate(
        deals, history, as_of=D0 + timedelta(days=190), start=D0 + timedelta(days=180), past_periods=past
    )
    # Expected 0.5 × 100 per deal: east 100, west 150 (the deal won too late counts as expected);
    # won 200 (east) and 0 (west): factor 200 / 250. The spread: the mean square of actual over
    # expected × factor, less the coin flips' share (east 2 × 100² × 0.25 over 100² × factor).
    factor = 200 / 250
    east, west = 100 * factor, 150 * factor
    squares = ((200 / east - 1) ** 2 + (0 / west - 1) ** 2) / 2
    noise = (2 * 100**2 * 0.25 / (100**2 * factor) + 3 * 100**2 * 0.25 / (150**2 * factor)) / 2
    assert calibration.factor == pytest.approx(factor)
    assert calibration.shock_sd == pytest.approx(sqrt(squares - noise))
    assert calibration.periods == 1
    assert columns.calibrate([], history, as_of=D0, start=D0, past_periods=past) == f.Calibration()


def test_calibration_uses_each_groups_record_as_known_at_the_past_point():
    timing = f.Timing.from_samples([(100, 5, f.WON)] * 50 + [(100, 5, f.LOST)] * 50)  # 50 % at any horizon
    history = f.History(rates={}, stage_days={}, timing={1: timing})
    past = [(D0 + timedelta(days=90), D0 + timedelta(days=179)), (D0, D0 + timedelta(days=89))]
    # Before the point (day 100): east won 10 deals, west lost 10. After it, west won 10 more, which
    # today's record would count but the point did not know.
    deals = [deal([(1, 0), (9, 60)], closed=60, won=True, group="east") for _ in range(10)]
    deals += [deal([(1, 0), (8, 60)], closed=60, won=False, group="west") for _ in range(10)]
    deals += [deal([(1, 105), (9, 120)], closed=120, won=True, group="west") for _ in range(10)]
    deals += [deal([(1, 95), (9, 150)], closed=150, won=True, amount=100.0, group="east") for _ in range(2)]
    deals += [deal([(1, 95), (8, 150)], closed=150, won=False, amount=100.0, group="west") for _ in range(2)]
    arguments = {"as_of": D0 + timedelta(days=190), "start": D0 + timedelta(days=180), "past_periods": past}
    calibration = columns.calibrate(deals, history, **arguments, history_start=D0 + timedelta(days=90))
    east = f.shrunk_factor(10, 10, 20, 10)  # (10 + 50 × 0.5) / (60 × 0.5)
    west = f.shrunk_factor(10, 0, 20, 10)
    assert calibration.factor == pytest.approx(200 / (2 * 50 * east + 2 * 50 * west))
    assert calibration.periods == 1
    # The period that began before the history (day 90) did: its deals open on day 10 would count.
    assert columns.calibrate(deals, history, **arguments).periods == 2


def test_the_projection_mean_converges_on_the_expected_value():
    timing = f.Timing.from_samples([(1, 5, f.WON)] * 25 + [(1, 5, f.LOST)] * 75)
    history = f.History(rates={}, stage_days={}, timing={1: timing})
    deals = [f.OpenDeal(1_000.0, 1, 0)] * 100
    projection = f.project(
        open_deals=deals, history=history, horizon_days=10, won_so_far=0.0, draws=2_000, seed=3
    )
    # 100 deals at 25 %: mean 25,000, standard error of the simulated mean about 4,330 / √2000 ≈ 97.
    assert abs(projection.mean - 25_000) < 3 * 97
    assert projection.low < 25_000 < projection.high


def test_unknown_amounts_are_counted_not_summed():
    history = f.History(rates={}, stage_days={}, timing={1: f.Timing.from_samples([(1, 1, f.WON)] * 30)})
    projection = f.project(
        open_deals=[f.OpenDeal(None, 1, 0), f.OpenDeal(500.0, 1, 0)],
        history=history,
        horizon_days=5,
        won_so_far=0,
    )
    assert projection.unknown_amounts == 1 and projection.mean == 500.0


def test_baselines():
    assert (
        f.stage_weighted([(1000.0, 1), (None, 2), (500.0, 3)], {1: 10, 2: 50, 3: 60}, 200.0)
        == 200 + 100 + 300
    )
    assert f.run_rate(300.0, 30, 90) == 900.0
    assert f.run_rate(300.0, 0, 90) == 0.0
    assert f.mean_absolute_percentage_error([(110, 100), (50, 0), (90, 100)]) == pytest.approx(0.1)


def test_snapshot_replays_what_was_known_on_the_day():
    deals = [
        deal([(1, 0), (2, 20), (9, 50)], closed=50, won=True, amount=100.0),  # open on day 30, in stage 2
        deal([(1, 0), (9, 25)], closed=25, won=True, amount=40.0),  # won before day 30, in the period
        deal([(1, 35)], amount=999.0),  # not created yet
    ]
    snap = f.snapshot(
        deals, as_of=D0 + timedelta(days=30), start=D0 + timedelta(days=10), end=D0 + timedelta(days=90)
    )
    assert snap.won_so_far == 40.0
    assert snap.open_deals == [f.OpenDeal(100.0, 2, 10)]


def test_snapshot_replays_amount_and_close_date_edits():
    day = D0 + timedelta(days=30)
    edited = f.DealHistory(
        group="east",
        entries=((1, D0),),
        closed_on=None,
        won=None,
        amount=120.0,
        created=D0,
        close_date=D0 + timedelta(days=200),
        amount_changes=(
            (D0 + timedelta(days=10), 50.0, 90.0),  # before the day: 90 then
            (D0 + timedelta(days=40), 90.0, 120.0),
        ),
        close_date_changes=((D0 + timedelta(days=40), D0 + timedelta(days=60), D0 + timedelta(days=200)),),
    )
    snap = f.snapshot([edited], as_of=day, start=D0, end=D0 + timedelta(days=89))
    assert snap.open_deals == [f.OpenDeal(90.0, 1, 30)]
    assert snap.open_closing_in_period == [(90.0, 1)]  # it was expected to close on day 60 then
    later = f.snapshot([edited], as_of=D0 + timedelta(days=45), start=D0, end=D0 + timedelta(days=89))
    assert later.open_deals == [f.OpenDeal(120.0, 1, 45)] and later.open_closing_in_period == []
    assert f.value_on(7, (), day) == 7


def test_new_business_comes_from_deals_created_after_the_same_point_of_past_periods():
    past = [(D0, D0 + timedelta(days=89))]
    deals = [
        deal([(1, 40), (9, 60)], closed=60, won=True, amount=70.0),  # created after day 30: new business
        deal([(1, 10), (9, 60)], closed=60, won=True, amount=500.0),  # existed by day 30
    ]
    samples = f.new_business_samples(
        deals, as_of=D0 + timedelta(days=120), start=D0 + timedelta(days=90), past_periods=past
    )
    assert samples == [70.0]
    # A period that began before the history did says nothing (rather than "no new business").
    earlier = [(D0 - timedelta(days=90), D0 - timedelta(days=1)), *past]
    samples = f.new_business_samples(
        deals,
        as_of=D0 + timedelta(days=120),
        start=D0 + timedelta(days=90),
        past_periods=earlier,
        history_start=D0,
    )
    assert samples == [70.0]


def test_shrunk_factor():
    assert f.shrunk_factor(0, 0, 100, 30) == pytest.approx(1.0)
    assert f.shrunk_factor(50, 25, 1000, 250, prior=50) == pytest.approx((25 + 12.5) / (100 * 0.25))


def test_calls_roll_up_with_the_managers_adjustment_winning():
    children = {"company": ["east", "west"]}
    sellers = {"east": ["alice", "bob"], "west": ["carol"]}
    calls = {"alice": f.Call(100, 150), "carol": f.Call(50, 80)}
    rolled = f.roll_up(
        children=children,
        sellers=sellers,
        seller_calls=calls,
        adjustments={"east": f.Call(90, 140)},
        root="company",
    )
    assert rolled["east"].from_below == f.Call(100, 150) and rolled["east"].commit == 90
    assert rolled["east"].adjustment == -10 and rolled["east"].sellers_without_call == 1
    assert rolled["west"].commit == 50 and not rolled["west"].adjusted
    assert (rolled["company"].commit, rolled["company"].best_case) == (140, 220)
    assert rolled["company"].sellers_without_call == 1


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_calibrating_many_targets_gives_exactly_what_replaying_every_deal_gives(seed):
    rng = Random(seed)
    samples = [
        (rng.randint(0, 90), rng.randint(0, 200), rng.choice((f.WON, f.LOST, f.STILL_OPEN)))
        for _ in range(400)
    ]
    history = f.History(
        rates={},
        stage_days={},
        timing={1: f.Timing.from_samples(samples), 2: f.Timing.from_samples(samples[::2])},
    )
    deals = []
    for _ in range(1_500):
        created = rng.randint(0, 1_000)
        moved = created + rng.randint(0, 120)
        outcome = rng.random()
        closed = moved + rng.randint(1, 200) if outcome < 0.8 else None
        won = None if closed is None else outcome < 0.3
        entries = [(1, created), (2, moved)] + ([(9 if won else 8, closed)] if closed is not None else [])
        amount_changes = ()
        if rng.random() < 0.2:
            amount_changes = ((D0 + timedelta(days=moved), rng.choice((None, 500.0)), 900.0),)
        one = deal(
            entries,
            closed=closed,
            won=won,
            amount=rng.choice((None, 300.0, 1_000.0, 25_000.0)),
            group=rng.choice("abcd"),
        )
        deals.append(f.DealHistory(**{**one.__dict__, "amount_changes": amount_changes}))
    today = D0 + timedelta(days=1_100)
    quarters = [
        (D0 + timedelta(days=1_080 - 90 * n), D0 + timedelta(days=1_169 - 90 * n)) for n in range(1, 9)
    ]
    months = [(D0 + timedelta(days=1_080 - 30 * n), D0 + timedelta(days=1_109 - 30 * n)) for n in range(1, 9)]
    years = [
        (D0 + timedelta(days=1_080 - 365 * n), D0 + timedelta(days=1_444 - 365 * n)) for n in range(1, 4)
    ]
    targets = {
        "quarter": (today, D0 + timedelta(days=1_080), quarters),
        "month": (today, D0 + timedelta(days=1_080), months),
        "year": (today, D0 + timedelta(days=1_080), years),
    }
    for start in (None, D0 + timedelta(days=200)):
        *_sums, expected = reference_calibrate_many(deals, history, targets, history_start=start)
        assert columns.calibrate_many(deals, history, targets, history_start=start) == expected
        assert any(calibration.periods for calibration in expected.values())


def test_history_columns_give_back_every_deal_equal_and_in_order():
    deals = [
        deal([(1, 0), (2, 5), (9, 10)], closed=10, won=True, group=None),
        deal([(1, 3)], amount=None),  # open, one entry, amount unknown
        f.DealHistory(
            group="west",
            entries=((1, D0), (2, D0 + timedelta(days=4)), (1, D0 + timedelta(days=6))),
            closed_on=None,
            won=None,
            amount=500.0,
            created=D0,
            close_date=D0 + timedelta(days=60),
            amount_changes=((D0 + timedelta(days=2), 800.0, 500.0),),
            close_date_changes=((D0 + timedelta(days=3), D0 + timedelta(days=30), D0 + timedelta(days=60)),),
        ),
        deal([(1, 7), (8, 9)], closed=9, won=False, group="west"),
    ]
    kept = columns.HistoryColumns.of(iter(deals))
    assert len(kept) == 4
    assert list(kept) == deals
    assert list(kept) == deals  # read as often as needed


def reference_learn(deals, *, as_of, seed=0):
    """`learn` as it was written before it worked on columns: one deal at a time, each timing
    sample fed to its stage's reservoir as it comes. The columns must give the same History."""
    rng = Random(seed)
    recent, reached = {}, {}
    stage_days, pairs, seen = {}, {}, {}
    for deal in deals:
        for (stage_id, entered), (_, left) in zip(deal.entries, deal.entries[1:], strict=False):
            if left < as_of:
                stage_days.setdefault((deal.group, stage_id), []).append((left - entered).days)
        closed = deal.won is not None and deal.closed_on is not None and deal.closed_on < as_of
        if closed:
            if (as_of - deal.closed_on).days <= f.RECENT_DAYS:
                tally = recent.setdefault(deal.group, [0, 0])
                tally[0] += 1
                tally[1] += int(deal.won)
            for stage_id in {stage for stage, _ in deal.entries}:
                counts = reached.setdefault(stage_id, [0, 0])
                counts[0] += 1
                counts[1] += int(deal.won)
        visited = set()
        for index, (stage_id, entered) in enumerate(deal.entries):
            if entered >= as_of:
                break
            if stage_id in visited:
                continue
            visited.add(stage_id)
            following = deal.entries[index + 1][1] if index + 1 < len(deal.entries) else None
            if closed:
                if following is None:
                    break
                sample = (
                    (following - entered).days,
                    (deal.closed_on - entered).days,
                    f.WON if deal.won else f.LOST,
                    int(deal.amount or 0),
                )
            else:
                left = following if following is not None and following < as_of else as_of
                sample = ((left - entered).days, (as_of - entered).days, f.STILL_OPEN, int(deal.amount or 0))
            kept = pairs.setdefault(stage_id, [])
            seen[stage_id] = seen.get(stage_id, 0) + 1
            if len(kept) < f.TIMING_SAMPLE:
                kept.append(sample)
            else:
                slot = rng.randrange(seen[stage_id])
                if slot < f.TIMING_SAMPLE:
                    kept[slot] = sample
    return f.History(
        rates={stage: f.StageRate(r, w) for stage, (r, w) in reached.items()},
        stage_days=stage_days,
        timing={stage: f.Timing.from_samples(values) for stage, values in pairs.items()},
        group_rates={group: tuple(tally) for group, tally in recent.items()},
    )


def odd_histories(count, seed):
    """Deals with what real histories hold now and then: stages entered twice, several moves on one
    day, entries after the day of learning, unknown amounts and close days, a won flag without a
    close day, an open deal still in its first stage."""
    rng = Random(seed)
    deals = []
    for _ in range(count):
        day = rng.randrange(0, 900)
        entries = []
        for _step in range(rng.randrange(1, 6)):
            entries.append((rng.choice((3, 5, 8, 13)), D0 + timedelta(days=day)))
            day += rng.choice((0, 0, 1, 7, 30, 90))
        won = rng.choice((None, True, False))
        closed_on = entries[-1][1] if won is not None and rng.random() < 0.9 else None
        deals.append(
            f.DealHistory(
                group=rng.choice(("east", "west", None, 7)),
                entries=tuple(entries),
                closed_on=closed_on,
                won=won,
                amount=rng.choice((None, 0.0, 999.9, 25_000.5, float(rng.randrange(1, 10**6)))),
            )
        )
    return deals


@pytest.mark.parametrize("seed", [1, 2])
def test_learning_from_columns_finds_what_one_deal_at_a_time_finds(seed):
    deals = odd_histories(20_000, seed)
    as_of = D0 + timedelta(days=800)
    learned = columns.learn(deals, as_of=as_of, seed=seed)
    expected = reference_learn(deals, as_of=as_of, seed=seed)
    assert learned.rates == expected.rates
    assert learned.stage_days == expected.stage_days
    assert list(learned.stage_days) == list(expected.stage_days)
    assert learned.group_rates == expected.group_rates
    assert learned.timing.keys() == expected.timing.keys()
    assert max(len(timing.samples) for timing in expected.timing.values()) == f.TIMING_SAMPLE  # drawn
    for stage, timing in expected.timing.items():
        assert learned.timing[stage].samples == timing.samples
        assert learned.timing[stage].edges == timing.edges
    assert columns.learn(columns.HistoryColumns.of(deals), as_of=as_of, seed=seed).timing == learned.timing


def test_learning_from_no_deals_finds_nothing():
    assert columns.learn([], as_of=D0) == f.History(rates={}, stage_days={}, timing={}, group_rates={})


def reference_calibrate_many(deals, history, targets, *, history_start=None):
    """`calibrate_many` as it was written before it worked on columns: one pass, one deal at a time."""
    points = {
        key: [
            (s + (as_of - start), e)
            for s, e in f.usable_periods(past, as_of=as_of, history_start=history_start)[
                : f.CALIBRATION_PERIODS
            ]
        ]
        for key, (as_of, start, past) in targets.items()
    }
    sums, closings = {}, {}
    earliest = min((point for usable in points.values() for point, _ in usable), default=None)
    for deal in deals:
        if deal.won is not None and deal.closed_on is not None:
            closings.setdefault(deal.group, []).append((deal.closed_on, deal.won))
        if earliest is None or (deal.closed_on is not None and deal.closed_on <= earliest):
            continue
        for key, usable in points.items():
            for index, (point, end) in enumerate(usable):
                if deal.closed_on is not None and deal.closed_on <= point:
                    continue
                state = f.state_on(deal.entries, point)
                amount = deal.amount_on(point)
                if state is None or not amount:
                    continue
                chance = history.timing.get(state[0], f.Timing()).chance(
                    (point - state[1]).days, (end - point).days, amount
                )
                cell = sums.setdefault((key, deal.group, index), [0.0, 0.0, 0.0, 0.0])
                cell[0] += amount * chance
                cell[1] += amount * amount * chance
                cell[2] += (amount * chance) ** 2
                if deal.won and deal.closed_on is not None and deal.closed_on <= end:
                    cell[3] += deal.amount or 0.0
    records = {}
    for group, closes in closings.items():
        closes.sort(key=lambda close: close[0])
        for key, usable in points.items():
            for index, (point, _end) in enumerate(usable):
                counted = [won for day, won in closes if point - timedelta(days=f.RECENT_DAYS) <= day < point]
                if counted:
                    records[(key, group, index)] = (len(counted), sum(counted))
    everyone = {}
    for (key, _group, index), (closed, won) in records.items():
        counts = everyone.setdefault((key, index), [0, 0])
        counts[0] += closed
        counts[1] += won
    cells = {key: {} for key in targets}
    for (key, group, index), (chances, squares, products, won) in sums.items():
        factor = f.shrunk_factor(
            *records.get((key, group, index), (0, 0)), *everyone.get((key, index), (0, 0))
        )
        cells[key][(group, index)] = (factor * chances, factor * squares - factor * factor * products, won)
    return sums, records, {key: f._calibration(cells[key]) for key in targets}


def test_calibrating_from_columns_adds_up_what_one_deal_at_a_time_adds_up():
    rng = Random(5)
    deals = []
    for plain in odd_histories(6_000, 3):
        changes = ()
        if rng.random() < 0.2:  # amounts edited on the way, some to nothing or unknown
            day = plain.entries[0][1] + timedelta(days=rng.randrange(0, 200))
            changes = ((day, rng.choice((None, 0.0, 5_000.0)), plain.amount),)
        deals.append(f.DealHistory(**{**plain.__dict__, "amount_changes": changes}))
    as_of = D0 + timedelta(days=800)
    history = columns.learn(deals, as_of=as_of)
    quarters = [(D0 + timedelta(days=91 * n), D0 + timedelta(days=91 * n + 90)) for n in range(8, 0, -1)]
    months = [(D0 + timedelta(days=30 * n), D0 + timedelta(days=30 * n + 29)) for n in range(26, 18, -1)]
    targets = {
        "quarter": (as_of, D0 + timedelta(days=91 * 8 + 30), quarters),
        "month": (as_of, as_of - timedelta(days=35), months),  # points after the months' ends
    }
    sums, records, expected = reference_calibrate_many(deals, history, targets, history_start=D0)
    assert len(sums) > 20 and len(records) > 20
    assert columns.calibrate_many(deals, history, targets, history_start=D0) == expected  # to the last bit
    assert (
        columns.calibrate_many(columns.HistoryColumns.of(deals), history, targets, history_start=D0)
        == expected
    )
    entries = columns.HistoryColumns.of(deals).entries
    points = {
        key: [(s + (day - start), e) for s, e in f.usable_periods(past, as_of=day, history_start=D0)[:4]]
        for key, (day, start, past) in targets.items()
    }
    found = columns._period_sums(entries, history, points)
    assert found == sums
    assert list(found) == list(sums)  # the order they are added up in afterwards
    assert columns._records(entries, points) == records


def test_learning_with_stage_ids_far_apart_finds_what_one_deal_at_a_time_finds():
    deals = [
        f.DealHistory(
            **{**deal.__dict__, "entries": tuple((stage * 10**9, day) for stage, day in deal.entries)}
        )
        for deal in odd_histories(300, 4)
    ]
    as_of = D0 + timedelta(days=800)
    learned, expected = columns.learn(deals, as_of=as_of), reference_learn(deals, as_of=as_of)
    assert (learned.rates, learned.stage_days, learned.group_rates) == (
        expected.rates,
        expected.stage_days,
        expected.group_rates,
    )
    assert {stage: timing.samples for stage, timing in learned.timing.items()} == {
        stage: timing.samples for stage, timing in expected.timing.items()
    }
