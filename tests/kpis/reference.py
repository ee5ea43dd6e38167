"""An independent reference for the KPI table: plain Python over plain records, written from the
definitions in DESIGN.md without any of firstline.kpis, so the module is checked against something
other than itself."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal


@dataclass(frozen=True)
class Deal:
    owner: int
    amount: Decimal | None
    outcome: str
    created: date
    close_date: date | None
    closed_on: date | None
    furthest: int  # index of the last funnel step reached (open stages, then won)


@dataclass(frozen=True)
class Stay:
    person: int
    team: int
    start: date
    end: date | None


def team_on(stays, person, day):
    for stay in stays:
        if stay.person == person and stay.start <= day and (stay.end is None or day <= stay.end):
            return stay.team
    return None


def belongs(stays, deal, day, population):
    kind, value = population
    if kind == "company":
        return True
    if kind == "seller":
        return deal.owner == value
    return day is not None and team_on(stays, deal.owner, day) in value


def figures(deals, stays, population, start, end, targets=()):
    def closed(outcome, lo=start, hi=end):
        return [
            d
            for d in deals
            if d.outcome == outcome
            and d.closed_on
            and lo <= d.closed_on <= hi
            and belongs(stays, d, d.closed_on, population)
        ]

    won, lost = closed("won"), closed("lost")
    prior = closed("won", start.replace(year=start.year - 1), end.replace(year=end.year - 1))
    open_ = [
        d
        for d in deals
        if d.outcome == "open"
        and d.close_date
        and start <= d.close_date <= end
        and belongs(stays, d, d.close_date, population)
    ]
    won_amount = sum((d.amount for d in won if d.amount is not None), Decimal(0))
    lost_amount = sum((d.amount for d in lost if d.amount is not None), Decimal(0))
    known = [d for d in won if d.amount is not None]
    target = sum((amount for amount in targets), Decimal(0))
    result = {
        "won_count": len(won),
        "won_amount": won_amount,
        "lost_count": len(lost),
        "open_count": len(open_),
        "open_amount": sum((d.amount for d in open_ if d.amount is not None), Decimal(0)),
        "close_ratio_count": Decimal(len(won)) / (len(won) + len(lost)) if won or lost else None,
        "close_ratio_amount": won_amount / (won_amount + lost_amount) if won_amount + lost_amount else None,
        "average_deal_size": won_amount / len(known) if known else None,
        "sales_cycle_days": (
            Decimal(sum((d.closed_on - d.created).days for d in won)) / len(won) if won else None
        ),
        "won_amount_year_before": sum((d.amount for d in prior if d.amount is not None), Decimal(0)),
        "percent_to_plan": won_amount / target if target else None,
    }
    before = result["won_amount_year_before"]
    result["growth"] = (won_amount - before) / before if before else None
    # Funnel: how many closed deals reached each step, and the step-to-step conversion.
    steps = max((d.furthest for d in deals), default=0) + 1
    reached = [sum(1 for d in won + lost if d.furthest >= k) for k in range(steps)]
    result["reached"] = reached
    return result
