"""Each risk rule, at and around its boundary. Pure functions: no database."""

from dataclasses import replace
from datetime import date, timedelta

from firstline.deals import risk
from firstline.deals.models import SignalKind

TODAY = date(2026, 5, 20)
HEALTHY = risk.DealFacts(
    today=TODAY,
    stage_name="Develop",
    stage_entered=TODAY - timedelta(days=10),
    qualified_since=TODAY - timedelta(days=30),
    stall_limit=(20.0, 120),
    close_date=TODAY + timedelta(days=30),
    amount=100_000.0,
    stakeholder_roles=("economic_buyer", "champion"),
    next_step="Demo for the CFO",
)


def kinds(facts) -> set[str]:
    return {signal.kind for signal in risk.signals(facts)}


def test_a_healthy_deal_trips_nothing():
    assert kinds(HEALTHY) == set()


def test_stalled_only_past_the_teams_75th_percentile():
    at_limit = replace(HEALTHY, stage_entered=TODAY - timedelta(days=20))
    over = replace(HEALTHY, stage_entered=TODAY - timedelta(days=21))
    assert risk.stalled(at_limit) is None
    signal = risk.stalled(over)
    assert signal.kind == SignalKind.STALLED
    assert signal.since == TODAY  # day 21 in the stage is the first day past a 20-day limit
    assert "21 days" in signal.reason and "20 days" in signal.reason and "120 deals" in signal.reason


def test_stalled_since_with_a_fractional_limit():
    facts = replace(HEALTHY, stall_limit=(20.5, 40), stage_entered=TODAY - timedelta(days=30))
    assert risk.stalled(facts).since == TODAY - timedelta(days=30) + timedelta(days=21)


def test_no_threshold_means_no_stall_signal():
    assert risk.stalled(replace(HEALTHY, stall_limit=None, stage_entered=TODAY - timedelta(days=400))) is None


def test_slipped_needs_two_moves_later():
    d = date(2026, 6, 1)
    once = replace(HEALTHY, close_date_changes=((TODAY - timedelta(days=9), d, d + timedelta(days=30)),))
    assert risk.slipped(once) is None
    twice = replace(
        HEALTHY,
        close_date_changes=(
            (TODAY - timedelta(days=9), d, d + timedelta(days=30)),
            (TODAY - timedelta(days=4), d + timedelta(days=30), d + timedelta(days=45)),
        ),
    )
    signal = risk.slipped(twice)
    assert signal.since == TODAY - timedelta(days=4)
    assert "2 times" in signal.reason and "1 Jun 2026" in signal.reason and "16 Jul 2026" in signal.reason


def test_moving_a_close_date_earlier_is_not_a_slip():
    d = date(2026, 6, 1)
    pulled_in = replace(
        HEALTHY,
        close_date_changes=(
            (TODAY - timedelta(days=9), d, d - timedelta(days=10)),
            (TODAY - timedelta(days=4), d - timedelta(days=10), d + timedelta(days=5)),
        ),
    )
    assert risk.slipped(pulled_in) is None


def test_single_threaded_below_two_stakeholders_once_qualified():
    one = replace(HEALTHY, stakeholder_roles=("champion",))
    assert risk.single_threaded(one).since == HEALTHY.qualified_since
    assert risk.single_threaded(replace(HEALTHY, stakeholder_roles=("champion", "user"))) is None
    assert risk.single_threaded(replace(one, qualified_since=None)) is None  # still prospecting


def test_no_power_names_what_is_missing():
    signal = risk.no_power(replace(HEALTHY, stakeholder_roles=("champion", "user")))
    assert signal.reason == "No economic buyer identified on the deal."
    both = risk.no_power(replace(HEALTHY, stakeholder_roles=("user",)))
    assert "economic buyer and no champion" in both.reason
    assert risk.no_power(HEALTHY) is None


def test_no_next_step_unless_an_action_item_is_open():
    blank = replace(HEALTHY, next_step="   ")
    assert risk.no_next_step(blank).kind == SignalKind.NO_NEXT_STEP
    assert risk.no_next_step(replace(blank, open_action_items=1)) is None


def test_amount_cut_at_ten_percent_below_the_high():
    changes = ((TODAY - timedelta(days=3), 100_000.0, 90_000.0),)
    assert risk.amount_cut(
        replace(HEALTHY, amount=90_000.0, amount_changes=changes)
    ).since == TODAY - timedelta(days=3)
    small = ((TODAY - timedelta(days=3), 100_000.0, 90_001.0),)
    assert risk.amount_cut(replace(HEALTHY, amount=90_001.0, amount_changes=small)) is None


def test_amount_cut_remembers_an_earlier_high():
    changes = (
        (TODAY - timedelta(days=20), 80_000.0, 120_000.0),
        (TODAY - timedelta(days=5), 120_000.0, 100_000.0),
    )
    signal = risk.amount_cut(replace(HEALTHY, amount=100_000.0, amount_changes=changes))
    assert signal is not None and "17%" in signal.reason and "120,000" in signal.reason


def test_past_close_from_the_day_after():
    assert risk.past_close(replace(HEALTHY, close_date=TODAY)) is None
    signal = risk.past_close(replace(HEALTHY, close_date=TODAY - timedelta(days=1)))
    assert signal.since == TODAY and "1 day ago" in signal.reason


def test_an_unknown_close_date_or_amount_trips_nothing_by_itself():
    assert kinds(replace(HEALTHY, close_date=None, amount=None)) == set()
