"""The risk rules: plain functions from what we know about one open deal to the signals it trips,
each with its reason and the day it started. No database here; deals.selectors gathers the facts.
"""

from dataclasses import dataclass
from datetime import date, timedelta

from firstline.deals.models import SignalKind

SLIPS_TO_FLAG = 2  # a close date moved later this many times
AMOUNT_CUT_SHARE = 0.10  # the amount fell at least this far below its highest value
MIN_STAKEHOLDERS = 2


@dataclass(frozen=True)
class Signal:
    kind: str
    reason: str
    since: date

    def get_kind_display(self) -> str:
        """Named like the stored RiskSignal's, so one template shows live and stored signals."""
        return SignalKind(self.kind).label


@dataclass(frozen=True)
class DealFacts:
    today: date
    stage_name: str
    stage_entered: date
    qualified_since: date | None  # when it first reached the stage from which we expect a buying group
    stall_limit: tuple[float, int] | None  # (75th percentile of days in this stage, deals it rests on)
    close_date: date | None
    close_date_changes: tuple[tuple[date, date | None, date | None], ...] = ()  # (when, old, new)
    amount: float | None = None
    amount_changes: tuple[tuple[date, float | None, float | None], ...] = ()  # (when, old, new)
    stakeholder_roles: tuple[str, ...] = ()  # one per stakeholder on the deal, in no particular order
    next_step: str = ""
    open_action_items: int = 0
    created: date | None = None


def _day(value: date) -> str:
    return f"{value.day} {value:%b %Y}"


def stalled(facts: DealFacts) -> Signal | None:
    if facts.stall_limit is None:
        return None
    limit, sample = facts.stall_limit
    days = (facts.today - facts.stage_entered).days
    if days <= limit:
        return None
    return Signal(
        SignalKind.STALLED,
        f"In {facts.stage_name} for {days} days; 75 % of deals moved on within {limit:.0f} days "
        f"(from {sample} deals).",
        # The first whole day on which the deal had been in the stage longer than the limit.
        facts.stage_entered + timedelta(days=int(limit) + 1),
    )


def slipped(facts: DealFacts) -> Signal | None:
    slips = [(when, old, new) for when, old, new in facts.close_date_changes if old and new and new > old]
    if len(slips) < SLIPS_TO_FLAG:
        return None
    first_old = slips[0][1]
    return Signal(
        SignalKind.SLIPPED,
        f"Close date moved later {len(slips)} times, from {_day(first_old)} to {_day(slips[-1][2])}.",
        slips[SLIPS_TO_FLAG - 1][0],
    )


def single_threaded(facts: DealFacts) -> Signal | None:
    if facts.qualified_since is None or len(facts.stakeholder_roles) >= MIN_STAKEHOLDERS:
        return None
    count = len(facts.stakeholder_roles)
    who = "no contact" if count == 0 else "one contact"
    return Signal(
        SignalKind.SINGLE_THREADED,
        f"Only {who} on the deal since it reached qualification; a buying group needs at least "
        f"{MIN_STAKEHOLDERS}.",
        facts.qualified_since,
    )


def no_power(facts: DealFacts) -> Signal | None:
    if facts.qualified_since is None:
        return None
    missing = [
        label
        for role, label in (("economic_buyer", "economic buyer"), ("champion", "champion"))
        if role not in facts.stakeholder_roles
    ]
    if not missing:
        return None
    return Signal(
        SignalKind.NO_POWER, f"No {' and no '.join(missing)} identified on the deal.", facts.qualified_since
    )


def no_next_step(facts: DealFacts) -> Signal | None:
    if facts.next_step.strip() or facts.open_action_items:
        return None
    return Signal(SignalKind.NO_NEXT_STEP, "No next step and no open action item.", facts.stage_entered)


def amount_cut(facts: DealFacts) -> Signal | None:
    if facts.amount is None or not facts.amount_changes:
        return None
    known = [value for _, old, new in facts.amount_changes for value in (old, new) if value is not None]
    peak = max([*known, facts.amount])
    if peak <= 0 or facts.amount > peak * (1 - AMOUNT_CUT_SHARE):
        return None
    cuts = [
        when for when, old, new in facts.amount_changes if old is not None and new is not None and new < old
    ]
    return Signal(
        SignalKind.AMOUNT_CUT,
        f"Amount cut by {1 - facts.amount / peak:.0%} from its high of {peak:,.0f} to {facts.amount:,.0f}.",
        max(cuts, default=facts.today),
    )


def past_close(facts: DealFacts) -> Signal | None:
    if facts.close_date is None or facts.close_date >= facts.today:
        return None
    days = (facts.today - facts.close_date).days
    ago = f"{days} day{'s' if days != 1 else ''} ago"
    return Signal(
        SignalKind.PAST_CLOSE,
        f"Expected to close on {_day(facts.close_date)}, {ago}, and still open.",
        facts.close_date + timedelta(days=1),
    )


RULES = (stalled, slipped, single_threaded, no_power, no_next_step, amount_cut, past_close)


def signals(facts: DealFacts) -> list[Signal]:
    """Every signal an open deal trips, in the order the rules are listed."""
    return [signal for rule in RULES if (signal := rule(facts)) is not None]
