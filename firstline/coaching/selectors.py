"""Cross-model reads for coaching pages: side-by-side assessments, the team heat map, the cadence.

Every function takes the people already narrowed by the caller's scope and runs a fixed number of
queries, however many people or assessments there are.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import Count, Exists, Max, OuterRef, Q

from firstline.coaching.models import (
    ActionItem,
    Assessment,
    AssessmentKind,
    CoachingSession,
    Competency,
    CompetencyFramework,
    OneOnOneSchedule,
    Rating,
)
from firstline.kpis.engagement import days_since, sessions_per_seller_month
from firstline.kpis.metrics import ratio
from firstline.org.models import Membership, Role, Team
from firstline.org.scoping import viewer


@dataclass(frozen=True)
class LedSeller:
    """A seller in a team the viewer leads: just what the team pages show. Plain tuples rather than
    model instances, because a VP's page lists thousands of them."""

    pk: int
    name: str
    team: Team

    @property
    def person(self) -> "LedSeller":
        return self

    @property
    def person_id(self) -> int:
        return self.pk

    @property
    def team_id(self) -> int:
        return self.team.pk


def _led_memberships(user):
    """Current memberships of sellers in the teams the user leads (everyone's, for an admin who
    leads none); no one's for anyone else."""
    who = viewer(user)
    members = Membership.objects.current().filter(person__role=Role.SELLER)
    if who.managed_paths:
        return members.filter(who.subtree_q("team__path"))
    return members if who.is_admin else members.none()


@dataclass
class Drill:
    """One team of the viewer's subtree: its sub-teams one level down (each with the ids of the
    sellers of its whole subtree), the sellers directly in it, the way back up to the viewer's own
    team, and the ids of every seller below it as a subquery (a database then reads them itself
    instead of receiving a list of thousands)."""

    team: Team | None
    groups: dict[Team, list[int]]
    direct: list[LedSeller]
    trail: list[Team]
    within_ids: object
    team_of: dict[int, int] = field(default_factory=dict)  # each grouped seller's own team id

    @property
    def sellers(self) -> int:
        return len(self.direct) + sum(len(ids) for ids in self.groups.values())


def chosen_team(user, chosen: str | None) -> tuple[Team | None, list[Team]]:
    """The team a team page shows: the one the viewer leads (the company's root for an admin who
    leads none), or the sub-team `chosen` (a team id from ?team=) if it is in that subtree; and the
    way back up to the viewer's own team. (None, []) for someone who leads no team."""
    who = viewer(user)
    tops = list(Team.objects.filter(manager_id=who.person_id)) if who.person_id else []
    if not tops and who.is_admin:
        tops = list(Team.objects.filter(parent=None))
    if not tops:
        return None, []
    team = tops[0]
    if chosen and chosen.isdigit():
        picked = Team.objects.filter(pk=int(chosen)).first()
        if picked is not None and any(picked.path.startswith(top.path) for top in tops):
            team = picked
    top = next(t for t in tops if team.path.startswith(t.path))
    trail_ids = [int(part) for part in team.path.strip("/").split("/")[top.path.count("/") - 2 :]]
    trail_teams = Team.objects.in_bulk(trail_ids)
    return team, [trail_teams[pk] for pk in trail_ids if pk in trail_teams]


def drill_down(user, chosen: str | None) -> Drill:
    """Roll a team page up one level at a time: a VP sees regions, a director their teams, a
    first-line manager their sellers; `chosen` (a team id from ?team=) drills into a sub-team.
    Only the sellers directly in the team are read as people; the others are ids, grouped."""
    members = _led_memberships(user)
    team, trail = chosen_team(user, chosen)
    if team is None:
        return Drill(None, {}, [], [], members.values("person_id"))
    members = members.filter(team__path__startswith=team.path)
    depth = team.path.count("/") - 1
    by_child: dict[int, list[int]] = defaultdict(list)
    team_of = {}
    rows = members.exclude(team=team).order_by("person_id").values_list("person_id", "team_id", "team__path")
    for person_id, team_id, path in rows:
        by_child[int(path.split("/")[depth + 1])].append(person_id)
        team_of[person_id] = team_id
    children = Team.objects.select_related("manager").in_bulk(list(by_child))
    groups = {child: by_child[child.pk] for child in sorted(children.values(), key=lambda t: t.path)}
    direct = [
        LedSeller(person_id, name, team)
        for person_id, name in members.filter(team=team)
        .order_by("person__name")
        .values_list("person_id", "person__name")
    ]
    return Drill(team, groups, direct, trail, members.values("person_id"), team_of)


def default_framework(audience: str = "seller") -> CompetencyFramework | None:
    return CompetencyFramework.objects.filter(audience=audience, is_default=True).first()


@dataclass
class Cell:
    score: int | None = None
    previous: int | None = None
    evidence: str = ""

    @property
    def movement(self) -> int | None:
        if self.score is None or self.previous is None:
            return None
        return self.score - self.previous


