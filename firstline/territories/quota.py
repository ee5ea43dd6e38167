"""Quota allocation: split a team target among sellers by a documented blend, explained per seller.

    share(seller) = w_history × history / Σ history
                  + w_potential × untapped potential / Σ untapped potential
                  + w_pipeline × pipeline / Σ pipeline

History is closed-won revenue in the same period a year before; untapped potential is the
territory's market potential not yet won (whitespace); pipeline is open revenue closing in the period.
A component that is zero for the whole team carries no information, so its weight is shared among
the others in proportion (and the explanation says so). Amounts are rounded to cents and the
remainder handed out by largest remainder, so the proposals add up to the target exactly.
Bottom-up adjustments are added afterwards; the over-assignment ratio is Σ final / target.

Pure Python with Decimals: no database here.
"""

from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal

CENT = Decimal("0.01")
COMPONENTS = (
    ("history", "last year's won revenue"),
    ("potential", "untapped potential"),
    ("pipeline", "open pipeline"),
)


@dataclass(frozen=True)
class SellerInput:
    key: object
    name: str
    history: Decimal
    potential: Decimal
    pipeline: Decimal


@dataclass(frozen=True)
class Allocation:
    key: object
    share: Decimal
    proposed: Decimal
    explanation: str


def effective_weights(sellers: list[SellerInput], weights: dict[str, Decimal]) -> dict[str, Decimal]:
    totals = {name: sum((getattr(s, name) for s in sellers), Decimal(0)) for name, _ in COMPONENTS}
    used = {name: Decimal(weights.get(name, 0)) for name, _ in COMPONENTS if totals[name] > 0}
    total_weight = sum(used.values(), Decimal(0))
    if total_weight <= 0:
        return {}
    return {name: w / total_weight for name, w in used.items()}


def allocate(
    team_target: Decimal,
    sellers: list[SellerInput],
    weights: dict[str, Decimal],
    money=lambda amount: f"{amount:,.0f}",
) -> list[Allocation]:
    """Proposed quota per seller, summing exactly to `team_target`."""
    if not sellers:
        return []
    if any(w < 0 for w in weights.values()):
        raise ValueError("Weights cannot be negative.")
    effective = effective_weights(sellers, weights)
    totals = {name: sum((getattr(s, name) for s in sellers), Decimal(0)) for name, _ in COMPONENTS}
    if effective:
        shares = [
            sum((w * getattr(s, name) / totals[name] for name, w in effective.items()), Decimal(0))
            for s in sellers
        ]
    else:  # nothing known about anyone: an even split, said as much
        shares = [Decimal(1) / len(sellers)] * len(sellers)
    amounts = _round_to_total(team_target, shares)
    dropped = [
        label for name, label in COMPONENTS if Decimal(weights.get(name, 0)) > 0 and name not in effective
    ]
    return [
        Allocation(
            s.key, share, amount, _explain(s, share, amount, team_target, effective, totals, dropped, money)
        )
        for s, share, amount in zip(sellers, shares, amounts, strict=True)
    ]


def _round_to_total(total: Decimal, shares: list[Decimal]) -> list[Decimal]:
    exact = [total * share for share in shares]
    floored = [amount.quantize(CENT, rounding=ROUND_FLOOR) for amount in exact]
    cents_left = int(((total - sum(floored, Decimal(0))) / CENT).to_integral_value())
    by_remainder = sorted(range(len(exact)), key=lambda i: exact[i] - floored[i], reverse=True)
    for i in by_remainder[:cents_left]:
        floored[i] += CENT
    return floored


def _explain(seller, share, amount, target, effective, totals, dropped, money) -> str:
    if not effective:
        return (
            f"No history, potential or pipeline anywhere in the team, so an even split: "
            f"{share:.1%} of {money(target)} = {money(amount)}."
        )
    parts = []
    for name, label in COMPONENTS:
        if name in effective:
            value = getattr(seller, name)
            parts.append(
                f"{value / totals[name]:.1%} of the team's {label} ({money(value)} of "
                f"{money(totals[name])}) × weight {effective[name]:.2f}"
            )
    text = " + ".join(parts) + f" = {share:.1%} of the {money(target)} target = {money(amount)}."
    if dropped:
        text = f"{', '.join(dropped).capitalize()}: none in the team, so its weight went to the rest. " + text
    return text


def over_assignment(team_target: Decimal, finals: list[Decimal]) -> tuple[Decimal | None, Decimal]:
    """(Σ final / target, Σ final − target): above 1 means the team carries more than its target."""
    total = sum(finals, Decimal(0))
    return (total / team_target if team_target else None), total - team_target
