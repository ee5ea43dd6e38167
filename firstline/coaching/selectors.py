"""Cross-model reads for coaching pages: side-by-side assessments, the team heat map, the cadence.

Every function takes the people already narrowed by the caller's scope and runs a fixed number of
queries, however many people or assessments there are.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import Count, Max, Q

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


def led_sellers(user) -> list[LedSeller]:
    """The sellers currently in the teams the user leads (everyone, for an admin who leads none),
    ordered by team then name. Two queries."""
    who = viewer(user)
    members = Membership.objects.current().filter(person__role=Role.SELLER)
    if who.managed_paths:
        members = members.filter(who.subtree_q("team__path"))
    elif not who.is_admin:
        return []
    rows = list(
        members.order_by("team__path", "person__name").values_list("person_id", "person__name", "team_id")
    )
    teams = Team.objects.select_related("manager").in_bulk({team_id for _p, _n, team_id in rows})
    return [LedSeller(person_id, name, teams[team_id]) for person_id, name, team_id in rows]


@dataclass
class Drill:
    """One team of the viewer's subtree: its sub-teams one level down (each with the sellers of its
    whole subtree), the sellers directly in it, and the way back up to the viewer's own team."""

    team: Team | None
    groups: dict[Team, list[LedSeller]]
    direct: list[LedSeller]
    within: list[LedSeller]
    trail: list[Team]


def drill_down(user, sellers: list[LedSeller], chosen: str | None) -> Drill:
    """Roll a team page up one level at a time: a VP sees regions, a director their teams, a
    first-line manager their sellers; `chosen` (a team id from ?team=) drills into a sub-team."""
    who = viewer(user)
    tops = list(Team.objects.filter(manager_id=who.person_id)) if who.person_id else []
    if not tops and who.is_admin:
        tops = list(Team.objects.filter(parent=None))
    if not tops:
        return Drill(None, {}, [], [], [])
    team = tops[0]
    if chosen and chosen.isdigit():
        picked = Team.objects.filter(pk=int(chosen)).first()
        if picked is not None and any(picked.path.startswith(top.path) for top in tops):
            team = picked
    depth = team.path.count("/") - 1
    within = [s for s in sellers if s.team.path.startswith(team.path)]
    child_of = {s.pk: int(s.team.path.split("/")[depth + 1]) for s in within if s.team.pk != team.pk}
    children = Team.objects.select_related("manager").in_bulk(set(child_of.values()))
    groups: dict[Team, list[LedSeller]] = {}
    for child in sorted(children.values(), key=lambda t: t.path):
        groups[child] = [s for s in within if child_of.get(s.pk) == child.pk]
    top = next(t for t in tops if team.path.startswith(t.path))
    trail_ids = [int(part) for part in team.path.strip("/").split("/")[top.path.count("/") - 2 :]]
    trail_teams = Team.objects.in_bulk(trail_ids)
    trail = [trail_teams[pk] for pk in trail_ids if pk in trail_teams]
    return Drill(team, groups, [s for s in within if s.team.pk == team.pk], within, trail)


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


def cadence(*, user, people: list, today: date, months: int = CADENCE_MONTHS) -> list[CadenceRow]:
    """Coaching cadence per seller: sessions per month over the last `months` months, days since the
    last session, overdue follow-ups and the next scheduled 1:1. Three queries."""
    ids = [p.pk for p in people]
    since = today - timedelta(days=round(months * 30.4))
    sessions = CoachingSession.objects.visible_to(user).filter(seller_id__in=ids)
    counts, last = {}, {}
    for seller_id, n, latest in (
        sessions.filter(held_on__lte=today)
        .values("seller_id")
        .annotate(n=Count("pk", filter=Q(held_on__gt=since)), latest=Max("held_on"))
        .values_list("seller_id", "n", "latest")
    ):
        counts[seller_id], last[seller_id] = n, latest
    overdue = dict(
        ActionItem.objects.visible_to(user)
        .overdue(today)
        .filter(session__seller_id__in=ids)
        .values("session__seller_id")
        .annotate(n=Count("pk"))
        .values_list("session__seller_id", "n")
    )
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


def cadence_rollup(rows_by_team: dict, months: int = CADENCE_MONTHS) -> list[CadenceRollup]:
    """Roll the per-seller cadence up per team, for the manager's manager."""
    return [
        CadenceRollup(
            team=team,
            sellers=len(rows),
            per_seller_month=sessions_per_seller_month(sum(r.sessions for r in rows), len(rows), months),
            not_coached_30_days=sum(1 for r in rows if r.days_since is None or r.days_since > 30),
            overdue_items=sum(r.overdue_items for r in rows),
        )
        for team, rows in rows_by_team.items()
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