def _latest_two(assessments) -> tuple[dict[tuple[int, str], list[int]], dict[tuple[int, str], date]]:
    """(person, kind) → ids of the latest and the previous assessment, and the latest one's date."""
    latest: dict[tuple[int, str], list[int]] = defaultdict(list)
    dates: dict[tuple[int, str], date] = {}
    rows = assessments.order_by("-assessed_on", "-pk").values_list("pk", "person_id", "kind", "assessed_on")
    for pk, person_id, kind, assessed_on in rows:
        ids = latest[(person_id, kind)]
        dates.setdefault((person_id, kind), assessed_on)
        if len(ids) < 2:
            ids.append(pk)
    return latest, dates


def _cells(latest: dict[tuple[int, str], list[int]], kind: str) -> dict[tuple[int, int], Cell]:
    """(person, competency) → the latest score of `kind`, the one before, and the evidence."""
    position = {
        pk: (person_id, index)
        for (person_id, k), ids in latest.items()
        if k == kind
        for index, pk in enumerate(ids)
    }
    cells: dict[tuple[int, int], Cell] = defaultdict(Cell)
    rows = (
        Rating.objects.filter(assessment_id__in=position)
        .order_by()
        .values_list("assessment_id", "competency_id", "score", "evidence")
    )
    for assessment_id, competency_id, score, evidence in rows:
        person_id, index = position[assessment_id]
        cell = cells[(person_id, competency_id)]
        if index == 0:
            cell.score, cell.evidence = score, evidence
        else:
            cell.previous = score
    return cells


@dataclass
class ComparisonRow:
    competency: Competency
    manager: Cell
    self: Cell

    @property
    def gap(self) -> int | None:
        if self.manager.score is None or self.self.score is None:
            return None
        return self.self.score - self.manager.score


def assessment_comparison(*, user, person, framework) -> tuple[list[ComparisonRow], dict[str, Assessment]]:
    """The manager's and the seller's latest ratings side by side, with the movement of each since
    the assessment before; also the latest assessment of each kind (for its date and assessor)."""
    assessments = Assessment.objects.visible_to(user).filter(person=person, framework=framework)
    latest, _dates = _latest_two(assessments)
    manager, own = _cells(latest, AssessmentKind.MANAGER), _cells(latest, AssessmentKind.SELF)
    competencies = list(framework.competencies.prefetch_related("levels"))
    rows = [ComparisonRow(c, manager[(person.pk, c.pk)], own[(person.pk, c.pk)]) for c in competencies]
    latest_ids = [ids[0] for ids in latest.values()]
    heads = {a.kind: a for a in Assessment.objects.filter(pk__in=latest_ids).select_related("assessor")}
    return rows, heads


@dataclass
class HeatmapRow:
    person: object
    cells: list[Cell]
    assessed_on: date | None = None


@dataclass
class Heatmap:
    competencies: list[Competency]
    rows: list[HeatmapRow]
    averages: list[Decimal | None] = field(default_factory=list)


def team_heatmap(*, user, people: list, framework) -> Heatmap:
    """The latest manager rating of each person on each competency, its movement since the
    previous manager assessment, and the team average per competency (strengths and needs)."""
    competencies = list(framework.competencies.all())
    assessments = Assessment.objects.visible_to(user).filter(
        person__in=[p.pk for p in people], framework=framework, kind=AssessmentKind.MANAGER
    )
    latest, dates = _latest_two(assessments)
    cells = _cells(latest, AssessmentKind.MANAGER)
    rows = [
        HeatmapRow(p, [cells.get((p.pk, c.pk), Cell()) for c in competencies], dates.get((p.pk, "manager")))
        for p in people
    ]
    return heatmap_of(competencies, rows)


def heatmap_rollup(*, user, groups: dict, person_ids, framework) -> list[tuple[Team, Heatmap]]:
    """Each sub-team's average of its sellers' latest manager ratings per competency, for the
    manager's manager. The sellers are `person_ids` (a subquery), grouped by `groups` (team → ids).
    The database picks each seller's latest manager assessment (no later one, by day then id, as
    _latest_two orders them) and returns only its scores; the sums are made here."""
    competencies = list(framework.competencies.all())
    manager = Assessment.objects.visible_to(user).filter(framework=framework, kind=AssessmentKind.MANAGER)
    later = manager.filter(person_id=OuterRef("person_id")).filter(
        Q(assessed_on__gt=OuterRef("assessed_on"))
        | Q(assessed_on=OuterRef("assessed_on"), pk__gt=OuterRef("pk"))
    )
    latest = manager.filter(person__in=person_ids).filter(~Exists(later))
    group_of = {pk: team for team, ids in groups.items() for pk in ids}
    totals: dict[tuple[Team, int], list[int]] = defaultdict(lambda: [0, 0])  # score sum, people
    scores = Rating.objects.filter(assessment__in=latest.values("pk")).order_by()
    for person_id, competency_id, score in scores.values_list(
        "assessment__person_id", "competency_id", "score"
    ):
        if (team := group_of.get(person_id)) is None:
            continue  # a seller directly in the shown team: on the page's own rows, not in a roll-up
        total = totals[team, competency_id]
        total[0] += score
        total[1] += 1
    return [
        (
            team,
            Heatmap(competencies, [], [ratio(*totals.get((team, c.pk), (0, 0))) for c in competencies]),
        )
        for team in groups
    ]


