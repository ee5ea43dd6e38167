"""Cross-model reads for territory pages: past results per seller and market opportunity by segment.
Ratios go through the KPI module so "no data" means the same everywhere."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import Count, Q, Sum

from firstline.core.periods import Period
from firstline.kpis.metrics import ratio
from firstline.pipeline.models import Account, Opportunity, Outcome
from firstline.territories.models import TerritoryAssignment

ZERO = Decimal(0)


def year_before(period: Period) -> Period:
    def back(day: date) -> date:
        try:
            return day.replace(year=day.year - 1)
        except ValueError:  # 29 February
            return day.replace(year=day.year - 1, day=28)

    return Period(f"{period.label} a year before", back(period.start), back(period.end))


@dataclass(frozen=True)
class SegmentFigures:
    segment: str
    potential: Decimal
    won: Decimal
    won_before: Decimal
    won_count: int
    lost_count: int

    @property
    def whitespace(self) -> Decimal:
        return max(self.potential - self.won, ZERO)

    @property
    def close_ratio(self) -> Decimal | None:
        return ratio(self.won_count, self.won_count + self.lost_count)

    @property
    def growth(self) -> Decimal | None:
        return ratio(self.won - self.won_before, self.won_before)


def seller_segments(*, user, seller, period: Period) -> list[SegmentFigures]:
    """Potential, won, close ratio and growth by segment of the seller's current territory accounts
    (two grouped queries)."""
    accounts = Account.objects.visible_to(user).filter(
        territory_assignments__end__isnull=True, territory_assignments__territory__owner=seller
    )
    potential = dict(
        accounts.order_by().values("segment").annotate(p=Sum("market_potential")).values_list("segment", "p")
    )
    before = year_before(period)
    deals = (
        Opportunity.objects.visible_to(user)
        .filter(account__in=accounts)
        .order_by()
        .values("account__segment")
    )
    won_q = Q(stage__outcome=Outcome.WON)
    closed = deals.annotate(
        won=Sum("amount", filter=won_q & Q(closed_on__range=(period.start, period.end))),
        won_before=Sum("amount", filter=won_q & Q(closed_on__range=(before.start, before.end))),
        won_count=Count("pk", filter=won_q & Q(closed_on__range=(period.start, period.end))),
        lost_count=Count(
            "pk", filter=Q(stage__outcome=Outcome.LOST, closed_on__range=(period.start, period.end))
        ),
    )
    by_segment = {row["account__segment"]: row for row in closed}
    segments = sorted(set(potential) | set(by_segment))
    return [
        SegmentFigures(
            segment=s,
            potential=potential.get(s) or ZERO,
            won=by_segment.get(s, {}).get("won") or ZERO,
            won_before=by_segment.get(s, {}).get("won_before") or ZERO,
            won_count=by_segment.get(s, {}).get("won_count") or 0,
            lost_count=by_segment.get(s, {}).get("lost_count") or 0,
        )
        for s in segments
    ]


def territory_totals(territories) -> dict[int, dict]:
    """Accounts and potential per territory, one grouped query."""
    rows = (
        TerritoryAssignment.objects.current()
        .filter(territory__in=territories)
        .order_by()
        .values("territory_id")
        .annotate(accounts=Count("pk"), potential=Sum("account__market_potential"))
    )
    return {r["territory_id"]: {"accounts": r["accounts"], "potential": r["potential"] or ZERO} for r in rows}
