"""Reads for hiring and engagement pages: pulse results that never show a group smaller than
MIN_GROUP, eNPS per team and its trend, time to fill and the retention-risk flags."""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import Count, Max, Q, Sum

from firstline.coaching.models import CoachingSession, DevelopmentGoal
from firstline.core.formatting import percent
from firstline.core.periods import fiscal_calendar
from firstline.kpis.engagement import EnpsCounts, enps, mean_days
from firstline.kpis.metrics import ratio
from firstline.kpis.selectors import seller_figures
from firstline.talent.models import MIN_GROUP, PULSE_ITEMS, Position, PulseResponse

ITEM_KEYS = [key for key, _text in PULSE_ITEMS]
EMPTY = EnpsCounts(0, 0, 0)


@dataclass
class GroupResult:
    """A team's answers to one pulse; when `shown` is False nothing but that fact may be displayed."""

    answers: int
    counts: EnpsCounts
    item_sums: dict[str, int]
    shown: bool = True

    @property
    def enps(self) -> Decimal | None:
        return enps(self.counts) if self.shown else None

    @property
    def items(self) -> list[tuple[str, Decimal | None]]:
        return [
            (text, ratio(self.item_sums[key], self.answers) if self.shown else None)
            for key, text in PULSE_ITEMS
        ]


def _raw_groups(pulses) -> dict[int, dict[str, GroupResult]]:
    """pulse → team path → the answers of people in exactly that team (one grouped query)."""
    rows = (
        PulseResponse.objects.filter(pulse__in=pulses)
        .values("pulse_id", "team__path")
        .annotate(
            n=Count("pk"),
            promoters=Count("pk", filter=Q(enps__gte=9)),
            detractors=Count("pk", filter=Q(enps__lte=6)),
            **{key: Sum(key) for key in ITEM_KEYS},
        )
        .order_by()
    )
    groups: dict[int, dict[str, GroupResult]] = defaultdict(dict)
    for row in rows:
        passives = row["n"] - row["promoters"] - row["detractors"]
        counts = EnpsCounts(row["promoters"], passives, row["detractors"])
        groups[row["pulse_id"]][row["team__path"]] = GroupResult(
            row["n"], counts, {key: row[key] for key in ITEM_KEYS}
        )
    return groups


def suppress(answers_by_path: dict[str, int], paths: list[str]) -> set[str]:
    """The team paths whose results must be hidden: fewer than MIN_GROUP answers, or a remainder of
    1 to MIN_GROUP − 1 answers left when the shown sub-teams are subtracted (which would reveal a
    small group by difference). Worked bottom-up so a hidden team counts as hidden for its parent."""
    hidden: set[str] = set()
    for path in sorted(paths, key=lambda p: (-p.count("/"), p)):
        total = answers_by_path[path]
        depth = path.count("/") + 1
        children = [p for p in paths if p.startswith(path) and p.count("/") == depth]
        remainder = total - sum(answers_by_path[c] for c in children if c not in hidden)
        if total < MIN_GROUP or 0 < remainder < MIN_GROUP:
            hidden.add(path)
    return hidden


def pulse_results(*, pulses: list, teams: list) -> dict[int, dict[int, GroupResult]]:
    """pulse id → team id → the answers of the team's whole subtree, suppressed where too small."""
    raw = _raw_groups(pulses)
    results: dict[int, dict[int, GroupResult]] = {}
    paths = [team.path for team in teams]
    for pulse in pulses:
        groups = raw.get(pulse.pk, {})
        by_path = {}
        for path in paths:
            parts = [g for p, g in groups.items() if p.startswith(path)]
            by_path[path] = GroupResult(
                sum(g.answers for g in parts),
                sum((g.counts for g in parts), EMPTY),
                {key: sum(g.item_sums[key] for g in parts) for key in ITEM_KEYS},
            )
        hidden = suppress({p: r.answers for p, r in by_path.items()}, paths)
        for result_path in hidden:
            by_path[result_path].shown = False
        results[pulse.pk] = {team.pk: by_path[team.path] for team in teams}
    return results


@dataclass
class HiringFigures:
    open_positions: int
    filled_last_year: int
    mean_days_to_fill: Decimal | None
    candidates_by_stage: dict[str, int] = field(default_factory=dict)


def hiring_figures(*, user, today: date) -> HiringFigures:
    positions = Position.objects.visible_to(user)
    filled = positions.filled().filter(filled_on__gt=today - timedelta(days=365))
    spans = list(filled.values_list("opened_on", "filled_on"))
    return HiringFigures(
        open_positions=positions.open().count(),
        filled_last_year=len(spans),
        mean_days_to_fill=mean_days(spans),
    )


# The retention-risk rules, documented in docs/coaching-and-talent.md; each flag says why.
RISK_RULES = (
    "Falling attainment",
    "Overdue development goals",
    "Long time since coaching",
    "Low team engagement",
)
ATTAINMENT_DROP_POINTS = 20
NO_COACHING_DAYS = 45
LOW_ENPS = Decimal(0)


@dataclass
class RiskRow:
    person: object
    team: object
    reasons: list[tuple[str, str]]  # (rule, why)


def retention_risks(*, user, memberships: list, team_enps: dict[int, Decimal | None], today: date):
    """Flag sellers by explained rules: falling attainment, overdue development goals, long time
    since coaching, low team engagement. A fixed number of queries for any team size."""
    people = [m.person for m in memberships]
    ids = [p.pk for p in people]
    calendar = fiscal_calendar()
    last_quarter = calendar.quarter_of(calendar.quarter_of(today).start - timedelta(days=1))
    before = calendar.quarter_of(last_quarter.start - timedelta(days=1))
    recent, earlier = (
        {f.person.pk: f.percent_to_plan for f in seller_figures(user=user, people=people, period=period)}
        for period in (last_quarter, before)
    )
    overdue = dict(
        DevelopmentGoal.objects.visible_to(user)
        .overdue(today)
        .filter(plan__person_id__in=ids)
        .values("plan__person_id")
        .annotate(n=Count("pk"))
        .values_list("plan__person_id", "n")
    )
    last_session = dict(
        CoachingSession.objects.visible_to(user)
        .filter(seller_id__in=ids, held_on__lte=today)
        .values("seller_id")
        .annotate(last=Max("held_on"))
        .values_list("seller_id", "last")
    )
    rows = []
    for membership in memberships:
        pk, reasons = membership.person_id, []
        now, then = recent.get(membership.person_id), earlier.get(membership.person_id)
        if now is not None and then is not None and (then - now) * 100 >= ATTAINMENT_DROP_POINTS:
            reasons.append(
                (
                    "Falling attainment",
                    f"{percent(now)} to plan in {last_quarter.label}, "
                    f"down from {percent(then)} in {before.label}.",
                )
            )
        if overdue.get(pk):
            reasons.append(("Overdue development goals", f"{overdue[pk]} development goal(s) past due."))
        last = last_session.get(pk)
        if last is None or (today - last).days > NO_COACHING_DAYS:
            since = "No coaching session recorded."
            if last is not None:
                since = f"Last coached {(today - last).days} days ago."
            reasons.append(("Long time since coaching", since))
        score = team_enps.get(membership.team_id)
        if score is not None and score < LOW_ENPS:
            reasons.append(("Low team engagement", f"The team's latest eNPS is {score:.0f}."))
        rows.append(RiskRow(membership.person, membership.team, reasons))
    rows.sort(key=lambda row: (-len(row.reasons), row.person.name))
    return rows