def heatmap_of(competencies: list[Competency], rows: list[HeatmapRow]) -> Heatmap:
    """A heat map of these rows, with the average per competency of those rated."""
    averages = []
    for index in range(len(competencies)):
        scores = [row.cells[index].score for row in rows if row.cells[index].score is not None]
        averages.append(ratio(sum(scores), len(scores)))
    return Heatmap(competencies, rows, averages)


@dataclass
class CadenceRow:
    person: object
    sessions: int
    per_month: Decimal | None
    last: date | None
    days_since: int | None
    overdue_items: int
    next_one_on_one: date | None


CADENCE_MONTHS = 3
NOT_COACHED_DAYS = 30  # the roll-up counts sellers with no session in this many days


def _since(today: date, months: int) -> date:
    """The day before the cadence window of `months` months that ends today."""
    return today - timedelta(days=round(months * 30.4))


def _overdue_items(*, user, person_ids, today: date) -> dict[int, int]:
    """Seller id → their overdue follow-ups (open action items past due)."""
    return dict(
        ActionItem.objects.visible_to(user)
        .overdue(today)
        .filter(session__seller_id__in=person_ids)
        .values("session__seller_id")
        .annotate(n=Count("pk"))
        .values_list("session__seller_id", "n")
    )


def cadence(*, user, people: list, today: date, months: int = CADENCE_MONTHS) -> list[CadenceRow]:
    """Coaching cadence per seller: sessions per month over the last `months` months, days since the
    last session, overdue follow-ups and the next scheduled 1:1. Three queries."""
    ids = [p.pk for p in people]
    since = _since(today, months)
    sessions = CoachingSession.objects.visible_to(user).filter(seller_id__in=ids)
    counts, last = {}, {}
    for seller_id, n, latest in (
        sessions.filter(held_on__lte=today)
        .values("seller_id")
        .annotate(n=Count("pk", filter=Q(held_on__gt=since)), latest=Max("held_on"))
        .values_list("seller_id", "n", "latest")
    ):
        counts[seller_id], last[seller_id] = n, latest
    overdue = _overdue_items(user=user, person_ids=ids, today=today)
    schedules = dict(
        OneOnOneSchedule.objects.visible_to(user)
        .filter(seller_id__in=ids, active=True)
        .values("seller_id")
        .annotate(next_on=Max("next_on"))
        .values_list("seller_id", "next_on")
    )
    return [
        CadenceRow(
            person=p,
            sessions=counts.get(p.pk, 0),
            per_month=sessions_per_seller_month(counts.get(p.pk, 0), 1, months),
            last=last.get(p.pk),
            days_since=days_since(last.get(p.pk), today),
            overdue_items=overdue.get(p.pk, 0),
            next_one_on_one=schedules.get(p.pk),
        )
        for p in people
    ]


@dataclass
class CadenceRollup:
    team: object
    sellers: int
    per_seller_month: Decimal | None
    not_coached_30_days: int
    overdue_items: int


def cadence_rollup(
    *, user, groups: dict, person_ids, today: date, months: int = CADENCE_MONTHS
) -> list[CadenceRollup]:
    """The cadence rolled up per sub-team, for the manager's manager: sessions per seller per month
    over the last `months` months, sellers with no session in the last NOT_COACHED_DAYS days and
    overdue follow-ups. The sellers are `person_ids` (a subquery), grouped by `groups` (team → ids).
    Two queries, reading only the sessions of the window and the open follow-ups."""
    since = _since(today, months)
    counts, coached = {}, set()
    for seller_id, n, recent in (
        CoachingSession.objects.visible_to(user)
        .filter(seller_id__in=person_ids, held_on__gt=since, held_on__lte=today)
        .values("seller_id")
        .annotate(
            n=Count("pk"),
            recent=Count("pk", filter=Q(held_on__gte=today - timedelta(days=NOT_COACHED_DAYS))),
        )
        .values_list("seller_id", "n", "recent")
    ):
        counts[seller_id] = n
        if recent:
            coached.add(seller_id)
    overdue = _overdue_items(user=user, person_ids=person_ids, today=today)
    return [
        CadenceRollup(
            team=team,
            sellers=len(ids),
            per_seller_month=sessions_per_seller_month(
                sum(counts.get(pk, 0) for pk in ids), len(ids), months
            ),
            not_coached_30_days=sum(1 for pk in ids if pk not in coached),
            overdue_items=sum(overdue.get(pk, 0) for pk in ids),
        )
        for team, ids in groups.items()
    ]


def carried_forward(*, user, session: CoachingSession):
    """Action items from this seller's earlier sessions that are still open: they stay on the
    agenda until done."""
    return (
        ActionItem.objects.visible_to(user)
        .open()
        .filter(session__seller_id=session.seller_id, session__held_on__lt=session.held_on)
        .select_related("owner", "session")
    )
