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
from firstline.kpis.selectors import seller_figures_by_period
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


def _parent(path: str) -> str:
    """ "/1/2/3/" → "/1/2/" (and "/1/" → "/")."""
    return path[: path.rstrip("/").rfind("/") + 1]


def suppress(answers_by_path: dict[str, int], paths: list[str]) -> set[str]:
    """The team paths whose results must be hidden: fewer than MIN_GROUP answers, or a remainder of
    1 to MIN_GROUP − 1 answers left when the shown sub-teams are subtracted (which would reveal a
    small group by difference). Worked bottom-up so a hidden team counts as hidden for its parent."""
    children: dict[str, list[str]] = defaultdict(list)
    for path in paths:
        children[_parent(path)].append(path)
    hidden: set[str] = set()
    for path in sorted(paths, key=lambda p: (-p.count("/"), p)):
        total = answers_by_path[path]
        remainder = total - sum(answers_by_path[c] for c in children[path] if c not in hidden)
        if total < MIN_GROUP or 0 < remainder < MIN_GROUP:
            hidden.add(path)
    return hidden


def pulse_results(*, pulses: list, teams: list) -> dict[int, dict[int, GroupResult]]:
    """pulse id → team id → the answers of the team's whole subtree, suppressed where too small.
    Each group's answers are added to the team it is in and every team above it: work in
    proportion to the number of teams, not its square."""
    raw = _raw_groups(pulses)
    results: dict[int, dict[int, GroupResult]] = {}
    paths = [team.path for team in teams]
    for pulse in pulses:
        by_path = {path: GroupResult(0, EMPTY, dict.fromkeys(ITEM_KEYS, 0)) for path in paths}
        for group_path, group in raw.get(pulse.pk, {}).items():
            above = group_path
            while above != "/":
                if (total := by_path.get(above)) is not None:
                    total.answers += group.answers
                    total.counts += group.counts
                    for key in ITEM_KEYS:
                        total.item_sums[key] += group.item_sums[key]
                above = _parent(above)
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


@dataclass(frozen=True)
class _Seller:
    """A seller known only by id (seller_figures reads nothing else): a roll-up needs no names."""

    pk: int


@dataclass
class _RiskFacts:
    """What the rules read, for a set of sellers (a fixed number of queries however many)."""

    last_quarter: object
    before: object
    recent: dict[int, Decimal | None]  # percent to plan in the last completed quarter
    earlier: dict[int, Decimal | None]  # … and in the quarter before
    overdue: dict[int, int]  # overdue development goals
    last_session: dict[int, date]
    coaching_since: date | None  # sessions before this day were not read (None: all were)


def _risk_facts(*, user, people: list, person_ids, today: date, coaching_since: date | None = None):
    calendar = fiscal_calendar()
    last_quarter = calendar.quarter_of(calendar.quarter_of(today).start - timedelta(days=1))
    before = calendar.quarter_of(last_quarter.start - timedelta(days=1))
    recent, earlier = (
        {f.person.pk: f.percent_to_plan for f in figures}
        for figures in seller_figures_by_period(
            user=user, people=people, periods=[last_quarter, before], person_ids=person_ids
        )
    )
    overdue = dict(
        DevelopmentGoal.objects.visible_to(user)
        .overdue(today)
        .filter(plan__person_id__in=person_ids)
        .values("plan__person_id")
        .annotate(n=Count("pk"))
        .values_list("plan__person_id", "n")
    )
    sessions = CoachingSession.objects.visible_to(user).filter(seller_id__in=person_ids, held_on__lte=today)
    if coaching_since is not None:
        sessions = sessions.filter(held_on__gte=coaching_since)
    last_session = dict(
        sessions.values("seller_id").annotate(last=Max("held_on")).values_list("seller_id", "last")
    )
    return _RiskFacts(last_quarter, before, recent, earlier, overdue, last_session, coaching_since)


def _reasons(
    facts: _RiskFacts, pk: int, team_id, team_enps: dict, today: date, *, explain: bool = True
) -> list[tuple[str, str]]:
    """The flags of one seller, each with the figures behind it (left out when not `explain`ed:
    a roll-up only counts the flags, and writing thousands of reasons nobody sees costs time)."""
    reasons = []
    now, then = facts.recent.get(pk), facts.earlier.get(pk)
    if now is not None and then is not None and (then - now) * 100 >= ATTAINMENT_DROP_POINTS:
        why = (
            f"{percent(now)} to plan in {facts.last_quarter.label}, "
            f"down from {percent(then)} in {facts.before.label}."
            if explain
            else ""
        )
        reasons.append(("Falling attainment", why))
    if facts.overdue.get(pk):
        reasons.append(("Overdue development goals", f"{facts.overdue[pk]} development goal(s) past due."))
    last = facts.last_session.get(pk)
    if last is None or (today - last).days > NO_COACHING_DAYS:
        if last is not None:
            since = f"Last coached {(today - last).days} days ago."
        elif facts.coaching_since is None:
            since = "No coaching session recorded."
        else:
            since = f"No coaching session in the last {NO_COACHING_DAYS} days."
        reasons.append(("Long time since coaching", since))
    score = team_enps.get(team_id)
    if score is not None and score < LOW_ENPS:
        reasons.append(("Low team engagement", f"The team's latest eNPS is {score:.0f}."))
    return reasons


def retention_risks(*, user, memberships: list, team_enps: dict[int, Decimal | None], today: date):
    """Flag sellers by explained rules: falling attainment, overdue development goals, long time
    since coaching, low team engagement. A fixed number of queries for any team size."""
    people = [m.person for m in memberships]
    facts = _risk_facts(user=user, people=people, person_ids=[p.pk for p in people], today=today)
    rows = [
        RiskRow(m.person, m.team, _reasons(facts, m.person_id, m.team_id, team_enps, today))
        for m in memberships
    ]
    rows.sort(key=lambda row: (-len(row.reasons), row.person.name))
    return rows


@dataclass
class RiskRollup:
    team: object
    sellers: int
    flagged: int
    rule_counts: list[int]  # sellers flagged by each of RISK_RULES


def retention_rollup(
    *, user, groups: dict, team_of: dict[int, int], person_ids, team_enps: dict, today: date
) -> list[RiskRollup]:
    """Per sub-team, how many sellers are flagged and by which rule, for the manager's manager: the
    same rules as retention_risks over the sellers `person_ids` (a subquery), grouped by `groups`
    (team → ids); `team_of` gives each seller's own team (for its engagement). Only the sessions of
    the last NO_COACHING_DAYS days are read: an older one flags the seller all the same."""
    people = [_Seller(pk) for ids in groups.values() for pk in ids]
    since = today - timedelta(days=NO_COACHING_DAYS)
    facts = _risk_facts(user=user, people=people, person_ids=person_ids, today=today, coaching_since=since)
    rollups = []
    for team, ids in groups.items():
        rules = [
            {rule for rule, _why in _reasons(facts, pk, team_of.get(pk), team_enps, today, explain=False)}
            for pk in ids
        ]
        rollups.append(
            RiskRollup(
                team,
                len(ids),
                sum(1 for flags in rules if flags),
                [sum(1 for flags in rules if rule in flags) for rule in RISK_RULES],
            )
        )
    return rollups
